// Package sqlite is the embedded storage backend: one SQLite file, through
// the pure-Go modernc.org/sqlite driver, so iamd runs with no setup.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/iamd/iamd/migrations"
	"github.com/iamd/iamd/storage"
)

// DB is a SQLite database implementing every store interface of iamd.
type DB struct {
	db *sql.DB
	// credential is GetCredential's statement, prepared once: it runs for
	// every token request, and parsing it each time cost a fifth of the
	// token endpoint's CPU. grants, LoadGrants' statement, runs for every
	// token request too, and is longer still.
	credential, grants *prepared
	// keyPairs and useAssertion are GetKeyPairCredentials' and
	// UseAssertionID's, which run for every private_key_jwt request.
	keyPairs, useAssertion *prepared
	// revoked is TokenRevoked's, which runs for every management API call
	// and introspection.
	revoked *prepared
}

// prepared is a statement prepared once the schema exists (see Migrate).
// Inside a transaction, and before it is prepared, its query runs as is.
type prepared struct {
	query string
	stmt  atomic.Pointer[sql.Stmt]
}

// statements are the DB's prepared statements.
func (d *DB) statements() []*prepared {
	return []*prepared{d.credential, d.grants, d.keyPairs, d.useAssertion, d.revoked}
}

func (d *DB) queryPrepared(ctx context.Context, p *prepared, args ...any) (*sql.Rows, error) {
	if tx, ok := d.tx(ctx); ok {
		return tx.QueryContext(ctx, p.query, args...)
	}
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return d.db.QueryContext(ctx, p.query, args...)
}

func (d *DB) queryRowPrepared(ctx context.Context, p *prepared, args ...any) *sql.Row {
	if tx, ok := d.tx(ctx); ok {
		return tx.QueryRowContext(ctx, p.query, args...)
	}
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return d.db.QueryRowContext(ctx, p.query, args...)
}

func (d *DB) execPrepared(ctx context.Context, p *prepared, args ...any) (sql.Result, error) {
	if tx, ok := d.tx(ctx); ok {
		return tx.ExecContext(ctx, p.query, args...)
	}
	if stmt := p.stmt.Load(); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return d.db.ExecContext(ctx, p.query, args...)
}

// busyTimeout is how long a statement waits for another connection's lock
// before it fails with storage.ErrUnavailable.
const busyTimeout = 10 * time.Second

// Open opens the database file at path, creating it readable by its owner
// only if it does not exist. Call Migrate before use.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, busyTimeout)
}

func open(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	// The file holds secret hashes and sealed signing keys.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Close()
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Write transactions take the write lock up front, so two writers
	// wait for each other instead of failing to upgrade a read lock.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &DB{db: db, credential: &prepared{query: credentialQuery}, grants: &prepared{query: grantsQuery},
		keyPairs: &prepared{query: keyPairsQuery}, useAssertion: &prepared{query: useAssertionQuery},
		revoked: &prepared{query: tokenRevokedQuery}}, nil
}

// Close closes the database.
func (d *DB) Close() error {
	for _, p := range d.statements() {
		if stmt := p.stmt.Load(); stmt != nil {
			stmt.Close()
		}
	}
	return d.db.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Migrate applies the migrations not yet applied, each in a transaction of
// its own, and returns their names. It refuses a database migrated by a
// newer iamd.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	return d.migrate(ctx, "")
}

// migrate is Migrate, stopping after the migration named last if set: tests
// build a database of an earlier schema to see a later one carry its data
// over.
func (d *DB) migrate(ctx context.Context, last string) ([]string, error) {
	ms, err := migrations.For("sqlite")
	if err != nil {
		return nil, err
	}
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	done, err := collect(ctx, d.db, scanString, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := migrations.CheckKnown(ms, done); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, m := range ms {
		if last != "" && m.Name > last {
			break
		}
		if slices.Contains(done, m.Name) {
			continue
		}
		err := d.InTx(ctx, func(ctx context.Context) error {
			// Another process may have applied it since: the write lock
			// is held from here on.
			var n int
			if err := d.q(ctx).QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := d.q(ctx).ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := d.q(ctx).ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
				m.Name, time.Now().UnixMilli()); err != nil {
				return err
			}
			applied = append(applied, m.Name)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
	}
	if last != "" {
		return applied, nil
	}
	// Statements can be prepared once the schema exists.
	for _, p := range d.statements() {
		if p.stmt.Load() != nil {
			continue
		}
		stmt, err := d.db.PrepareContext(ctx, p.query)
		if err != nil {
			return applied, fmt.Errorf("prepare: %w", err)
		}
		p.stmt.Store(stmt)
	}
	return applied, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type txKey struct{ db *DB }

// q returns the transaction carried by ctx, or the database.
func (d *DB) q(ctx context.Context) querier {
	if tx, ok := d.tx(ctx); ok {
		return tx
	}
	return d.db
}

// tx returns the transaction carried by ctx, if any.
func (d *DB) tx(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{d}).(*sql.Tx)
	return tx, ok
}

// InTx implements storage.Transactor.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := d.tx(ctx); ok {
		return fn(ctx)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	if err := fn(context.WithValue(ctx, txKey{d}, tx)); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// LockAuthz implements rbac.Store. SQLite lets one write transaction run
// at a time, and every transaction here is one from its start
// (_txlock=immediate takes the write lock at BEGIN): a second transaction
// already waits at BEGIN until this one ends, so there is nothing to lock.
// It only checks it runs in a transaction, as the PostgreSQL backend needs.
func (d *DB) LockAuthz(ctx context.Context) error {
	if _, ok := d.tx(ctx); !ok {
		return errors.New("lock the authorization model: not in a transaction")
	}
	return nil
}

// mapErr maps driver errors to the storage sentinels. Errors that mean the
// database is locked or its file failed wrap storage.ErrUnavailable and the
// driver's error.
func mapErr(err error) error {
	if err == nil || errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return storage.ErrConflict
		}
		// Extended codes refine the primary code in their low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another connection or process held the lock for longer
			// than the busy timeout.
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
			// The file underneath failed, as when the process is out of
			// file descriptors: a retry may outlive it.
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		}
	}
	return err
}

// exec runs a statement that must change exactly one row.
func (d *DB) execOne(ctx context.Context, query string, args ...any) error {
	res, err := d.q(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// Times are stored as Unix milliseconds, NULL for the zero time.

func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// Lists are stored as JSON arrays.

func list(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func fromList(s string) ([]string, error) {
	out := []string{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return out, nil
}

// collect runs a query and scans every row with scan; never nil.
func collect[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

type scanner interface{ Scan(dest ...any) error }
