// Package pgtest gives tests a fresh, empty PostgreSQL schema on the server
// named by IAMD_TEST_DATABASE_URL, which `make test` and .ci/run set up.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// URL returns the URL of a new schema that is dropped when t ends. Without
// IAMD_TEST_DATABASE_URL the test is skipped, or fails if
// IAMD_REQUIRE_POSTGRES is set.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("IAMD_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("IAMD_REQUIRE_POSTGRES") != "" {
			t.Fatal("IAMD_REQUIRE_POSTGRES is set but IAMD_TEST_DATABASE_URL is not")
		}
		t.Skip("SKIPPING PostgreSQL: IAMD_TEST_DATABASE_URL is not set (make test starts a throwaway cluster)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("IAMD_TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to IAMD_TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
