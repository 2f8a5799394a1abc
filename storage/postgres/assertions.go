package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/accounts"
)

// GetKeyPairCredentials implements accounts.Store.
func (d *DB) GetKeyPairCredentials(ctx context.Context, orgID, name string) ([]accounts.Credential, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+`, `+keyColumns+`, (SELECT version FROM authz_version WHERE id = 1)
		FROM accounts a JOIN account_keys k ON k.account_id = a.id AND k.kind = $1
		WHERE a.org_id = $2 AND a.name = $3 ORDER BY k.created_at, k.id`, accounts.KindKeyPair, orgID, name)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (accounts.Credential, error) {
		var c accounts.Credential
		var expires, used *time.Time
		a, err := scanAccount(r, append(keyDest(&c.Key, &expires, &used), &c.RightsVersion)...)
		if err != nil {
			return accounts.Credential{}, err
		}
		c.Account = a
		finishKey(&c.Key, expires, used)
		return c, nil
	})
}

// UseAssertionID implements accounts.Store.
func (d *DB) UseAssertionID(ctx context.Context, accountID, jti string, expiresAt time.Time) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO assertion_ids (account_id, jti, expires_at) VALUES ($1, $2, $3)`,
		accountID, jti, expiresAt.UTC())
	return mapErr(err)
}

// PruneAssertionIDs implements accounts.Store.
func (d *DB) PruneAssertionIDs(ctx context.Context, t time.Time, limit int) (int, error) {
	tag, err := d.q(ctx).Exec(ctx, `DELETE FROM assertion_ids WHERE (account_id, jti) IN
		(SELECT account_id, jti FROM assertion_ids WHERE expires_at < $1 LIMIT $2)`, t.UTC(), limit)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}
