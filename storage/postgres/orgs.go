package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/rbac"
)

const orgColumns = `id, name, coalesce(parent_id, ''), created_at, created_by, updated_at`

func scanOrg(s pgx.Row) (rbac.Org, error) {
	var o rbac.Org
	var created, updated time.Time
	if err := s.Scan(&o.ID, &o.Name, &o.ParentID, &created, &o.CreatedBy, &updated); err != nil {
		return rbac.Org{}, mapErr(err)
	}
	o.CreatedAt, o.UpdatedAt = created.UTC(), updated.UTC()
	return o, nil
}

// CreateOrg implements rbac.Store.
func (d *DB) CreateOrg(ctx context.Context, o rbac.Org) error {
	var parent any
	if o.ParentID != "" {
		parent = o.ParentID
	}
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO orgs (id, name, parent_id, created_at, created_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, o.ID, o.Name, parent, ts(o.CreatedAt), o.CreatedBy, ts(o.UpdatedAt))
	return mapErr(err)
}

// GetOrg implements rbac.Store.
func (d *DB) GetOrg(ctx context.Context, id string) (rbac.Org, error) {
	return d.getOrg(ctx, id, "")
}

func (d *DB) getOrg(ctx context.Context, id, lock string) (rbac.Org, error) {
	return scanOrg(d.q(ctx).QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`+lock, id))
}

// ListOrgs implements rbac.Store.
func (d *DB) ListOrgs(ctx context.Context) ([]rbac.Org, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY id`)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanOrg)
}

// UpdateOrg implements rbac.Store.
func (d *DB) UpdateOrg(ctx context.Context, id string, fn func(rbac.Org) (rbac.Org, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		o, err := d.getOrg(ctx, id, forUpdate)
		if err != nil {
			return err
		}
		if o, err = fn(o); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE orgs SET name = $1, updated_at = $2 WHERE id = $3`, o.Name, ts(o.UpdatedAt), id)
	})
}

// DeleteOrg implements rbac.Store.
func (d *DB) DeleteOrg(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM orgs WHERE id = $1`, id)
}

// AddAssignment implements rbac.Store.
func (d *DB) AddAssignment(ctx context.Context, a rbac.Assignment) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO assignments (subject_id, role_id, org_id, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5)`, a.SubjectID, a.RoleID, a.OrgID, ts(a.CreatedAt), a.CreatedBy)
	return mapErr(err)
}

// ListAssignments implements rbac.Store.
func (d *DB) ListAssignments(ctx context.Context, subjectID string) ([]rbac.Assignment, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT subject_id, role_id, org_id, created_at, created_by
		FROM assignments WHERE subject_id = $1 ORDER BY role_id, org_id`, subjectID)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (rbac.Assignment, error) {
		var a rbac.Assignment
		err := r.Scan(&a.SubjectID, &a.RoleID, &a.OrgID, &a.CreatedAt, &a.CreatedBy)
		a.CreatedAt = a.CreatedAt.UTC()
		return a, err
	})
}

// forUpdate locks the selected row until the transaction ends.
const forUpdate = ` FOR UPDATE`

// collect scans every row with scan; never nil.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}
