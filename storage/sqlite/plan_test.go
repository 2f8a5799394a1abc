package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestGrantsQueryReadsByIndex: LoadGrants runs for every token request, so
// each table it reads must be searched by an index, never scanned, even
// without statistics (SQLite gathers none unless told to). Only the CTEs,
// a handful of rows each, may be scanned.
func TestGrantsQueryReadsByIndex(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+grantsQuery, "a1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ctes := map[string]bool{"grants": true, "gs": true, "held": true, "named": true, "tops": true, "paths": true}
	searched := 0
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		if table, ok := strings.CutPrefix(detail, "SCAN "); ok && !ctes[strings.Fields(table)[0]] {
			t.Errorf("the grants query scans a table: %s", detail)
		}
		if strings.HasPrefix(detail, "SEARCH ") {
			searched++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if searched < 10 {
		t.Errorf("the plan searches %d times: not the plan of the grants query?", searched)
	}
}

// TestTokenRevokedReadsByIndex: TokenRevoked runs for every management API
// call and introspection: both tables are searched by their primary key.
func TestTokenRevokedReadsByIndex(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tokenRevokedQuery, "j", "a", "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	searched := map[string]bool{}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(detail, "SCAN ") && detail != "SCAN CONSTANT ROW" {
			t.Errorf("the revocation check scans a table: %s", detail)
		}
		if table, ok := strings.CutPrefix(detail, "SEARCH "); ok {
			searched[strings.Fields(table)[0]] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !searched["revoked_tokens"] || !searched["token_cutoffs"] {
		t.Errorf("the plan searches %v, want revoked_tokens and token_cutoffs", searched)
	}
}
