package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/web"
)

func TestConsolePermissions(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	v, token := groupsSignedIn(t, f, "alice", rbac.RoleAdmin)
	page := "/console/permissions/billing.invoices"

	t.Run("the list shows the built-in permissions", func(t *testing.T) {
		r := v.get(t, "/console/permissions")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `<tr data-permission="iam.groups">`, "built-in", `href="/console/permissions/new" data-write`)
	})
	t.Run("a built-in permission offers no change", func(t *testing.T) {
		r := v.get(t, "/console/permissions/iam.groups")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, "built into iamd")
		if c := groupsWriteControls(r); len(c) > 0 {
			t.Errorf("write controls %q", c)
		}
		wantPage(t, v.get(t, "/console/permissions/iam.groups/edit"), http.StatusForbidden)
		wantPage(t, v.post(t, "/console/permissions/iam.groups", url.Values{"csrf": {token}, "description": {"x"}}), http.StatusForbidden)
		wantPage(t, v.post(t, "/console/permissions/iam.groups/delete", url.Values{"csrf": {token}, "confirm": {"iam.groups"}}), http.StatusForbidden)
	})
	t.Run("a reserved name is refused with the domain's message", func(t *testing.T) {
		wantPage(t, v.get(t, "/console/permissions/new"), http.StatusOK)
		r := v.post(t, "/console/permissions", url.Values{"csrf": {token}, "name": {"iam.mine"}, "description": {"kept"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `role="alert"`, "reserved for iamd", ">kept</textarea>")
	})
	t.Run("a custom permission is created", func(t *testing.T) {
		r := v.post(t, "/console/permissions", url.Values{"csrf": {token}, "name": {"billing.invoices"}, "description": {"Invoices"}})
		wantRedirect(t, r, page+"?flash=permissions.created")
		r = v.get(t, page+"?flash=permissions.created")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, "The permission has been created.", `<code id="permission-name">billing.invoices</code>`, "Invoices", "custom", `data-confirm="billing.invoices"`)
		groupsWant(t, v.get(t, "/console/permissions"), `<tr data-permission="billing.invoices">`)
		// Edit and delete: what the viewer test counts.
		if c := groupsWriteControls(r); len(c) != 2 {
			t.Errorf("write controls %q, want 2", c)
		}
		r = v.post(t, "/console/permissions", url.Values{"csrf": {token}, "name": {"billing.invoices"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, "already exists")
	})
	t.Run("its description changes", func(t *testing.T) {
		r := v.get(t, page+"/edit")
		wantPage(t, r, http.StatusOK)
		groupsWant(t, r, `action="/console/permissions/billing.invoices"`, ">Invoices</textarea>")
		wantRedirect(t, v.post(t, page, url.Values{"csrf": {token}, "description": {"Customer invoices"}}), page+"?flash=permissions.updated")
		groupsWant(t, v.get(t, page), `<dd id="permission-description">Customer invoices</dd>`)
	})
	t.Run("a permission a role uses is not deleted", func(t *testing.T) {
		f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{"billing.invoices:read"}})
		r := v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"billing.invoices"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, `id="delete-error"`, "used by a role")
		if r := f.call(t, http.MethodDelete, "/api/v1/roles/acme/invoice-reader", admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete role: %d %s", r.Status, r.Body)
		}
	})
	t.Run("delete asks for the name, which the server checks", func(t *testing.T) {
		r := v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"billing"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		groupsWant(t, r, "Type the permission&#39;s name, billing.invoices, to delete it.")
		wantPage(t, v.get(t, page), http.StatusOK)
		wantRedirect(t, v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"billing.invoices"}}), "/console/permissions?flash=permissions.deleted")
		wantPage(t, v.get(t, page), http.StatusNotFound)
	})
	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		wantPage(t, v.post(t, "/console/permissions", url.Values{"name": {"billing.nocsrf"}}), http.StatusForbidden)
		wantPage(t, v.get(t, "/console/permissions/billing.nocsrf"), http.StatusNotFound)
	})
	t.Run("in French", func(t *testing.T) {
		v.header.Set("Accept-Language", "fr")
		defer v.header.Del("Accept-Language")
		groupsWant(t, v.get(t, "/console/permissions"), "intégrée", "Nouvelle permission")
	})
}

func TestConsolePermissionsViewer(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createPermission(t, admin, "billing.invoices")
	v, token := groupsSignedIn(t, f, "vera", rbac.RoleViewer)
	page := "/console/permissions/billing.invoices"
	t.Run("a viewer reads the catalog and sees no write control", func(t *testing.T) {
		for _, path := range []string{"/console/permissions", page} {
			r := v.get(t, path)
			wantPage(t, r, http.StatusOK)
			if c := groupsWriteControls(r); len(c) > 0 {
				t.Errorf("%s: write controls %q", path, c)
			}
		}
		wantPage(t, v.get(t, "/console/permissions/new"), http.StatusForbidden)
		wantPage(t, v.get(t, page+"/edit"), http.StatusForbidden)
	})
	t.Run("forged posts by a viewer are refused", func(t *testing.T) {
		for path, form := range map[string]url.Values{
			"/console/permissions": {"name": {"billing.forged"}},
			page:                   {"description": {"forged"}},
			page + "/delete":       {"confirm": {"billing.invoices"}},
		} {
			form.Set("csrf", token)
			if r := v.post(t, path, form); r.Status != http.StatusForbidden {
				t.Errorf("POST %s: status %d, want 403", path, r.Status)
			}
		}
		wantPage(t, v.post(t, page+"/delete", url.Values{"csrf": {token}, "confirm": {"x"}}), http.StatusForbidden)
		groupsWantNot(t, v.get(t, "/console/permissions"), "billing.forged")
		wantPage(t, v.get(t, page), http.StatusOK)
	})
	t.Run("who reads no role does not read the catalog", func(t *testing.T) {
		w, _ := groupsSignedIn(t, f, "nobody", "")
		wantPage(t, w.get(t, "/console/permissions"), http.StatusForbidden)
	})
}
