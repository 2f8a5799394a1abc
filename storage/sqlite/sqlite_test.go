package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/storagetest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return open(t) })
}

func TestDatabaseFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iamd.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("database file mode %v, want 0600", perm)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := open(t)
	applied, err := db.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migration applied %v", applied)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iamd.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A later iamd recorded a migration this one does not know.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "9999_future.sql") || !strings.Contains(err.Error(), "upgrade iamd") {
		t.Fatalf("got %v, want a refusal to touch a newer schema", err)
	}
}

func TestLockedDatabaseIsUnavailableForWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iamd.db")
	db, err := sqlite.OpenWithBusyTimeout(ctx, path, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storagetest.Seed(t, db)
	// Another connection, as of another process, holds the write lock for
	// longer than the busy timeout.
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	for _, call := range storagetest.Calls() {
		if !call.Writes {
			// WAL: readers never wait for the writer, so tokens are
			// issued through a long write.
			t.Run("while another connection writes "+call.Name+" succeeds", func(t *testing.T) {
				if err := call.Do(ctx, db); err != nil {
					t.Fatal(err)
				}
			})
			continue
		}
		t.Run("while another connection writes "+call.Name+" fails as unavailable", func(t *testing.T) {
			err := call.Do(ctx, db)
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("got %v, want an error wrapping storage.ErrUnavailable", err)
			}
			var se *sqlitedriver.Error
			if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
				t.Errorf("%v does not wrap the driver's SQLITE_BUSY", err)
			}
		})
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	for _, call := range storagetest.Calls() {
		t.Run("once the lock is released "+call.Name+" succeeds", func(t *testing.T) {
			if err := call.Do(ctx, db); err != nil {
				t.Fatal(err)
			}
		})
	}
}
