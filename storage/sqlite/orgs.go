package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const orgColumns = `o.id, o.name, coalesce(o.parent_id, ''), o.path, o.created_at, o.created_by, o.updated_at`

func scanOrg(s scanner) (rbac.Org, error) {
	var o rbac.Org
	var created, updated sql.NullInt64
	if err := s.Scan(&o.ID, &o.Name, &o.ParentID, &o.Path, &created, &o.CreatedBy, &updated); err != nil {
		return rbac.Org{}, mapErr(err)
	}
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return o, nil
}

// below is the SQL condition "the organization at path is the one at p or
// a descendant": one range scan of the unique index on path. p must end in
// "/", which sorts just before "0": every path that starts with p, and no
// other, lies in [p, p with its last "/" replaced by "0").
func below(path, p string) string {
	return path + ` >= ` + p + ` AND ` + path + ` < substr(` + p + `, 1, length(` + p + `) - 1) || '0'`
}

// CreateOrg implements rbac.Store. It also refuses, with
// storage.ErrConflict, a path that is not the parent's followed by the ID:
// the parent moved since its path was read. Writes take turns (one write
// lock), so the check and the insert see the same parent.
func (d *DB) CreateOrg(ctx context.Context, o rbac.Org) error {
	var parent any
	if o.ParentID != "" {
		parent = o.ParentID
	}
	n, err := d.changes(ctx, `INSERT INTO orgs (id, name, parent_id, path, created_at, created_by, updated_at)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
		WHERE ?4 = coalesce((SELECT path FROM orgs WHERE id = ?3), '/') || ?1 || '/'`,
		o.ID, o.Name, parent, o.Path, ms(o.CreatedAt), o.CreatedBy, ms(o.UpdatedAt))
	if err == nil && n == 0 {
		return storage.ErrConflict
	}
	return err
}

// GetOrg implements rbac.Store.
func (d *DB) GetOrg(ctx context.Context, id string) (rbac.Org, error) {
	return scanOrg(d.q(ctx).QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = ?`, id))
}

// ListOrgs implements rbac.Store.
func (d *DB) ListOrgs(ctx context.Context, under string) ([]rbac.Org, error) {
	if under == "" {
		return collect(ctx, d.q(ctx), scanOrg, `SELECT `+orgColumns+` FROM orgs o ORDER BY o.path`)
	}
	orgs, err := collect(ctx, d.q(ctx), scanOrg, `SELECT `+orgColumns+`
		FROM orgs top JOIN orgs o ON `+below("o.path", "top.path")+`
		WHERE top.id = ? ORDER BY o.path`, under)
	if err == nil && len(orgs) == 0 {
		// The organization itself would have been listed.
		return nil, storage.ErrNotFound
	}
	return orgs, err
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

// MoveOrg implements rbac.Store. It refuses, with storage.ErrConflict, a
// move under the organization itself or one of its descendants, which would
// cut the subtree off the tree.
func (d *DB) MoveOrg(ctx context.Context, id, parentID string, at time.Time) error {
	return d.InTx(ctx, func(ctx context.Context) error {
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
		_, err = d.q(ctx).ExecContext(ctx, `UPDATE orgs SET
			path = ?1 || substr(path, length(?2) + 1),
			parent_id = CASE WHEN id = ?3 THEN ?4 ELSE parent_id END,
			updated_at = CASE WHEN id = ?3 THEN ?5 ELSE updated_at END
			WHERE `+below("path", "?2"), rbac.ChildPath(parent.Path, id), o.Path, id, parentID, ms(at))
		return mapErr(err)
	})
}

// DeleteOrg implements rbac.Store: the foreign keys of everything that
// refers to an organization refuse the delete.
func (d *DB) DeleteOrg(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM orgs WHERE id = ?`, id)
}
