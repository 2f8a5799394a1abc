package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/internal/rowset"
)

// CreatePermission implements rbac.Store.
func (d *DB) CreatePermission(ctx context.Context, p rbac.Permission) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO permissions (name, description, builtin, created_at, created_by)
		VALUES (?, ?, ?, ?, ?)`, p.Name, p.Description, p.Builtin, ms(p.CreatedAt), p.CreatedBy)
	return mapErr(err)
}

const permissionColumns = `name, description, builtin, created_at, created_by`

func scanPermission(s scanner) (rbac.Permission, error) {
	var p rbac.Permission
	var created sql.NullInt64
	if err := s.Scan(&p.Name, &p.Description, &p.Builtin, &created, &p.CreatedBy); err != nil {
		return rbac.Permission{}, mapErr(err)
	}
	p.CreatedAt = fromMS(created)
	return p, nil
}

// GetPermission implements rbac.Store.
func (d *DB) GetPermission(ctx context.Context, name string) (rbac.Permission, error) {
	return scanPermission(d.q(ctx).QueryRowContext(ctx, `SELECT `+permissionColumns+` FROM permissions WHERE name = ?`, name))
}

// ListPermissions implements rbac.Store.
func (d *DB) ListPermissions(ctx context.Context) ([]rbac.Permission, error) {
	return collect(ctx, d.q(ctx), scanPermission, `SELECT `+permissionColumns+` FROM permissions ORDER BY name`)
}

// UpdatePermission implements rbac.Store.
func (d *DB) UpdatePermission(ctx context.Context, name string, fn func(rbac.Permission) (rbac.Permission, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		p, err := d.GetPermission(ctx, name)
		if err != nil {
			return err
		}
		if p, err = fn(p); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE permissions SET description = ? WHERE name = ?`, p.Description, name)
	})
}

// DeletePermission implements rbac.Store; the foreign key of role_rights
// refuses it while a role holds a right on the permission.
func (d *DB) DeletePermission(ctx context.Context, name string) error {
	return d.execOne(ctx, `DELETE FROM permissions WHERE name = ?`, name)
}

// The SELECT lists of the row kinds of package rowset, given the alias of
// their table.
const (
	roleRow      = `'role', r.id, r.org_id, r.name, r.description, r.kind, r.created_by, 0, r.created_at, r.updated_at`
	rightRow     = `'right', rr.role_id, rr.permission, rr.operation, '', '', '', 0, NULL, NULL`
	perimeterRow = `'perimeter', p.role_id, p.org_id, '', '', '', '', p.subtree, NULL, NULL`
	groupRow     = `'group', g.id, g.org_id, g.name, g.description, g.created_by, '', 0, g.created_at, g.updated_at`
	pairRow      = `'pair', gr.group_id, gr.role_id, gr.org_id, '', '', '', gr.subtree, NULL, NULL`
)

// readSet runs a statement whose rows are of the kinds of package rowset.
func (d *DB) readSet(ctx context.Context, q func(context.Context, ...any) (*sql.Rows, error), args ...any) (*rowset.Set, error) {
	rows, err := q(ctx, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var set rowset.Set
	for rows.Next() {
		var r rowset.Row
		var t1, t2 sql.NullInt64
		if err := rows.Scan(&r.Kind, &r.S[0], &r.S[1], &r.S[2], &r.S[3], &r.S[4], &r.S[5], &r.Flag, &t1, &t2); err != nil {
			return nil, mapErr(err)
		}
		r.T1, r.T2 = fromMS(t1), fromMS(t2)
		if err := set.Add(r); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return &set, nil
}

// query returns a function running query in ctx's transaction or on the
// database.
func (d *DB) query(query string) func(context.Context, ...any) (*sql.Rows, error) {
	return func(ctx context.Context, args ...any) (*sql.Rows, error) {
		return d.q(ctx).QueryContext(ctx, query, args...)
	}
}

// roles returns, in one statement, the roles that where (a condition on
// roles r) selects.
func (d *DB) roles(ctx context.Context, where string, args ...any) ([]rbac.Role, error) {
	set, err := d.readSet(ctx, d.query(`WITH sel AS (SELECT r.id FROM roles r WHERE `+where+`)
		SELECT `+roleRow+` FROM roles r WHERE r.id IN (SELECT id FROM sel)
		UNION ALL SELECT `+rightRow+` FROM role_rights rr WHERE rr.role_id IN (SELECT id FROM sel)
		UNION ALL SELECT `+perimeterRow+` FROM role_perimeter p WHERE p.role_id IN (SELECT id FROM sel)`), args...)
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
		if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO roles (id, org_id, name, description, kind, created_at,
			created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.OrgID, r.Name, r.Description, r.Kind, ms(r.CreatedAt), r.CreatedBy, ms(r.UpdatedAt)); err != nil {
			return mapErr(err)
		}
		return d.putRoleContents(ctx, r)
	})
}

// putRoleContents stores the rights and perimeter of r, whose rows are
// already gone. The bootstrap role's rights are implied by its kind.
func (d *DB) putRoleContents(ctx context.Context, r rbac.Role) error {
	if r.Kind != rbac.KindBootstrap {
		var args []any
		for _, rt := range r.Rights {
			args = append(args, r.ID, rt.Permission, rt.Operation)
		}
		if err := d.insertRows(ctx, `INSERT INTO role_rights (role_id, permission, operation) VALUES `, 3, args); err != nil {
			return err
		}
	}
	var args []any
	for _, s := range r.Perimeter {
		args = append(args, r.ID, s.OrgID, s.Subtree)
	}
	return d.insertRows(ctx, `INSERT INTO role_perimeter (role_id, org_id, subtree) VALUES `, 3, args)
}

// insertRows runs insert, which ends in VALUES, with one row of width
// placeholders per width arguments: one statement for all the rows.
func (d *DB) insertRows(ctx context.Context, insert string, width int, args []any) error {
	if len(args) == 0 {
		return nil
	}
	row := "(" + strings.Repeat("?, ", width-1) + "?)"
	rows := strings.Repeat(row+", ", len(args)/width-1) + row
	_, err := d.q(ctx).ExecContext(ctx, insert+rows, args...)
	return mapErr(err)
}

// GetRole implements rbac.Store.
func (d *DB) GetRole(ctx context.Context, id string) (rbac.Role, error) {
	return d.role(ctx, `r.id = ?`, id)
}

// GetRoleByName implements rbac.Store.
func (d *DB) GetRoleByName(ctx context.Context, orgID, name string) (rbac.Role, error) {
	return d.role(ctx, `r.org_id = ? AND r.name = ?`, orgID, name)
}

// ListRoles implements rbac.Store.
func (d *DB) ListRoles(ctx context.Context, orgID string) ([]rbac.Role, error) {
	if orgID == "" {
		return d.roles(ctx, `1`)
	}
	return d.roles(ctx, `r.org_id = ?`, orgID)
}

// UpdateRole implements rbac.Store.
func (d *DB) UpdateRole(ctx context.Context, id string, fn func(rbac.Role) (rbac.Role, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		r, err := d.GetRole(ctx, id)
		if err != nil {
			return err
		}
		kind := r.Kind
		if r, err = fn(r); err != nil {
			return err
		}
		r.ID, r.Kind = id, kind // neither is written
		if err := d.execOne(ctx, `UPDATE roles SET description = ?, updated_at = ? WHERE id = ?`,
			r.Description, ms(r.UpdatedAt), id); err != nil {
			return err
		}
		for _, table := range []string{"role_rights", "role_perimeter"} {
			if _, err := d.q(ctx).ExecContext(ctx, `DELETE FROM `+table+` WHERE role_id = ?`, id); err != nil {
				return mapErr(err)
			}
		}
		return d.putRoleContents(ctx, r)
	})
}

// DeleteRole implements rbac.Store; its rights and perimeter go with it
// (ON DELETE CASCADE), and the foreign keys of assignments and group pairs
// refuse it while it is used.
func (d *DB) DeleteRole(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM roles WHERE id = ?`, id)
}

// RoleUses implements rbac.Store.
func (d *DB) RoleUses(ctx context.Context, id string) ([]rbac.RoleAssignment, []rbac.Group, error) {
	as, err := collect(ctx, d.q(ctx), scanRoleAssignment, `SELECT `+assignmentColumns+`
		FROM role_assignments WHERE role_id = ? ORDER BY subject_id, org_id`, id)
	if err != nil {
		return nil, nil, err
	}
	gs, err := d.groups(ctx, `g.id IN (SELECT group_id FROM group_roles WHERE role_id = ?)`, id)
	if err != nil {
		return nil, nil, err
	}
	return as, gs, nil
}
