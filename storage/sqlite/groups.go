package sqlite

import (
	"context"
	"database/sql"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// groups returns, in one statement, the groups that where (a condition on
// groups g) selects, with their pairs.
func (d *DB) groups(ctx context.Context, where string, args ...any) ([]rbac.Group, error) {
	set, err := d.readSet(ctx, d.query(`WITH sel AS (SELECT g.id FROM groups g WHERE `+where+`)
		SELECT `+groupRow+` FROM groups g WHERE g.id IN (SELECT id FROM sel)
		UNION ALL SELECT `+pairRow+` FROM group_roles gr WHERE gr.group_id IN (SELECT id FROM sel)`), args...)
	if err != nil {
		return nil, err
	}
	return set.Groups(), nil
}

func (d *DB) group(ctx context.Context, where string, args ...any) (rbac.Group, error) {
	gs, err := d.groups(ctx, where, args...)
	if err != nil {
		return rbac.Group{}, err
	}
	if len(gs) == 0 {
		return rbac.Group{}, storage.ErrNotFound
	}
	return gs[0], nil
}

// CreateGroup implements rbac.Store.
func (d *DB) CreateGroup(ctx context.Context, g rbac.Group) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO groups (id, org_id, name, description, created_at,
			created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.OrgID, g.Name, g.Description, ms(g.CreatedAt), g.CreatedBy, ms(g.UpdatedAt)); err != nil {
			return mapErr(err)
		}
		return d.putPairs(ctx, g)
	})
}

func (d *DB) putPairs(ctx context.Context, g rbac.Group) error {
	var args []any
	for _, p := range g.Pairs {
		args = append(args, g.ID, p.RoleID, p.On.OrgID, p.On.Subtree)
	}
	return d.insertRows(ctx, `INSERT INTO group_roles (group_id, role_id, org_id, subtree) VALUES `, 4, args)
}

// GetGroup implements rbac.Store.
func (d *DB) GetGroup(ctx context.Context, id string) (rbac.Group, error) {
	return d.group(ctx, `g.id = ?`, id)
}

// GetGroupByName implements rbac.Store.
func (d *DB) GetGroupByName(ctx context.Context, orgID, name string) (rbac.Group, error) {
	return d.group(ctx, `g.org_id = ? AND g.name = ?`, orgID, name)
}

// ListGroups implements rbac.Store.
func (d *DB) ListGroups(ctx context.Context, orgID string) ([]rbac.Group, error) {
	if orgID == "" {
		return d.groups(ctx, `1`)
	}
	return d.groups(ctx, `g.org_id = ?`, orgID)
}

// UpdateGroup implements rbac.Store.
func (d *DB) UpdateGroup(ctx context.Context, id string, fn func(rbac.Group) (rbac.Group, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		g, err := d.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		if g, err = fn(g); err != nil {
			return err
		}
		g.ID = id
		if err := d.execOne(ctx, `UPDATE groups SET description = ?, updated_at = ? WHERE id = ?`,
			g.Description, ms(g.UpdatedAt), id); err != nil {
			return err
		}
		if _, err := d.q(ctx).ExecContext(ctx, `DELETE FROM group_roles WHERE group_id = ?`, id); err != nil {
			return mapErr(err)
		}
		return d.putPairs(ctx, g)
	})
}

// DeleteGroup implements rbac.Store; its pairs and memberships go with it
// (ON DELETE CASCADE).
func (d *DB) DeleteGroup(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM groups WHERE id = ?`, id)
}

const membershipColumns = `subject_id, group_id, created_at, created_by`

func scanMembership(s scanner) (rbac.Membership, error) {
	var m rbac.Membership
	var created sql.NullInt64
	if err := s.Scan(&m.SubjectID, &m.GroupID, &created, &m.CreatedBy); err != nil {
		return rbac.Membership{}, mapErr(err)
	}
	m.CreatedAt = fromMS(created)
	return m, nil
}

// ListMembers implements rbac.Store.
func (d *DB) ListMembers(ctx context.Context, groupID string) ([]rbac.Membership, error) {
	return collect(ctx, d.q(ctx), scanMembership, `SELECT `+membershipColumns+`
		FROM group_members WHERE group_id = ? ORDER BY subject_id`, groupID)
}

// AddMembership implements rbac.Store.
func (d *DB) AddMembership(ctx context.Context, m rbac.Membership) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO group_members (`+membershipColumns+`) VALUES (?, ?, ?, ?)`,
		m.SubjectID, m.GroupID, ms(m.CreatedAt), m.CreatedBy)
	return mapErr(err)
}

// RemoveMembership implements rbac.Store.
func (d *DB) RemoveMembership(ctx context.Context, subjectID, groupID string) error {
	return d.execOne(ctx, `DELETE FROM group_members WHERE subject_id = ? AND group_id = ?`, subjectID, groupID)
}

// ListMemberships implements rbac.Store.
func (d *DB) ListMemberships(ctx context.Context, subjectID string) ([]rbac.Membership, error) {
	return collect(ctx, d.q(ctx), scanMembership, `SELECT `+membershipColumns+`
		FROM group_members WHERE subject_id = ? ORDER BY group_id`, subjectID)
}
