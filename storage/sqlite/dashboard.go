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

// walkFrom is how many accounts the organizations of a list must hold for
// the list to walk an index in its order rather than read every account of
// those organizations and sort them.
const walkFrom = 1000

// listFilter is orgFilter for the lists, which have two plans, and SQLite,
// without statistics, cannot choose between them: read the accounts of
// the organizations through accounts_org_archived and sort them, which
// costs what they hold; or walk an index in the list's order and stop at
// its limit, which costs the more the fewer rows of the organizations
// there are to meet. A probe of at most walkFrom index entries tells which
// applies, and a unary + keeps SQLite off accounts_org_archived for the
// walk: over 10,000 accounts either plan, wrongly taken, costs ten times
// the other.
func (d *DB) listFilter(ctx context.Context, orgIDs []string) (string, []any, error) {
	cond, args := orgFilter(orgIDs)
	if orgIDs == nil {
		return cond, args, nil
	}
	var n int
	err := d.q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM accounts a WHERE `+cond+` LIMIT ?)`,
		append(args, walkFrom)...).Scan(&n)
	if err != nil {
		return "", nil, mapErr(err)
	}
	if n < walkFrom {
		return cond, args, nil
	}
	return `+` + cond, args, nil
}

// CountAccounts implements accounts.DashboardStore, reading the index
// accounts_org_archived alone, or for every account counting the table's
// rows and the range of accounts_archived (see CountKeys).
func (d *DB) CountAccounts(ctx context.Context, orgIDs []string) (accounts.AccountCounts, error) {
	var c accounts.AccountCounts
	if orgIDs == nil {
		var total int
		err := d.q(ctx).QueryRowContext(ctx, `SELECT (SELECT count(*) FROM accounts),
			(SELECT count(*) FROM accounts WHERE archived_at IS NOT NULL)`).Scan(&total, &c.Archived)
		c.Active = total - c.Archived
		return c, mapErr(err)
	}
	cond, args := orgFilter(orgIDs)
	err := d.q(ctx).QueryRowContext(ctx, `SELECT coalesce(sum(a.archived_at IS NULL), 0),
		coalesce(sum(a.archived_at IS NOT NULL), 0) FROM accounts a WHERE `+cond, args...).Scan(&c.Active, &c.Archived)
	return c, mapErr(err)
}

// CountKeys implements accounts.DashboardStore, reading the indexes
// accounts_org_archived and account_keys_status alone, or
// account_keys_active for every key.
func (d *DB) CountKeys(ctx context.Context, orgIDs []string, now time.Time) (accounts.KeyCounts, error) {
	t := now.UnixMilli()
	var c accounts.KeyCounts
	if orgIDs == nil {
		// Every key: counting the rows of a table or of an index range
		// costs a fifth of evaluating a sum over every row, and inactive
		// and expired keys are few. Active keys are the rest.
		var total int
		err := d.q(ctx).QueryRowContext(ctx, `SELECT (SELECT count(*) FROM account_keys),
			(SELECT count(*) FROM account_keys WHERE active = 0),
			(SELECT count(*) FROM account_keys WHERE active = 1 AND expires_at <= ?)`, t).Scan(&total, &c.Inactive, &c.Expired)
		c.Active = total - c.Inactive - c.Expired
		return c, mapErr(err)
	}
	cond, args := orgFilter(orgIDs)
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
	cond, args, err := d.listFilter(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
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
	cond, orgArgs, err := d.listFilter(ctx, opts.OrgIDs)
	if err != nil {
		return nil, err
	}
	return collect(ctx, d.q(ctx), func(s scanner) (accounts.Account, error) { return scanAccount(s) },
		`SELECT `+accountColumns+` FROM accounts a WHERE `+used+` AND a.archived_at IS NULL AND `+cond+`
		ORDER BY a.last_used_at, a.created_at, a.id LIMIT ?`, append(append(args, orgArgs...), opts.Limit)...)
}

// ListIdleKeys implements accounts.DashboardStore through
// account_keys_last_used.
func (d *DB) ListIdleKeys(ctx context.Context, opts accounts.IdleOptions) ([]accounts.AccountKey, error) {
	used, args := usedCondition(`k.last_used_at`, opts)
	cond, orgArgs, err := d.listFilter(ctx, opts.OrgIDs)
	if err != nil {
		return nil, err
	}
	args = append(args, opts.Now.UnixMilli())
	return collect(ctx, d.q(ctx), scanAccountKey, `SELECT `+accountColumns+`, `+keyColumns+`
		FROM account_keys k JOIN accounts a ON a.id = k.account_id
		WHERE `+used+` AND k.active AND (k.expires_at IS NULL OR k.expires_at > ?)
		AND a.archived_at IS NULL AND `+cond+`
		ORDER BY k.last_used_at, k.created_at, k.id LIMIT ?`, append(append(args, orgArgs...), opts.Limit)...)
}
