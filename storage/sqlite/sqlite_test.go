package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
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
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
	"github.com/iamd/iamd/storage/storagetest"
)

// open returns a fresh, migrated database: a copy of one migrated once, as
// migrating cost most of each of the suite's hundred cases.
func open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlitetest.Path(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Prepares the statements; applies nothing.
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return open(t) })
}

func TestMigrationCarriesOverAssignmentsAndScopes(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, "0001_init.sql"); err != nil {
		t.Fatal(err)
	}
	v1 := storagetest.CarryOverData()
	at := v1.At.UnixMilli()
	exec := func(query string, args ...any) {
		t.Helper()
		if err := db.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range v1.Orgs {
		exec(`INSERT INTO orgs (id, name, parent_id, created_at, created_by, updated_at) VALUES (?, ?, nullif(?, ''), ?, 'test', ?)`,
			o[0], o[0], o[1], at, at)
	}
	for _, a := range v1.Accounts {
		scopes, _ := json.Marshal(append([]string{}, a.Scopes...))
		exec(`INSERT INTO accounts (id, org_id, name, display_name, description, system, allowed_scopes,
			allowed_audiences, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, '[]', ?, 'test', ?)`,
			a.ID, a.OrgID, a.Name, a.Name, a.System, string(scopes), at, at)
	}
	for _, as := range v1.Assignments {
		exec(`INSERT INTO assignments (subject_id, role_id, org_id, created_at, created_by) VALUES (?, ?, ?, ?, 'test')`,
			as[0], as[1], as[2], at)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0002_authz.sql" {
		t.Fatalf("applied %v", applied)
	}
	storagetest.CheckCarryOver(t, db)
}

func TestMigrationMakesAccountsSubjects(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, "0005_revocations.sql"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UnixMilli()
	storagetest.SeedBeforeUsers(t, db, func(id, orgID, name string) {
		t.Helper()
		if err := db.Exec(ctx, `INSERT INTO accounts (id, org_id, name, display_name, description, system,
			allowed_audiences, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, '', 0, '[]', ?, 'test', ?)`,
			id, orgID, name, name, at, at); err != nil {
			t.Fatal(err)
		}
	})
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0006_users.sql" {
		t.Fatalf("applied %v", applied)
	}
	storagetest.CheckUsersCarryOver(t, db)
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

func BenchmarkLoadGrants(b *testing.B) {
	storagetest.BenchLoadGrants(b, open(b))
}

func BenchmarkDescendants(b *testing.B) {
	storagetest.BenchDescendants(b, open(b))
}

func BenchmarkUseAssertionID(b *testing.B) {
	storagetest.BenchUseAssertionID(b, open(b))
}

func BenchmarkConsole(b *testing.B) {
	storagetest.BenchConsole(b, open(b))
}
