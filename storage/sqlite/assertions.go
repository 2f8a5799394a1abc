package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/iamd/iamd/accounts"
)

// GetKeyPairCredentials implements accounts.Store.
func (d *DB) GetKeyPairCredentials(ctx context.Context, orgID, name string) ([]accounts.Credential, error) {
	return collect(ctx, d.q(ctx), func(s scanner) (accounts.Credential, error) {
		var c accounts.Credential
		var created, expires, used sql.NullInt64
		a, err := scanAccount(s, append(keyDest(&c.Key, &created, &expires, &used), &c.RightsVersion)...)
		if err != nil {
			return accounts.Credential{}, err
		}
		c.Account = a
		c.Key.CreatedAt, c.Key.ExpiresAt, c.Key.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
		return c, nil
	}, `SELECT `+accountColumns+`, `+keyColumns+`, (SELECT version FROM authz_version WHERE id = 1)
		FROM accounts a JOIN account_keys k ON k.account_id = a.id AND k.kind = ?
		WHERE a.org_id = ? AND a.name = ? ORDER BY k.created_at, k.id`, accounts.KindKeyPair, orgID, name)
}

// UseAssertionID implements accounts.Store.
func (d *DB) UseAssertionID(ctx context.Context, accountID, jti string, expiresAt time.Time) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO assertion_ids (account_id, jti, expires_at) VALUES (?, ?, ?)`,
		accountID, jti, ms(expiresAt))
	return mapErr(err)
}

// PruneAssertionIDs implements accounts.Store.
func (d *DB) PruneAssertionIDs(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := d.q(ctx).ExecContext(ctx, `DELETE FROM assertion_ids WHERE (account_id, jti) IN
		(SELECT account_id, jti FROM assertion_ids WHERE expires_at < ? LIMIT ?)`, ms(t), limit)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
