package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

// accountWorld is an account to look at: bot of team, owned by bob, with
// a used key and a never used one, an active role, a group and a role
// left inactive by a move.
type accountWorld struct {
	f        *fixture
	clientID string
	// used and unused are the IDs of its keys.
	used, unused string
}

func newAccountWorld(t *testing.T) *accountWorld {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	for _, o := range [][2]string{{"team", rootOrg}, {"child", "team"}} {
		if _, err := f.orgs.CreateOrg(ctx, sys, o[0], "", o[1]); err != nil {
			t.Fatal(err)
		}
	}
	read := func(s string) rbac.Right {
		r, err := rbac.ParseRight(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, r := range []rbac.NewRole{
		{OrgID: "team", Name: "reader", Rights: []rbac.Right{read("iam.service-accounts:read")}},
		{OrgID: "team", Name: "keys", Rights: []rbac.Right{read("iam.keys:read")}},
		{OrgID: "child", Name: "local", Rights: []rbac.Right{read("iam.roles:read")}},
		// Reads accounts, keys and assignments, but not users.
		{OrgID: rootOrg, Name: "accounts-only", Rights: []rbac.Right{read("iam.service-accounts:read"), read("iam.keys:read"), read("iam.assignments:read")}},
	} {
		if _, err := f.orgs.CreateRole(ctx, sys, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.orgs.CreateGroup(ctx, sys, "team", "ops", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orgs.AddPair(ctx, sys, "team/ops", "team/keys", rbac.Scope{OrgID: "team"}); err != nil {
		t.Fatal(err)
	}
	bob := f.consoleUser(t, "bob", goodPassword, false, "")
	// bot starts in child, where child/local may be given to it; moved to
	// team, a child's role no longer holds.
	a, err := f.accts.Create(ctx, sys, accounts.NewAccount{OrgID: "child", Name: "bot", DisplayName: "The Bot",
		Description: "Sends invoices", AllowedAudiences: []string{"https://billing.example.com"}, OwnerID: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	id := f.accts.ClientIDs().Of(a)
	if err := f.accts.AssignRole(ctx, sys, id, "child/local", []rbac.Scope{{OrgID: "child"}}); err != nil {
		t.Fatal(err)
	}
	if a, err = f.accts.Move(ctx, sys, id, "team"); err != nil {
		t.Fatal(err)
	}
	id = f.accts.ClientIDs().Of(a)
	if err := f.accts.AssignRole(ctx, sys, id, "team/reader", []rbac.Scope{{OrgID: "team"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.accts.JoinGroup(ctx, sys, id, "team/ops"); err != nil {
		t.Fatal(err)
	}
	used, secret, err := f.accts.CreateKey(ctx, sys, id, accounts.NewKey{Label: "production"})
	if err != nil {
		t.Fatal(err)
	}
	unused, _, err := f.accts.CreateKey(ctx, sys, id, accounts.NewKey{Label: "spare"})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.token(t, creds{ClientID: id, KeyID: used.ID, Secret: secret}, grant()); r.Status != http.StatusOK {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return &accountWorld{f: f, clientID: id, used: used.ID, unused: unused.ID}
}

func (w *accountWorld) path() string { return "/console/accounts/" + w.clientID }

// signedIn signs in a new user of the root organization holding role on
// the whole tree.
func (w *accountWorld) signedIn(t *testing.T, name, role string) *visitor {
	t.Helper()
	w.f.consoleUser(t, name, goodPassword, false, role)
	v := w.f.visitor(t)
	v.login(t, name, goodPassword)
	return v
}

// accountKeyRow finds the row of a key in table#keys.
func accountKeyRow(t *testing.T, body []byte, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-key="` + regexp.QuoteMeta(id) + `">(.*?)</tr>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no row of key %s in %s", id, body)
	}
	return string(m[1])
}

func TestConsoleAccountDetail(t *testing.T) {
	w := newAccountWorld(t)
	v := w.signedIn(t, "alice", rbac.RoleAdmin)

	r := v.get(t, w.path())
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{
		`<code id="client-id">` + w.clientID + `</code>`, `data-copy="client-id"`,
		"The Bot", "Sends invoices", `<a href="/console/orgs/team">team</a>`,
		`<a href="/console/users/bob">bob</a>`,
		"<li><code>https://billing.example.com</code></li>", "<li><code>" + issuer + "</code> <span class=\"badge\">default</span></li>",
		`<table id="keys">`, `href="/console/keys/` + w.used + `"`, ">production<", ">spare<",
		`<table id="assignments">`,
		// The active role, the group, and the role left inactive by the
		// move, with why.
		`<th scope="row">team/reader</th>`, `<th scope="row">team/ops</th>`, `<th scope="row">child/local</th>`,
		`name="kind" value="group"`, `name="ref" value="team/ops"`, `name="org" value="team"`,
		`action="/console/accounts/` + w.clientID + `/unassign"`,
		`href="/console/accounts/` + w.clientID + `/assign" data-write`,
		`href="/console/accounts/` + w.clientID + `/keys/new" data-write`,
		`href="/console/accounts/` + w.clientID + `/edit" data-write`,
		`href="/console/accounts/` + w.clientID + `/move" data-write`,
		`action="/console/accounts/` + w.clientID + `/archive"`,
		`href="/console/accounts/` + w.clientID + `/delete" data-write`,
		// Rights with their sources.
		"<code>iam.service-accounts:read</code>", "team/reader on team",
		"<code>iam.keys:read</code>", "team/keys on team, through group team/ops",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "iam.roles:read") {
		t.Error("the inactive role's right is shown as effective")
	}
	// The reason is the rule in words, as a refused assignment says it.
	inactive := regexp.MustCompile(`(?s)<th scope="row">child/local</th>.*?inactive</span> ([^<]+)</td>`).FindStringSubmatch(body)
	if inactive == nil || !strings.Contains(html.UnescapeString(inactive[1]), "Rule 1 is not met: the role 'child/local' belongs to organization child, which is neither team") {
		t.Errorf("the inactive role has no reason: %v", inactive)
	}
	// team/keys comes through team/ops: it is left with the group, not
	// unassigned.
	if !strings.Contains(body, "through the group team/ops") {
		t.Error("the role held through a group does not say so")
	}
	if strings.Contains(body, `name="ref" value="team/keys"`) {
		t.Error("a role held through a group has an unassign form")
	}
	if !strings.Contains(body, `name="ref" value="team/reader"`) || !strings.Contains(body, `name="ref" value="child/local"`) {
		t.Error("a direct role has no unassign form")
	}

	if row := accountKeyRow(t, r.Body, w.unused); !strings.Contains(row, "never used") {
		t.Errorf("the unused key's row: %s", row)
	}
	if row := accountKeyRow(t, r.Body, w.used); strings.Contains(row, "never used") || !strings.Contains(row, "UTC") {
		t.Errorf("the used key's row: %s", row)
	}

	curl := regexp.MustCompile(`<pre id="curl">([^<]*)</pre>`).FindSubmatch(r.Body)
	if curl == nil {
		t.Fatalf("no curl example: %s", body)
	}
	want := "curl -u '" + w.clientID + ":<secret>' -d grant_type=client_credentials " + issuer + "/oauth2/token"
	if got := html.UnescapeString(string(curl[1])); got != want {
		t.Errorf("curl example %q, want %q", got, want)
	}
	if !strings.Contains(body, `data-copy="curl"`) {
		t.Error("no copy button for the curl example")
	}

	t.Run("in French", func(t *testing.T) {
		v.header.Set("Accept-Language", "fr")
		defer v.header.Del("Accept-Language")
		r := v.get(t, w.path())
		wantPage(t, r, http.StatusOK)
		if row := accountKeyRow(t, r.Body, w.unused); !strings.Contains(row, "jamais utilisée") {
			t.Errorf("the unused key's row: %s", row)
		}
		if b := string(r.Body); !strings.Contains(b, "La règle 1 n’est pas respectée") || !strings.Contains(b, "par le groupe team/ops") {
			t.Errorf("the assignments are not in French: %s", b)
		}
	})
	t.Run("the unassign form of a row works", func(t *testing.T) {
		form := url.Values{"csrf": {v.csrf(t, w.path())}, "kind": {"group"}, "ref": {"team/ops"}, "org": {"team"}}
		wantRedirect(t, v.post(t, w.path()+"/unassign", form), w.path()+"?flash=assign.removed")
		r := v.get(t, w.path()+"?flash=assign.removed")
		wantPage(t, r, http.StatusOK)
		if b := string(r.Body); strings.Contains(b, "team/ops") || strings.Contains(b, "iam.keys:read") {
			t.Errorf("the group is still shown, or its rights: %s", b)
		}
	})
	t.Run("a system account offers no change", func(t *testing.T) {
		a, err := w.f.accts.Create(context.Background(), rbac.System(initBy), accounts.NewAccount{OrgID: "team", Name: "sys", System: true})
		if err != nil {
			t.Fatal(err)
		}
		path := "/console/accounts/" + w.f.accts.ClientIDs().Of(a)
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		b := string(r.Body)
		for _, action := range []string{"/edit", "/move", "/archive", "/delete"} {
			if strings.Contains(b, path+action) {
				t.Errorf("a system account offers %s", action)
			}
		}
		if !strings.Contains(b, "system account") {
			t.Error("the page does not say it is a system account")
		}
	})
	t.Run("an archived account offers restore", func(t *testing.T) {
		if _, err := w.f.accts.Archive(context.Background(), rbac.System(initBy), w.clientID); err != nil {
			t.Fatal(err)
		}
		r := v.get(t, w.path())
		wantPage(t, r, http.StatusOK)
		if b := string(r.Body); !strings.Contains(b, `action="/console/accounts/`+w.clientID+`/restore"`) || strings.Contains(b, "/archive\"") {
			t.Errorf("no restore form, or an archive one: %s", b)
		}
	})
}

func TestConsoleAccountDetailHidesWhatTheUserMayNotSee(t *testing.T) {
	w := newAccountWorld(t)

	t.Run("a viewer sees no write control", func(t *testing.T) {
		v := w.signedIn(t, "vera", rbac.RoleViewer)
		r := v.get(t, w.path())
		wantPage(t, r, http.StatusOK)
		if c := usersWriteControls(r.Body); len(c) > 0 {
			t.Errorf("a viewer is offered %v", c)
		}
		for _, want := range []string{`<a href="/console/users/bob">bob</a>`, `<table id="keys">`, `<table id="assignments">`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("the viewer's page lacks %q", want)
			}
		}
		// Nor may it post what the page does not offer.
		form := url.Values{"csrf": {v.csrf(t, w.path())}, "kind": {"role"}, "ref": {"team/reader"}, "org": {"team"}}
		wantPage(t, v.post(t, w.path()+"/unassign", form), http.StatusForbidden)
	})
	t.Run("the owner is not named to who may not read users", func(t *testing.T) {
		v := w.signedIn(t, "carl", "accounts-only")
		r := v.get(t, w.path())
		wantPage(t, r, http.StatusOK)
		b := string(r.Body)
		if strings.Contains(b, "/console/users/bob") || strings.Contains(b, ">bob<") {
			t.Errorf("the owner is named: %s", b)
		}
		if !strings.Contains(b, "a user you may not see") || !strings.Contains(b, `<table id="keys">`) {
			t.Errorf("body %s", b)
		}
	})
	t.Run("an unknown client ID is a 404 page", func(t *testing.T) {
		v := w.signedIn(t, "alex", rbac.RoleAdmin)
		r := v.get(t, "/console/accounts/nobody@team.iam")
		wantPage(t, r, http.StatusNotFound)
		if strings.Contains(string(r.Body), `id="client-id"`) {
			t.Error("the 404 page shows an account")
		}
	})
}

func TestBrowserAccountDetail(t *testing.T) {
	t.Parallel()
	w := newAccountWorld(t)
	w.f.consoleUser(t, "alice", goodPassword, false, rbac.RoleAdmin)
	say := map[string]string{"en": "never used", "fr": "jamais utilisée"}
	inBothLanguages(t, func(t *testing.T, lang string, _ map[string]string) {
		b := newTab(t, w.f, lang)
		b.open(w.path(), "session_login")
		b.login("alice", goodPassword)
		b.do(waitPage("account_detail"))
		if got := strings.TrimSpace(b.text("#client-id")); got != w.clientID {
			t.Errorf("client ID %q, want %q", got, w.clientID)
		}
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		keys, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table#keys tr[data-key]")).map(tr => tr.dataset.key)`))
		if err != nil {
			t.Fatal(err)
		}
		// Both keys were made at the same instant of the fixture's
		// clock: their order is the store's tie-break, not the page's.
		sort.Strings(keys)
		want := []string{w.used, w.unused}
		sort.Strings(want)
		if !slices.Equal(keys, want) {
			t.Errorf("keys %v, want %v", keys, want)
		}
		if got := b.text(`tr[data-key="` + w.unused + `"] td:last-child`); !strings.Contains(got, say[lang]) {
			t.Errorf("the unused key's last use: %q", got)
		}
		if u := b.unlabelled(); len(u) > 0 {
			t.Errorf("unlabelled controls: %v", u)
		}
		if lang == "en" {
			b.screenshot("account-detail")
		} else {
			b.screenshot("account-detail-" + lang)
		}
	})
}
