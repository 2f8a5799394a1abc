package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iamd/iamd/web"
)

func TestPermissions(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	builtin := []string{"iam.assignments", "iam.audit", "iam.groups", "iam.keys", "iam.organizations", "iam.roles", "iam.service-accounts", "iam.signing-keys", "iam.tokens", "iam.users"}
	wantPermission := func(name, description string, isBuiltin bool) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			p := decode[web.Permission](t, r, r.Status)
			if p.Name != name || p.Description != description || p.Builtin != isBuiltin {
				t.Errorf("permission %+v, want %s described %q", p, name, description)
			}
			if !isBuiltin && (p.CreatedBy != adminID || p.CreatedAt.IsZero()) {
				t.Errorf("created by %q at %s", p.CreatedBy, p.CreatedAt)
			}
		}
	}
	f.runSteps(t, admin, []step{
		{name: "the catalog holds the built-in permissions", method: http.MethodGet, path: "/api/v1/permissions", status: http.StatusOK,
			check: wantItems(permissionName, builtin...)},
		{name: "a permission of the platform is registered", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "billing.invoices", Description: "Invoices"}, status: http.StatusCreated,
			check: wantPermission("billing.invoices", "Invoices", false)},
		{name: "it is listed in name order", method: http.MethodGet, path: "/api/v1/permissions", status: http.StatusOK,
			check: wantItems(permissionName, append([]string{"billing.invoices"}, builtin...)...)},
		{name: "it can be read", method: http.MethodGet, path: "/api/v1/permissions/billing.invoices", status: http.StatusOK,
			check: wantPermission("billing.invoices", "Invoices", false)},
		{name: "its description can be changed", method: http.MethodPatch, path: "/api/v1/permissions/billing.invoices",
			body: `{"description":"Customer invoices"}`, status: http.StatusOK, check: wantPermission("billing.invoices", "Customer invoices", false)},
		{name: "a patch without description is invalid", method: http.MethodPatch, path: "/api/v1/permissions/billing.invoices",
			body: `{}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "registering it again is a conflict", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "billing.invoices"}, status: http.StatusConflict, code: "conflict"},
		{name: "a name under iam. is reserved", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "iam.things"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a name with uppercase letters is invalid", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "Billing.invoices"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a name with an empty segment is invalid", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "billing..invoices"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a built-in permission can be read", method: http.MethodGet, path: "/api/v1/permissions/iam.keys", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if p := decode[web.Permission](t, r, http.StatusOK); !p.Builtin || !strings.Contains(p.Description, "Keys") {
					t.Errorf("permission %+v", p)
				}
			}},
		{name: "a built-in permission cannot be changed", method: http.MethodPatch, path: "/api/v1/permissions/iam.keys",
			body: `{"description":"mine"}`, status: http.StatusForbidden, code: "forbidden"},
		{name: "a built-in permission cannot be deleted", method: http.MethodDelete, path: "/api/v1/permissions/iam.keys",
			status: http.StatusForbidden, code: "forbidden"},
		{name: "an unknown permission is not found", method: http.MethodGet, path: "/api/v1/permissions/billing.nope",
			status: http.StatusNotFound, code: "not_found"},
		{name: "a role holds it", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "invoices", Rights: []string{readInvoices}}, status: http.StatusCreated},
		{name: "a right on a permission not in the catalog is refused", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "typo", Rights: []string{"billing.invoice:read"}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a permission a role holds cannot be deleted", method: http.MethodDelete, path: "/api/v1/permissions/billing.invoices",
			status: http.StatusConflict, code: "conflict"},
		{name: "the role is deleted", method: http.MethodDelete, path: "/api/v1/roles/acme/invoices", status: http.StatusNoContent},
		{name: "then the permission can be deleted", method: http.MethodDelete, path: "/api/v1/permissions/billing.invoices", status: http.StatusNoContent},
		{name: "a deleted permission is not found", method: http.MethodGet, path: "/api/v1/permissions/billing.invoices",
			status: http.StatusNotFound, code: "not_found"},
	})
}
