package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/iamd/iamd/accounts"
)

// RevokeToken implements accounts.RevocationStore.
func (d *DB) RevokeToken(ctx context.Context, t accounts.RevokedToken) (bool, error) {
	added := false
	err := d.InTx(ctx, func(ctx context.Context) error {
		res, err := d.q(ctx).ExecContext(ctx, `INSERT INTO revoked_tokens (jti, account_id, expires_at, revoked_at, revoked_by)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING`,
			t.ID, t.AccountID, t.ExpiresAt.UnixMilli(), t.RevokedAt.UnixMilli(), t.RevokedBy)
		if err != nil {
			return mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
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
		if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO token_cutoffs (account_id, key_id, issued_before, expires_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id, key_id) DO UPDATE SET
				issued_before = max(issued_before, excluded.issued_before),
				expires_at = max(expires_at, excluded.expires_at),
				created_at = excluded.created_at, created_by = excluded.created_by`,
			c.AccountID, c.KeyID, c.IssuedBefore.UnixMilli(), c.ExpiresAt.UnixMilli(), c.CreatedAt.UnixMilli(), c.CreatedBy); err != nil {
			return mapErr(err)
		}
		return d.bumpRevocations(ctx)
	})
}

func (d *DB) bumpRevocations(ctx context.Context) error {
	_, err := d.q(ctx).ExecContext(ctx, `UPDATE revocations_version SET version = version + 1 WHERE id = 1`)
	return mapErr(err)
}

// tokenRevokedQuery looks the jti up by primary key and the account's
// cutoffs (at most one for the account, one per key) by primary key too.
const tokenRevokedQuery = `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?1)
	OR EXISTS (SELECT 1 FROM token_cutoffs WHERE account_id = ?2 AND key_id IN ('', ?3) AND issued_before > ?4)`

// TokenRevoked implements accounts.RevocationStore.
func (d *DB) TokenRevoked(ctx context.Context, jti, accountID, keyID string, issuedAt time.Time) (bool, error) {
	args := []any{jti, accountID, keyID, issuedAt.UnixMilli()}
	row := d.queryRowPrepared(ctx, d.revoked, args...)
	var revoked bool
	err := row.Scan(&revoked)
	return revoked, mapErr(err)
}

// ListRevocations implements accounts.RevocationStore.
func (d *DB) ListRevocations(ctx context.Context, t time.Time) ([]accounts.RevokedToken, []accounts.Cutoff, error) {
	tokens, err := collect(ctx, d.q(ctx), func(s scanner) (accounts.RevokedToken, error) {
		var r accounts.RevokedToken
		var exp, at sql.NullInt64
		err := s.Scan(&r.ID, &r.AccountID, &exp, &at, &r.RevokedBy)
		r.ExpiresAt, r.RevokedAt = fromMS(exp), fromMS(at)
		return r, err
	}, `SELECT jti, account_id, expires_at, revoked_at, revoked_by FROM revoked_tokens
		WHERE expires_at > ? ORDER BY jti`, t.UnixMilli())
	if err != nil {
		return nil, nil, err
	}
	cutoffs, err := collect(ctx, d.q(ctx), func(s scanner) (accounts.Cutoff, error) {
		var c accounts.Cutoff
		var before, exp, at sql.NullInt64
		err := s.Scan(&c.AccountID, &c.KeyID, &before, &exp, &at, &c.CreatedBy)
		c.IssuedBefore, c.ExpiresAt, c.CreatedAt = fromMS(before), fromMS(exp), fromMS(at)
		return c, err
	}, `SELECT account_id, key_id, issued_before, expires_at, created_at, created_by FROM token_cutoffs
		WHERE expires_at > ? ORDER BY account_id, key_id`, t.UnixMilli())
	if err != nil {
		return nil, nil, err
	}
	return tokens, cutoffs, nil
}

// PruneRevocations implements accounts.RevocationStore.
func (d *DB) PruneRevocations(ctx context.Context, t time.Time, limit int) (int, error) {
	n := 0
	err := d.InTx(ctx, func(ctx context.Context) error {
		for _, query := range []string{
			`DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens WHERE expires_at <= ? LIMIT ?)`,
			`DELETE FROM token_cutoffs WHERE rowid IN (SELECT rowid FROM token_cutoffs WHERE expires_at <= ? LIMIT ?)`,
		} {
			res, err := d.q(ctx).ExecContext(ctx, query, t.UnixMilli(), limit)
			if err != nil {
				return mapErr(err)
			}
			m, err := res.RowsAffected()
			if err != nil {
				return mapErr(err)
			}
			n += int(m)
		}
		return nil
	})
	return n, err
}

// RevocationsVersion implements accounts.RevocationStore.
func (d *DB) RevocationsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.q(ctx).QueryRowContext(ctx, `SELECT version FROM revocations_version WHERE id = 1`).Scan(&v)
	return v, mapErr(err)
}

// CountRevokedTokens implements accounts.RevocationStore.
func (d *DB) CountRevokedTokens(ctx context.Context, accountID string, t time.Time) (int, error) {
	var n int
	err := d.q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM revoked_tokens WHERE account_id = ? AND expires_at > ?`,
		accountID, ms(t)).Scan(&n)
	return n, mapErr(err)
}
