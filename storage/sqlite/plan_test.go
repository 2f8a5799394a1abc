package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/accounts"
)

// migrated is a fresh, migrated database, without statistics: the plans
// below must hold on a database SQLite has not analyzed.
func migrated(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// plan is the detail column of each row of query's EXPLAIN QUERY PLAN.
func plan(t *testing.T, d *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := d.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return details
}

// TestGrantsQueryReadsByIndex: LoadGrants runs for every token request, so
// each table it reads must be searched by an index, never scanned, even
// without statistics (SQLite gathers none unless told to). Only the CTEs,
// a handful of rows each, may be scanned.
func TestGrantsQueryReadsByIndex(t *testing.T) {
	ctes := map[string]bool{"grants": true, "gs": true, "held": true, "named": true, "tops": true, "paths": true}
	searched := 0
	for _, detail := range plan(t, migrated(t), grantsQuery, "a1") {
		if table, ok := strings.CutPrefix(detail, "SCAN "); ok && !ctes[strings.Fields(table)[0]] {
			t.Errorf("the grants query scans a table: %s", detail)
		}
		if strings.HasPrefix(detail, "SEARCH ") {
			searched++
		}
	}
	if searched < 10 {
		t.Errorf("the plan searches %d times: not the plan of the grants query?", searched)
	}
}

// TestTokenRevokedReadsByIndex: TokenRevoked runs for every management API
// call and introspection: both tables are searched by their primary key.
func TestTokenRevokedReadsByIndex(t *testing.T) {
	searched := map[string]bool{}
	for _, detail := range plan(t, migrated(t), tokenRevokedQuery, "j", "a", "k", 0) {
		if strings.HasPrefix(detail, "SCAN ") && detail != "SCAN CONSTANT ROW" {
			t.Errorf("the revocation check scans a table: %s", detail)
		}
		if table, ok := strings.CutPrefix(detail, "SEARCH "); ok {
			searched[strings.Fields(table)[0]] = true
		}
	}
	if !searched["revoked_tokens"] || !searched["token_cutoffs"] {
		t.Errorf("the plan searches %v, want revoked_tokens and token_cutoffs", searched)
	}
}

// TestListAccountsByOwnerReadsByIndex: a user's accounts are found through
// accounts_owner, which also gives their order, whatever else filters
// them.
func TestListAccountsByOwnerReadsByIndex(t *testing.T) {
	d := migrated(t)
	for name, opts := range map[string]accounts.ListOptions{
		"owner alone":             {OwnerID: "u1", Limit: 10},
		"owner, page after":       {OwnerID: "u1", AfterOrgID: "billing", AfterName: "sync", Limit: 10},
		"owner and status":        {OwnerID: "u1", Status: accounts.StatusActive, Limit: 10},
		"owner and organizations": {OwnerID: "u1", OrgIDs: []string{"billing", "ops"}, Limit: 10},
	} {
		query, args := listAccountsQuery(opts)
		all := strings.Join(plan(t, d, query, args...), "; ")
		if !strings.Contains(all, "SEARCH a USING INDEX accounts_owner (owner_id=?") || strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("%s: the plan is %s, want a search of accounts_owner in order", name, all)
		}
	}
}
