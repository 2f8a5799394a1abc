package postgres

import (
	"context"
	"time"

	"github.com/iamd/iamd/rbac"
)

// MigrateTo applies the migrations up to the one named last only.
func (d *DB) MigrateTo(ctx context.Context, last string) ([]string, error) {
	return d.migrate(ctx, last)
}

// Exec runs a statement, for tests that write what no store method writes,
// such as the records of an earlier schema.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := d.pool.Exec(ctx, query, args...)
	return err
}

// CreateOrgs stores orgs as CreateOrg would, in one statement: the
// conformance suite builds its tree of 10,000 organizations with it.
func (d *DB) CreateOrgs(ctx context.Context, orgs []rbac.Org) error {
	n := len(orgs)
	ids, names, parents, paths, bys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	created, updated := make([]time.Time, n), make([]time.Time, n)
	for i, o := range orgs {
		ids[i], names[i], parents[i], paths[i], bys[i] = o.ID, o.Name, o.ParentID, o.Path, o.CreatedBy
		created[i], updated[i] = o.CreatedAt, o.UpdatedAt
	}
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO orgs (id, name, parent_id, path, created_at, created_by, updated_at)
		SELECT id, name, nullif(parent, ''), path, created, by, updated
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::timestamptz[])
			AS u (id, name, parent, path, created, by, updated)`,
		ids, names, parents, paths, created, bys, updated)
	return mapErr(err)
}
