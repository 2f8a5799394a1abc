package sqlite

import (
	"context"
	"database/sql"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const assignmentColumns = `subject_id, role_id, org_id, subtree, created_at, created_by`

func scanRoleAssignment(s scanner) (rbac.RoleAssignment, error) {
	var a rbac.RoleAssignment
	var created sql.NullInt64
	if err := s.Scan(&a.SubjectID, &a.RoleID, &a.On.OrgID, &a.On.Subtree, &created, &a.CreatedBy); err != nil {
		return rbac.RoleAssignment{}, mapErr(err)
	}
	a.CreatedAt = fromMS(created)
	return a, nil
}

// AddRoleAssignment implements rbac.Store.
func (d *DB) AddRoleAssignment(ctx context.Context, a rbac.RoleAssignment) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO role_assignments (`+assignmentColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.SubjectID, a.RoleID, a.On.OrgID, a.On.Subtree, ms(a.CreatedAt), a.CreatedBy)
	return mapErr(err)
}

// RemoveRoleAssignment implements rbac.Store.
func (d *DB) RemoveRoleAssignment(ctx context.Context, subjectID, roleID, orgID string) error {
	return d.execOne(ctx, `DELETE FROM role_assignments WHERE subject_id = ? AND role_id = ? AND org_id = ?`,
		subjectID, roleID, orgID)
}

// RemoveRoleUses implements rbac.Store.
func (d *DB) RemoveRoleUses(ctx context.Context, roleID string) (assignments, pairs int, err error) {
	err = d.InTx(ctx, func(ctx context.Context) error {
		var err error
		if assignments, err = d.changes(ctx, `DELETE FROM role_assignments WHERE role_id = ?`, roleID); err != nil {
			return err
		}
		pairs, err = d.changes(ctx, `DELETE FROM group_roles WHERE role_id = ?`, roleID)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return assignments, pairs, nil
}

// changes runs a statement and returns how many rows it changed.
func (d *DB) changes(ctx context.Context, query string, args ...any) (int, error) {
	res, err := d.q(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err)
}

// ListRoleAssignments implements rbac.Store.
func (d *DB) ListRoleAssignments(ctx context.Context, subjectID string) ([]rbac.RoleAssignment, error) {
	return collect(ctx, d.q(ctx), scanRoleAssignment, `SELECT `+assignmentColumns+`
		FROM role_assignments WHERE subject_id = ? ORDER BY role_id, org_id`, subjectID)
}

// grantsQuery is LoadGrants' statement: one row kind of package rowset per
// UNION ALL branch. Every part is a lookup of primary keys from the subject
// (accounts and users, either of which it may be; role_assignments,
// group_members, group_roles, roles, role_rights, role_perimeter, orgs by
// ID), and each subtree grant one range scan of
// orgs by path, except on the root for a role whose perimeter is the whole
// tree: that grant covers every organization, and rbac.Compute writes it
// AnyOrg without the list. IN (SELECT …) and CROSS JOIN, which SQLite reads as "the
// left side drives", keep it so whatever the statistics: joins left to the
// planner scanned every organization.
const grantsQuery = `WITH
	subject AS (SELECT org_id FROM accounts WHERE id = ?1 UNION ALL SELECT org_id FROM users WHERE id = ?1),
	grants AS (
		SELECT role_id, org_id, subtree, '' AS group_id FROM role_assignments WHERE subject_id = ?1
		UNION ALL
		SELECT gr.role_id, gr.org_id, gr.subtree, gr.group_id
		FROM group_members m CROSS JOIN group_roles gr ON gr.group_id = m.group_id
		WHERE m.subject_id = ?1
	),
	held AS (SELECT DISTINCT role_id AS id FROM grants),
	named AS (
		SELECT org_id FROM subject
		UNION SELECT org_id FROM grants
		UNION SELECT org_id FROM roles WHERE id IN (SELECT id FROM held)
		UNION SELECT org_id FROM role_perimeter WHERE role_id IN (SELECT id FROM held)
	),
	tops AS (SELECT path FROM orgs WHERE id IN (SELECT gs.org_id FROM grants AS gs WHERE gs.subtree AND NOT EXISTS (
		SELECT 1 FROM role_perimeter p CROSS JOIN orgs r ON r.id = p.org_id
		WHERE p.role_id = gs.role_id AND p.org_id = gs.org_id AND p.subtree AND r.parent_id IS NULL))),
	paths AS (
		SELECT id, path FROM orgs WHERE id IN (SELECT org_id FROM named)
		UNION
		SELECT o.id, o.path FROM tops CROSS JOIN orgs o
			ON o.path >= tops.path AND o.path < substr(tops.path, 1, length(tops.path) - 1) || '0'
	)
SELECT 'org', o.id, o.name, coalesce(o.parent_id, ''), o.path, o.created_by, '', 0, o.created_at, o.updated_at
	FROM orgs o WHERE o.id = (SELECT org_id FROM subject)
UNION ALL SELECT 'grant', role_id, org_id, group_id, '', '', '', subtree, NULL, NULL FROM grants
UNION ALL SELECT ` + roleRow + ` FROM roles r WHERE r.id IN (SELECT id FROM held)
UNION ALL SELECT ` + rightRow + ` FROM role_rights rr WHERE rr.role_id IN (SELECT id FROM held)
UNION ALL SELECT ` + perimeterRow + ` FROM role_perimeter p WHERE p.role_id IN (SELECT id FROM held)
UNION ALL SELECT ` + groupRow + ` FROM groups g WHERE g.id IN (SELECT group_id FROM group_members WHERE subject_id = ?1)
UNION ALL SELECT 'path', id, path, '', '', '', '', 0, NULL, NULL FROM paths`

// LoadGrants implements rbac.Store in one statement, prepared once (see
// DB.grants).
func (d *DB) LoadGrants(ctx context.Context, subjectID string) (rbac.Grants, error) {
	set, err := d.readSet(ctx, func(ctx context.Context, args ...any) (*sql.Rows, error) {
		return d.queryPrepared(ctx, d.grants, args...)
	}, subjectID)
	if err != nil {
		return rbac.Grants{}, err
	}
	g, ok := set.Grants()
	if !ok {
		return rbac.Grants{}, storage.ErrNotFound
	}
	return g, nil
}
