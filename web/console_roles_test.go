package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/web"
)

// rolesWorld has organizations acme > parent > childa, a permission, and
// alice (admin, and the billing right) and vera (viewer).
func rolesWorld(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	token := f.adminToken(t)
	for _, o := range []web.CreateOrgRequest{{ID: "parent"}, {ID: "childa", Parent: "parent"}} {
		if r := f.call(t, http.MethodPost, "/api/v1/orgs", token, o); r.Status != http.StatusCreated {
			t.Fatalf("create org %s: %d %s", o.ID, r.Status, r.Body)
		}
	}
	f.createPermission(t, token, "billing.invoices")
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	f.createRole(t, token, web.CreateRoleRequest{Org: rootOrg, Name: "billing", Rights: []string{"billing.invoices:read", "billing.invoices:write"}})
	if r := f.call(t, http.MethodPost, "/api/v1/users/alice/assignments", token, web.AssignRequest{Role: rootOrg + "/billing", On: []string{rootOrg + "/*"}}); r.Status != http.StatusNoContent {
		t.Fatalf("assign alice: %d %s", r.Status, r.Body)
	}
	f.consoleUser(t, "vera", goodPassword, false, "viewer")
	return f, token
}

func signIn(t *testing.T, f *fixture, name, lang string) *visitor {
	t.Helper()
	v := f.visitor(t)
	v.header.Set("Accept-Language", lang)
	v.login(t, name, goodPassword)
	return v
}

func getRole(t *testing.T, f *fixture, token, ref string) web.Role {
	t.Helper()
	return decode[web.Role](t, f.call(t, http.MethodGet, "/api/v1/roles/"+ref, token, nil), http.StatusOK)
}

// writeControls are what the brief calls write controls: forms posting
// (but the layout's language and logout forms) and links marked
// data-write.
var (
	postForm  = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	writeLink = regexp.MustCompile(`<a [^>]*data-write`)
)

func writeControls(body []byte) []string {
	var out []string
	for _, m := range postForm.FindAllSubmatch(body, -1) {
		if a := string(m[1]); a != "/console/lang" && a != "/console/logout" {
			out = append(out, a)
		}
	}
	for _, m := range writeLink.FindAll(body, -1) {
		out = append(out, string(m))
	}
	return out
}

func TestConsoleRolesCreateEditDelete(t *testing.T) {
	f, token := rolesWorld(t)
	v := signIn(t, f, "alice", "en")

	r := v.get(t, "/console/roles/new?org=parent")
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{`value="billing.invoices:read"`, `value="billing.invoices:archive"`, `<option value="parent" selected>`, `name="perimeter"`, `name="subtree"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the form lacks %s", want)
		}
	}

	// Created with the default perimeter.
	csrf := v.csrf(t, "/console/")
	r = v.post(t, "/console/roles", url.Values{"csrf": {csrf}, "org": {"parent"}, "name": {"invoice-reader"}, "description": {"Reads invoices"},
		"rights": {"billing.invoices:read"}, "perimeter": {"", "", ""}})
	wantRedirect(t, r, "/console/roles/parent/invoice-reader?flash=roles.created")
	got := getRole(t, f, token, "parent/invoice-reader")
	if !slices.Equal(got.Rights, []string{"billing.invoices:read"}) || !slices.Equal(got.Perimeter, []string{"parent/*"}) || got.Description != "Reads invoices" {
		t.Errorf("created %+v", got)
	}

	// Its page, with the controls alice may use.
	r = v.get(t, "/console/roles/parent/invoice-reader?flash=roles.created")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{"The role has been created.", "billing.invoices", "parent and every organization below it", `href="/console/roles/parent/invoice-reader/edit" data-write`, `data-confirm="invoice-reader"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the detail page lacks %s", want)
		}
	}

	// The edit form shows what the role holds.
	r = v.get(t, "/console/roles/parent/invoice-reader/edit")
	wantPage(t, r, http.StatusOK)
	if !regexp.MustCompile(`value="billing.invoices:read" checked`).Match(r.Body) {
		t.Error("the edit form does not check the role's right")
	}

	// Edited: rights, description and perimeter.
	r = v.post(t, "/console/roles/parent/invoice-reader", url.Values{"csrf": {csrf}, "description": {"Reads and writes invoices"},
		"rights": {"billing.invoices:read", "billing.invoices:write"}, "perimeter": {"childa", "parent", ""}, "subtree": {"1"}})
	wantRedirect(t, r, "/console/roles/parent/invoice-reader?flash=roles.updated")
	got = getRole(t, f, token, "parent/invoice-reader")
	if !slices.Equal(got.Rights, []string{"billing.invoices:read", "billing.invoices:write"}) || !slices.Equal(got.Perimeter, []string{"childa/*", "parent"}) || got.Description != "Reads and writes invoices" {
		t.Errorf("edited %+v", got)
	}

	// A perimeter outside the role's organization is refused with the form.
	r = v.post(t, "/console/roles/parent/invoice-reader", url.Values{"csrf": {csrf}, "description": {"x"},
		"rights": {"billing.invoices:read"}, "perimeter": {rootOrg}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `<option value="acme" selected>`) {
		t.Errorf("no message or the choice is lost: %s", r.Body)
	}
	// An empty perimeter too.
	r = v.post(t, "/console/roles/parent/invoice-reader", url.Values{"csrf": {csrf}, "description": {"x"}, "perimeter": {"", ""}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if got := getRole(t, f, token, "parent/invoice-reader"); len(got.Perimeter) != 2 {
		t.Errorf("a refused edit changed the role: %+v", got)
	}

	// A name taken is refused.
	r = v.post(t, "/console/roles", url.Values{"csrf": {csrf}, "org": {"parent"}, "name": {"invoice-reader"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "already exists") {
		t.Errorf("no conflict message: %s", r.Body)
	}

	// Deleting needs the name typed, checked by the server.
	r = v.post(t, "/console/roles/parent/invoice-reader/delete", url.Values{"csrf": {csrf}, "confirm": {"invoice"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "The name typed is not invoice-reader") {
		t.Errorf("no mismatch message: %s", r.Body)
	}
	// A role in use needs force.
	acc := f.createAccount(t, token, web.CreateAccountRequest{ID: "bot", Org: "parent"})
	f.assign(t, token, acc.ClientID, role("parent/invoice-reader", "parent"))
	if r := f.call(t, http.MethodPost, "/api/v1/groups", token, web.CreateGroupRequest{Org: "parent", Name: "crew"}); r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	if r := f.call(t, http.MethodPost, "/api/v1/groups/parent/crew/roles", token, web.GroupRole{Role: "parent/invoice-reader", On: "parent"}); r.Status/100 != 2 {
		t.Fatalf("add to group: %d %s", r.Status, r.Body)
	}
	r = v.get(t, "/console/roles/parent/invoice-reader")
	if !strings.Contains(string(r.Body), "<li>parent/crew, on parent</li>") {
		t.Errorf("the detail page does not list the group holding the role: %s", r.Body)
	}
	r = v.post(t, "/console/roles/parent/invoice-reader/delete", url.Values{"csrf": {csrf}, "confirm": {"invoice-reader"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "still assigned") {
		t.Errorf("no in-use message: %s", r.Body)
	}
	r = v.post(t, "/console/roles/parent/invoice-reader/delete", url.Values{"csrf": {csrf}, "confirm": {"invoice-reader"}, "force": {"1"}})
	wantRedirect(t, r, "/console/roles?org=parent&flash=roles.deleted")
	if r := f.call(t, http.MethodGet, "/api/v1/roles/parent/invoice-reader", token, nil); r.Status != http.StatusNotFound {
		t.Errorf("the role is still there: %d", r.Status)
	}
}

func TestConsoleRolesListAndManagedRoles(t *testing.T) {
	f, _ := rolesWorld(t)
	v := signIn(t, f, "alice", "fr")
	r := v.get(t, "/console/roles")
	wantPage(t, r, http.StatusOK)
	body := string(r.Body)
	for _, want := range []string{`data-role="acme/admin"`, `data-role="acme/billing"`, "administré par iamd", "personnalisé", `href="/console/roles/new" data-write`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	r = v.get(t, "/console/roles?org=parent")
	wantPage(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), `data-role="acme/admin"`) {
		t.Error("the filter by organization keeps other organizations' roles")
	}
	// A managed role is read-only: no control, and a forged edit fails.
	r = v.get(t, "/console/roles/acme/viewer")
	wantPage(t, r, http.StatusOK)
	if c := writeControls(r.Body); len(c) > 0 {
		t.Errorf("write controls on a managed role: %v", c)
	}
	if !strings.Contains(string(r.Body), "Ce rôle est fourni par iamd") {
		t.Error("the page does not say the role is managed")
	}
	wantPage(t, v.get(t, "/console/roles/acme/viewer/edit"), http.StatusForbidden)
	csrf := v.csrf(t, "/console/")
	wantPage(t, v.post(t, "/console/roles/acme/viewer", url.Values{"csrf": {csrf}, "description": {"mine"}, "perimeter": {"acme"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/roles/acme/viewer/delete", url.Values{"csrf": {csrf}, "confirm": {"viewer"}}), http.StatusForbidden)
	wantPage(t, v.get(t, "/console/roles/acme/nosuch"), http.StatusNotFound)
}

func TestConsoleRolesViewerSeesNoWriteControl(t *testing.T) {
	f, token := rolesWorld(t)
	f.createRole(t, token, web.CreateRoleRequest{Org: "parent", Name: "custom", Rights: []string{"billing.invoices:read"}})
	v := signIn(t, f, "vera", "en")
	for _, path := range []string{"/console/roles", "/console/roles?org=parent", "/console/roles/parent/custom"} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusOK)
		if c := writeControls(r.Body); len(c) > 0 {
			t.Errorf("%s: write controls for a viewer: %v", path, c)
		}
	}
	wantPage(t, v.get(t, "/console/roles/new"), http.StatusForbidden)
	wantPage(t, v.get(t, "/console/roles/parent/custom/edit"), http.StatusForbidden)
	csrf := v.csrf(t, "/console/")
	wantPage(t, v.post(t, "/console/roles", url.Values{"csrf": {csrf}, "org": {"parent"}, "name": {"sneaky"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/roles/parent/custom", url.Values{"csrf": {csrf}, "description": {"mine"}, "perimeter": {"parent"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/roles/parent/custom/delete", url.Values{"csrf": {csrf}, "confirm": {"custom"}}), http.StatusForbidden)
	wantPage(t, v.post(t, "/console/roles/parent/custom/delete", url.Values{"csrf": {csrf}, "confirm": {"wrong"}}), http.StatusForbidden)
	if got := getRole(t, f, token, "parent/custom"); got.Description != "" {
		t.Errorf("a viewer changed the role: %+v", got)
	}
	// Without the CSRF token, even an admin is refused.
	a := signIn(t, f, "alice", "en")
	wantPage(t, a.post(t, "/console/roles/parent/custom/delete", url.Values{"confirm": {"custom"}}), http.StatusForbidden)
	getRole(t, f, token, "parent/custom")
}
