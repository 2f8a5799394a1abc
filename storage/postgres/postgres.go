// Package postgres is the production storage backend: PostgreSQL through a
// pgx connection pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/iamd/iamd/migrations"
	"github.com/iamd/iamd/storage"
)

// DB is a PostgreSQL database implementing every store interface of iamd.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (postgres://…). Call Migrate
// before use.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("open database: malformed PostgreSQL connection URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &DB{pool: pool}, nil
}

// Close closes the pool.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

// migrationLock serializes iamd instances migrating the same database.
const migrationLock = 0x1a3d_0001

// Migrate applies the migrations not yet applied, each in a transaction of
// its own, and returns their names. Instances migrating at once take turns
// through an advisory lock. It refuses a database migrated by a newer iamd.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	return d.migrate(ctx, "")
}

// migrate is Migrate, stopping after the migration named last if set: tests
// build a database of an earlier schema to see a later one carry its data
// over.
func (d *DB) migrate(ctx context.Context, last string) ([]string, error) {
	ms, err := migrations.For("postgres")
	if err != nil {
		return nil, err
	}
	if last != "" {
		ms = slices.DeleteFunc(ms, func(m migrations.Migration) bool { return m.Name > last })
	}
	var applied []string
	for i := -1; i < len(ms); i++ {
		err := d.InTx(ctx, func(ctx context.Context) error {
			q := d.q(ctx)
			if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return err
			}
			if i < 0 { // first: the bookkeeping table, and a look at it
				if _, err := q.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
					name text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
					return err
				}
				rows, err := q.Query(ctx, `SELECT name FROM schema_migrations`)
				if err != nil {
					return err
				}
				done, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					return err
				}
				return migrations.CheckKnown(ms, done)
			}
			m := ms[i]
			var n int
			if err := q.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, m.Name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := q.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := q.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, now())`, m.Name); err != nil {
				return err
			}
			applied = append(applied, m.Name)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: %w", err)
		}
	}
	return applied, nil
}

// querier is what *pgxpool.Pool and pgx.Tx share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{ db *DB }

// q returns the transaction carried by ctx, or the pool.
func (d *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{d}).(pgx.Tx); ok {
		return tx
	}
	return d.pool
}

// InTx implements storage.Transactor.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{d}).(pgx.Tx); ok {
		return fn(ctx)
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	if err := fn(context.WithValue(ctx, txKey{d}, tx)); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr(err)
	}
	return nil
}

// LockAuthz implements rbac.Store: it locks the one row of authz_version
// until the transaction ends. Every change of the authorization model
// takes it first, so under READ COMMITTED the next one starts its checks
// after this one committed, on what it wrote. (Writes bump that row
// through triggers too, but only at their end, after their checks.)
func (d *DB) LockAuthz(ctx context.Context) error {
	tx, ok := ctx.Value(txKey{d}).(pgx.Tx)
	if !ok {
		return errors.New("lock the authorization model: not in a transaction")
	}
	var v int64
	if err := tx.QueryRow(ctx, `SELECT version FROM authz_version WHERE id = 1 FOR UPDATE`).Scan(&v); err != nil {
		return fmt.Errorf("lock the authorization model: %w", mapErr(err))
	}
	return nil
}

// mapErr maps driver errors to the storage sentinels. Errors that mean the
// server could not be reached or cannot serve for now wrap
// storage.ErrUnavailable and the driver's error; pgx leaves the password
// out of their text.
func mapErr(err error) error {
	if err == nil || errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505", pe.Code == "23503": // unique_violation, foreign_key_violation
			return storage.ErrConflict
		case unavailableState(pe.Code):
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		}
		// Any other refusal by the server, such as bad credentials while
		// connecting, is not cured by waiting.
		return err
	}
	if lostServer(err) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// unavailableState reports whether a SQLSTATE says the server cannot serve
// for now: class 08 (connection exception), class 53 (insufficient
// resources, such as too many connections) and 57P01-57P03 (shutting
// down, restarting after a crash, starting up).
func unavailableState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"):
		return true
	}
	switch code {
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	}
	return false
}

// lostServer reports whether err is a failure to reach the server or to
// keep talking to it, rather than an answer from it.
func lostServer(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error // socket errors, errnos such as ECONNRESET included
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		// The pool waited for a free connection until the caller's
		// deadline: the server is overloaded.
		errors.Is(err, context.DeadlineExceeded)
}

// execOne runs a statement that must change exactly one row.
func (d *DB) execOne(ctx context.Context, sql string, args ...any) error {
	tag, err := d.q(ctx).Exec(ctx, sql, args...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// ts returns t for a nullable timestamptz column: NULL for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storage.Time(t)
}

// fromTS reads a nullable timestamptz column.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
