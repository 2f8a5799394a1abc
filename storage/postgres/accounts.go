package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage/internal/like"
)

const accountColumns = `a.id, a.org_id, a.name, a.display_name, a.description, a.system, a.archived_at,
	a.allowed_audiences, a.created_at, a.created_by, a.updated_at, a.last_used_at, coalesce(a.owner_id, '')`

func scanAccount(s pgx.Row, extra ...any) (accounts.Account, error) {
	var a accounts.Account
	var archived, used *time.Time
	dest := append([]any{&a.ID, &a.OrgID, &a.Name, &a.DisplayName, &a.Description, &a.System, &archived,
		&a.AllowedAudiences, &a.CreatedAt, &a.CreatedBy, &a.UpdatedAt, &used, &a.OwnerID}, extra...)
	if err := s.Scan(dest...); err != nil {
		return accounts.Account{}, mapErr(err)
	}
	a.ArchivedAt, a.LastUsedAt = fromTS(archived), fromTS(used)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.AllowedAudiences = orEmpty(a.AllowedAudiences)
	return a, nil
}

// CreateAccount implements accounts.Store.
func (d *DB) CreateAccount(ctx context.Context, a accounts.Account) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO accounts (id, org_id, name, display_name, description, system,
		archived_at, allowed_audiences, created_at, created_by, updated_at, last_used_at, owner_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULLIF($13, ''))`,
		a.ID, a.OrgID, a.Name, a.DisplayName, a.Description, a.System, ts(a.ArchivedAt),
		orEmpty(a.AllowedAudiences), ts(a.CreatedAt), a.CreatedBy, ts(a.UpdatedAt), ts(a.LastUsedAt), a.OwnerID)
	return mapErr(err)
}

// GetAccount implements accounts.Store.
func (d *DB) GetAccount(ctx context.Context, id string) (accounts.Account, error) {
	return d.getAccount(ctx, id, "")
}

func (d *DB) getAccount(ctx context.Context, id, lock string) (accounts.Account, error) {
	return scanAccount(d.q(ctx).QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = $1`+lock, id))
}

// GetAccounts implements accounts.Store.
func (d *DB) GetAccounts(ctx context.Context, ids []string) ([]accounts.Account, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ANY($1)`, orEmpty(ids))
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (accounts.Account, error) { return scanAccount(r) })
}

// GetAccountByName implements accounts.Store.
func (d *DB) GetAccountByName(ctx context.Context, orgID, name string) (accounts.Account, error) {
	return scanAccount(d.q(ctx).QueryRow(ctx,
		`SELECT `+accountColumns+` FROM accounts a WHERE a.org_id = $1 AND a.name = $2`, orgID, name))
}

// ListAccounts implements accounts.Store.
func (d *DB) ListAccounts(ctx context.Context, opts accounts.ListOptions) ([]accounts.Account, error) {
	where := []string{`(a.org_id, a.name) > ($1, $2)`}
	args := []any{opts.AfterOrgID, opts.AfterName}
	if opts.OrgID != "" {
		args = append(args, opts.OrgID)
		where = append(where, fmt.Sprintf(`a.org_id = $%d`, len(args)))
	}
	if opts.OrgIDs != nil {
		args = append(args, opts.OrgIDs)
		where = append(where, fmt.Sprintf(`a.org_id = ANY($%d)`, len(args)))
	}
	if opts.OwnerID != "" {
		// Read through accounts_owner (owner_id, org_id, name), which
		// also gives the order.
		args = append(args, opts.OwnerID)
		where = append(where, fmt.Sprintf(`a.owner_id = $%d`, len(args)))
	}
	switch opts.Status {
	case accounts.StatusActive:
		where = append(where, `a.archived_at IS NULL`)
	case accounts.StatusArchived:
		where = append(where, `a.archived_at IS NOT NULL`)
	}
	if opts.Search != "" {
		// Under COLLATE "C", lower() lowers ASCII letters only, as SQLite's
		// LIKE folds them (see like.Contains).
		args = append(args, like.Contains(opts.Search))
		where = append(where, fmt.Sprintf(`(lower(a.name COLLATE "C") LIKE $%[1]d ESCAPE '\'
			OR lower(a.display_name COLLATE "C") LIKE $%[1]d ESCAPE '\')`, len(args)))
	}
	args = append(args, opts.Limit)
	rows, err := d.q(ctx).Query(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY a.org_id, a.name LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (accounts.Account, error) { return scanAccount(r) })
}

// UpdateAccount implements accounts.Store.
func (d *DB) UpdateAccount(ctx context.Context, id string, fn func(accounts.Account) (accounts.Account, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		a, err := d.getAccount(ctx, id, forUpdate)
		if err != nil {
			return err
		}
		if a, err = fn(a); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE accounts SET org_id = $1, display_name = $2, description = $3, archived_at = $4,
			allowed_audiences = $5, updated_at = $6, owner_id = NULLIF($7, '') WHERE id = $8`,
			a.OrgID, a.DisplayName, a.Description, ts(a.ArchivedAt), orEmpty(a.AllowedAudiences),
			ts(a.UpdatedAt), a.OwnerID, id)
	})
}

// LockAccount implements accounts.Store with a row lock.
func (d *DB) LockAccount(ctx context.Context, id string) error {
	var one int
	return mapErr(d.q(ctx).QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&one))
}

// DeleteAccount implements accounts.Store; keys, role assignments and group
// memberships go with it (ON DELETE CASCADE).
func (d *DB) DeleteAccount(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM accounts WHERE id = $1`, id)
}

// keyColumns read a secret key's NULL kid, algorithm and public JWK as
// empty strings.
const keyColumns = `k.id, k.account_id, k.kind, k.label, k.secret_hash, k.active, k.created_at, k.created_by,
	k.expires_at, k.last_used_at, coalesce(k.kid, ''), coalesce(k.algorithm, ''), coalesce(k.public_jwk, ''), k.uploaded`

func keyDest(k *accounts.Key, expires, used **time.Time) []any {
	return []any{&k.ID, &k.AccountID, &k.Kind, &k.Label, &k.SecretHash, &k.Active, &k.CreatedAt, &k.CreatedBy, expires, used, &k.KID, &k.Algorithm, &k.PublicJWK, &k.Uploaded}
}

func finishKey(k *accounts.Key, expires, used *time.Time) {
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = k.CreatedAt.UTC(), fromTS(expires), fromTS(used)
}

func scanKey(s pgx.Row) (accounts.Key, error) {
	var k accounts.Key
	var expires, used *time.Time
	if err := s.Scan(keyDest(&k, &expires, &used)...); err != nil {
		return accounts.Key{}, mapErr(err)
	}
	finishKey(&k, expires, used)
	return k, nil
}

// CreateKey implements accounts.Store.
func (d *DB) CreateKey(ctx context.Context, k accounts.Key) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO account_keys (id, account_id, kind, label, secret_hash, active,
		created_at, created_by, expires_at, last_used_at, kid, algorithm, public_jwk, uploaded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), NULLIF($12, ''), NULLIF($13, ''), $14)`,
		k.ID, k.AccountID, k.Kind, k.Label, k.SecretHash, k.Active, ts(k.CreatedAt), k.CreatedBy,
		ts(k.ExpiresAt), ts(k.LastUsedAt), k.KID, k.Algorithm, k.PublicJWK, k.Uploaded)
	return mapErr(err)
}

// GetKey implements accounts.Store.
func (d *DB) GetKey(ctx context.Context, id string) (accounts.Key, error) {
	return d.getKey(ctx, id, "")
}

func (d *DB) getKey(ctx context.Context, id, lock string) (accounts.Key, error) {
	return scanKey(d.q(ctx).QueryRow(ctx, `SELECT `+keyColumns+` FROM account_keys k WHERE k.id = $1`+lock, id))
}

// ListKeys implements accounts.Store.
func (d *DB) ListKeys(ctx context.Context, accountID string) ([]accounts.Key, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+keyColumns+` FROM account_keys k
		WHERE k.account_id = $1 ORDER BY k.created_at, k.id`, accountID)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanKey)
}

// UpdateKey implements accounts.Store.
func (d *DB) UpdateKey(ctx context.Context, id string, fn func(accounts.Key) (accounts.Key, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		k, err := d.getKey(ctx, id, forUpdate)
		if err != nil {
			return err
		}
		if k, err = fn(k); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE account_keys SET label = $1, active = $2, expires_at = $3 WHERE id = $4`,
			k.Label, k.Active, ts(k.ExpiresAt), id)
	})
}

// DeleteKey implements accounts.Store.
func (d *DB) DeleteKey(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM account_keys WHERE id = $1`, id)
}

// GetCredential implements accounts.Store.
func (d *DB) GetCredential(ctx context.Context, keyID string) (accounts.Credential, error) {
	var c accounts.Credential
	var expires, used *time.Time
	a, err := scanAccount(d.q(ctx).QueryRow(ctx, `SELECT `+accountColumns+`, `+keyColumns+`,
		(SELECT version FROM authz_version WHERE id = 1)
		FROM account_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = $1`, keyID),
		append(keyDest(&c.Key, &expires, &used), &c.RightsVersion)...)
	if err != nil {
		return accounts.Credential{}, err
	}
	c.Account = a
	finishKey(&c.Key, expires, used)
	return c, nil
}

// RecordUsage implements accounts.Store: one statement per table for the
// whole batch.
func (d *DB) RecordUsage(ctx context.Context, uses []accounts.Usage) error {
	if len(uses) == 0 {
		return nil
	}
	keyIDs := make([]string, len(uses))
	accountIDs := make([]string, len(uses))
	times := make([]time.Time, len(uses))
	for i, u := range uses {
		keyIDs[i], accountIDs[i], times[i] = u.KeyID, u.AccountID, u.At.UTC()
	}
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.q(ctx).Exec(ctx, `UPDATE account_keys k SET last_used_at = greatest(k.last_used_at, u.at)
			FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at) WHERE k.id = u.id`, keyIDs, times); err != nil {
			return mapErr(err)
		}
		_, err := d.q(ctx).Exec(ctx, `UPDATE accounts a SET last_used_at = greatest(a.last_used_at, u.at)
			FROM (SELECT id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at) GROUP BY id) u
			WHERE a.id = u.id`, accountIDs, times)
		return mapErr(err)
	})
}
