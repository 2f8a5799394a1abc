package sqlite

import (
	"context"
	"database/sql"

	"github.com/iamd/iamd/signing"
)

// ListSigningKeys implements signing.Store.
func (d *DB) ListSigningKeys(ctx context.Context) ([]signing.Key, error) {
	return collect(ctx, d.q(ctx), func(s scanner) (signing.Key, error) {
		var k signing.Key
		var pub string
		var created, activates sql.NullInt64
		err := s.Scan(&k.ID, &k.Algorithm, &pub, &k.PrivateKey, &created, &activates)
		k.PublicJWK, k.CreatedAt, k.ActivatesAt = []byte(pub), fromMS(created), fromMS(activates)
		return k, err
	}, `SELECT id, algorithm, public_jwk, private_key, created_at, activates_at
		FROM signing_keys ORDER BY activates_at, id`)
}

// UpdateSigningKeys implements signing.Store. The transaction starts with
// the write lock (_txlock=immediate), which excludes concurrent updates.
func (d *DB) UpdateSigningKeys(ctx context.Context, fn func([]signing.Key) ([]signing.Key, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		old, err := d.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		added, removed := signing.Changes(old, next)
		for _, id := range removed {
			if _, err := d.q(ctx).ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id); err != nil {
				return mapErr(err)
			}
		}
		for _, k := range added {
			if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, public_jwk, private_key,
				created_at, activates_at) VALUES (?, ?, ?, ?, ?, ?)`,
				k.ID, k.Algorithm, string(k.PublicJWK), k.PrivateKey, ms(k.CreatedAt), ms(k.ActivatesAt)); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}
