package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

// orgsWorld has organizations acme > sales > emea and acme > ops, alice
// (admin) and vera (viewer).
func orgsWorld(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	for _, o := range [][3]string{{"sales", "Sales", rootOrg}, {"emea", "Sales EMEA", "sales"}, {"ops", "Operations", rootOrg}} {
		if _, err := f.orgs.CreateOrg(ctx, sys, o[0], o[1], o[2]); err != nil {
			t.Fatal(err)
		}
	}
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	f.consoleUser(t, "vera", goodPassword, false, "viewer")
	return f
}

func getOrg(t *testing.T, f *fixture, id string) (rbac.Org, error) {
	t.Helper()
	return f.orgs.GetOrg(context.Background(), rbac.System(initBy), id)
}

func TestConsoleOrgsTree(t *testing.T) {
	f := orgsWorld(t)
	v := signIn(t, f, "alice", "en")
	r := v.get(t, "/console/orgs")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	// Nested in tree order: emea inside sales, ops after sales.
	tree := regexp.MustCompile(`(?s)<li data-org="acme"><a href="/console/orgs/acme">[^<]*</a> <code>acme</code>\s*<ul>\s*` +
		`<li data-org="ops"><a href="/console/orgs/ops">Operations</a> <code>ops</code>\s*</li>\s*` +
		`<li data-org="sales"><a href="/console/orgs/sales">Sales</a> <code>sales</code>\s*<ul>\s*` +
		`<li data-org="emea"><a href="/console/orgs/emea">Sales EMEA</a> <code>emea</code>\s*</li>\s*</ul>\s*</li>\s*</ul>\s*</li>`)
	if !tree.MatchString(body) {
		t.Errorf("the tree is not nested as the organizations are: %s", body)
	}
	if !strings.Contains(body, `<a class="button primary" href="/console/orgs/new" data-write>New organization</a>`) {
		t.Error("no New organization link for an admin")
	}

	// In French, and for a viewer without the link.
	v = signIn(t, f, "vera", "fr")
	r = v.get(t, "/console/orgs")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), "<h1>Organisations</h1>") || !tree.Match(r.Body) {
		t.Errorf("the viewer's tree: %s", r.Body)
	}
	if c := writeControls(r.Body); len(c) > 0 {
		t.Errorf("write controls for a viewer: %v", c)
	}
}

func TestConsoleOrgsCreateRenameDelete(t *testing.T) {
	f := orgsWorld(t)
	v := signIn(t, f, "alice", "en")

	r := v.get(t, "/console/orgs/new?parent=sales")
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{`<option value="sales" selected>`, `name="id"`, `name="name"`, `name="parent"`, `<label for="org-id">`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	csrf := v.csrf(t, "/console/orgs/new")
	r = v.post(t, "/console/orgs", url.Values{"csrf": {csrf}, "id": {"apac"}, "name": {"Sales APAC"}, "parent": {"sales"}})
	wantRedirect(t, r, "/console/orgs/apac?flash=orgs.created")
	o, err := getOrg(t, f, "apac")
	if err != nil || o.Name != "Sales APAC" || o.ParentID != "sales" {
		t.Fatalf("created %+v, %v", o, err)
	}

	r = v.get(t, "/console/orgs/apac?flash=orgs.created")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{"The organization has been created.", `<dd id="org-name">Sales APAC</dd>`, `<code id="org-id">apac</code>`,
		`<a href="/console/orgs/sales">sales</a>`, `href="/console/accounts?org=apac"`, `href="/console/accounts/new?org=apac" data-write`,
		`href="/console/orgs/apac/edit" data-write`, `data-confirm="apac"`, "<dd>user:alice</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the detail page lacks %s", want)
		}
	}
	// The parent lists its children.
	r = v.get(t, "/console/orgs/sales")
	if !strings.Contains(string(r.Body), `<li data-org="apac"><a href="/console/orgs/apac">Sales APAC</a>`) || !strings.Contains(string(r.Body), `data-org="emea"`) {
		t.Errorf("the parent does not list its children: %s", r.Body)
	}

	// Bad input re-renders the form with the message and what was typed.
	r = v.post(t, "/console/orgs", url.Values{"csrf": {csrf}, "id": {"Bad ID"}, "name": {"Kept"}, "parent": {"sales"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	for _, want := range []string{`role="alert"`, rbac.IDRule, `value="Kept"`, `<option value="sales" selected>`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the refused form lacks %s: %s", want, r.Body)
		}
	}
	r = v.post(t, "/console/orgs", url.Values{"csrf": {csrf}, "id": {"apac"}, "parent": {"ops"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "already exists") {
		t.Errorf("no conflict message: %s", r.Body)
	}

	// Renamed.
	r = v.get(t, "/console/orgs/apac/edit")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `value="Sales APAC"`) {
		t.Error("the rename form does not show the name")
	}
	r = v.post(t, "/console/orgs/apac", url.Values{"csrf": {csrf}, "name": {"Asia-Pacific"}})
	wantRedirect(t, r, "/console/orgs/apac?flash=orgs.renamed")
	if o, _ := getOrg(t, f, "apac"); o.Name != "Asia-Pacific" {
		t.Errorf("renamed to %q", o.Name)
	}
	r = v.post(t, "/console/orgs/apac", url.Values{"csrf": {csrf}, "name": {""}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), `role="alert"`) {
		t.Errorf("no message for an empty name: %s", r.Body)
	}
	if o, _ := getOrg(t, f, "apac"); o.Name != "Asia-Pacific" {
		t.Errorf("a refused rename changed the name to %q", o.Name)
	}

	// Deleting needs the ID typed, checked by the server.
	r = v.post(t, "/console/orgs/apac/delete", url.Values{"csrf": {csrf}, "confirm": {"apa"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "The ID typed is not apac") {
		t.Errorf("no mismatch message: %s", r.Body)
	}
	if _, err := getOrg(t, f, "apac"); err != nil {
		t.Fatalf("deleted on a wrong confirmation: %v", err)
	}
	// An organization that is not empty is refused with a message.
	if _, err := f.accts.Create(context.Background(), rbac.System(initBy), accounts.NewAccount{OrgID: "emea", Name: "bot"}); err != nil {
		t.Fatal(err)
	}
	r = v.post(t, "/console/orgs/emea/delete", url.Values{"csrf": {csrf}, "confirm": {"emea"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "Organization emea is not empty") {
		t.Errorf("no refusal message: %s", r.Body)
	}
	r = v.post(t, "/console/orgs/apac/delete", url.Values{"csrf": {csrf}, "confirm": {"apac"}})
	wantRedirect(t, r, "/console/orgs?flash=orgs.deleted")
	if _, err := getOrg(t, f, "apac"); err == nil {
		t.Error("the organization is still there")
	}
	r = v.get(t, "/console/orgs?flash=orgs.deleted")
	if !strings.Contains(string(r.Body), "The organization has been deleted.") || strings.Contains(string(r.Body), `data-org="apac"`) {
		t.Errorf("the list after deletion: %s", r.Body)
	}
	wantPage(t, v.get(t, "/console/orgs/apac"), http.StatusNotFound)
	// The root has no delete control.
	r = v.get(t, "/console/orgs/"+rootOrg)
	wantPage(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), "/delete") {
		t.Error("the root organization offers deletion")
	}
}

func TestConsoleOrgsRefuseAViewer(t *testing.T) {
	f := orgsWorld(t)
	v := signIn(t, f, "vera", "en")
	for _, path := range []string{"/console/orgs", "/console/orgs/sales", "/console/orgs/" + rootOrg} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if c := writeControls(r.Body); len(c) > 0 {
			t.Errorf("%s: write controls for a viewer: %v", path, c)
		}
	}
	if !strings.Contains(string(v.get(t, "/console/orgs/sales").Body), `href="/console/accounts?org=sales"`) {
		t.Error("the viewer has no link to the organization's accounts")
	}
	wantPage(t, v.get(t, "/console/orgs/new"), http.StatusForbidden)
	wantPage(t, v.get(t, "/console/orgs/sales/edit"), http.StatusForbidden)
	csrf := v.csrf(t, "/console/")
	wantPage(t, v.post(t, "/console/orgs", url.Values{"csrf": {csrf}, "id": {"mine"}, "parent": {"sales"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/orgs/sales", url.Values{"csrf": {csrf}, "name": {"Mine"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/orgs/ops/delete", url.Values{"csrf": {csrf}, "confirm": {"ops"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/orgs/ops/delete", url.Values{"csrf": {csrf}, "confirm": {"x"}}), http.StatusForbidden)
	if _, err := getOrg(t, f, "mine"); err == nil {
		t.Error("the viewer created an organization")
	}
	if o, _ := getOrg(t, f, "sales"); o.Name != "Sales" {
		t.Errorf("the viewer renamed sales to %q", o.Name)
	}
	if _, err := getOrg(t, f, "ops"); err != nil {
		t.Error("the viewer deleted ops")
	}

	// Without the csrf field, even an admin is refused.
	a := signIn(t, f, "alice", "en")
	wantPage(t, a.post(t, "/console/orgs", url.Values{"id": {"nocsrf"}, "parent": {"sales"}}), http.StatusForbidden)
	wantPage(t, a.post(t, "/console/orgs/sales", url.Values{"name": {"No csrf"}}), http.StatusForbidden)
	wantPage(t, a.post(t, "/console/orgs/ops/delete", url.Values{"confirm": {"ops"}}), http.StatusForbidden)
	if _, err := getOrg(t, f, "nocsrf"); err == nil {
		t.Error("created without csrf")
	}
	if _, err := getOrg(t, f, "ops"); err != nil {
		t.Error("deleted without csrf")
	}
}

func TestBrowserOrgsCreateInTheTree(t *testing.T) {
	t.Parallel()
	f := orgsWorld(t)
	say := map[string]map[string]string{
		"en": {"tree": "Organizations", "new": "New organization", "created": "The organization has been created."},
		"fr": {"tree": "Organisations", "new": "Nouvelle organisation", "created": "L’organisation a été créée."},
	}
	inBothLanguages(t, func(t *testing.T, lang string, words map[string]string) {
		name := "orgs-" + lang
		f.consoleUser(t, name, goodPassword, false, "admin")
		// A key expiring soon, for the dashboard's screenshot.
		ctx := context.Background()
		sys := rbac.System(initBy)
		a, err := f.accts.Create(ctx, sys, accounts.NewAccount{OrgID: "ops", Name: "deploy-" + lang})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.accts.CreateKey(ctx, sys, f.accts.ClientIDs().Of(a), accounts.NewKey{Label: "ci", ExpiresAt: f.clock.Now().AddDate(0, 0, 12)}); err != nil {
			t.Fatal(err)
		}

		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("dashboard_index"))
		if got := b.text("h1"); got != words["dashboard"] {
			t.Errorf("dashboard heading %q", got)
		}
		if got := b.text("#expiring-keys"); !strings.Contains(got, "deploy-"+lang+"@ops") {
			t.Errorf("the expiring keys %q lack the key created", got)
		}
		b.screenshot(map[string]string{"en": "dashboard", "fr": "dashboard-fr"}[lang])

		b.open("/console/orgs", "orgs_list")
		if got := b.text("h1"); got != say[lang]["tree"] {
			t.Errorf("tree heading %q", got)
		}
		b.do(chromedp.Click(chromedp.CSS(`a[href="/console/orgs/new"]`)), waitPage("orgs_form"))
		if got := b.text("h1"); got != say[lang]["new"] {
			t.Errorf("form heading %q", got)
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		id := "north-" + lang
		b.do(
			chromedp.SetValue(chromedp.CSS("#org-parent"), "sales"),
			chromedp.SetValue(chromedp.CSS("#org-id"), id),
			chromedp.SetValue(chromedp.CSS("#org-name"), "North "+lang),
			chromedp.Click(chromedp.CSS(`#org-form button[type="submit"]`)),
			waitPage("orgs_detail"),
		)
		if got := b.text(".flash"); !strings.Contains(got, say[lang]["created"]) {
			t.Errorf("flash %q", got)
		}
		if got := b.text("#org-id"); got != id {
			t.Errorf("detail of %q", got)
		}
		b.open("/console/orgs", "orgs_list")
		if got := b.text(`#orgs-tree li[data-org="sales"] li[data-org="` + id + `"]`); !strings.Contains(got, "North "+lang) {
			t.Errorf("the new organization in the tree under sales: %q", got)
		}
		b.screenshot(map[string]string{"en": "orgs-tree", "fr": "orgs-tree-fr"}[lang])
	})
}

func TestConsoleOrgsTreeOfASubtree(t *testing.T) {
	f := orgsWorld(t)
	f.consoleUser(t, "sam", goodPassword, false, "")
	if err := f.users.AssignRole(context.Background(), rbac.System(initBy), "sam", rootOrg+"/viewer", []rbac.Scope{{OrgID: "sales", Subtree: true}}); err != nil {
		t.Fatal(err)
	}
	v := signIn(t, f, "sam", "en")
	r := v.get(t, "/console/orgs")
	wantPage(t, r, http.StatusOK)
	// sales, whose parent sam may not read, is at the top, emea under it.
	tree := regexp.MustCompile(`(?s)<ul class="orgs-tree" id="orgs-tree">\s*<li data-org="sales"><a href="/console/orgs/sales">Sales</a> <code>sales</code>\s*<ul>\s*` +
		`<li data-org="emea">.*?</li>\s*</ul>\s*</li></ul>`)
	if !tree.Match(r.Body) {
		t.Errorf("the subtree: %s", r.Body)
	}
	for _, hidden := range []string{`data-org="acme"`, `data-org="ops"`} {
		if strings.Contains(string(r.Body), hidden) {
			t.Errorf("sam sees %s", hidden)
		}
	}
	wantPage(t, v.get(t, "/console/orgs/ops"), http.StatusForbidden)
	r = v.get(t, "/console/orgs/sales")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `<a href="/console/orgs/acme">acme</a>`) {
		t.Error("the parent is not shown")
	}
}
