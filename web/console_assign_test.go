package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/web"
)

// assignWorld is seed 003's example tree: the account bot of
// Organisation Parent (parent), its children childa and childb, a
// sibling other, and a role for each rule to break.
type assignWorld struct {
	f        *fixture
	token    string
	clientID string
}

func newAssignWorld(t *testing.T) *assignWorld {
	t.Helper()
	f := newFixture(t)
	token := f.adminToken(t)
	for _, o := range []web.CreateOrgRequest{{ID: "parent"}, {ID: "childa", Parent: "parent"}, {ID: "childb", Parent: "parent"}, {ID: "other"}} {
		if r := f.call(t, http.MethodPost, "/api/v1/orgs", token, o); r.Status != http.StatusCreated {
			t.Fatalf("create org %s: %d %s", o.ID, r.Status, r.Body)
		}
	}
	f.createPermission(t, token, "billing.invoices")
	// Rule 1: a role of a child of the account's organization.
	f.createRole(t, token, web.CreateRoleRequest{Org: "childa", Name: "child-role", Rights: []string{"billing.invoices:read"}})
	// Rule 3: a role of parent whose perimeter is parent and childa,
	// not their children.
	f.createRole(t, token, web.CreateRoleRequest{Org: "parent", Name: "narrow", Rights: []string{"billing.invoices:read"}, Perimeter: []string{"parent", "childa"}})
	acc := f.createAccount(t, token, web.CreateAccountRequest{ID: "bot", Org: "parent"})
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	// alice holds the billing right too: nobody grants what they do not
	// hold.
	f.createRole(t, token, web.CreateRoleRequest{Org: rootOrg, Name: "billing", Rights: []string{"billing.invoices:read"}})
	if r := f.call(t, http.MethodPost, "/api/v1/users/alice/assignments", token, web.AssignRequest{Role: rootOrg + "/billing", On: []string{rootOrg + "/*"}}); r.Status != http.StatusNoContent {
		t.Fatalf("assign alice: %d %s", r.Status, r.Body)
	}
	f.consoleUser(t, "vera", goodPassword, false, "viewer")
	return &assignWorld{f: f, token: token, clientID: acc.ClientID}
}

// signedIn returns a visitor signed in as name, asking for pages in lang.
func (w *assignWorld) signedIn(t *testing.T, name, lang string) *visitor {
	t.Helper()
	v := w.f.visitor(t)
	v.header.Set("Accept-Language", lang)
	v.login(t, name, goodPassword)
	return v
}

func (w *assignWorld) assignPath() string {
	return "/console/accounts/" + url.PathEscape(w.clientID) + "/assign"
}

// assignRole posts the role form.
func (w *assignWorld) assignRole(t *testing.T, v *visitor, role string, subtree bool, on ...string) *response {
	t.Helper()
	form := url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "role": {role}, "on": on}
	if subtree {
		form.Set("subtree", "1")
	}
	return v.post(t, w.assignPath(), form)
}

var alertText = regexp.MustCompile(`(?s)<p class="error" role="alert"[^>]*>(.*?)</p>`)

// alert returns the text of the page's .error[role=alert], unescaped.
func alert(t *testing.T, r *response) string {
	t.Helper()
	m := alertText.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no alert; status %d, body %s", r.Status, r.Body)
	}
	return html.UnescapeString(string(m[1]))
}

// group creates the group org/name giving role on on.
func (w *assignWorld) group(t *testing.T, org, name, role, on string) {
	t.Helper()
	if r := w.f.call(t, http.MethodPost, "/api/v1/groups", w.token, web.CreateGroupRequest{Org: org, Name: name}); r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	if r := w.f.call(t, http.MethodPost, "/api/v1/groups/"+org+"/"+name+"/roles", w.token, web.GroupRole{Role: role, On: on}); r.Status/100 != 2 {
		t.Fatalf("add %s on %s to group: %d %s", role, on, r.Status, r.Body)
	}
}

func TestConsoleAssignRoleToAnAccount(t *testing.T) {
	w := newAssignWorld(t)
	v := w.signedIn(t, "alice", "en")
	r := v.get(t, w.assignPath())
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{`value="parent/narrow"`, `value="childa/child-role"`, `<option value="childa"`, `name="subtree"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if strings.Contains(string(r.Body), "system-admin") {
		t.Error("the bootstrap role is offered")
	}
	wantRedirect(t, w.assignRole(t, v, "parent/narrow", false, "childa"), "/console/accounts/"+url.PathEscape(w.clientID)+"?flash=assign.done")
	if got := w.f.rightsOf(t, w.token, w.clientID).Roles; len(got) != 1 || got[0] != "parent/narrow@childa" {
		t.Errorf("roles %v", got)
	}
	// The form lists it, with a control to remove it.
	r = v.get(t, w.assignPath())
	if !strings.Contains(string(r.Body), `data-assignment="role:parent/narrow@childa"`) {
		t.Errorf("the current assignments lack the new one: %s", r.Body)
	}
	// A form without an organization says so.
	r = w.assignRole(t, v, "parent/narrow", false)
	wantPage(t, r, http.StatusUnprocessableEntity)
	if got := alert(t, r); got != "Choose at least one organization to assign the role on." {
		t.Errorf("alert %q", got)
	}
	// Twice is refused with the form.
	r = w.assignRole(t, v, "parent/narrow", false, "childa")
	wantPage(t, r, http.StatusUnprocessableEntity)
	if got := alert(t, r); !strings.Contains(got, "already holds parent/narrow") {
		t.Errorf("alert %q", got)
	}
}

func TestConsoleAssignExplainsEachRule(t *testing.T) {
	w := newAssignWorld(t)
	cases := []struct {
		rule     string
		role, on string
		say      map[string]string
	}{
		{"1", "childa/child-role", "childa", map[string]string{
			"en": "Rule 1 is not met: the role 'childa/child-role' belongs to organization childa, which is neither parent, the organization of the subject, nor one of its parents.",
			"fr": "La règle 1 n’est pas respectée : le rôle « childa/child-role » provient de l’organisation childa, qui n’est ni parent, l’organisation du sujet, ni l’une de ses organisations parentes.",
		}},
		{"2", "acme/viewer", "other", map[string]string{
			"en": "Rule 2 is not met: other is neither parent, the organization of the subject, nor one of the organizations below it.",
			"fr": "La règle 2 n’est pas respectée : other n’est ni parent, l’organisation du sujet, ni l’une de ses organisations enfants.",
		}},
		{"3", "parent/narrow", "childb", map[string]string{
			"en": "Rule 3 is not met: the role 'parent/narrow' of organization parent may only be assigned on organizations within its perimeter (childa, parent): childb is outside it.",
			"fr": "La règle 3 n’est pas respectée : le rôle « parent/narrow » de l’organisation parent ne peut être attribué que sur les organisations de son périmètre (childa, parent) : childb en est hors.",
		}},
	}
	for _, lang := range []string{"en", "fr"} {
		v := w.signedIn(t, "alice", lang)
		for _, c := range cases {
			t.Run("rule "+c.rule+" in "+lang, func(t *testing.T) {
				r := w.assignRole(t, v, c.role, false, c.on)
				wantPage(t, r, http.StatusUnprocessableEntity)
				if got := alert(t, r); !strings.HasPrefix(got, c.say[lang]) {
					t.Errorf("alert %q, want it to start with %q", got, c.say[lang])
				}
				// The form comes back with the choice made.
				if !strings.Contains(string(r.Body), `<option value="`+c.role+`" selected>`) {
					t.Error("the role chosen is not selected again")
				}
			})
		}
	}
	if got := w.f.rightsOf(t, w.token, w.clientID).Roles; len(got) != 0 {
		t.Errorf("a refused assignment was made: %v", got)
	}
}

func TestConsoleAssignGroupBreakingARule(t *testing.T) {
	w := newAssignWorld(t)
	// A group of childa giving childa's role: not for an account of
	// parent, by rule 1.
	w.group(t, "childa", "team", "childa/child-role", "childa")
	v := w.signedIn(t, "alice", "fr")
	r := v.post(t, w.assignPath(), url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"group"}, "group": {"childa/team"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	got := alert(t, r)
	if !strings.HasPrefix(got, "Le groupe childa/team donne le rôle « childa/child-role » sur childa") || !strings.Contains(got, "La règle 1 n’est pas respectée") {
		t.Errorf("alert %q", got)
	}
}

func TestConsoleAssignRefusesWhatTheActorDoesNotHold(t *testing.T) {
	w := newAssignWorld(t)
	// dev may assign on parent's tree but holds no billing right: it
	// cannot grant parent/narrow.
	w.f.consoleUser(t, "dev", goodPassword, false, "")
	if r := w.f.call(t, http.MethodPost, "/api/v1/users/dev/assignments", w.token, web.AssignRequest{Role: "acme/admin", On: []string{"parent/*"}}); r.Status != http.StatusNoContent {
		t.Fatalf("assign dev: %d %s", r.Status, r.Body)
	}
	for lang, want := range map[string]string{
		"en": "You do not hold the right billing.invoices:read on organization childa, and nobody can grant what they do not hold.",
		"fr": "Vous ne détenez pas le droit billing.invoices:read sur l’organisation childa, et nul ne peut accorder ce qu’il ne détient pas.",
	} {
		v := w.signedIn(t, "dev", lang)
		r := w.assignRole(t, v, "parent/narrow", false, "childa")
		wantPage(t, r, http.StatusForbidden)
		if got := alert(t, r); got != want {
			t.Errorf("%s: alert %q, want %q", lang, got, want)
		}
	}
}

func TestConsoleUnassign(t *testing.T) {
	w := newAssignWorld(t)
	w.f.assign(t, w.token, w.clientID, role("parent/narrow", "childa"))
	v := w.signedIn(t, "alice", "en")
	back := "/console/accounts/" + url.PathEscape(w.clientID)
	unassign := back + "/unassign"
	r := v.post(t, unassign, url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "ref": {"parent/narrow"}, "org": {"childa"}})
	wantRedirect(t, r, back+"?flash=assign.removed")
	if got := w.f.rightsOf(t, w.token, w.clientID).Roles; len(got) != 0 {
		t.Errorf("roles %v after unassign", got)
	}
	// Again: nothing to remove.
	r = v.post(t, unassign, url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "ref": {"parent/narrow"}, "org": {"childa"}})
	wantPage(t, r, http.StatusNotFound)
	// A group, joined then left.
	w.group(t, "parent", "crew", "parent/narrow", "childa")
	r = v.post(t, w.assignPath(), url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"group"}, "group": {"parent/crew"}})
	wantRedirect(t, r, back+"?flash=assign.done")
	if got := w.f.rightsOf(t, w.token, w.clientID).Groups; len(got) != 1 || got[0] != "parent/crew" {
		t.Fatalf("groups %v", got)
	}
	page := v.get(t, w.assignPath())
	if !strings.Contains(string(page.Body), "through the group parent/crew") {
		t.Errorf("the role the group gives is not shown as coming through it: %s", page.Body)
	}
	r = v.post(t, unassign, url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"group"}, "ref": {"parent/crew"}})
	wantRedirect(t, r, back+"?flash=assign.removed")
	if got := w.f.rightsOf(t, w.token, w.clientID).Groups; len(got) != 0 {
		t.Errorf("groups %v after leaving", got)
	}
}

func TestConsoleAssignForUsers(t *testing.T) {
	w := newAssignWorld(t)
	w.f.consoleUser(t, "bob", goodPassword, false, "")
	v := w.signedIn(t, "alice", "en")
	wantPage(t, v.get(t, "/console/users/bob/assign"), http.StatusOK)
	r := v.post(t, "/console/users/bob/assign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "role": {"acme/viewer"}, "on": {"parent"}, "subtree": {"1"}})
	wantRedirect(t, r, "/console/users/bob?flash=assign.done")
	page := v.get(t, "/console/users/bob/assign")
	if !strings.Contains(string(page.Body), `data-assignment="role:acme/viewer@parent/*"`) {
		t.Errorf("bob's role is not listed: %s", page.Body)
	}
	r = v.post(t, "/console/users/bob/unassign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "ref": {"acme/viewer"}, "org": {"parent"}})
	wantRedirect(t, r, "/console/users/bob?flash=assign.removed")
	// bob belongs to the root: a role of parent is not for him.
	r = v.post(t, "/console/users/bob/assign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "role": {"parent/narrow"}, "on": {"childb"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if got := alert(t, r); !strings.HasPrefix(got, "Rule 1 is not met") {
		t.Errorf("alert %q", got)
	}
}

func TestConsoleAssignRefusesViewers(t *testing.T) {
	w := newAssignWorld(t)
	w.f.assign(t, w.token, w.clientID, role("parent/narrow", "childa"))
	v := w.signedIn(t, "vera", "en")
	// No form for who cannot assign.
	wantPage(t, v.get(t, w.assignPath()), http.StatusForbidden)
	csrf := v.csrf(t, "/console/")
	r := w.assignRole(t, v, "acme/viewer", false, "parent")
	wantPage(t, r, http.StatusForbidden)
	r = v.post(t, "/console/accounts/"+url.PathEscape(w.clientID)+"/unassign", url.Values{"csrf": {csrf}, "kind": {"role"}, "ref": {"parent/narrow"}, "org": {"childa"}})
	wantPage(t, r, http.StatusForbidden)
	if got := w.f.rightsOf(t, w.token, w.clientID).Roles; len(got) != 1 {
		t.Errorf("roles %v: a viewer changed them", got)
	}
	// Without the CSRF token, even an admin is refused.
	a := w.signedIn(t, "alice", "en")
	r = a.post(t, w.assignPath(), url.Values{"kind": {"role"}, "role": {"acme/viewer"}, "on": {"parent"}})
	wantPage(t, r, http.StatusForbidden)
}

// shot names a screenshot: the English one plain, the others suffixed.
func shot(name, lang string) string {
	if lang == "en" {
		return name
	}
	return name + "-" + lang
}

func TestBrowserAssignRefusedByRule3(t *testing.T) {
	t.Parallel()
	w := newAssignWorld(t)
	say := map[string]string{
		"en": "Rule 3 is not met: the role 'parent/narrow' of organization parent may only be assigned on organizations within its perimeter (childa, parent): childb is outside it.",
		"fr": "La règle 3 n’est pas respectée : le rôle « parent/narrow » de l’organisation parent ne peut être attribué que sur les organisations de son périmètre (childa, parent) : childb en est hors.",
	}
	inBothLanguages(t, func(t *testing.T, lang string, _ map[string]string) {
		b := newTab(t, w.f, lang)
		b.open(w.assignPath(), "session_login")
		b.login("alice", goodPassword)
		b.do(waitPage("assign_form"))
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		b.do(
			chromedp.SetValue(chromedp.CSS("#role"), "parent/narrow"),
			chromedp.SetValue(chromedp.CSS("#on"), "childb"),
			chromedp.Click(chromedp.CSS(`#assign-role button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.error[role="alert"]`)),
		)
		if got := b.text(`.error[role="alert"]`); got != say[lang] {
			t.Errorf("alert %q, want %q", got, say[lang])
		}
		b.screenshot(shot("assign-refused", lang))

		b.open("/console/roles/parent/narrow", "roles_detail")
		if got := b.text("#role-perimeter"); !strings.Contains(got, "childa") || !strings.Contains(got, "parent") {
			t.Errorf("perimeter %q", got)
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		b.screenshot(shot("role-detail", lang))
		b.open("/console/roles/parent/narrow/edit", "roles_form")
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls of the role form without a label: %v", ids)
		}
	})
}

// userAssign gives the user name what in (a role or a group) through the API.
func (w *assignWorld) userAssign(t *testing.T, name string, in web.AssignRequest) {
	t.Helper()
	if r := w.f.call(t, http.MethodPost, "/api/v1/users/"+name+"/assignments", w.token, in); r.Status != http.StatusNoContent {
		t.Fatalf("assign %+v to %s: %d %s", in, name, r.Status, r.Body)
	}
}

// unassignForm reports whether body has an unassign form for ref on org.
func unassignForm(body []byte, ref, org string) bool {
	return regexp.MustCompile(`(?s)<form method="post" action="[^"]*/unassign">\s*<input type="hidden" name="csrf" value="[^"]*">\s*` +
		`<input type="hidden" name="kind" value="role">\s*<input type="hidden" name="ref" value="` + regexp.QuoteMeta(ref) + `">\s*` +
		`<input type="hidden" name="org" value="` + regexp.QuoteMeta(org) + `">`).Match(body)
}

// The user, account and assign pages list a subject's roles alike: a role
// held only through a group is left with the group, not unassigned; one
// held directly too can be unassigned, and that leaves the group's.
func TestConsoleAssignmentsTellDirectRolesFromGroupOnes(t *testing.T) {
	w := newAssignWorld(t)
	w.f.consoleUser(t, "bob", goodPassword, false, "")
	w.group(t, rootOrg, "crew", rootOrg+"/viewer", "parent")
	w.userAssign(t, "bob", web.AssignRequest{Group: rootOrg + "/crew"})
	w.f.assign(t, w.token, w.clientID, web.AssignRequest{Group: rootOrg + "/crew"})
	v := w.signedIn(t, "alice", "en")
	account := "/console/accounts/" + url.PathEscape(w.clientID)
	pages := []string{"/console/users/bob", "/console/users/bob/assign", account, account + "/assign"}

	for _, path := range pages {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if unassignForm(r.Body, rootOrg+"/viewer", "parent") {
			t.Errorf("%s offers to unassign a role held only through a group", path)
		}
		if !strings.Contains(string(r.Body), "through the group "+rootOrg+"/crew") {
			t.Errorf("%s does not say the role comes through the group", path)
		}
		if !strings.Contains(string(r.Body), `name="ref" value="`+rootOrg+`/crew"`) {
			t.Errorf("%s has no form to leave the group", path)
		}
	}
	// Forged anyway, it finds nothing to remove.
	r := v.post(t, "/console/users/bob/unassign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "ref": {rootOrg + "/viewer"}, "org": {"parent"}})
	wantPage(t, r, http.StatusNotFound)

	// Held directly as well: each page offers to unassign it.
	w.userAssign(t, "bob", role(rootOrg+"/viewer", "parent"))
	w.f.assign(t, w.token, w.clientID, role(rootOrg+"/viewer", "parent"))
	for _, path := range pages {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if !unassignForm(r.Body, rootOrg+"/viewer", "parent") {
			t.Errorf("%s offers no unassign for a role held directly and through a group: %s", path, r.Body)
		}
		if strings.Contains(string(r.Body), "through the group") {
			t.Errorf("%s says a direct role comes through the group", path)
		}
	}
	for _, back := range []string{"/console/users/bob", account} {
		r := v.post(t, back+"/unassign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"role"}, "ref": {rootOrg + "/viewer"}, "org": {"parent"}})
		wantRedirect(t, r, back+"?flash=assign.removed")
		r = v.get(t, back)
		if unassignForm(r.Body, rootOrg+"/viewer", "parent") || !strings.Contains(string(r.Body), "through the group "+rootOrg+"/crew") {
			t.Errorf("%s after unassign: the role should be left through the group only: %s", back, r.Body)
		}
	}
	if got := w.f.rightsOf(t, w.token, w.clientID); len(got.Roles) != 1 || got.Roles[0] != rootOrg+"/viewer@parent" || len(got.Groups) != 1 {
		t.Errorf("the account's roles %v groups %v: the group's role should stay", got.Roles, got.Groups)
	}
}

// Leaving a group needs iam.assignments write on the subject's
// organization, not on the group's: an admin of parent may take the
// account of parent out of a group of the root.
func TestConsoleLeaveGroupNeedsTheRightOnTheSubjectsOrg(t *testing.T) {
	w := newAssignWorld(t)
	w.group(t, rootOrg, "crew", rootOrg+"/viewer", "parent")
	w.f.assign(t, w.token, w.clientID, web.AssignRequest{Group: rootOrg + "/crew"})
	w.f.consoleUser(t, "pam", goodPassword, false, "")
	w.userAssign(t, "pam", web.AssignRequest{Role: rootOrg + "/admin", On: []string{"parent/*"}})
	v := w.signedIn(t, "pam", "en")
	account := "/console/accounts/" + url.PathEscape(w.clientID)
	for _, path := range []string{account, account + "/assign"} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `name="ref" value="`+rootOrg+`/crew"`) {
			t.Errorf("%s offers no leave for the group: %s", path, r.Body)
		}
	}
	r := v.post(t, account+"/unassign", url.Values{"csrf": {v.csrf(t, "/console/")}, "kind": {"group"}, "ref": {rootOrg + "/crew"}})
	wantRedirect(t, r, account+"?flash=assign.removed")
	if got := w.f.rightsOf(t, w.token, w.clientID).Groups; len(got) != 0 {
		t.Errorf("groups %v after leaving", got)
	}
}

// Path parameters are unescaped (fiber leaves them as sent): a name
// escaped in the URL finds the same page.
func TestConsoleEscapedPathParams(t *testing.T) {
	w := newAssignWorld(t)
	w.f.consoleUser(t, "bob", goodPassword, false, "")
	v := w.signedIn(t, "alice", "en")
	for _, path := range []string{
		"/console/orgs/par%65nt", "/console/orgs/par%65nt/edit",
		"/console/roles/par%65nt/narr%6Fw", "/console/roles/par%65nt/narr%6Fw/edit",
		"/console/permissions/billing.invoic%65s", "/console/permissions/billing.invoic%65s/edit",
		"/console/accounts/bot%40parent.iam/assign", "/console/users/b%6Fb/assign",
	} {
		wantPage(t, v.get(t, path), http.StatusOK)
	}
	csrf := v.csrf(t, "/console/")
	wantRedirect(t, v.post(t, "/console/accounts/bot%40parent.iam/assign", url.Values{"csrf": {csrf}, "kind": {"role"}, "role": {"parent/narrow"}, "on": {"childa"}}),
		"/console/accounts/"+url.PathEscape(w.clientID)+"?flash=assign.done")
	wantRedirect(t, v.post(t, "/console/accounts/bot%40parent.iam/unassign", url.Values{"csrf": {csrf}, "kind": {"role"}, "ref": {"parent/narrow"}, "org": {"childa"}}),
		"/console/accounts/"+url.PathEscape(w.clientID)+"?flash=assign.removed")
	wantRedirect(t, v.post(t, "/console/orgs/par%65nt", url.Values{"csrf": {csrf}, "name": {"Parent"}}), "/console/orgs/parent?flash=orgs.renamed")
	wantRedirect(t, v.post(t, "/console/permissions/billing.invoic%65s", url.Values{"csrf": {csrf}, "description": {"Invoices"}}), "/console/permissions/billing.invoices?flash=permissions.updated")
}
