package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/internal/rowset"
)

// CreatePermission implements rbac.Store.
func (d *DB) CreatePermission(ctx context.Context, p rbac.Permission) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO permissions (name, description, builtin, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5)`, p.Name, p.Description, p.Builtin, ts(p.CreatedAt), p.CreatedBy)
	return mapErr(err)
}

const permissionColumns = `name, description, builtin, created_at, created_by`

func scanPermission(s pgx.Row) (rbac.Permission, error) {
	var p rbac.Permission
	if err := s.Scan(&p.Name, &p.Description, &p.Builtin, &p.CreatedAt, &p.CreatedBy); err != nil {
		return rbac.Permission{}, mapErr(err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// GetPermission implements rbac.Store.
func (d *DB) GetPermission(ctx context.Context, name string) (rbac.Permission, error) {
	return d.getPermission(ctx, name, "")
}

func (d *DB) getPermission(ctx context.Context, name, lock string) (rbac.Permission, error) {
	return scanPermission(d.q(ctx).QueryRow(ctx, `SELECT `+permissionColumns+` FROM permissions WHERE name = $1`+lock, name))
}

// ListPermissions implements rbac.Store.
func (d *DB) ListPermissions(ctx context.Context) ([]rbac.Permission, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+permissionColumns+` FROM permissions ORDER BY name`)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanPermission)
}

// UpdatePermission implements rbac.Store.
func (d *DB) UpdatePermission(ctx context.Context, name string, fn func(rbac.Permission) (rbac.Permission, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		p, err := d.getPermission(ctx, name, forUpdate)
		if err != nil {
			return err
		}
		if p, err = fn(p); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE permissions SET description = $1 WHERE name = $2`, p.Description, name)
	})
}

// DeletePermission implements rbac.Store; the foreign key of role_rights
// refuses it while a role holds a right on the permission.
func (d *DB) DeletePermission(ctx context.Context, name string) error {
	return d.execOne(ctx, `DELETE FROM permissions WHERE name = $1`, name)
}

// The SELECT lists of the row kinds of package rowset, given the alias of
// their table.
const (
	roleRow      = `'role', r.id, r.org_id, r.name, r.description, r.kind, r.created_by, false, r.created_at, r.updated_at`
	rightRow     = `'right', rr.role_id, rr.permission, rr.operation, '', '', '', false, NULL::timestamptz, NULL::timestamptz`
	perimeterRow = `'perimeter', p.role_id, p.org_id, '', '', '', '', p.subtree, NULL::timestamptz, NULL::timestamptz`
	groupRow     = `'group', g.id, g.org_id, g.name, g.description, g.created_by, '', false, g.created_at, g.updated_at`
	pairRow      = `'pair', gr.group_id, gr.role_id, gr.org_id, '', '', '', gr.subtree, NULL::timestamptz, NULL::timestamptz`
)

// readSet runs a statement whose rows are of the kinds of package rowset.
func (d *DB) readSet(ctx context.Context, query string, args ...any) (*rowset.Set, error) {
	rows, err := d.q(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var set rowset.Set
	for rows.Next() {
		var r rowset.Row
		var t1, t2 *time.Time
		if err := rows.Scan(&r.Kind, &r.S[0], &r.S[1], &r.S[2], &r.S[3], &r.S[4], &r.S[5], &r.Flag, &t1, &t2); err != nil {
			return nil, mapErr(err)
		}
		r.T1, r.T2 = fromTS(t1), fromTS(t2)
		if err := set.Add(r); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return &set, nil
}

// roles returns, in one statement, the roles that where (a condition on
// roles r) selects.
func (d *DB) roles(ctx context.Context, where string, args ...any) ([]rbac.Role, error) {
	set, err := d.readSet(ctx, `WITH sel AS (SELECT r.id FROM roles r WHERE `+where+`)
		SELECT `+roleRow+` FROM roles r WHERE r.id IN (SELECT id FROM sel)
		UNION ALL SELECT `+rightRow+` FROM role_rights rr WHERE rr.role_id IN (SELECT id FROM sel)
		UNION ALL SELECT `+perimeterRow+` FROM role_perimeter p WHERE p.role_id IN (SELECT id FROM sel)`, args...)
	if err != nil {
		return nil, err
	}
	return set.Roles(), nil
}

func (d *DB) role(ctx context.Context, where string, args ...any) (rbac.Role, error) {
	rs, err := d.roles(ctx, where, args...)
	if err != nil {
		return rbac.Role{}, err
	}
	if len(rs) == 0 {
		return rbac.Role{}, storage.ErrNotFound
	}
	return rs[0], nil
}

// CreateRole implements rbac.Store.
func (d *DB) CreateRole(ctx context.Context, r rbac.Role) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.q(ctx).Exec(ctx, `INSERT INTO roles (id, org_id, name, description, kind, created_at,
			created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.OrgID, r.Name, r.Description, r.Kind, ts(r.CreatedAt), r.CreatedBy, ts(r.UpdatedAt)); err != nil {
			return mapErr(err)
		}
		return d.putRoleContents(ctx, r)
	})
}

// putRoleContents stores the rights and perimeter of r, whose rows are
// already gone, one statement for each. The bootstrap role's rights are
// implied by its kind.
func (d *DB) putRoleContents(ctx context.Context, r rbac.Role) error {
	if r.Kind != rbac.KindBootstrap && len(r.Rights) > 0 {
		perms, ops := make([]string, len(r.Rights)), make([]string, len(r.Rights))
		for i, rt := range r.Rights {
			perms[i], ops[i] = rt.Permission, rt.Operation
		}
		if _, err := d.q(ctx).Exec(ctx, `INSERT INTO role_rights (role_id, permission, operation)
			SELECT $1, p, o FROM unnest($2::text[], $3::text[]) AS u (p, o)`, r.ID, perms, ops); err != nil {
			return mapErr(err)
		}
	}
	if len(r.Perimeter) == 0 {
		return nil
	}
	orgs, subtrees := make([]string, len(r.Perimeter)), make([]bool, len(r.Perimeter))
	for i, s := range r.Perimeter {
		orgs[i], subtrees[i] = s.OrgID, s.Subtree
	}
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO role_perimeter (role_id, org_id, subtree)
		SELECT $1, o, s FROM unnest($2::text[], $3::boolean[]) AS u (o, s)`, r.ID, orgs, subtrees)
	return mapErr(err)
}

// GetRole implements rbac.Store.
func (d *DB) GetRole(ctx context.Context, id string) (rbac.Role, error) {
	return d.role(ctx, `r.id = $1`, id)
}

// GetRoleByName implements rbac.Store.
func (d *DB) GetRoleByName(ctx context.Context, orgID, name string) (rbac.Role, error) {
	return d.role(ctx, `r.org_id = $1 AND r.name = $2`, orgID, name)
}

// ListRoles implements rbac.Store.
func (d *DB) ListRoles(ctx context.Context, orgID string) ([]rbac.Role, error) {
	if orgID == "" {
		return d.roles(ctx, `true`)
	}
	return d.roles(ctx, `r.org_id = $1`, orgID)
}

// UpdateRole implements rbac.Store.
func (d *DB) UpdateRole(ctx context.Context, id string, fn func(rbac.Role) (rbac.Role, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		// The row lock makes concurrent updates of the role take turns,
		// each seeing the rights the one before wrote.
		var one int
		if err := d.q(ctx).QueryRow(ctx, `SELECT 1 FROM roles WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return mapErr(err)
		}
		r, err := d.GetRole(ctx, id)
		if err != nil {
			return err
		}
		kind := r.Kind
		if r, err = fn(r); err != nil {
			return err
		}
		r.ID, r.Kind = id, kind // neither is written
		if err := d.execOne(ctx, `UPDATE roles SET description = $1, updated_at = $2 WHERE id = $3`,
			r.Description, ts(r.UpdatedAt), id); err != nil {
			return err
		}
		if _, err := d.q(ctx).Exec(ctx, `DELETE FROM role_rights WHERE role_id = $1`, id); err != nil {
			return mapErr(err)
		}
		if _, err := d.q(ctx).Exec(ctx, `DELETE FROM role_perimeter WHERE role_id = $1`, id); err != nil {
			return mapErr(err)
		}
		return d.putRoleContents(ctx, r)
	})
}

// DeleteRole implements rbac.Store; its rights and perimeter go with it
// (ON DELETE CASCADE), and the foreign keys of assignments and group pairs
// refuse it while it is used.
func (d *DB) DeleteRole(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM roles WHERE id = $1`, id)
}

// RoleUses implements rbac.Store.
func (d *DB) RoleUses(ctx context.Context, id string) ([]rbac.RoleAssignment, []rbac.Group, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+assignmentColumns+`
		FROM role_assignments WHERE role_id = $1 ORDER BY subject_id, org_id`, id)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	as, err := collect(rows, scanRoleAssignment)
	if err != nil {
		return nil, nil, err
	}
	gs, err := d.groups(ctx, `g.id IN (SELECT group_id FROM group_roles WHERE role_id = $1)`, id)
	if err != nil {
		return nil, nil, err
	}
	return as, gs, nil
}
