package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage/internal/like"
)

const accountColumns = `a.id, a.org_id, a.name, a.display_name, a.description, a.system, a.archived_at,
	a.allowed_audiences, a.created_at, a.created_by, a.updated_at, a.last_used_at, coalesce(a.owner_id, '')`

func scanAccount(s scanner, extra ...any) (accounts.Account, error) {
	var a accounts.Account
	var archived, created, updated, used sql.NullInt64
	var audiences string
	dest := append([]any{&a.ID, &a.OrgID, &a.Name, &a.DisplayName, &a.Description, &a.System, &archived,
		&audiences, &created, &a.CreatedBy, &updated, &used, &a.OwnerID}, extra...)
	if err := s.Scan(dest...); err != nil {
		return accounts.Account{}, mapErr(err)
	}
	a.ArchivedAt, a.CreatedAt, a.UpdatedAt, a.LastUsedAt = fromMS(archived), fromMS(created), fromMS(updated), fromMS(used)
	var err error
	if a.AllowedAudiences, err = fromList(audiences); err != nil {
		return accounts.Account{}, err
	}
	return a, nil
}

// CreateAccount implements accounts.Store.
func (d *DB) CreateAccount(ctx context.Context, a accounts.Account) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO accounts (id, org_id, name, display_name, description, system,
		archived_at, allowed_audiences, created_at, created_by, updated_at, last_used_at, owner_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))`,
		a.ID, a.OrgID, a.Name, a.DisplayName, a.Description, a.System, ms(a.ArchivedAt),
		list(a.AllowedAudiences), ms(a.CreatedAt), a.CreatedBy, ms(a.UpdatedAt), ms(a.LastUsedAt), a.OwnerID)
	return mapErr(err)
}

// GetAccount implements accounts.Store.
func (d *DB) GetAccount(ctx context.Context, id string) (accounts.Account, error) {
	return scanAccount(d.q(ctx).QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ?`, id))
}

// GetAccounts implements accounts.Store.
func (d *DB) GetAccounts(ctx context.Context, ids []string) ([]accounts.Account, error) {
	return collect(ctx, d.q(ctx), func(s scanner) (accounts.Account, error) { return scanAccount(s) },
		`SELECT `+accountColumns+` FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?))`, list(ids))
}

// GetAccountByName implements accounts.Store.
func (d *DB) GetAccountByName(ctx context.Context, orgID, name string) (accounts.Account, error) {
	return scanAccount(d.q(ctx).QueryRowContext(ctx,
		`SELECT `+accountColumns+` FROM accounts a WHERE a.org_id = ? AND a.name = ?`, orgID, name))
}

// ListAccounts implements accounts.Store.
func (d *DB) ListAccounts(ctx context.Context, opts accounts.ListOptions) ([]accounts.Account, error) {
	query, args := listAccountsQuery(opts)
	return collect(ctx, d.q(ctx), func(s scanner) (accounts.Account, error) { return scanAccount(s) }, query, args...)
}

// listAccountsQuery returns ListAccounts' statement for opts, and its
// arguments.
func listAccountsQuery(opts accounts.ListOptions) (string, []any) {
	where := []string{`(a.org_id, a.name) > (?, ?)`}
	args := []any{opts.AfterOrgID, opts.AfterName}
	if opts.OrgID != "" {
		where, args = append(where, `a.org_id = ?`), append(args, opts.OrgID)
	}
	if opts.OrgIDs != nil {
		where, args = append(where, `a.org_id IN (SELECT value FROM json_each(?))`), append(args, list(opts.OrgIDs))
	}
	if opts.OwnerID != "" {
		// Read through accounts_owner (owner_id, org_id, name), which
		// also gives the order.
		where, args = append(where, `a.owner_id = ?`), append(args, opts.OwnerID)
	}
	switch opts.Status {
	case accounts.StatusActive:
		where = append(where, `a.archived_at IS NULL`)
	case accounts.StatusArchived:
		where = append(where, `a.archived_at IS NOT NULL`)
	}
	if opts.Search != "" {
		// LIKE ignores the case of ASCII letters (see like.Contains).
		p := like.Contains(opts.Search)
		where = append(where, `(a.name LIKE ? ESCAPE '\' OR a.display_name LIKE ? ESCAPE '\')`)
		args = append(args, p, p)
	}
	return `SELECT ` + accountColumns + ` FROM accounts a WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY a.org_id, a.name LIMIT ?`, append(args, opts.Limit)
}

// UpdateAccount implements accounts.Store.
func (d *DB) UpdateAccount(ctx context.Context, id string, fn func(accounts.Account) (accounts.Account, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		a, err := d.GetAccount(ctx, id)
		if err != nil {
			return err
		}
		if a, err = fn(a); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE accounts SET org_id = ?, display_name = ?, description = ?, archived_at = ?,
			allowed_audiences = ?, updated_at = ?, owner_id = NULLIF(?, '') WHERE id = ?`,
			a.OrgID, a.DisplayName, a.Description, ms(a.ArchivedAt), list(a.AllowedAudiences),
			ms(a.UpdatedAt), a.OwnerID, id)
	})
}

// LockAccount implements accounts.Store. Write transactions take SQLite's
// single write lock when they begin (_txlock=immediate), so a transaction
// already excludes every other: checking the account exists is enough.
func (d *DB) LockAccount(ctx context.Context, id string) error {
	var one int
	return mapErr(d.q(ctx).QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, id).Scan(&one))
}

// DeleteAccount implements accounts.Store; keys, role assignments and group
// memberships go with it (ON DELETE CASCADE).
func (d *DB) DeleteAccount(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM accounts WHERE id = ?`, id)
}

// keyColumns read a secret key's NULL kid, algorithm and public JWK as
// empty strings.
const keyColumns = `k.id, k.account_id, k.kind, k.label, k.secret_hash, k.active, k.created_at, k.created_by,
	k.expires_at, k.last_used_at, coalesce(k.kid, ''), coalesce(k.algorithm, ''), coalesce(k.public_jwk, ''), k.uploaded`

func keyDest(k *accounts.Key, created, expires, used *sql.NullInt64) []any {
	return []any{&k.ID, &k.AccountID, &k.Kind, &k.Label, &k.SecretHash, &k.Active, created, &k.CreatedBy, expires, used, &k.KID, &k.Algorithm, &k.PublicJWK, &k.Uploaded}
}

func scanKey(s scanner) (accounts.Key, error) {
	var k accounts.Key
	var created, expires, used sql.NullInt64
	if err := s.Scan(keyDest(&k, &created, &expires, &used)...); err != nil {
		return accounts.Key{}, mapErr(err)
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return k, nil
}

// CreateKey implements accounts.Store.
func (d *DB) CreateKey(ctx context.Context, k accounts.Key) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO account_keys (id, account_id, kind, label, secret_hash, active,
		created_at, created_by, expires_at, last_used_at, kid, algorithm, public_jwk, uploaded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?)`,
		k.ID, k.AccountID, k.Kind, k.Label, k.SecretHash, k.Active, ms(k.CreatedAt), k.CreatedBy,
		ms(k.ExpiresAt), ms(k.LastUsedAt), k.KID, k.Algorithm, k.PublicJWK, k.Uploaded)
	return mapErr(err)
}

// GetKey implements accounts.Store.
func (d *DB) GetKey(ctx context.Context, id string) (accounts.Key, error) {
	return scanKey(d.q(ctx).QueryRowContext(ctx, `SELECT `+keyColumns+` FROM account_keys k WHERE k.id = ?`, id))
}

// ListKeys implements accounts.Store.
func (d *DB) ListKeys(ctx context.Context, accountID string) ([]accounts.Key, error) {
	return collect(ctx, d.q(ctx), scanKey, `SELECT `+keyColumns+` FROM account_keys k
		WHERE k.account_id = ? ORDER BY k.created_at, k.id`, accountID)
}

// UpdateKey implements accounts.Store.
func (d *DB) UpdateKey(ctx context.Context, id string, fn func(accounts.Key) (accounts.Key, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		k, err := d.GetKey(ctx, id)
		if err != nil {
			return err
		}
		if k, err = fn(k); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE account_keys SET label = ?, active = ?, expires_at = ? WHERE id = ?`,
			k.Label, k.Active, ms(k.ExpiresAt), id)
	})
}

// DeleteKey implements accounts.Store.
func (d *DB) DeleteKey(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM account_keys WHERE id = ?`, id)
}

const credentialQuery = `SELECT ` + accountColumns + `, ` + keyColumns + `,
	(SELECT version FROM authz_version WHERE id = 1)
	FROM account_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?`

// GetCredential implements accounts.Store.
func (d *DB) GetCredential(ctx context.Context, keyID string) (accounts.Credential, error) {
	row := d.queryRowPrepared(ctx, d.credential, keyID)
	var c accounts.Credential
	var created, expires, used sql.NullInt64
	a, err := scanAccount(row, append(keyDest(&c.Key, &created, &expires, &used), &c.RightsVersion)...)
	if err != nil {
		return accounts.Credential{}, err
	}
	c.Account = a
	c.Key.CreatedAt, c.Key.ExpiresAt, c.Key.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return c, nil
}

// RecordUsage implements accounts.Store.
func (d *DB) RecordUsage(ctx context.Context, uses []accounts.Usage) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		for _, u := range uses {
			t := u.At.UnixMilli()
			if _, err := d.q(ctx).ExecContext(ctx, `UPDATE account_keys
				SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`, t, u.KeyID); err != nil {
				return mapErr(err)
			}
			if _, err := d.q(ctx).ExecContext(ctx, `UPDATE accounts
				SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`, t, u.AccountID); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}
