package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// groupsWant fails unless the body holds each of want.
func groupsWant(t *testing.T, r *response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(r.Body), w) {
			t.Errorf("the page lacks %q; body %s", w, r.Body)
		}
	}
}

// groupsWantNot fails if the body holds one of unwanted.
func groupsWantNot(t *testing.T, r *response, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(string(r.Body), w) {
			t.Errorf("the page has %q; body %s", w, r.Body)
		}
	}
}

// writeControls finds what the end-to-end contract calls write controls:
// post forms other than the layout's, and links marked data-write.
var (
	groupsPostForm   = regexp.MustCompile(`<form method="post"[^>]*>`)
	groupsWriteLink  = regexp.MustCompile(`<a [^>]*data-write[^>]*>`)
	groupsLayoutPost = regexp.MustCompile(`action="/console/(lang|logout)"`)
)

func groupsWriteControls(r *response) []string {
	var out []string
	for _, m := range groupsPostForm.FindAll(r.Body, -1) {
		if !groupsLayoutPost.Match(m) {
			out = append(out, string(m))
		}
	}
	for _, m := range groupsWriteLink.FindAll(r.Body, -1) {
		out = append(out, string(m))
	}
	return out
}

// signedIn returns a visitor signed in as a new console user holding role
// on the whole tree, whose posts carry the session's CSRF token, and that
// token.
func groupsSignedIn(t *testing.T, f *fixture, name, role string) (*visitor, string) {
	t.Helper()
	f.consoleUser(t, name, goodPassword, false, role)
	v := f.visitor(t)
	v.login(t, name, goodPassword)
	return v, v.csrf(t, "/console/")
}

func TestConsoleGroups(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	sync := f.createAccount(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	v, token := groupsSignedIn(t, f, "alice", rbac.RoleAdmin)
	page := "/console/groups/acme/finance"

	t.Run("the new-group form offers the organizations", func(t *testing.T) {
		r := v.get(t, "/console/groups/new?org=billing")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `<option value="billing" selected>`, `name="name"`, `<label for="name">`)
	})
	t.Run("a bad name shows the form again with the domain's message", func(t *testing.T) {
		r := v.post(t, "/console/groups", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"Bad Name"}, "description": {"kept"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `class="error" role="alert"`, "group name", ">kept</textarea>")
	})
	t.Run("a group is created", func(t *testing.T) {
		r := v.post(t, "/console/groups", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"finance"}, "description": {"Finance"}})
		wantRedirect(t, r, page+"?flash=groups.created")
		r = v.get(t, page+"?flash=groups.created")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, "The group has been created.", `<span id="group-ref">acme/finance</span>`, `id="no-pairs"`, `id="no-members"`)
	})
	t.Run("a taken name is refused with 422", func(t *testing.T) {
		r := v.post(t, "/console/groups", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"finance"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, "already exists")
	})
	t.Run("the list shows it with its pair count", func(t *testing.T) {
		r := v.get(t, "/console/groups?org=acme")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `<tr data-group="acme/finance">`, `href="/console/groups/acme/finance"`, "Finance", `href="/console/groups/new?org=acme" data-write`)
	})
	t.Run("the description changes", func(t *testing.T) {
		r := v.get(t, page+"/edit")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `action="/console/groups/acme/finance"`, ">Finance</textarea>")
		wantRedirect(t, v.post(t, page, url.Values{"csrf": {token}, "description": {"Finance team"}}), page+"?flash=groups.updated")
		groupsWant(t, v.get(t, page), `<dd id="group-description">Finance team</dd>`)
	})
	t.Run("a role on a subtree is added", func(t *testing.T) {
		r := v.get(t, page)
		groupsWant(t, r, `<option value="acme/viewer">`, `<option value="billing">`, `id="pair-subtree"`)
		groupsWantNot(t, r, `value="acme/system-admin"`)
		r = v.post(t, page+"/pairs", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {"billing"}, "subtree": {"1"}})
		wantRedirect(t, r, page+"?flash=groups.pairadded")
		r = v.get(t, page)
		groupsWant(t, r, `<tr data-pair="acme/viewer@billing">`, "and its descendants")
		groupsWant(t, v.get(t, "/console/groups"), `<td>1</td>`)
	})
	t.Run("the same pair again is refused in the page's words", func(t *testing.T) {
		r := v.post(t, page+"/pairs", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {"billing"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `<p class="error" role="alert" id="pair-error">The group already gives acme/viewer on billing.</p>`)
	})
	t.Run("a pair without an organization is refused with 422", func(t *testing.T) {
		r := v.post(t, page+"/pairs", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {""}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `id="pair-error"`, "organization")
	})
	t.Run("a pair the assignment rules refuse shows the rule", func(t *testing.T) {
		wantRedirect(t, v.post(t, "/console/groups", url.Values{"csrf": {token}, "org": {"billing"}, "name": {"local"}}), "/console/groups/billing/local?flash=groups.created")
		r := v.post(t, "/console/groups/billing/local/pairs", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {"sales"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `role="alert" id="pair-error">Rule 2 is not met: sales is neither billing, the organization of the subject,`)
		// Not the domain's English.
		groupsWantNot(t, r, "rule 2:")
		// The form keeps what was picked.
		groupsWant(t, r, `<option value="sales" selected>`, `<option value="acme/viewer" selected>`)
	})
	t.Run("members are shown: accounts and users, each linking to its page", func(t *testing.T) {
		f.assign(t, admin, sync.ClientID, web.AssignRequest{Group: "acme/finance"})
		f.consoleUser(t, "bob", goodPassword, false, "")
		if err := f.users.JoinGroup(context.Background(), rbac.System(initBy), "bob", "acme/finance"); err != nil {
			t.Fatal(err)
		}
		r := v.get(t, page)
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `<tr data-member="account:`+sync.ClientID+`">`, `href="/console/accounts/`+url.PathEscape(sync.ClientID)+`"`,
			`<tr data-member="user:bob">`, `href="/console/users/bob"`, "Test bob")
		groupsWantNot(t, r, `id="no-members"`)
	})
	t.Run("an admin sees the write controls a viewer must not", func(t *testing.T) {
		// Edit, add pair, remove pair, delete: what the viewer test
		// counts, so that it cannot pass for want of finding them.
		if c := groupsWriteControls(v.get(t, page)); len(c) != 4 {
			t.Errorf("write controls %q, want 4", c)
		}
	})
	t.Run("a pair is removed", func(t *testing.T) {
		r := v.post(t, page+"/pairs/remove", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {"billing"}})
		wantRedirect(t, r, page+"?flash=groups.pairremoved")
		r = v.get(t, page)
		groupsWantNot(t, r, `data-pair="acme/viewer@billing"`)
		groupsWant(t, r, `id="no-pairs"`)
		// Removing it again: there is nothing there.
		wantPage(t, v.post(t, page+"/pairs/remove", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {"billing"}}), http.StatusNotFound)
	})
	t.Run("delete asks for the name, which the server checks", func(t *testing.T) {
		r := v.get(t, page)
		groupsWant(t, r, `data-confirm="finance"`, `data-confirm-input`)
		r = v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"financ"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `id="delete-error"`, "Type the group&#39;s name, finance, to delete it.")
		wantPage(t, v.get(t, page), http.StatusOK)
		wantRedirect(t, v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"finance"}}), "/console/groups?flash=groups.deleted")
		wantPage(t, v.get(t, page), http.StatusNotFound)
		groupsWant(t, v.get(t, "/console/groups?flash=groups.deleted"), "The group has been deleted.")
	})
	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		r := v.post(t, "/console/groups", url.Values{"org": {rootOrg}, "name": {"nocsrf"}})
		wantPage(t, r, http.StatusForbidden)
		wantPage(t, v.get(t, "/console/groups/acme/nocsrf"), http.StatusNotFound)
	})
	t.Run("in French", func(t *testing.T) {
		v.header.Set("Accept-Language", "fr")
		defer v.header.Del("Accept-Language")
		r := v.get(t, "/console/groups/billing/local")
		groupsWant(t, r, "Rôles qu’il donne", "Ajouter un rôle", "Supprimer le groupe")
	})
}

func TestConsoleGroupsPages(t *testing.T) {
	f := newFixture(t)
	ctx, sys := context.Background(), rbac.System(initBy)
	// One more than a page: g000 to g100.
	for i := range 101 {
		if _, err := f.orgs.CreateGroup(ctx, sys, rootOrg, fmt.Sprintf("g%03d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := groupsSignedIn(t, f, "alice", rbac.RoleViewer)
	r := v.get(t, "/console/groups")
	wantPage(t, r, http.StatusOK)
	groupsWant(t, r, `data-group="acme/g000"`, `data-group="acme/g099"`, `href="/console/groups?after=acme%2Fg099" rel="next"`)
	groupsWantNot(t, r, `data-group="acme/g100"`)
	r = v.get(t, "/console/groups?after=acme%2Fg099")
	wantPage(t, r, http.StatusOK)
	groupsWant(t, r, `data-group="acme/g100"`, `href="/console/groups">`)
	groupsWantNot(t, r, `data-group="acme/g099"`, `rel="next"`)
}

func TestConsoleGroupsShowsTheFirstMembers(t *testing.T) {
	f := newFixture(t, withQuietLog(nil))
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	if r := f.call(t, http.MethodPost, "/api/v1/groups", admin, web.CreateGroupRequest{Org: rootOrg, Name: "crowd"}); r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	for i := range 101 {
		a := f.createAccount(t, admin, web.CreateAccountRequest{ID: fmt.Sprintf("m%03d", i), Org: "billing"})
		f.assign(t, admin, a.ClientID, web.AssignRequest{Group: "acme/crowd"})
	}
	v, _ := groupsSignedIn(t, f, "alice", rbac.RoleViewer)
	r := v.get(t, "/console/groups/acme/crowd")
	wantPage(t, r, http.StatusOK)
	groupsWant(t, r, `id="members-more"`, "The first 100 of 101 members", `data-member="account:m000@billing.iam"`, `data-member="account:m099@billing.iam"`)
	groupsWantNot(t, r, `data-member="account:m100@billing.iam"`)
}

func TestConsoleGroupsViewer(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	if r := f.call(t, http.MethodPost, "/api/v1/groups", admin, web.CreateGroupRequest{Org: rootOrg, Name: "finance", Description: "Finance"}); r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	if r := f.call(t, http.MethodPost, "/api/v1/groups/acme/finance/roles", admin, web.GroupRole{Role: "acme/viewer", On: "billing"}); r.Status != http.StatusOK {
		t.Fatalf("add pair: %d %s", r.Status, r.Body)
	}
	v, token := groupsSignedIn(t, f, "vera", rbac.RoleViewer)
	page := "/console/groups/acme/finance"

	t.Run("a viewer sees the groups and no write control", func(t *testing.T) {
		for _, path := range []string{"/console/groups", page} {
			r := v.get(t, path)
			wantPage(t, r, http.StatusOK)
			if c := groupsWriteControls(r); len(c) > 0 {
				t.Errorf("%s: write controls %q", path, c)
			}
		}
		groupsWant(t, v.get(t, page), `<tr data-pair="acme/viewer@billing">`, "Finance")
	})
	t.Run("the write forms are refused to a viewer", func(t *testing.T) {
		wantPage(t, v.get(t, "/console/groups/new"), http.StatusForbidden)
		wantPage(t, v.get(t, page+"/edit"), http.StatusForbidden)
	})
	t.Run("forged posts by a viewer are refused", func(t *testing.T) {
		for path, form := range map[string]url.Values{
			"/console/groups":      {"org": {rootOrg}, "name": {"forged"}},
			page:                   {"description": {"forged"}},
			page + "/pairs":        {"role": {"acme/viewer"}, "on": {rootOrg}},
			page + "/pairs/remove": {"role": {"acme/viewer"}, "on": {"billing"}},
			page + "/delete":       {"confirm": {"finance"}},
		} {
			form.Set("csrf", token)
			if r := v.post(t, path, form); r.Status != http.StatusForbidden {
				t.Errorf("POST %s: status %d, want 403", path, r.Status)
			}
		}
		// The add-pair form says which right is missing, on the page.
		r := v.post(t, page+"/pairs", url.Values{"csrf": {token}, "role": {"acme/viewer"}, "on": {rootOrg}})
		wantPage(t, r, http.StatusForbidden)
		groupsWant(t, r, `role="alert" id="pair-error">You do not hold the right iam.groups:write on organization acme`)
		// A wrong confirmation tells a viewer nothing either.
		wantPage(t, v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"x"}}), http.StatusForbidden)
		r = v.get(t, page)
		groupsWant(t, r, `<tr data-pair="acme/viewer@billing">`, "Finance")
		groupsWantNot(t, r, "forged")
	})
}

// groupsSay is what the group pages say, as the browser test reads it.
var groupsSay = map[string]map[string]string{
	"en": {"created": "The group has been created.", "added": "The role has been added to the group.", "pairs": "Roles it gives", "permissions": "Permissions"},
	"fr": {"created": "Le groupe a été créé.", "added": "Le rôle a été ajouté au groupe.", "pairs": "Rôles qu’il donne", "permissions": "Permissions"},
}

func TestBrowserGroupCreateAndAddPair(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createOrg(t, f.adminToken(t), "billing")
	inBothLanguages(t, func(t *testing.T, lang string, _ map[string]string) {
		say := groupsSay[lang]
		name := "groups-" + lang
		f.consoleUser(t, name, goodPassword, false, rbac.RoleAdmin)
		b := newTab(t, f, lang)
		b.open("/console/groups", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("groups_list"))
		b.do(chromedp.Click(chromedp.CSS(`a[href^="/console/groups/new"]`)), waitPage("groups_form"))
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("new group: controls without a label: %v", ids)
		}
		group := "team-" + lang
		b.do(
			chromedp.SetValue(chromedp.CSS("#org"), "billing"),
			chromedp.SetValue(chromedp.CSS("#name"), group),
			chromedp.SetValue(chromedp.CSS("#description"), "Team "+lang),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			waitPage("groups_detail"),
		)
		if got := b.text(".flash"); got != say["created"] {
			t.Errorf("flash %q, want %q", got, say["created"])
		}
		if got := b.text("#group-ref"); got != "billing/"+group {
			t.Errorf("group %q", got)
		}
		if got := b.text("#pairs-heading"); got != say["pairs"] {
			t.Errorf("pairs heading %q", got)
		}
		b.do(
			chromedp.SetValue(chromedp.CSS("#pair-role"), "acme/viewer"),
			chromedp.SetValue(chromedp.CSS("#pair-on"), "billing"),
			chromedp.Click(chromedp.CSS("#pair-subtree")),
			chromedp.Click(chromedp.CSS(`#add-pair button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-pair="acme/viewer@billing"]`)),
		)
		if got := b.text(".flash"); got != say["added"] {
			t.Errorf("flash %q, want %q", got, say["added"])
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("group detail: controls without a label: %v", ids)
		}
		// The delete button waits for the typed name.
		disabled, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector("form[data-confirm] button[type=submit]").disabled`))
		if err != nil || !disabled {
			t.Errorf("the delete button is enabled before the name is typed (%v)", err)
		}
		shot := func(name string) {
			if lang != "en" {
				name += "-" + lang
			}
			b.screenshot(name)
		}
		shot("group-detail")

		b.open("/console/permissions", "permissions_list")
		if got := b.text("h1"); got != say["permissions"] {
			t.Errorf("permissions heading %q", got)
		}
		shot("permissions")

		// Nothing overflows a 360-pixel screen.
		b.do(chromedp.EmulateViewport(360, 740))
		b.open("/console/groups/billing/"+group, "groups_detail")
		fits, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
		if err != nil || !fits {
			wide, _ := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + "#" + e.id + "." + e.className)`))
			t.Errorf("the group page is wider than 360 pixels (%v): %v", err, wide)
		}
	})
}

// A group's page lists the members the reader may read, users and
// accounts each by the right on their own organization, and counts the
// others.
func TestConsoleGroupsHidesMembersTheReaderMayNotRead(t *testing.T) {
	f := newFixture(t)
	ctx, sys := context.Background(), rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "billing", "Billing", rootOrg); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orgs.CreateGroup(ctx, sys, rootOrg, "team", ""); err != nil {
		t.Fatal(err)
	}
	for _, in := range []accounts.NewAccount{{OrgID: rootOrg, Name: "root-bot"}, {OrgID: "billing", Name: "bill-bot"}} {
		a, err := f.accts.Create(ctx, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.accts.JoinGroup(ctx, sys, f.accts.ClientIDs().Of(a), rootOrg+"/team"); err != nil {
			t.Fatal(err)
		}
	}
	f.consoleUser(t, "bob", goodPassword, false, "")
	if _, _, err := f.users.Create(ctx, sys, users.NewUser{OrgID: "billing", Name: "billy"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "billy"} {
		if err := f.users.JoinGroup(ctx, sys, name, rootOrg+"/team"); err != nil {
			t.Fatal(err)
		}
	}
	// vic views the root organization alone, not billing below it.
	f.consoleUser(t, "vic", goodPassword, false, "")
	if err := f.users.AssignRole(ctx, sys, "vic", rootOrg+"/"+rbac.RoleViewer, []rbac.Scope{{OrgID: rootOrg}}); err != nil {
		t.Fatal(err)
	}
	vic := f.visitor(t)
	vic.login(t, "vic", goodPassword)
	rootBot, billBot := f.accts.ClientIDs().Format(rootOrg, "root-bot"), f.accts.ClientIDs().Format("billing", "bill-bot")
	page := "/console/groups/acme/team"

	r := vic.get(t, page)
	wantPage(t, r, http.StatusOK)
	groupsWant(t, r, `<tr data-member="account:`+rootBot+`">`, `<tr data-member="user:bob">`,
		`<p class="hint" id="members-hidden">Members you may not see: 2.</p>`)
	groupsWantNot(t, r, billBot, "billy", `id="no-members"`)
	// The path is percent-decoded, as on every other page.
	wantPage(t, vic.get(t, "/console/groups/%61cme/te%61m"), http.StatusOK)

	admin, _ := groupsSignedIn(t, f, "alice", rbac.RoleAdmin)
	r = admin.get(t, page)
	groupsWant(t, r, `<tr data-member="account:`+rootBot+`">`, `<tr data-member="account:`+billBot+`">`,
		`<tr data-member="user:bob">`, `<tr data-member="user:billy">`)
	groupsWantNot(t, r, `id="members-hidden"`)
}
