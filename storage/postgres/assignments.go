package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const assignmentColumns = `subject_id, role_id, org_id, subtree, created_at, created_by`

func scanRoleAssignment(s pgx.Row) (rbac.RoleAssignment, error) {
	var a rbac.RoleAssignment
	if err := s.Scan(&a.SubjectID, &a.RoleID, &a.On.OrgID, &a.On.Subtree, &a.CreatedAt, &a.CreatedBy); err != nil {
		return rbac.RoleAssignment{}, mapErr(err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// AddRoleAssignment implements rbac.Store.
func (d *DB) AddRoleAssignment(ctx context.Context, a rbac.RoleAssignment) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO role_assignments (`+assignmentColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.SubjectID, a.RoleID, a.On.OrgID, a.On.Subtree, ts(a.CreatedAt), a.CreatedBy)
	return mapErr(err)
}

// RemoveRoleAssignment implements rbac.Store.
func (d *DB) RemoveRoleAssignment(ctx context.Context, subjectID, roleID, orgID string) error {
	return d.execOne(ctx, `DELETE FROM role_assignments WHERE subject_id = $1 AND role_id = $2 AND org_id = $3`,
		subjectID, roleID, orgID)
}

// RemoveRoleUses implements rbac.Store.
func (d *DB) RemoveRoleUses(ctx context.Context, roleID string) (assignments, pairs int, err error) {
	err = d.InTx(ctx, func(ctx context.Context) error {
		tag, err := d.q(ctx).Exec(ctx, `DELETE FROM role_assignments WHERE role_id = $1`, roleID)
		if err != nil {
			return mapErr(err)
		}
		assignments = int(tag.RowsAffected())
		tag, err = d.q(ctx).Exec(ctx, `DELETE FROM group_roles WHERE role_id = $1`, roleID)
		if err != nil {
			return mapErr(err)
		}
		pairs = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return assignments, pairs, nil
}

// ListRoleAssignments implements rbac.Store.
func (d *DB) ListRoleAssignments(ctx context.Context, subjectID string) ([]rbac.RoleAssignment, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+assignmentColumns+`
		FROM role_assignments WHERE subject_id = $1 ORDER BY role_id, org_id`, subjectID)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanRoleAssignment)
}

// grantsQuery is LoadGrants' statement: one row kind of package rowset per
// UNION ALL branch. Every part is a lookup of primary keys from the subject
// (accounts and users, either of which it may be; role_assignments,
// group_members, group_roles, roles, role_rights, role_perimeter, orgs by
// ID), and each subtree grant one range scan of
// orgs by path. The lookups are written = ANY(ARRAY(SELECT …)): the planner
// cannot tell how few rows the CTEs hold, and given joins it hashed every
// organization to find a handful. pgx prepares the statement once per
// connection.
const grantsQuery = `WITH
	subject AS (SELECT org_id FROM accounts WHERE id = $1 UNION ALL SELECT org_id FROM users WHERE id = $1),
	grants AS (
		SELECT role_id, org_id, subtree, ''::text AS group_id FROM role_assignments WHERE subject_id = $1
		UNION ALL
		SELECT gr.role_id, gr.org_id, gr.subtree, gr.group_id
		FROM group_members m JOIN group_roles gr ON gr.group_id = m.group_id
		WHERE m.subject_id = $1
	),
	held AS (SELECT DISTINCT role_id AS id FROM grants),
	named AS (
		SELECT org_id FROM subject
		UNION SELECT org_id FROM grants
		UNION SELECT org_id FROM roles WHERE id = ANY(ARRAY(SELECT id FROM held))
		UNION SELECT org_id FROM role_perimeter WHERE role_id = ANY(ARRAY(SELECT id FROM held))
	),
	tops AS (SELECT path FROM orgs WHERE id = ANY(ARRAY(SELECT g.org_id FROM grants g WHERE g.subtree AND NOT EXISTS (
		SELECT 1 FROM role_perimeter p JOIN orgs r ON r.id = p.org_id
		WHERE p.role_id = g.role_id AND p.org_id = g.org_id AND p.subtree AND r.parent_id IS NULL)))),
	paths AS (
		SELECT id, path FROM orgs WHERE id = ANY(ARRAY(SELECT org_id FROM named))
		UNION
		SELECT o.id, o.path FROM tops JOIN orgs o ON o.path >= tops.path AND o.path < left(tops.path, -1) || '0'
	)
SELECT 'org', o.id, o.name, coalesce(o.parent_id, ''), o.path, o.created_by, '', false, o.created_at, o.updated_at
	FROM orgs o WHERE o.id = (SELECT org_id FROM subject)
UNION ALL SELECT 'grant', role_id, org_id, group_id, '', '', '', subtree, NULL, NULL FROM grants
UNION ALL SELECT ` + roleRow + ` FROM roles r WHERE r.id = ANY(ARRAY(SELECT id FROM held))
UNION ALL SELECT ` + rightRow + ` FROM role_rights rr WHERE rr.role_id = ANY(ARRAY(SELECT id FROM held))
UNION ALL SELECT ` + perimeterRow + ` FROM role_perimeter p WHERE p.role_id = ANY(ARRAY(SELECT id FROM held))
UNION ALL SELECT ` + groupRow + ` FROM groups g
	WHERE g.id = ANY(ARRAY(SELECT group_id FROM group_members WHERE subject_id = $1))
UNION ALL SELECT 'path', id, path, '', '', '', '', false, NULL, NULL FROM paths`

// LoadGrants implements rbac.Store in one statement.
func (d *DB) LoadGrants(ctx context.Context, subjectID string) (rbac.Grants, error) {
	set, err := d.readSet(ctx, grantsQuery, subjectID)
	if err != nil {
		return rbac.Grants{}, err
	}
	g, ok := set.Grants()
	if !ok {
		return rbac.Grants{}, storage.ErrNotFound
	}
	return g, nil
}
