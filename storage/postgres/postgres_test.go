package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/iamd/iamd/migrations"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/storage/storagetest"
)

func open(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
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
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return open(t, pgtest.URL(t)) })
}

func TestMigrationCarriesOverAssignmentsAndScopes(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, "0001_init.sql"); err != nil {
		t.Fatal(err)
	}
	v1 := storagetest.CarryOverData()
	exec := func(query string, args ...any) {
		t.Helper()
		if err := db.Exec(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range v1.Orgs {
		exec(`INSERT INTO orgs (id, name, parent_id, created_at, created_by, updated_at) VALUES ($1, $1, nullif($2, ''), $3, 'test', $3)`,
			o[0], o[1], v1.At)
	}
	for _, a := range v1.Accounts {
		exec(`INSERT INTO accounts (id, org_id, name, display_name, description, system, allowed_scopes,
			allowed_audiences, created_at, created_by, updated_at) VALUES ($1, $2, $3, $3, '', $4, $5, '{}', $6, 'test', $6)`,
			a.ID, a.OrgID, a.Name, a.System, append([]string{}, a.Scopes...), v1.At)
	}
	for _, as := range v1.Assignments {
		exec(`INSERT INTO assignments (subject_id, role_id, org_id, created_at, created_by) VALUES ($1, $2, $3, $4, 'test')`,
			as[0], as[1], as[2], v1.At)
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
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, "0005_revocations.sql"); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	storagetest.SeedBeforeUsers(t, db, func(id, orgID, name string) {
		t.Helper()
		if err := db.Exec(ctx, `INSERT INTO accounts (id, org_id, name, display_name, description, system,
			allowed_audiences, created_at, created_by, updated_at) VALUES ($1, $2, $3, $3, '', false, '{}', $4, 'test', $4)`,
			id, orgID, name, at); err != nil {
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

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	dbs := []*postgres.DB{}
	for range 3 {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	errs := make(chan error, len(dbs))
	counts := make(chan int, len(dbs))
	for _, db := range dbs {
		go func() {
			applied, err := db.Migrate(ctx)
			errs <- err
			counts <- len(applied)
		}()
	}
	total := 0
	for range dbs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-counts
	}
	if ms, _ := migrations.For("postgres"); total != len(ms) {
		t.Fatalf("%d migrations applied in all, want each once", total)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	db := open(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Fatalf("got %v, want a refusal to touch a newer schema", err)
	}
}

func TestOpenDoesNotLeakThePassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=1&sslmode=disable")
	if err == nil {
		t.Fatal("connected to nothing")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("error reveals the password: %v", err)
	}
	_, err = postgres.Open(context.Background(), "postgres://u:s3cr3t-pw@127.0.0.1:bad/db")
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("got %v", err)
	}
}

func TestStoppedServerIsUnavailable(t *testing.T) {
	c := pgtest.NewCluster(t)
	db := open(t, c.URL)
	storagetest.Seed(t, db)
	ctx := context.Background()
	c.Stop(t)
	for _, call := range storagetest.Calls() {
		t.Run("while the server is down "+call.Name+" fails as unavailable", func(t *testing.T) {
			err := call.Do(ctx, db)
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("got %v, want an error wrapping storage.ErrUnavailable", err)
			}
			// The connections open at the stop were terminated (57P01);
			// new ones are refused.
			var pe *pgconn.PgError
			var ce *pgconn.ConnectError
			if !errors.As(err, &pe) && !errors.As(err, &ce) {
				t.Errorf("%v does not wrap the driver's error", err)
			}
			if strings.Contains(err.Error(), c.Password) {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
	c.Start(t)
	for _, call := range storagetest.Calls() {
		t.Run("once the server is back "+call.Name+" succeeds", func(t *testing.T) {
			if err := call.Do(ctx, db); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkLoadGrants(b *testing.B) {
	storagetest.BenchLoadGrants(b, open(b, pgtest.URL(b)))
}

func BenchmarkDescendants(b *testing.B) {
	storagetest.BenchDescendants(b, open(b, pgtest.URL(b)))
}

func BenchmarkUseAssertionID(b *testing.B) {
	storagetest.BenchUseAssertionID(b, open(b, pgtest.URL(b)))
}

func BenchmarkConsole(b *testing.B) {
	storagetest.BenchConsole(b, open(b, pgtest.URL(b)))
}
