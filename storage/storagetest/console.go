package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage"
)

// consoleCases cover what the console reads beyond the API's needs: the
// account search and the dashboard.
func consoleCases() {
	add("accounts search by name or display name, ASCII case ignored, wildcards literal", func(t *testing.T, s Store) {
		tree(t, s)
		for i, c := range []struct{ org, name, display string }{
			{"billing", "invoice-sync", "Invoice Sync"}, {"billing", "a_b", "Plain"}, {"billing", "axb", "Plain"},
			{"ops", "deploy", "50% rollout"}, {"ops", "backup", "500 rollouts"}, {"ops", "mail", `Back\slash`},
			{"acme", "root", "Équipe racine"}, {"acme", "sync-all", "SYNC everything"},
		} {
			a := account(fmt.Sprint("id", i), c.org, c.name)
			a.DisplayName = c.display
			if c.name == "sync-all" {
				a.ArchivedAt = storage.Time(t0)
			}
			must(t, s.CreateAccount(ctx, a))
		}
		for _, c := range []struct {
			name string
			opts accounts.ListOptions
			want []string
		}{
			{"a search matches names and display names in any ASCII case", accounts.ListOptions{Search: "SyNc"}, []string{"sync-all", "invoice-sync"}},
			{"an underscore matches itself only", accounts.ListOptions{Search: "a_b"}, []string{"a_b"}},
			{"a percent sign matches itself only", accounts.ListOptions{Search: "50%"}, []string{"deploy"}},
			{"a backslash matches itself", accounts.ListOptions{Search: `k\s`}, []string{"mail"}},
			{"letters beyond ASCII match as they are", accounts.ListOptions{Search: "Équipe"}, []string{"root"}},
			{"letters beyond ASCII do not fold case", accounts.ListOptions{Search: "équipe"}, []string{}},
			{"a search combines with the organization", accounts.ListOptions{Search: "sync", OrgID: "billing"}, []string{"invoice-sync"}},
			{"a search combines with the organizations", accounts.ListOptions{Search: "rollout", OrgIDs: []string{"ops", "acme"}}, []string{"backup", "deploy"}},
			{"a search combines with the status", accounts.ListOptions{Search: "sync", Status: accounts.StatusActive}, []string{"invoice-sync"}},
			{"a search pages after an account", accounts.ListOptions{Search: "sync", AfterOrgID: "acme", AfterName: "sync-all"}, []string{"invoice-sync"}},
			{"a search matching nothing lists nothing", accounts.ListOptions{Search: "nothing"}, []string{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				equal(t, accountNames(t, s, c.opts), c.want)
			})
		}
		as, err := s.ListAccounts(ctx, accounts.ListOptions{Search: "o", Limit: 2})
		must(t, err)
		equal(t, len(as), 2)
	})
	add("a search combines with the owner", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		for i, name := range []string{"sync", "sync-2", "other"} {
			a := account(fmt.Sprint("a", i), "billing", name)
			if name != "sync-2" {
				a.OwnerID = "u1"
			}
			must(t, s.CreateAccount(ctx, a))
		}
		equal(t, accountNames(t, s, accounts.ListOptions{Search: "sync", OwnerID: "u1"}), []string{"sync"})
	})
	add("the dashboard counts accounts and keys by status in the organizations given", func(t *testing.T, s Store) {
		tree(t, s)
		now := storage.Time(t0.Add(time.Hour))
		for i, org := range []string{"billing", "billing", "ops", "acme"} {
			a := account(fmt.Sprint("a", i), org, fmt.Sprint("n", i))
			if i == 1 {
				a.ArchivedAt = now
			}
			must(t, s.CreateAccount(ctx, a))
		}
		keys := []accounts.Key{key("k1", "a0", t0), key("k2", "a0", t0), key("k3", "a1", t0), key("k4", "a2", t0), key("k5", "a3", t0)}
		keys[1].Active = false
		keys[2].ExpiresAt = now // expired at now exactly
		keys[3].ExpiresAt = now.Add(time.Millisecond)
		for _, k := range keys {
			must(t, s.CreateKey(ctx, k))
		}
		for _, c := range []struct {
			name     string
			orgIDs   []string
			accounts accounts.AccountCounts
			keys     accounts.KeyCounts
		}{
			{"every organization", nil, accounts.AccountCounts{Active: 3, Archived: 1}, accounts.KeyCounts{Active: 3, Inactive: 1, Expired: 1}},
			{"some organizations", []string{"billing", "ops"}, accounts.AccountCounts{Active: 2, Archived: 1}, accounts.KeyCounts{Active: 2, Inactive: 1, Expired: 1}},
			{"no organization", []string{}, accounts.AccountCounts{}, accounts.KeyCounts{}},
		} {
			t.Run(c.name, func(t *testing.T) {
				ac, err := s.CountAccounts(ctx, c.orgIDs)
				must(t, err)
				equal(t, ac, c.accounts)
				kc, err := s.CountKeys(ctx, c.orgIDs, now)
				must(t, err)
				equal(t, kc, c.keys)
			})
		}
	})
	add("the dashboard lists active keys expiring soon, soonest first, with their accounts", func(t *testing.T, s Store) {
		tree(t, s)
		now := storage.Time(t0.Add(time.Hour))
		until := now.Add(30 * 24 * time.Hour)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "ops", "deploy")))
		archived := account("a3", "ops", "old")
		archived.ArchivedAt = now
		must(t, s.CreateAccount(ctx, archived))
		for _, k := range []struct {
			id, account string
			expires     time.Time
			active      bool
		}{
			{"k1", "a1", until, true}, {"k2", "a2", now.Add(time.Hour), true}, {"k3", "a1", now, true},
			{"k4", "a1", until.Add(time.Millisecond), true}, {"k5", "a1", now.Add(time.Minute), false},
			{"k6", "a3", now.Add(time.Minute), true}, {"k7", "a2", time.Time{}, true}, {"k0", "a1", now.Add(time.Hour), true},
		} {
			key := key(k.id, k.account, t0)
			key.ExpiresAt, key.Active = storage.Time(k.expires), k.active
			must(t, s.CreateKey(ctx, key))
		}
		ids := func(aks []accounts.AccountKey, err error) []string {
			t.Helper()
			must(t, err)
			out := []string{}
			for _, ak := range aks {
				out = append(out, ak.Key.ID+"@"+ak.Account.Name)
			}
			return out
		}
		equal(t, ids(s.ListExpiringKeys(ctx, nil, now, until, 10)), []string{"k0@sync", "k2@deploy", "k1@sync"})
		equal(t, ids(s.ListExpiringKeys(ctx, nil, now, until, 2)), []string{"k0@sync", "k2@deploy"})
		equal(t, ids(s.ListExpiringKeys(ctx, []string{"ops"}, now, until, 10)), []string{"k2@deploy"})
		equal(t, ids(s.ListExpiringKeys(ctx, []string{}, now, until, 10)), []string{})
		aks, err := s.ListExpiringKeys(ctx, nil, now, until, 1)
		must(t, err)
		wantKey := key("k0", "a1", t0)
		wantKey.ExpiresAt = storage.Time(now.Add(time.Hour))
		equal(t, aks, []accounts.AccountKey{{Key: wantKey, Account: account("a1", "billing", "sync")}})
	})
	add("the dashboard lists accounts never used, or unused since a time, of active accounts", func(t *testing.T, s Store) {
		tree(t, s)
		now := storage.Time(t0.Add(1000 * time.Hour))
		before := now.Add(-90 * 24 * time.Hour)
		for _, c := range []struct {
			id, org string
			created time.Duration
			used    time.Time
			archive bool
		}{
			{"a1", "billing", 3, time.Time{}, false}, {"a2", "ops", 1, time.Time{}, false}, {"a3", "billing", 2, time.Time{}, true},
			{"a4", "billing", 0, before.Add(-time.Hour), false}, {"a5", "ops", 0, before.Add(-2 * time.Hour), false},
			{"a6", "billing", 0, before, false}, {"a7", "billing", 0, before.Add(-3 * time.Hour), true}, {"a0", "billing", 2, time.Time{}, false},
		} {
			a := account(c.id, c.org, "n"+c.id)
			a.CreatedAt = storage.Time(t0.Add(c.created * time.Minute))
			a.LastUsedAt = storage.Time(c.used)
			if c.archive {
				a.ArchivedAt = now
			}
			must(t, s.CreateAccount(ctx, a))
		}
		ids := func(opts accounts.IdleOptions) []string {
			t.Helper()
			return idle(t, s.ListIdleAccounts, now, opts, func(a accounts.Account) string { return a.ID })
		}
		equal(t, ids(accounts.IdleOptions{}), []string{"a2", "a0", "a1"})
		equal(t, ids(accounts.IdleOptions{Limit: 2}), []string{"a2", "a0"})
		equal(t, ids(accounts.IdleOptions{OrgIDs: []string{"billing"}}), []string{"a0", "a1"})
		equal(t, ids(accounts.IdleOptions{UsedBefore: before}), []string{"a5", "a4"})
		equal(t, ids(accounts.IdleOptions{UsedBefore: before, OrgIDs: []string{"billing"}}), []string{"a4"})
		equal(t, ids(accounts.IdleOptions{UsedBefore: before, OrgIDs: []string{}}), []string{})
	})
	add("the dashboard lists active keys never used, or unused since a time, with their accounts", func(t *testing.T, s Store) {
		tree(t, s)
		now := storage.Time(t0.Add(1000 * time.Hour))
		before := now.Add(-90 * 24 * time.Hour)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "ops", "deploy")))
		archived := account("a3", "ops", "old")
		archived.ArchivedAt = now
		must(t, s.CreateAccount(ctx, archived))
		for _, c := range []struct {
			id, account string
			created     time.Duration
			used        time.Time
			expires     time.Time
			inactive    bool
		}{
			{"k1", "a1", 3, time.Time{}, time.Time{}, false}, {"k2", "a2", 1, time.Time{}, now.Add(time.Millisecond), false},
			{"k3", "a1", 2, time.Time{}, now, false}, {"k4", "a1", 0, time.Time{}, time.Time{}, true},
			{"k5", "a3", 0, time.Time{}, time.Time{}, false},
			{"k6", "a1", 0, before.Add(-time.Hour), time.Time{}, false}, {"k7", "a2", 0, before.Add(-2 * time.Hour), time.Time{}, false},
			{"k8", "a1", 0, before, time.Time{}, false}, {"k9", "a1", 0, before.Add(-3 * time.Hour), time.Time{}, true},
		} {
			k := key(c.id, c.account, t0.Add(c.created*time.Minute))
			k.LastUsedAt, k.ExpiresAt, k.Active = storage.Time(c.used), storage.Time(c.expires), !c.inactive
			must(t, s.CreateKey(ctx, k))
		}
		ids := func(opts accounts.IdleOptions) []string {
			t.Helper()
			return idle(t, s.ListIdleKeys, now, opts, func(ak accounts.AccountKey) string { return ak.Key.ID + "@" + ak.Account.Name })
		}
		equal(t, ids(accounts.IdleOptions{}), []string{"k2@deploy", "k1@sync"})
		equal(t, ids(accounts.IdleOptions{Limit: 1}), []string{"k2@deploy"})
		equal(t, ids(accounts.IdleOptions{OrgIDs: []string{"billing"}}), []string{"k1@sync"})
		equal(t, ids(accounts.IdleOptions{UsedBefore: before}), []string{"k7@deploy", "k6@sync"})
		equal(t, ids(accounts.IdleOptions{UsedBefore: before, OrgIDs: []string{"ops"}}), []string{"k7@deploy"})
		equal(t, ids(accounts.IdleOptions{OrgIDs: []string{}}), []string{})
	})
}

// idle lists with opts at now, ten at most unless opts says, and names
// each item listed.
func idle[T any](t *testing.T, list func(context.Context, accounts.IdleOptions) ([]T, error), now time.Time,
	opts accounts.IdleOptions, name func(T) string) []string {
	t.Helper()
	if opts.Limit == 0 {
		opts.Limit = 10
	}
	opts.Now = now
	items, err := list(ctx, opts)
	must(t, err)
	out := []string{}
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}
