package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage"
)

// RevokeToken implements accounts.RevocationStore.
func (d *DB) RevokeToken(ctx context.Context, t accounts.RevokedToken) (bool, error) {
	added := false
	err := d.InTx(ctx, func(ctx context.Context) error {
		tag, err := d.q(ctx).Exec(ctx, `INSERT INTO revoked_tokens (jti, account_id, expires_at, revoked_at, revoked_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING`,
			t.ID, t.AccountID, storage.Time(t.ExpiresAt), storage.Time(t.RevokedAt), t.RevokedBy)
		if err != nil || tag.RowsAffected() == 0 {
			return mapErr(err)
		}
		added = true
		return d.bumpRevocations(ctx)
	})
	return added, err
}

// AddCutoff implements accounts.RevocationStore.
func (d *DB) AddCutoff(ctx context.Context, c accounts.Cutoff) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.q(ctx).Exec(ctx, `INSERT INTO token_cutoffs (account_id, key_id, issued_before, expires_at, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (account_id, key_id) DO UPDATE SET
				issued_before = greatest(token_cutoffs.issued_before, excluded.issued_before),
				expires_at = greatest(token_cutoffs.expires_at, excluded.expires_at),
				created_at = excluded.created_at, created_by = excluded.created_by`,
			c.AccountID, c.KeyID, storage.Time(c.IssuedBefore), storage.Time(c.ExpiresAt), storage.Time(c.CreatedAt), c.CreatedBy); err != nil {
			return mapErr(err)
		}
		return d.bumpRevocations(ctx)
	})
}

func (d *DB) bumpRevocations(ctx context.Context) error {
	_, err := d.q(ctx).Exec(ctx, `UPDATE revocations_version SET version = version + 1 WHERE id = 1`)
	return mapErr(err)
}

// TokenRevoked implements accounts.RevocationStore: the jti by primary
// key, and the account's cutoffs (at most one for the account, one per
// key) by primary key too.
func (d *DB) TokenRevoked(ctx context.Context, jti, accountID, keyID string, issuedAt time.Time) (bool, error) {
	var revoked bool
	err := d.q(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)
		OR EXISTS (SELECT 1 FROM token_cutoffs WHERE account_id = $2 AND key_id IN ('', $3) AND issued_before > $4)`,
		jti, accountID, keyID, issuedAt.UTC()).Scan(&revoked)
	return revoked, mapErr(err)
}

// ListRevocations implements accounts.RevocationStore.
func (d *DB) ListRevocations(ctx context.Context, t time.Time) ([]accounts.RevokedToken, []accounts.Cutoff, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT jti, account_id, expires_at, revoked_at, revoked_by FROM revoked_tokens
		WHERE expires_at > $1 ORDER BY jti`, t.UTC())
	if err != nil {
		return nil, nil, mapErr(err)
	}
	tokens, err := collect(rows, func(r pgx.Row) (accounts.RevokedToken, error) {
		var v accounts.RevokedToken
		err := r.Scan(&v.ID, &v.AccountID, &v.ExpiresAt, &v.RevokedAt, &v.RevokedBy)
		v.ExpiresAt, v.RevokedAt = v.ExpiresAt.UTC(), v.RevokedAt.UTC()
		return v, err
	})
	if err != nil {
		return nil, nil, err
	}
	rows, err = d.q(ctx).Query(ctx, `SELECT account_id, key_id, issued_before, expires_at, created_at, created_by FROM token_cutoffs
		WHERE expires_at > $1 ORDER BY account_id, key_id`, t.UTC())
	if err != nil {
		return nil, nil, mapErr(err)
	}
	cutoffs, err := collect(rows, func(r pgx.Row) (accounts.Cutoff, error) {
		var c accounts.Cutoff
		err := r.Scan(&c.AccountID, &c.KeyID, &c.IssuedBefore, &c.ExpiresAt, &c.CreatedAt, &c.CreatedBy)
		c.IssuedBefore, c.ExpiresAt, c.CreatedAt = c.IssuedBefore.UTC(), c.ExpiresAt.UTC(), c.CreatedAt.UTC()
		return c, err
	})
	if err != nil {
		return nil, nil, err
	}
	return tokens, cutoffs, nil
}

// PruneRevocations implements accounts.RevocationStore.
func (d *DB) PruneRevocations(ctx context.Context, t time.Time, limit int) (int, error) {
	n := 0
	for _, query := range []string{
		`DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens WHERE expires_at <= $1 LIMIT $2)`,
		`DELETE FROM token_cutoffs WHERE (account_id, key_id) IN
			(SELECT account_id, key_id FROM token_cutoffs WHERE expires_at <= $1 LIMIT $2)`,
	} {
		tag, err := d.q(ctx).Exec(ctx, query, t.UTC(), limit)
		if err != nil {
			return n, mapErr(err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// RevocationsVersion implements accounts.RevocationStore.
func (d *DB) RevocationsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.q(ctx).QueryRow(ctx, `SELECT version FROM revocations_version WHERE id = 1`).Scan(&v)
	return v, mapErr(err)
}

// CountRevokedTokens implements accounts.RevocationStore.
func (d *DB) CountRevokedTokens(ctx context.Context, accountID string, t time.Time) (int, error) {
	var n int
	err := d.q(ctx).QueryRow(ctx, `SELECT count(*) FROM revoked_tokens WHERE account_id = $1 AND expires_at > $2`,
		accountID, t.UTC()).Scan(&n)
	return n, mapErr(err)
}
