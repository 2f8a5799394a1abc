package web_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// usersShownPassword finds the password of a users_password page.
var usersShownPassword = regexp.MustCompile(`<code id="password">([^<]+)</code>`)

// usersPostForms finds the post forms of a page and their actions.
var usersPostForms = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// usersWriteControls returns the write controls of a page: its post
// forms but the layout's language switch and sign-out, and its links
// marked data-write.
func usersWriteControls(body []byte) []string {
	var out []string
	for _, m := range usersPostForms.FindAllSubmatch(body, -1) {
		if a := string(m[1]); a != "/console/lang" && a != "/console/logout" {
			out = append(out, "form "+a)
		}
	}
	for range strings.Count(string(body), "data-write") {
		out = append(out, "data-write link")
	}
	return out
}

// usersAdmin signs in a new admin of the whole tree and returns the
// visitor and its CSRF token.
func usersAdmin(t *testing.T, f *fixture, name string) (*visitor, string) {
	t.Helper()
	f.consoleUser(t, name, goodPassword, false, rbac.RoleAdmin)
	v := f.visitor(t)
	v.login(t, name, goodPassword)
	return v, v.csrf(t, "/console/users")
}

func TestConsoleUserCreationShowsThePasswordOnce(t *testing.T) {
	f := newFixture(t)
	v, token := usersAdmin(t, f, "alice")

	r := v.get(t, "/console/users/new")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `<option value="acme"`) {
		t.Fatalf("no organization to create the user in: %s", r.Body)
	}

	r = v.post(t, "/console/users", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"carol"}, "display_name": {"Carol C."}})
	wantPage(t, r, http.StatusOK) // no-store: the password is in this response only
	m := usersShownPassword.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no password shown: %s", r.Body)
	}
	password := string(m[1])
	if !strings.Contains(string(r.Body), `data-copy="password"`) {
		t.Error("no copy button")
	}
	if loc := r.Header.Get("Location"); loc != "" {
		t.Errorf("the password page redirects to %s", loc)
	}

	for _, path := range []string{"/console/users/carol", "/console/users"} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if strings.Contains(string(r.Body), password) {
			t.Errorf("%s shows the password again", path)
		}
		if !strings.Contains(string(r.Body), "Carol C.") {
			t.Errorf("%s does not show the new user", path)
		}
	}
	if strings.Contains(f.logs.String(), password) {
		t.Error("the password is in the server log")
	}

	// The user signs in with it, and must change it first.
	carol := f.visitor(t)
	carol.login(t, "carol", password)
	wantRedirect(t, carol.get(t, "/console/users"), "/console/password")

	t.Run("a taken name or a bad one shows the form again", func(t *testing.T) {
		r := v.post(t, "/console/users", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"carol"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), "already exists") || usersShownPassword.Match(r.Body) {
			t.Errorf("body %s", r.Body)
		}
		r = v.post(t, "/console/users", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"Not A Name"}, "email": {"x@example.com"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `value="x@example.com"`) {
			t.Errorf("no message, or the form lost its fields: %s", r.Body)
		}
	})
	t.Run("a typed password is not shown, and must be changed too", func(t *testing.T) {
		r := v.post(t, "/console/users", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"dave"}, "password": {goodPassword}})
		wantRedirect(t, r, "/console/users/dave?flash=users.created")
		dave := f.visitor(t)
		dave.login(t, "dave", goodPassword)
		wantRedirect(t, dave.get(t, "/console/"), "/console/password")
	})
	t.Run("a reset password is shown once and must be changed", func(t *testing.T) {
		r := v.post(t, "/console/users/carol/password", url.Values{"csrf": {token}})
		wantPage(t, r, http.StatusOK)
		m := usersShownPassword.FindSubmatch(r.Body)
		if m == nil || string(m[1]) == password {
			t.Fatalf("no new password: %s", r.Body)
		}
		// Carol's session ended with the old password.
		wantRedirect(t, carol.get(t, "/console/password"), "/console/login?next=%2Fconsole%2Fpassword")
		again := f.visitor(t)
		again.login(t, "carol", string(m[1]))
		wantRedirect(t, again.get(t, "/console/"), "/console/password")
	})
}

func TestConsoleUserEditDisableEnable(t *testing.T) {
	f := newFixture(t)
	v, token := usersAdmin(t, f, "alice")
	f.consoleUser(t, "bob", goodPassword, false, rbac.RoleViewer)

	r := v.get(t, "/console/users/bob")
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{"Test bob", `action="/console/users/bob/disable"`, `action="/console/users/bob/delete"`, `data-confirm="bob"`,
		`href="/console/users/bob/assign" data-write`, `table id="assignments"`, "acme/viewer", `name="kind" value="role"`, `name="ref" value="acme/viewer"`, `name="org" value="acme"`, "iam.users:read", `href="/console/audit?target=user:bob"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the detail page lacks %q", want)
		}
	}

	wantPage(t, v.get(t, "/console/users/bob/edit"), http.StatusOK)
	r = v.post(t, "/console/users/bob", url.Values{"csrf": {token}, "display_name": {"Bob B."}, "email": {"not an address"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "email") {
		t.Errorf("no reason: %s", r.Body)
	}
	wantRedirect(t, v.post(t, "/console/users/bob", url.Values{"csrf": {token}, "display_name": {"Bob B."}, "email": {"bob@example.com"}}), "/console/users/bob?flash=users.updated")
	if r := v.get(t, "/console/users/bob?flash=users.updated"); !strings.Contains(string(r.Body), "Bob B.") || !strings.Contains(string(r.Body), "The user has been saved.") {
		t.Errorf("the change does not show: %s", r.Body)
	}

	bob := f.visitor(t)
	bob.login(t, "bob", goodPassword)
	wantRedirect(t, v.post(t, "/console/users/bob/disable", url.Values{"csrf": {token}}), "/console/users/bob?flash=users.disabled")
	wantRedirect(t, bob.get(t, "/console/"), "/console/login?next=%2Fconsole%2F")
	r = bob.post(t, "/console/login", url.Values{"csrf": {bob.csrf(t, "/console/login")}, "name": {"bob"}, "password": {goodPassword}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if r := v.get(t, "/console/users?status=disabled"); !strings.Contains(string(r.Body), `data-user="bob"`) || strings.Contains(string(r.Body), `data-user="alice"`) {
		t.Errorf("the disabled filter: %s", r.Body)
	}

	wantRedirect(t, v.post(t, "/console/users/bob/enable", url.Values{"csrf": {token}}), "/console/users/bob?flash=users.enabled")
	bob.login(t, "bob", goodPassword)

	t.Run("nobody disables or deletes themselves", func(t *testing.T) {
		r := v.get(t, "/console/users/alice")
		wantPage(t, r, http.StatusOK)
		if strings.Contains(string(r.Body), "/console/users/alice/disable") || strings.Contains(string(r.Body), "/console/users/alice/delete") {
			t.Error("the own page offers to disable or delete")
		}
		r = v.post(t, "/console/users/alice/disable", url.Values{"csrf": {token}})
		wantPage(t, r, http.StatusForbidden)
		if !strings.Contains(string(r.Body), "You cannot disable yourself.") {
			t.Errorf("no message: %s", r.Body)
		}
		r = v.post(t, "/console/users/alice/delete", url.Values{"csrf": {token}, "confirm": {"alice"}})
		wantPage(t, r, http.StatusForbidden)
		if !strings.Contains(string(r.Body), "You cannot delete yourself.") {
			t.Errorf("no message: %s", r.Body)
		}
	})
}

func TestConsoleUserDeleteAsksToTypeTheName(t *testing.T) {
	f := newFixture(t)
	v, token := usersAdmin(t, f, "alice")
	f.consoleUser(t, "bob", goodPassword, false, "")

	r := v.post(t, "/console/users/bob/delete", url.Values{"csrf": {token}, "confirm": {"bo"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "Type the user name exactly") {
		t.Errorf("no message: %s", r.Body)
	}
	wantPage(t, v.get(t, "/console/users/bob"), http.StatusOK)
	wantRedirect(t, v.post(t, "/console/users/bob/delete", url.Values{"csrf": {token}, "confirm": {"bob"}}), "/console/users?flash=users.deleted")
	wantPage(t, v.get(t, "/console/users/bob"), http.StatusNotFound)
	if _, err := f.users.Lookup(context.Background(), "bob"); err == nil {
		t.Error("bob is still there")
	}
}

func TestConsoleUsersViewerSeesNoWriteControl(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, rbac.RoleAdmin)
	f.consoleUser(t, "vic", goodPassword, false, rbac.RoleViewer)
	v := f.visitor(t)
	v.login(t, "vic", goodPassword)
	token := v.csrf(t, "/console/users")

	for _, path := range []string{"/console/users", "/console/users/alice", "/console/users/vic"} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if got := usersWriteControls(r.Body); len(got) > 0 {
			t.Errorf("%s offers a viewer %v", path, got)
		}
	}
	if r := v.get(t, "/console/users"); !strings.Contains(string(r.Body), `data-user="alice"`) {
		t.Errorf("the list lacks alice: %s", r.Body)
	}
	wantPage(t, v.get(t, "/console/users/new"), http.StatusForbidden)
	wantPage(t, v.get(t, "/console/users/alice/edit"), http.StatusForbidden)

	for path, form := range map[string]url.Values{
		"/console/users":                {"org": {rootOrg}, "name": {"mallory"}},
		"/console/users/alice":          {"display_name": {"Hacked"}},
		"/console/users/alice/disable":  {},
		"/console/users/alice/enable":   {},
		"/console/users/alice/password": {},
		"/console/users/alice/delete":   {"confirm": {"alice"}},
	} {
		form.Set("csrf", token)
		wantPage(t, v.post(t, path, form), http.StatusForbidden)
	}
	if _, err := f.users.Lookup(context.Background(), "mallory"); err == nil {
		t.Error("the viewer created a user")
	}
	if u, _ := f.users.Lookup(context.Background(), "alice"); u.DisplayName != "Test alice" || u.Status() != "active" {
		t.Errorf("the viewer changed alice: %+v", u)
	}

	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		admin, _ := usersAdmin(t, f, "ana")
		wantPage(t, admin.post(t, "/console/users/vic/disable", url.Values{}), http.StatusForbidden)
		if u, _ := f.users.Lookup(context.Background(), "vic"); u.Status() != "active" {
			t.Error("disabled without a CSRF token")
		}
	})
}

func TestConsoleUsersListPages(t *testing.T) {
	f := newFixture(t)
	v, _ := usersAdmin(t, f, "alice")
	for i := range 55 {
		f.consoleUser(t, "user-"+string(rune('a'+i/26))+string(rune('a'+i%26)), goodPassword, false, "")
	}
	r := v.get(t, "/console/users")
	wantPage(t, r, http.StatusOK)
	if n := strings.Count(string(r.Body), "<tr data-user="); n != 50 {
		t.Fatalf("first page: %d users, want 50", n)
	}
	m := regexp.MustCompile(`href="(/console/users\?after=[^"]+)" rel="next"`).FindSubmatch(r.Body)
	if m == nil {
		t.Fatal("no next page link")
	}
	r = v.get(t, strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	wantPage(t, r, http.StatusOK)
	// 55 + alice + the fixture's none: 6 left.
	if n := strings.Count(string(r.Body), "<tr data-user="); n != 6 || strings.Contains(string(r.Body), `rel="next"`) {
		t.Errorf("second page: %d users; body %s", n, r.Body)
	}
}

// usersTexts are the users and audit pages' words the browser test looks
// for.
var usersTexts = map[string]map[string]string{
	"en": {"created": "User new-en created", "once": "shown only this once", "audit": "Audit log", "older": "Older entries"},
	"fr": {"created": "Utilisateur new-fr créé", "once": "affiché qu’une seule fois", "audit": "Journal d’audit", "older": "Entrées plus anciennes"},
}

func TestBrowserUserCreationAndAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		words := usersTexts[lang]
		admin := "boss-" + lang
		f.consoleUser(t, admin, goodPassword, false, "")
		if err := f.users.GrantBootstrap(context.Background(), rbac.System(initBy), admin); err != nil {
			t.Fatal(err)
		}
		b := newTab(t, f, lang)
		b.open("/console/users", "session_login")
		b.login(admin, goodPassword)
		b.do(waitPage("users_list"))
		b.do(chromedp.Click(chromedp.CSS(`a[href="/console/users/new"]`)), waitPage("users_new"))
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		if lang == "en" {
			b.screenshot("users-new")
		}

		// No password typed: iamd generates one, shown on this page only.
		name := "new-" + lang
		b.do(
			chromedp.SetValue(chromedp.CSS("#name"), name),
			chromedp.SetValue(chromedp.CSS("#display_name"), "New "+lang),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			waitPage("users_password"),
		)
		if got := b.text("h1"); got != words["created"] {
			t.Errorf("heading %q", got)
		}
		if got := b.text(".secret"); !strings.Contains(got, words["once"]) {
			t.Errorf("no once-only notice: %q", got)
		}
		password := b.text("#password")
		if len(password) != 24 {
			t.Fatalf("password %q", password)
		}
		b.do(chromedp.WaitVisible(chromedp.CSS(`button[data-copy="password"]`)))
		b.open("/console/users/"+name, "users_detail")
		if lang == "en" {
			b.screenshot("users-detail")
		}
		if got := b.text("main"); strings.Contains(got, password) {
			t.Error("the detail page shows the password")
		}

		// The new user signs in with it and must change it first.
		nb := newTab(t, f, lang)
		nb.open("/console/", "session_login")
		nb.login(name, password)
		nb.do(waitPage("session_password"))
		if got := nb.text(".notice"); got != say["forced"] {
			t.Errorf("notice %q", got)
		}

		// The creation is in the audit log, with its record.
		b.open("/console/audit", "audit_list")
		if got := b.text("h1"); got != words["audit"] {
			t.Errorf("audit heading %q", got)
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("audit controls without a label: %v", ids)
		}
		// The unfiltered page has rows already: wait for the filtered
		// one, whose field the server filled (SetValue changes the
		// field's value, not its attribute), before reading a row.
		b.do(
			chromedp.SetValue(chromedp.CSS("#filter-target"), "user:"+name),
			chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#filter-target[value="user:`+name+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#audit tbody tr`)),
		)
		if got := b.text("#audit tbody tr"); !strings.Contains(got, "user.create") || !strings.Contains(got, admin) {
			t.Errorf("audit row %q", got)
		}
		b.do(chromedp.Click(chromedp.CSS("#audit details summary")), chromedp.WaitVisible(chromedp.CSS("#audit details pre")))
		if got := b.text("#audit details pre"); !strings.Contains(got, `"must_change_password": true`) || strings.Contains(got, password) {
			t.Errorf("record %q", got)
		}
		if lang == "en" {
			b.open("/console/audit", "audit_list")
			b.screenshot("audit")
			b.open("/console/signing-keys", "signing_list")
			b.screenshot("signing-keys")
		}

		// Nothing overflows a 360-pixel screen: wide tables scroll in
		// their own box.
		b.do(chromedp.EmulateViewport(360, 740))
		for path, template := range map[string]string{"/console/users": "users_list", "/console/users/" + name: "users_detail", "/console/audit": "audit_list", "/console/signing-keys": "signing_list"} {
			b.open(path, template)
			fits, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
			if err != nil || !fits {
				t.Errorf("%s is wider than 360 pixels (%v)", path, err)
			}
		}
	})
}

// usersElsewhere stores a user of org that cannot sign in.
func usersElsewhere(t *testing.T, f *fixture, name, org string) {
	t.Helper()
	now := storage.Time(f.clock.Now())
	u := users.User{ID: "u-" + name, OrgID: org, Name: name, PasswordHash: "none", CreatedAt: now, CreatedBy: initBy, UpdatedAt: now, PasswordChangedAt: now}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// varying finds what differs from one page to the next: the CSRF token
// and script nonces.
var varying = regexp.MustCompile(`(name="csrf" value|nonce)="[^"]*"`)

// A user the actor may not read looks like no user at all, on every page
// of /console/users/:name, GET or POST.
func TestConsoleUsersElsewhereLookMissing(t *testing.T) {
	f := newFixture(t)
	token := f.adminToken(t)
	for _, o := range []web.CreateOrgRequest{{ID: "parent"}, {ID: "other"}} {
		if r := f.call(t, http.MethodPost, "/api/v1/orgs", token, o); r.Status != http.StatusCreated {
			t.Fatalf("create org %s: %d %s", o.ID, r.Status, r.Body)
		}
	}
	usersElsewhere(t, f, "pat", "parent")
	usersElsewhere(t, f, "olga", "other")
	f.consoleUser(t, "sue", goodPassword, false, "")
	if err := f.users.AssignRole(context.Background(), rbac.System(initBy), "sue", rootOrg+"/"+rbac.RoleViewer, []rbac.Scope{{OrgID: "parent", Subtree: true}}); err != nil {
		t.Fatal(err)
	}
	v := f.visitor(t)
	v.login(t, "sue", goodPassword)
	csrf := v.csrf(t, "/console/")

	wantPage(t, v.get(t, "/console/users/pat"), http.StatusOK)
	for _, sub := range []string{"", "/edit", "/assign"} {
		missing, elsewhere := v.get(t, "/console/users/nobody"+sub), v.get(t, "/console/users/olga"+sub)
		wantPage(t, missing, http.StatusNotFound)
		// The pages differ only by the name in the path, which the
		// language switch carries back.
		same := bytes.Equal(varying.ReplaceAll(bytes.ReplaceAll(elsewhere.Body, []byte("olga"), []byte("nobody")), nil), varying.ReplaceAll(missing.Body, nil))
		if elsewhere.Status != missing.Status || !same {
			t.Errorf("GET %s: a user elsewhere gives %d, a missing one %d; bodies:\n%s\n%s", sub, elsewhere.Status, missing.Status, elsewhere.Body, missing.Body)
		}
	}
	for _, sub := range []string{"", "/disable", "/enable", "/password", "/delete", "/assign", "/unassign"} {
		form := url.Values{"csrf": {csrf}, "display_name": {"X"}, "kind": {"role"}, "role": {rootOrg + "/viewer"}, "ref": {rootOrg + "/viewer"}, "on": {"other"}, "org": {"other"}}
		missing := v.post(t, "/console/users/nobody"+sub, withConfirm(form, "nobody"))
		elsewhere := v.post(t, "/console/users/olga"+sub, withConfirm(form, "olga"))
		if missing.Status != http.StatusNotFound || elsewhere.Status != missing.Status {
			t.Errorf("POST %s: a user elsewhere gives %d, a missing one %d", sub, elsewhere.Status, missing.Status)
		}
	}
	// A user the viewer reads: refused, not missing.
	form := url.Values{"csrf": {csrf}}
	wantPage(t, v.post(t, "/console/users/pat/disable", form), http.StatusForbidden)
}

func withConfirm(form url.Values, name string) url.Values {
	out := url.Values{"confirm": {name}}
	for k, vs := range form {
		out[k] = vs
	}
	return out
}

// Deleting is refused to who may not delete whatever they type: the
// name is not checked first.
func TestConsoleUserDeleteChecksTheRightFirst(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "bob", goodPassword, false, "")
	f.consoleUser(t, "vic", goodPassword, false, rbac.RoleViewer)
	v := f.visitor(t)
	v.login(t, "vic", goodPassword)
	for _, typed := range []string{"", "bo", "bob"} {
		r := v.post(t, "/console/users/bob/delete", url.Values{"csrf": {v.csrf(t, "/console/")}, "confirm": {typed}})
		wantPage(t, r, http.StatusForbidden)
		if strings.Contains(string(r.Body), "Type the user name exactly") {
			t.Errorf("typed %q: the page asks to type the name again", typed)
		}
	}
}

// The user page's audit links find what was done to the user and its
// sign-ins, which users records with the bare name as target.
func TestConsoleUserAuditLinksFindSignInsToo(t *testing.T) {
	f := newFixture(t)
	v, token := usersAdmin(t, f, "alice")
	f.consoleUser(t, "bob", goodPassword, false, "")
	bob := f.visitor(t)
	bob.login(t, "bob", goodPassword)
	wantRedirect(t, v.post(t, "/console/users/bob", url.Values{"csrf": {token}, "display_name": {"Bob B."}}), "/console/users/bob?flash=users.updated")

	r := v.get(t, "/console/users/bob")
	wantPage(t, r, http.StatusOK)
	links := regexp.MustCompile(`href="(/console/audit\?target=[^"]+)"`).FindAllSubmatch(r.Body, -1)
	seen := map[string]bool{}
	for _, l := range links {
		r := v.get(t, html.UnescapeString(string(l[1])))
		wantPage(t, r, http.StatusOK)
		for _, action := range []string{"user.update", "user.login"} {
			if strings.Contains(string(r.Body), "<td><code>"+action+"</code></td>") {
				seen[action] = true
			}
		}
	}
	if !seen["user.update"] || !seen["user.login"] {
		t.Errorf("the audit links %q find %v", links, seen)
	}
}
