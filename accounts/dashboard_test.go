package accounts_test

import (
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

func dashboardAccounts(as []accounts.DashboardAccount) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ClientID)
	}
	return out
}

func dashboardKeys(ks []accounts.DashboardKey) []string {
	out := []string{}
	for _, k := range ks {
		out = append(out, k.Key.Label+"@"+k.ClientID)
	}
	return out
}

func wantList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	day := 24 * time.Hour
	// Used 100 days ago, then left alone.
	old := e.account(t, "old")
	_, oldSecret := e.key(t, old, accounts.NewKey{Label: "old-key"})
	e.use(t, old, oldSecret, e.keyIDs(t, old)[0])
	if err := e.usage.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(100 * day)
	// Never used; one key expires in 10 days, one in 40, one is inactive.
	idle := e.account(t, "idle")
	e.key(t, idle, accounts.NewKey{Label: "soon", ExpiresAt: e.clock.Now().Add(10 * day)})
	e.clock.Advance(time.Minute)
	e.key(t, idle, accounts.NewKey{Label: "later", ExpiresAt: e.clock.Now().Add(40 * day)})
	off, _ := e.key(t, idle, accounts.NewKey{Label: "off"})
	if _, _, err := e.svc.SetKeyActive(e.ctx, sys, off.ID, false); err != nil {
		t.Fatal(err)
	}
	root := e.ids.Of(e.create(t, accounts.NewAccount{OrgID: "acme", Name: "root-bot"}))
	gone := e.account(t, "gone")
	if _, err := e.svc.Archive(e.ctx, sys, gone); err != nil {
		t.Fatal(err)
	}
	// Used just now, not flushed yet: in memory only.
	busy := e.account(t, "busy")
	busyKey, busySecret := e.key(t, busy, accounts.NewKey{Label: "busy-key"})
	e.use(t, busy, busySecret, busyKey.ID)
	// The old account's key used just now too, not flushed.
	e.use(t, old, oldSecret, e.keyIDs(t, old)[0])

	t.Run("an actor holding every right sees every organization, pending uses overlaid", func(t *testing.T) {
		d, err := e.svc.Dashboard(e.ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		if d.Accounts != (accounts.AccountCounts{Active: 4, Archived: 1}) {
			t.Errorf("accounts = %+v", d.Accounts)
		}
		if d.Keys != (accounts.KeyCounts{Active: 4, Inactive: 1}) {
			t.Errorf("keys = %+v", d.Keys)
		}
		wantList(t, "expiring keys", dashboardKeys(d.ExpiringKeys), []string{"soon@idle@eng.iam"})
		wantList(t, "never used accounts", dashboardAccounts(d.NeverUsedAccounts), []string{idle, root})
		wantList(t, "unused accounts", dashboardAccounts(d.UnusedAccounts), []string{})
		wantList(t, "never used keys", dashboardKeys(d.NeverUsedKeys), []string{"soon@" + idle, "later@" + idle})
		wantList(t, "unused keys", dashboardKeys(d.UnusedKeys), []string{})
	})
	t.Run("accounts and keys left unused for 90 days are listed", func(t *testing.T) {
		if err := e.usage.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(91 * day)
		defer e.clock.Advance(-91 * day)
		d, err := e.svc.Dashboard(e.ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		wantList(t, "unused accounts", dashboardAccounts(d.UnusedAccounts), []string{old, busy})
		wantList(t, "unused keys", dashboardKeys(d.UnusedKeys), []string{"old-key@" + old, "busy-key@" + busy})
		wantList(t, "expiring keys", dashboardKeys(d.ExpiringKeys), []string{})
		if d.Keys != (accounts.KeyCounts{Active: 2, Inactive: 1, Expired: 2}) {
			t.Errorf("keys = %+v", d.Keys)
		}
	})
	t.Run("a viewer of one organization sees that organization only", func(t *testing.T) {
		if err := e.svc.AssignRole(e.ctx, sys, root, "acme/viewer", []rbac.Scope{{OrgID: "eng"}}); err != nil {
			t.Fatal(err)
		}
		_, rights, err := e.svc.Rights(e.ctx, sys, root)
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.Dashboard(e.ctx, rbac.NewActor(root, rights))
		if err != nil {
			t.Fatal(err)
		}
		if d.Accounts != (accounts.AccountCounts{Active: 3, Archived: 1}) {
			t.Errorf("accounts = %+v", d.Accounts)
		}
		wantList(t, "never used accounts", dashboardAccounts(d.NeverUsedAccounts), []string{idle})
	})
	t.Run("an actor without rights sees zeros and empty lists", func(t *testing.T) {
		d, err := e.svc.Dashboard(e.ctx, rbac.NewActor("nobody", &rbac.Rights{}))
		if err != nil {
			t.Fatal(err)
		}
		if d.Accounts != (accounts.AccountCounts{}) || d.Keys != (accounts.KeyCounts{}) {
			t.Errorf("counts = %+v, %+v", d.Accounts, d.Keys)
		}
		for _, l := range [][]accounts.DashboardKey{d.ExpiringKeys, d.NeverUsedKeys, d.UnusedKeys} {
			if l == nil || len(l) != 0 {
				t.Errorf("key list %v, want empty", l)
			}
		}
		for _, l := range [][]accounts.DashboardAccount{d.NeverUsedAccounts, d.UnusedAccounts} {
			if l == nil || len(l) != 0 {
				t.Errorf("account list %v, want empty", l)
			}
		}
	})
}
