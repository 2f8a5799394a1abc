package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const orgColumns = `o.id, o.name, coalesce(o.parent_id, ''), o.path, o.created_at, o.created_by, o.updated_at`

func scanOrg(s pgx.Row) (rbac.Org, error) {
	var o rbac.Org
	if err := s.Scan(&o.ID, &o.Name, &o.ParentID, &o.Path, &o.CreatedAt, &o.CreatedBy, &o.UpdatedAt); err != nil {
		return rbac.Org{}, mapErr(err)
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}

// below is the SQL condition "the organization at path is the one at p or
// a descendant": one range scan of the unique index on path (COLLATE "C",
// bytewise). p must end in "/", which sorts just before "0": every path
// that starts with p, and no other, lies in [p, p with its last "/"
// replaced by "0").
func below(path, p string) string {
	return path + ` >= ` + p + ` AND ` + path + ` < left(` + p + `, -1) || '0'`
}

// treeLock serializes the changes of paths: moves, and creations, whose
// path follows their parent's.
const treeLock = 0x1a3d_0002

// lockTree takes treeLock until the transaction ends. The statements after
// it see every change committed before it was granted (READ COMMITTED):
// paths read then stay true until the transaction ends.
func (d *DB) lockTree(ctx context.Context) error {
	_, err := d.q(ctx).Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, treeLock)
	return mapErr(err)
}

// CreateOrg implements rbac.Store. It also refuses, with
// storage.ErrConflict, a path that is not the parent's followed by the ID:
// the parent moved since its path was read.
func (d *DB) CreateOrg(ctx context.Context, o rbac.Org) error {
	var parent any
	if o.ParentID != "" {
		parent = o.ParentID
	}
	return d.InTx(ctx, func(ctx context.Context) error {
		if err := d.lockTree(ctx); err != nil {
			return err
		}
		tag, err := d.q(ctx).Exec(ctx, `INSERT INTO orgs (id, name, parent_id, path, created_at, created_by, updated_at)
			SELECT $1, $2, $3, $4, $5, $6, $7
			WHERE $4 = coalesce((SELECT path FROM orgs WHERE id = $3), '/') || $1 || '/'`,
			o.ID, o.Name, parent, o.Path, ts(o.CreatedAt), o.CreatedBy, ts(o.UpdatedAt))
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			return storage.ErrConflict
		}
		return nil
	})
}

// GetOrg implements rbac.Store.
func (d *DB) GetOrg(ctx context.Context, id string) (rbac.Org, error) {
	return d.getOrg(ctx, id, "")
}

func (d *DB) getOrg(ctx context.Context, id, lock string) (rbac.Org, error) {
	return scanOrg(d.q(ctx).QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`+lock, id))
}

// ListOrgs implements rbac.Store.
func (d *DB) ListOrgs(ctx context.Context, under string) ([]rbac.Org, error) {
	if under == "" {
		rows, err := d.q(ctx).Query(ctx, `SELECT `+orgColumns+` FROM orgs o ORDER BY o.path`)
		if err != nil {
			return nil, mapErr(err)
		}
		return collect(rows, scanOrg)
	}
	// The bounds are computed first (InitPlans), so the range scan of the
	// index returns the rows in order, with no sort.
	rows, err := d.q(ctx).Query(ctx, `SELECT `+orgColumns+` FROM orgs o
		WHERE o.path >= (SELECT path FROM orgs WHERE id = $1)
		AND o.path < (SELECT left(path, -1) || '0' FROM orgs WHERE id = $1)
		ORDER BY o.path`, under)
	if err != nil {
		return nil, mapErr(err)
	}
	orgs, err := collect(rows, scanOrg)
	if err == nil && len(orgs) == 0 {
		// The organization itself would have been listed.
		return nil, storage.ErrNotFound
	}
	return orgs, err
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

// MoveOrg implements rbac.Store. It refuses, with storage.ErrConflict, a
// move under the organization itself or one of its descendants, which would
// cut the subtree off the tree.
func (d *DB) MoveOrg(ctx context.Context, id, parentID string, at time.Time) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		// Two moves at once could each pass the check below and together
		// close a cycle; a creation could take a path the move rewrites.
		if err := d.lockTree(ctx); err != nil {
			return err
		}
		o, err := d.GetOrg(ctx, id)
		if err != nil {
			return err
		}
		parent, err := d.GetOrg(ctx, parentID)
		if err != nil {
			return err
		}
		if strings.HasPrefix(parent.Path, o.Path) {
			return storage.ErrConflict
		}
		// Each path keeps what follows the old path of the moved
		// organization; IDs are unique and end each path, so no new path
		// meets another row's path, even halfway through.
		_, err = d.q(ctx).Exec(ctx, `UPDATE orgs SET
			path = $1 || substr(path, length($2) + 1),
			parent_id = CASE WHEN id = $3 THEN $4 ELSE parent_id END,
			updated_at = CASE WHEN id = $3 THEN $5 ELSE updated_at END
			WHERE `+below("path", "$2::text"), rbac.ChildPath(parent.Path, id), o.Path, id, parentID, ts(at))
		return mapErr(err)
	})
}

// DeleteOrg implements rbac.Store: the foreign keys of everything that
// refers to an organization refuse the delete.
func (d *DB) DeleteOrg(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM orgs WHERE id = $1`, id)
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
