package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/accounts"
)

// orgFilter returns the condition keeping the accounts of orgIDs (nil:
// every one), its parameter numbered n, and its arguments.
func orgFilter(orgIDs []string, n int) (string, []any) {
	if orgIDs == nil {
		return `true`, nil
	}
	return fmt.Sprintf(`a.org_id = ANY($%d)`, n), []any{orgIDs}
}

// CountAccounts implements accounts.DashboardStore, reading the index
// accounts_org_archived alone, or for every account counting the table's
// rows and the range of accounts_archived (see CountKeys).
func (d *DB) CountAccounts(ctx context.Context, orgIDs []string) (accounts.AccountCounts, error) {
	var c accounts.AccountCounts
	if orgIDs == nil {
		var total int
		err := d.q(ctx).QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts),
			(SELECT count(*) FROM accounts WHERE archived_at IS NOT NULL)`).Scan(&total, &c.Archived)
		c.Active = total - c.Archived
		return c, mapErr(err)
	}
	err := d.q(ctx).QueryRow(ctx, `SELECT count(*) FILTER (WHERE a.archived_at IS NULL),
		count(*) FILTER (WHERE a.archived_at IS NOT NULL) FROM accounts a WHERE a.org_id = ANY($1)`, orgIDs).Scan(&c.Active, &c.Archived)
	return c, mapErr(err)
}

// CountKeys implements accounts.DashboardStore, joining the indexes
// accounts_org_archived and account_keys_status, or for every key counting
// the table's rows and two ranges of account_keys_active: a third of the
// time of the join over 10,000 accounts, as inactive and expired keys are
// few. Active keys are the rest.
func (d *DB) CountKeys(ctx context.Context, orgIDs []string, now time.Time) (accounts.KeyCounts, error) {
	var c accounts.KeyCounts
	if orgIDs == nil {
		var total int
		err := d.q(ctx).QueryRow(ctx, `SELECT (SELECT count(*) FROM account_keys),
			(SELECT count(*) FROM account_keys WHERE NOT active),
			(SELECT count(*) FROM account_keys WHERE active AND expires_at <= $1)`, now.UTC()).Scan(&total, &c.Inactive, &c.Expired)
		c.Active = total - c.Inactive - c.Expired
		return c, mapErr(err)
	}
	err := d.q(ctx).QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE k.active AND (k.expires_at IS NULL OR k.expires_at > $1)),
		count(*) FILTER (WHERE NOT k.active),
		count(*) FILTER (WHERE k.active AND k.expires_at <= $1)
		FROM accounts a JOIN account_keys k ON k.account_id = a.id WHERE a.org_id = ANY($2)`,
		now.UTC(), orgIDs).Scan(&c.Active, &c.Inactive, &c.Expired)
	return c, mapErr(err)
}

func scanAccountKey(r pgx.Row) (accounts.AccountKey, error) {
	var ak accounts.AccountKey
	var expires, used *time.Time
	a, err := scanAccount(r, keyDest(&ak.Key, &expires, &used)...)
	if err != nil {
		return accounts.AccountKey{}, err
	}
	ak.Account = a
	finishKey(&ak.Key, expires, used)
	return ak, nil
}

// ListExpiringKeys implements accounts.DashboardStore through
// account_keys_expiry.
func (d *DB) ListExpiringKeys(ctx context.Context, orgIDs []string, now, until time.Time, limit int) ([]accounts.AccountKey, error) {
	cond, args := orgFilter(orgIDs, 4)
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+`, `+keyColumns+`
		FROM account_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.expires_at > $1 AND k.expires_at <= $2 AND k.active AND a.archived_at IS NULL AND `+cond+`
		ORDER BY k.expires_at, k.id LIMIT $3`, append([]any{now.UTC(), until.UTC(), limit}, args...)...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanAccountKey)
}

// idleQuery returns the conditions common to ListIdleAccounts and
// ListIdleKeys, on column's last use as opts selects and on the
// organization, with args followed by their arguments.
func idleQuery(column string, opts accounts.IdleOptions, args ...any) (string, []any) {
	used := column + ` IS NULL`
	if !opts.UsedBefore.IsZero() {
		args = append(args, opts.UsedBefore.UTC())
		used = fmt.Sprintf(`%s < $%d`, column, len(args))
	}
	cond, orgArgs := orgFilter(opts.OrgIDs, len(args)+1)
	return used + ` AND a.archived_at IS NULL AND ` + cond, append(args, orgArgs...)
}

// ListIdleAccounts implements accounts.DashboardStore through
// accounts_last_used.
func (d *DB) ListIdleAccounts(ctx context.Context, opts accounts.IdleOptions) ([]accounts.Account, error) {
	cond, args := idleQuery(`a.last_used_at`, opts, opts.Limit)
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+` FROM accounts a
		WHERE `+cond+` ORDER BY a.last_used_at, a.created_at, a.id LIMIT $1`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (accounts.Account, error) { return scanAccount(r) })
}

// ListIdleKeys implements accounts.DashboardStore through
// account_keys_last_used.
func (d *DB) ListIdleKeys(ctx context.Context, opts accounts.IdleOptions) ([]accounts.AccountKey, error) {
	cond, args := idleQuery(`k.last_used_at`, opts, opts.Limit, opts.Now.UTC())
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+`, `+keyColumns+`
		FROM account_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.active AND (k.expires_at IS NULL OR k.expires_at > $2) AND `+cond+`
		ORDER BY k.last_used_at, k.created_at, k.id LIMIT $1`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanAccountKey)
}

// Analyze gathers the planner's statistics and the visibility map that
// index-only scans need, as autovacuum does some time after a bulk load.
// The dashboard's and the console's plans depend on them: benchmarks that
// load in bulk call it, so that they measure the plans a running database
// gets, and so may an operator after a bulk import.
func (d *DB) Analyze(ctx context.Context) error {
	_, err := d.pool.Exec(ctx, `VACUUM ANALYZE`)
	return err
}
