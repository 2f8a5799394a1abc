package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/iamd/iamd/accounts"
)

// orgFilter returns the condition keeping the accounts of orgIDs (nil:
// every one), and its arguments.
func orgFilter(orgIDs []string) (string, []any) {
	if orgIDs == nil {
		return `1`, nil
	}
	return `a.org_id IN (SELECT value FROM json_each(?))`, []any{list(orgIDs)}
}

// CountAccounts implements accounts.DashboardStore, reading the index
// accounts_org_archived alone.
func (d *DB) CountAccounts(ctx context.Context, orgIDs []string) (accounts.AccountCounts, error) {
	cond, args := orgFilter(orgIDs)
	var c accounts.AccountCounts
	err := d.q(ctx).QueryRowContext(ctx, `SELECT coalesce(sum(a.archived_at IS NULL), 0),
		coalesce(sum(a.archived_at IS NOT NULL), 0) FROM accounts a WHERE `+cond, args...).Scan(&c.Active, &c.Archived)
	return c, mapErr(err)
}

// CountKeys implements accounts.DashboardStore, reading the indexes
// accounts_org_archived and account_keys_status alone.
func (d *DB) CountKeys(ctx context.Context, orgIDs []string, now time.Time) (accounts.KeyCounts, error) {
	cond, args := orgFilter(orgIDs)
	t := now.UnixMilli()
	var c accounts.KeyCounts
	err := d.q(ctx).QueryRowContext(ctx, `SELECT
		coalesce(sum(k.active AND (k.expires_at IS NULL OR k.expires_at > ?)), 0),
		coalesce(sum(NOT k.active), 0),
		coalesce(sum(k.active AND k.expires_at <= ?), 0)
		FROM accounts a JOIN account_keys k ON k.account_id = a.id WHERE `+cond,
		append([]any{t, t}, args...)...).Scan(&c.Active, &c.Inactive, &c.Expired)
	return c, mapErr(err)
}

func scanAccountKey(s scanner) (accounts.AccountKey, error) {
	var ak accounts.AccountKey
	var created, expires, used sql.NullInt64
	a, err := scanAccount(s, keyDest(&ak.Key, &created, &expires, &used)...)
	if err != nil {
		return accounts.AccountKey{}, err
	}
	ak.Account = a
	ak.Key.CreatedAt, ak.Key.ExpiresAt, ak.Key.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return ak, nil
}

// ListExpiringKeys implements accounts.DashboardStore through
// account_keys_expiry.
func (d *DB) ListExpiringKeys(ctx context.Context, orgIDs []string, now, until time.Time, limit int) ([]accounts.AccountKey, error) {
	cond, args := orgFilter(orgIDs)
	return collect(ctx, d.q(ctx), scanAccountKey, `SELECT `+accountColumns+`, `+keyColumns+`
		FROM account_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.expires_at > ? AND k.expires_at <= ? AND k.active AND a.archived_at IS NULL AND `+cond+`
		ORDER BY k.expires_at, k.id LIMIT ?`,
		append(append([]any{now.UnixMilli(), until.UnixMilli()}, args...), limit)...)
}

// usedCondition returns the condition on column's last use that opts
// selects, and its arguments.
func usedCondition(column string, opts accounts.IdleOptions) (string, []any) {
	if opts.UsedBefore.IsZero() {
		return column + ` IS NULL`, nil
	}
	return column + ` < ?`, []any{opts.UsedBefore.UnixMilli()}
}

// ListIdleAccounts implements accounts.DashboardStore through
// accounts_last_used.
func (d *DB) ListIdleAccounts(ctx context.Context, opts accounts.IdleOptions) ([]accounts.Account, error) {
	used, args := usedCondition(`a.last_used_at`, opts)
	cond, orgArgs := orgFilter(opts.OrgIDs)
	return collect(ctx, d.q(ctx), func(s scanner) (accounts.Account, error) { return scanAccount(s) },
		`SELECT `+accountColumns+` FROM accounts a WHERE `+used+` AND a.archived_at IS NULL AND `+cond+`
		ORDER BY a.last_used_at, a.created_at, a.id LIMIT ?`, append(append(args, orgArgs...), opts.Limit)...)
}

// ListIdleKeys implements accounts.DashboardStore through
// account_keys_last_used.
func (d *DB) ListIdleKeys(ctx context.Context, opts accounts.IdleOptions) ([]accounts.AccountKey, error) {
	used, args := usedCondition(`k.last_used_at`, opts)
	cond, orgArgs := orgFilter(opts.OrgIDs)
	args = append(args, opts.Now.UnixMilli())
	return collect(ctx, d.q(ctx), scanAccountKey, `SELECT `+accountColumns+`, `+keyColumns+`
		FROM account_keys k JOIN accounts a ON a.id = k.account_id
		WHERE `+used+` AND k.active AND (k.expires_at IS NULL OR k.expires_at > ?)
		AND a.archived_at IS NULL AND `+cond+`
		ORDER BY k.last_used_at, k.created_at, k.id LIMIT ?`, append(append(args, orgArgs...), opts.Limit)...)
}
