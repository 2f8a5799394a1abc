package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/iamd/iamd/accounts"
)

const keyPairsQuery = `SELECT ` + accountColumns + `, ` + keyColumns + `, (SELECT version FROM authz_version WHERE id = 1)
	FROM accounts a JOIN account_keys k ON k.account_id = a.id AND k.kind = '` + accounts.KindKeyPair + `'
	WHERE a.org_id = ? AND a.name = ? ORDER BY k.created_at, k.id`

// GetKeyPairCredentials implements accounts.Store, with a statement
// prepared once.
func (d *DB) GetKeyPairCredentials(ctx context.Context, orgID, name string) ([]accounts.Credential, error) {
	rows, err := d.queryPrepared(ctx, d.keyPairs, orgID, name)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []accounts.Credential{}
	for rows.Next() {
		var c accounts.Credential
		var created, expires, used sql.NullInt64
		a, err := scanAccount(rows, append(keyDest(&c.Key, &created, &expires, &used), &c.RightsVersion)...)
		if err != nil {
			return nil, err
		}
		c.Account = a
		c.Key.CreatedAt, c.Key.ExpiresAt, c.Key.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

const useAssertionQuery = `INSERT INTO assertion_ids (account_id, jti, expires_at) VALUES (?, ?, ?)`

// UseAssertionID implements accounts.Store, with a statement prepared once.
func (d *DB) UseAssertionID(ctx context.Context, accountID, jti string, expiresAt time.Time) error {
	_, err := d.execPrepared(ctx, d.useAssertion, accountID, jti, ms(expiresAt))
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
