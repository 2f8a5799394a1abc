package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/signing"
)

// ListSigningKeys implements signing.Store.
func (d *DB) ListSigningKeys(ctx context.Context) ([]signing.Key, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT id, algorithm, public_jwk, private_key, created_at, activates_at
		FROM signing_keys ORDER BY activates_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (signing.Key, error) {
		var k signing.Key
		var pub string
		err := r.Scan(&k.ID, &k.Algorithm, &pub, &k.PrivateKey, &k.CreatedAt, &k.ActivatesAt)
		k.PublicJWK, k.CreatedAt, k.ActivatesAt = []byte(pub), k.CreatedAt.UTC(), k.ActivatesAt.UTC()
		return k, err
	})
}

// UpdateSigningKeys implements signing.Store. The table lock conflicts with
// itself, so concurrent updates (two instances rotating) run one after the
// other, the second seeing the first's result; readers are not blocked.
func (d *DB) UpdateSigningKeys(ctx context.Context, fn func([]signing.Key) ([]signing.Key, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.q(ctx).Exec(ctx, `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return mapErr(err)
		}
		old, err := d.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		added, removed := signing.Changes(old, next)
		if _, err := d.q(ctx).Exec(ctx, `DELETE FROM signing_keys WHERE id = ANY($1)`, removed); err != nil {
			return mapErr(err)
		}
		for _, k := range added {
			if _, err := d.q(ctx).Exec(ctx, `INSERT INTO signing_keys (id, algorithm, public_jwk, private_key,
				created_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				k.ID, k.Algorithm, string(k.PublicJWK), k.PrivateKey, ts(k.CreatedAt), ts(k.ActivatesAt)); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}
