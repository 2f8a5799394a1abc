package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/web"
)

// count returns the number the dashboard shows in its count id.
func count(t *testing.T, body []byte, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<li id="` + id + `"><span class="dashboard-n">(\d+)</span>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no count %s in %s", id, body)
	}
	return string(m[1])
}

func TestConsoleDashboardShowsExpiringKeysAndNeverUsedAccounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "ops", "Operations", rootOrg); err != nil {
		t.Fatal(err)
	}
	idle, err := f.accts.Create(ctx, sys, accounts.NewAccount{OrgID: "ops", Name: "idle-bot", DisplayName: "Idle bot"})
	if err != nil {
		t.Fatal(err)
	}
	idleID := f.accts.ClientIDs().Of(idle)
	soon, err := f.accts.Create(ctx, sys, accounts.NewAccount{OrgID: "ops", Name: "soon-bot"})
	if err != nil {
		t.Fatal(err)
	}
	soonID := f.accts.ClientIDs().Of(soon)
	k, _, err := f.accts.CreateKey(ctx, sys, soonID, accounts.NewKey{Label: "rotate-me", ExpiresAt: f.clock.Now().Add(10 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A key expiring in 60 days is not listed as expiring.
	if _, _, err := f.accts.CreateKey(ctx, sys, idleID, accounts.NewKey{Label: "later", ExpiresAt: f.clock.Now().Add(60 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.consoleUser(t, "alice", goodPassword, false, "admin")

	v := signIn(t, f, "alice", "en")
	r := v.get(t, "/console/")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	expiring := body[strings.Index(body, `id="dash-expiring-h"`):strings.Index(body, `id="dash-neveracc-h"`)]
	for _, want := range []string{
		`<a href="/console/accounts/` + soonID + `"><code>` + soonID + `</code></a>`,
		`<a href="/console/keys/` + k.ID + `">rotate-me</a>`,
		k.ExpiresAt.UTC().Format("2006-01-02 15:04") + " UTC",
	} {
		if !strings.Contains(expiring, want) {
			t.Errorf("the expiring keys lack %s: %s", want, expiring)
		}
	}
	if strings.Contains(expiring, "later") {
		t.Error("a key expiring in 60 days is listed as expiring within 30")
	}
	never := body[strings.Index(body, `id="dash-neveracc-h"`):strings.Index(body, `id="dash-unusedacc-h"`)]
	for _, want := range []string{`href="/console/accounts/` + idleID + `"`, "Idle bot", `href="/console/accounts/` + soonID + `"`} {
		if !strings.Contains(never, want) {
			t.Errorf("the never-used accounts lack %s: %s", want, never)
		}
	}
	// Counts: the bootstrap admin account and the two created; its key and
	// the two created.
	if got := count(t, r.Body, "count-accounts-active"); got != "3" {
		t.Errorf("active accounts %s, want 3", got)
	}
	if got := count(t, r.Body, "count-keys-active"); got != "3" {
		t.Errorf("active keys %s, want 3", got)
	}
	if !strings.Contains(body, `<p id="unused-accounts-empty">No account has gone unused that long.</p>`) {
		t.Error("an empty list does not say so")
	}

	// In French too.
	v = signIn(t, f, "alice", "fr")
	r = v.get(t, "/console/")
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{"<h1>Tableau de bord</h1>", "Clés expirant dans les 30 jours", "rotate-me", "Comptes jamais utilisés"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the French dashboard lacks %s", want)
		}
	}
}

func TestConsoleDashboardOfAUserWithoutRightsIsEmpty(t *testing.T) {
	f := newFixture(t)
	f.createAccount(t, f.adminToken(t), web.CreateAccountRequest{ID: "bot", Org: rootOrg})
	f.consoleUser(t, "nobody", goodPassword, false, "")
	v := signIn(t, f, "nobody", "en")
	r := v.get(t, "/console/")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	for _, id := range []string{"count-accounts-active", "count-accounts-archived", "count-keys-active", "count-keys-inactive", "count-keys-expired"} {
		if got := count(t, r.Body, id); got != "0" {
			t.Errorf("%s: %s, want 0", id, got)
		}
	}
	for _, want := range []string{"<h1>Dashboard</h1>", "Welcome, Test nobody.", `id="expiring-keys-empty"`, `id="never-used-accounts-empty"`,
		`id="unused-accounts-empty"`, `id="never-used-keys-empty"`, `id="unused-keys-empty"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	if strings.Contains(body, "bot@") {
		t.Error("a user without rights sees an account")
	}
}

func TestConsoleDashboardShowsAccountsAndKeysUnusedFor90Days(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	a, err := f.accts.Create(ctx, sys, accounts.NewAccount{OrgID: rootOrg, Name: "old-bot"})
	if err != nil {
		t.Fatal(err)
	}
	clientID := f.accts.ClientIDs().Of(a)
	k, _, err := f.accts.CreateKey(ctx, sys, clientID, accounts.NewKey{Label: "old-key"})
	if err != nil {
		t.Fatal(err)
	}
	// Last used 100 days ago, as the usage recorder would have written it.
	at := f.clock.Now().Add(-100 * 24 * time.Hour)
	if err := f.db.RecordUsage(ctx, []accounts.Usage{{KeyID: k.ID, AccountID: a.ID, At: at}}); err != nil {
		t.Fatal(err)
	}
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	v := signIn(t, f, "alice", "en")
	r := v.get(t, "/console/")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	when := at.UTC().Format("2006-01-02 15:04") + " UTC"
	unused := body[strings.Index(body, `id="dash-unusedacc-h"`):strings.Index(body, `id="dash-neverkeys-h"`)]
	for _, want := range []string{`href="/console/accounts/` + clientID + `"`, when} {
		if !strings.Contains(unused, want) {
			t.Errorf("the unused accounts lack %s: %s", want, unused)
		}
	}
	unusedKeys := body[strings.Index(body, `id="dash-unusedkeys-h"`):]
	for _, want := range []string{`<a href="/console/keys/` + k.ID + `">old-key</a>`, when} {
		if !strings.Contains(unusedKeys, want) {
			t.Errorf("the unused keys lack %s: %s", want, unusedKeys)
		}
	}
	never := body[strings.Index(body, `id="dash-neveracc-h"`):strings.Index(body, `id="dash-unusedacc-h"`)]
	if strings.Contains(never, clientID) {
		t.Error("a used account is listed as never used")
	}
}
