package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Sizes of the data BenchConsole reads: the 10,000 accounts.
const (
	benchOrgs     = 100
	benchAccounts = 10_000
	benchUsers    = 20
)

// ConsoleData stores benchOrgs organizations under the root organization
// root, which it creates unless it exists, benchUsers users, and
// benchAccounts accounts spread over the organizations, each
// with two keys and owned by one of the users in turn. A third of the
// accounts and keys were never used, a third last used 100 days before now,
// a third an hour before; one key in ten expires within 30 days.
// The web package's benchmarks read the console's pages over the same data.
func ConsoleData(b testing.TB, s Store, root string, now time.Time) {
	b.Helper()
	paths := []string{}
	if _, err := s.GetOrg(ctx, root); errors.Is(err, storage.ErrNotFound) {
		paths = append(paths, "/"+root+"/")
	} else {
		must(b, err)
	}
	for i := range benchOrgs {
		paths = append(paths, fmt.Sprintf("/%s/org%02d/", root, i))
	}
	orgs(b, s, paths...)
	for i := range benchUsers {
		must(b, s.CreateUser(ctx, user(fmt.Sprint("u", i), root, fmt.Sprint("user", i))))
	}
	must(b, s.InTx(ctx, func(ctx context.Context) error {
		for i := range benchAccounts {
			a := account(fmt.Sprint("a", i), fmt.Sprintf("org%02d", i%benchOrgs), fmt.Sprintf("svc-%04d", i))
			a.DisplayName = fmt.Sprintf("Service %04d", i)
			a.OwnerID = fmt.Sprint("u", i%benchUsers)
			a.CreatedAt = storage.Time(now.Add(-time.Duration(benchAccounts-i) * time.Minute))
			switch i % 3 {
			case 1:
				a.LastUsedAt = storage.Time(now.Add(-100 * 24 * time.Hour))
			case 2:
				a.LastUsedAt = storage.Time(now.Add(-time.Hour))
			}
			if err := s.CreateAccount(ctx, a); err != nil {
				return err
			}
			for j := range 2 {
				k := key(fmt.Sprintf("k%d-%d", i, j), a.ID, a.CreatedAt)
				k.LastUsedAt = a.LastUsedAt
				if (2*i+j)%10 == 0 {
					k.ExpiresAt = storage.Time(now.Add(time.Duration(i) * time.Minute))
				}
				if err := s.CreateKey(ctx, k); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	if a, ok := s.(analyzer); ok {
		must(b, a.Analyze(ctx))
	}
}

// analyzer is a store whose planner needs statistics, which a running
// database gathers by itself some time after a bulk load (PostgreSQL's
// autovacuum): Analyze gathers them now.
type analyzer interface {
	Analyze(ctx context.Context) error
}

// BenchConsole benchmarks what the console's pages read, over 10,000
// accounts in 100 organizations with two keys each: pages of the accounts
// list, and the dashboard.
func BenchConsole(b *testing.B, s Store) {
	now := storage.Time(time.Now())
	ConsoleData(b, s, "root", now)
	clock := func() time.Time { return now }
	ids, err := accounts.NewClientIDs("")
	must(b, err)
	orgSvc := rbac.NewService(s, s, audit.NewLog(s, clock), clock)
	svc := accounts.NewService(s, s, orgSvc, ids, nil, clock)
	sys := rbac.System("bench")
	half := []string{}
	for i := range benchOrgs / 2 {
		half = append(half, fmt.Sprintf("org%02d", 2*i))
	}
	list := func(name string, opts accounts.ListOptions, want int) {
		b.Run(name, func(b *testing.B) {
			opts.Limit = 50
			for b.Loop() {
				as, err := svc.List(ctx, sys, opts)
				if err != nil || len(as) != want {
					b.Fatalf("got %d accounts, %v; want %d", len(as), err, want)
				}
			}
		})
	}
	list("list, first page", accounts.ListOptions{}, 50)
	list("list, a search matching 1 account of 10,000", accounts.ListOptions{Search: "svc-0042"}, 1)
	list("list, a search matching 1,000 accounts", accounts.ListOptions{Search: "SERVICE 1"}, 50)
	list("list, a search matching none", accounts.ListOptions{Search: "nothing"}, 0)
	list("list, a search in 50 organizations", accounts.ListOptions{Search: "svc-0042", OrgIDs: half}, 1)
	list("list, by owner of 500 accounts", accounts.ListOptions{OwnerID: "u7"}, 50)
	list("list, by owner with a search", accounts.ListOptions{OwnerID: "u7", Search: "svc-00"}, 5)
	b.Run("dashboard, every organization", func(b *testing.B) {
		for b.Loop() {
			d, err := svc.Dashboard(ctx, sys)
			if err != nil || d.Accounts.Active != benchAccounts || len(d.ExpiringKeys) != accounts.DashboardLimit ||
				len(d.NeverUsedAccounts) != accounts.DashboardLimit || len(d.UnusedKeys) != accounts.DashboardLimit {
				b.Fatalf("dashboard %+v, %v", d.Accounts, err)
			}
		}
	})
	for _, c := range []struct {
		name   string
		orgIDs []string
	}{{"dashboard queries, 50 organizations", half}, {"dashboard queries, 1 organization", []string{"org42"}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				dashboardQueries(b, s, c.orgIDs, now)
			}
		})
	}

}

// dashboardQueries runs the queries of the dashboard over orgIDs.
func dashboardQueries(b *testing.B, s Store, orgIDs []string, now time.Time) {
	if _, err := s.CountAccounts(ctx, orgIDs); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CountKeys(ctx, orgIDs, now); err != nil {
		b.Fatal(err)
	}
	if _, err := s.ListExpiringKeys(ctx, orgIDs, now, now.Add(accounts.ExpiringWithin), accounts.DashboardLimit); err != nil {
		b.Fatal(err)
	}
	for _, before := range []time.Time{{}, now.Add(-accounts.UnusedFor)} {
		opts := accounts.IdleOptions{OrgIDs: orgIDs, UsedBefore: before, Now: now, Limit: accounts.DashboardLimit}
		if _, err := s.ListIdleAccounts(ctx, opts); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ListIdleKeys(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
}
