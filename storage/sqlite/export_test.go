package sqlite

import (
	"context"
	"slices"
	"time"

	"github.com/iamd/iamd/rbac"
)

// OpenWithBusyTimeout is Open with another busy timeout, so tests can see a
// lock outlast it without waiting the real one out.
func OpenWithBusyTimeout(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	return open(ctx, path, busy)
}

// MigrateTo applies the migrations up to the one named last only.
func (d *DB) MigrateTo(ctx context.Context, last string) ([]string, error) {
	return d.migrate(ctx, last)
}

// Exec runs a statement, for tests that write what no store method writes,
// such as the records of an earlier schema.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := d.db.ExecContext(ctx, query, args...)
	return err
}

// CreateOrgs stores orgs as CreateOrg would, fifty to a statement (the
// driver binds parameters in quadratic time): the conformance suite builds
// its tree of 10,000 organizations with it.
func (d *DB) CreateOrgs(ctx context.Context, orgs []rbac.Org) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		for batch := range slices.Chunk(orgs, 50) {
			var args []any
			for _, o := range batch {
				var parent any
				if o.ParentID != "" {
					parent = o.ParentID
				}
				args = append(args, o.ID, o.Name, parent, o.Path, ms(o.CreatedAt), o.CreatedBy, ms(o.UpdatedAt))
			}
			if err := d.insertRows(ctx, `INSERT INTO orgs (id, name, parent_id, path, created_at, created_by, updated_at) VALUES `, 7, args); err != nil {
				return err
			}
		}
		return nil
	})
}
