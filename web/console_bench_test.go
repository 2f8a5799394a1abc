package web_test

import (
	"net/http"
	"testing"

	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/storagetest"
)

// BenchmarkConsolePages times the console's main pages, over loopback
// HTTP, for an admin of the whole tree with 10,000 accounts in 100
// organizations, two keys each (storagetest.ConsoleData): the issue's
// bound is 50 ms a page on the server.
func BenchmarkConsolePages(b *testing.B) {
	benchBackends(b, benchConsolePages)
}

func benchConsolePages(b *testing.B, opts ...option) {
	f := newFixture(b, opts...)
	storagetest.ConsoleData(b, f.db, rootOrg, storage.Time(f.clock.Now()))
	f.consoleUser(b, "bench-admin", goodPassword, false, "admin")
	v := f.visitor(b)
	v.login(b, "bench-admin", goodPassword)
	detail := f.accts.ClientIDs().Format("org42", "svc-0042")
	for _, p := range []struct{ name, path string }{
		{"dashboard", "/console/"},
		{"organizations", "/console/orgs"},
		{"organization", "/console/orgs/org42"},
		{"accounts, first page", "/console/accounts"},
		{"accounts, a search matching 1", "/console/accounts?q=svc-0042"},
		{"accounts, a search matching none", "/console/accounts?q=nothing"},
		{"accounts, one organization", "/console/accounts?org=org42"},
		{"accounts, archived", "/console/accounts?status=archived"},
		{"account", "/console/accounts/" + detail},
		{"key", "/console/keys/k42-0"},
		{"roles", "/console/roles"},
		{"groups", "/console/groups"},
		{"permissions", "/console/permissions"},
		{"users", "/console/users"},
		{"audit", "/console/audit"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if r := v.get(b, p.path); r.Status != http.StatusOK {
					b.Fatalf("GET %s: status %d", p.path, r.Status)
				}
			}
		})
	}
}
