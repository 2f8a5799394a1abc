package sqlite

import (
	"context"
	"database/sql"

	"github.com/iamd/iamd/rbac"
)

const orgColumns = `id, name, coalesce(parent_id, ''), created_at, created_by, updated_at`

func scanOrg(s scanner) (rbac.Org, error) {
	var o rbac.Org
	var created, updated sql.NullInt64
	if err := s.Scan(&o.ID, &o.Name, &o.ParentID, &created, &o.CreatedBy, &updated); err != nil {
		return rbac.Org{}, mapErr(err)
	}
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return o, nil
}

// CreateOrg implements rbac.Store.
func (d *DB) CreateOrg(ctx context.Context, o rbac.Org) error {
	var parent any
	if o.ParentID != "" {
		parent = o.ParentID
	}
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO orgs (id, name, parent_id, created_at, created_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, o.ID, o.Name, parent, ms(o.CreatedAt), o.CreatedBy, ms(o.UpdatedAt))
	return mapErr(err)
}

// GetOrg implements rbac.Store.
func (d *DB) GetOrg(ctx context.Context, id string) (rbac.Org, error) {
	return scanOrg(d.q(ctx).QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = ?`, id))
}

// ListOrgs implements rbac.Store.
func (d *DB) ListOrgs(ctx context.Context) ([]rbac.Org, error) {
	return collect(ctx, d.q(ctx), scanOrg, `SELECT `+orgColumns+` FROM orgs ORDER BY id`)
}

// UpdateOrg implements rbac.Store.
func (d *DB) UpdateOrg(ctx context.Context, id string, fn func(rbac.Org) (rbac.Org, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		o, err := d.GetOrg(ctx, id)
		if err != nil {
			return err
		}
		if o, err = fn(o); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE orgs SET name = ?, updated_at = ? WHERE id = ?`, o.Name, ms(o.UpdatedAt), id)
	})
}

// DeleteOrg implements rbac.Store.
func (d *DB) DeleteOrg(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM orgs WHERE id = ?`, id)
}

// AddAssignment implements rbac.Store.
func (d *DB) AddAssignment(ctx context.Context, a rbac.Assignment) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO assignments (subject_id, role_id, org_id, created_at, created_by)
		VALUES (?, ?, ?, ?, ?)`, a.SubjectID, a.RoleID, a.OrgID, ms(a.CreatedAt), a.CreatedBy)
	return mapErr(err)
}

// ListAssignments implements rbac.Store.
func (d *DB) ListAssignments(ctx context.Context, subjectID string) ([]rbac.Assignment, error) {
	return collect(ctx, d.q(ctx), func(s scanner) (rbac.Assignment, error) {
		var a rbac.Assignment
		var created sql.NullInt64
		err := s.Scan(&a.SubjectID, &a.RoleID, &a.OrgID, &created, &a.CreatedBy)
		a.CreatedAt = fromMS(created)
		return a, err
	}, `SELECT subject_id, role_id, org_id, created_at, created_by
		FROM assignments WHERE subject_id = ? ORDER BY role_id, org_id`, subjectID)
}
