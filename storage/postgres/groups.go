package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// groups returns, in one statement, the groups that where (a condition on
// groups g) selects, with their pairs.
func (d *DB) groups(ctx context.Context, where string, args ...any) ([]rbac.Group, error) {
	set, err := d.readSet(ctx, `WITH sel AS (SELECT g.id FROM groups g WHERE `+where+`)
		SELECT `+groupRow+` FROM groups g WHERE g.id IN (SELECT id FROM sel)
		UNION ALL SELECT `+pairRow+` FROM group_roles gr WHERE gr.group_id IN (SELECT id FROM sel)`, args...)
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
		if _, err := d.q(ctx).Exec(ctx, `INSERT INTO groups (id, org_id, name, description, created_at,
			created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			g.ID, g.OrgID, g.Name, g.Description, ts(g.CreatedAt), g.CreatedBy, ts(g.UpdatedAt)); err != nil {
			return mapErr(err)
		}
		return d.putPairs(ctx, g)
	})
}

// putPairs stores the pairs of g in one statement.
func (d *DB) putPairs(ctx context.Context, g rbac.Group) error {
	if len(g.Pairs) == 0 {
		return nil
	}
	roles, orgs, subtrees := make([]string, len(g.Pairs)), make([]string, len(g.Pairs)), make([]bool, len(g.Pairs))
	for i, p := range g.Pairs {
		roles[i], orgs[i], subtrees[i] = p.RoleID, p.On.OrgID, p.On.Subtree
	}
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO group_roles (group_id, role_id, org_id, subtree)
		SELECT $1, r, o, s FROM unnest($2::text[], $3::text[], $4::boolean[]) AS u (r, o, s)`, g.ID, roles, orgs, subtrees)
	return mapErr(err)
}

// GetGroup implements rbac.Store.
func (d *DB) GetGroup(ctx context.Context, id string) (rbac.Group, error) {
	return d.group(ctx, `g.id = $1`, id)
}

// GetGroupByName implements rbac.Store.
func (d *DB) GetGroupByName(ctx context.Context, orgID, name string) (rbac.Group, error) {
	return d.group(ctx, `g.org_id = $1 AND g.name = $2`, orgID, name)
}

// ListGroups implements rbac.Store.
func (d *DB) ListGroups(ctx context.Context, orgID string) ([]rbac.Group, error) {
	if orgID == "" {
		return d.groups(ctx, `true`)
	}
	return d.groups(ctx, `g.org_id = $1`, orgID)
}

// UpdateGroup implements rbac.Store.
func (d *DB) UpdateGroup(ctx context.Context, id string, fn func(rbac.Group) (rbac.Group, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		// The row lock makes concurrent updates of the group take turns.
		var one int
		if err := d.q(ctx).QueryRow(ctx, `SELECT 1 FROM groups WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return mapErr(err)
		}
		g, err := d.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		if g, err = fn(g); err != nil {
			return err
		}
		g.ID = id
		if err := d.execOne(ctx, `UPDATE groups SET description = $1, updated_at = $2 WHERE id = $3`,
			g.Description, ts(g.UpdatedAt), id); err != nil {
			return err
		}
		if _, err := d.q(ctx).Exec(ctx, `DELETE FROM group_roles WHERE group_id = $1`, id); err != nil {
			return mapErr(err)
		}
		return d.putPairs(ctx, g)
	})
}

// DeleteGroup implements rbac.Store; its pairs and memberships go with it
// (ON DELETE CASCADE).
func (d *DB) DeleteGroup(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM groups WHERE id = $1`, id)
}

const membershipColumns = `subject_id, group_id, created_at, created_by`

func scanMembership(s pgx.Row) (rbac.Membership, error) {
	var m rbac.Membership
	if err := s.Scan(&m.SubjectID, &m.GroupID, &m.CreatedAt, &m.CreatedBy); err != nil {
		return rbac.Membership{}, mapErr(err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

func (d *DB) memberships(ctx context.Context, query string, arg string) ([]rbac.Membership, error) {
	rows, err := d.q(ctx).Query(ctx, query, arg)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanMembership)
}

// ListMembers implements rbac.Store.
func (d *DB) ListMembers(ctx context.Context, groupID string) ([]rbac.Membership, error) {
	return d.memberships(ctx, `SELECT `+membershipColumns+`
		FROM group_members WHERE group_id = $1 ORDER BY subject_id`, groupID)
}

// AddMembership implements rbac.Store.
func (d *DB) AddMembership(ctx context.Context, m rbac.Membership) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO group_members (`+membershipColumns+`) VALUES ($1, $2, $3, $4)`,
		m.SubjectID, m.GroupID, ts(m.CreatedAt), m.CreatedBy)
	return mapErr(err)
}

// RemoveMembership implements rbac.Store.
func (d *DB) RemoveMembership(ctx context.Context, subjectID, groupID string) error {
	return d.execOne(ctx, `DELETE FROM group_members WHERE subject_id = $1 AND group_id = $2`, subjectID, groupID)
}

// ListMemberships implements rbac.Store.
func (d *DB) ListMemberships(ctx context.Context, subjectID string) ([]rbac.Membership, error) {
	return d.memberships(ctx, `SELECT `+membershipColumns+`
		FROM group_members WHERE subject_id = $1 ORDER BY group_id`, subjectID)
}
