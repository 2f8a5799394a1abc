package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

func TestRoles(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	f.createPermission(t, admin, "billing.invoices")
	wantRole := func(check func(t *testing.T, r web.Role)) func(*testing.T, *response) {
		return func(t *testing.T, r *response) { check(t, decode[web.Role](t, r, r.Status)) }
	}
	f.runSteps(t, admin, []step{
		{name: "the managed roles are owned by the root", method: http.MethodGet, path: "/api/v1/roles", status: http.StatusOK,
			check: wantItems(roleRef, "acme/admin", "acme/developer", "acme/system-admin", "acme/viewer")},
		{name: "the viewer role reads iamd's records", method: http.MethodGet, path: "/api/v1/roles/acme/viewer", status: http.StatusOK,
			check: wantRole(func(t *testing.T, r web.Role) {
				if r.Kind != "managed" || !slices.Contains(r.Rights, "iam.service-accounts:read") || slices.Contains(r.Rights, "iam.service-accounts:write") ||
					!slices.Equal(r.Perimeter, []string{"acme/*"}) {
					t.Errorf("role %+v", r)
				}
			})},
		{name: "the bootstrap role holds every right", method: http.MethodGet, path: "/api/v1/roles/acme/system-admin", status: http.StatusOK,
			check: wantRole(func(t *testing.T, r web.Role) {
				if r.Kind != "bootstrap" || !slices.Equal(r.Rights, []string{"*"}) {
					t.Errorf("role %+v", r)
				}
			})},
		{name: "a role is created with the default perimeter, its owner's subtree", method: http.MethodPost, path: "/api/v1/roles",
			body:   web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Description: "Reads invoices", Rights: []string{readInvoices, "iam.keys:read", readInvoices}},
			status: http.StatusCreated,
			check: wantRole(func(t *testing.T, r web.Role) {
				want := web.Role{Ref: "acme/invoice-reader", Org: rootOrg, Name: "invoice-reader", Description: "Reads invoices", Kind: "custom",
					Rights: []string{readInvoices, "iam.keys:read"}, Perimeter: []string{"acme/*"},
					CreatedAt: r.CreatedAt, CreatedBy: adminID, UpdatedAt: r.UpdatedAt}
				if !slices.Equal(r.Rights, want.Rights) || !slices.Equal(r.Perimeter, want.Perimeter) || r.Ref != want.Ref || r.Kind != want.Kind || r.CreatedBy != adminID {
					t.Errorf("role\n %+v\nwant\n %+v", r, want)
				}
			})},
		{name: "a role of a child org with a chosen perimeter", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "billing-reader", Rights: []string{readInvoices}, Perimeter: []string{"sales", "billing"}}, status: http.StatusCreated,
			check: wantRole(func(t *testing.T, r web.Role) {
				if !slices.Equal(r.Perimeter, []string{"billing", "sales"}) {
					t.Errorf("perimeter %q, want it sorted", r.Perimeter)
				}
			})},
		{name: "a role of billing", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: "billing", Name: "local", Rights: []string{}}, status: http.StatusCreated},
		{name: "roles are listed by org, then name", method: http.MethodGet, path: "/api/v1/roles", status: http.StatusOK,
			check: wantItems(roleRef, "acme/admin", "acme/billing-reader", "acme/developer", "acme/invoice-reader", "acme/system-admin", "acme/viewer", "billing/local")},
		{name: "the org filter keeps that org's roles", method: http.MethodGet, path: "/api/v1/roles?org=billing", status: http.StatusOK,
			check: wantItems(roleRef, "billing/local")},
		{name: "an unknown org in the filter is not found", method: http.MethodGet, path: "/api/v1/roles?org=nowhere", status: http.StatusNotFound, code: "not_found"},
		{name: "a taken name is a conflict", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{}}, status: http.StatusConflict, code: "conflict"},
		{name: "a perimeter outside the owner's subtree is invalid", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: "billing", Name: "wide", Rights: []string{}, Perimeter: []string{"sales"}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an empty perimeter is invalid", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "nowhere", Rights: []string{}, Perimeter: []string{}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown operation is invalid", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "bad", Rights: []string{"billing.invoices:print"}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the wildcard right cannot be given", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "all", Rights: []string{"*"}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a role without org is invalid", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Name: "orphan", Rights: []string{}}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the rights and perimeter are replaced, the description kept", method: http.MethodPatch, path: "/api/v1/roles/acme/invoice-reader",
			body: `{"rights":["billing.invoices:read","billing.invoices:write"],"perimeter":["billing/*"]}`, status: http.StatusOK,
			check: wantRole(func(t *testing.T, r web.Role) {
				if !slices.Equal(r.Rights, []string{readInvoices, writeInvoices}) || !slices.Equal(r.Perimeter, []string{"billing/*"}) || r.Description != "Reads invoices" {
					t.Errorf("role %+v", r)
				}
			})},
		{name: "a managed role cannot be changed", method: http.MethodPatch, path: "/api/v1/roles/acme/viewer",
			body: `{"description":"mine"}`, status: http.StatusForbidden, code: "forbidden"},
		{name: "a managed role cannot be deleted", method: http.MethodDelete, path: "/api/v1/roles/acme/admin", status: http.StatusForbidden, code: "forbidden"},
		{name: "the bootstrap role cannot be deleted", method: http.MethodDelete, path: "/api/v1/roles/acme/system-admin", status: http.StatusForbidden, code: "forbidden"},
		{name: "an unknown role is not found", method: http.MethodGet, path: "/api/v1/roles/acme/nope", status: http.StatusNotFound, code: "not_found"},
		{name: "force must be true or false", method: http.MethodDelete, path: "/api/v1/roles/billing/local?force=yes", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unused role is deleted", method: http.MethodDelete, path: "/api/v1/roles/billing/local", status: http.StatusNoContent},
		{name: "a deleted role is not found", method: http.MethodGet, path: "/api/v1/roles/billing/local", status: http.StatusNotFound, code: "not_found"},
	})
}

// TestDeletingAnAssignedRole: a role in use is deleted only with force,
// which removes its assignments and group pairs, says so in the audit log,
// and takes its rights out of the next token.
func TestDeletingAnAssignedRole(t *testing.T) { onBothBackends(t, testDeletingAnAssignedRole) }

func testDeletingAnAssignedRole(t *testing.T, opts ...option) {
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createPermission(t, admin, "billing.invoices")
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{readInvoices}})
	sync := f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	f.assign(t, admin, sync.ClientID, role("acme/invoice-reader", "billing"))
	decode[web.Group](t, f.call(t, http.MethodPost, "/api/v1/groups", admin, web.CreateGroupRequest{Org: rootOrg, Name: "finance"}), http.StatusCreated)
	decode[web.Group](t, f.call(t, http.MethodPost, "/api/v1/groups/acme/finance/roles", admin, web.GroupRole{Role: "acme/invoice-reader", On: "billing"}), http.StatusOK)
	scope := func(t *testing.T) string {
		t.Helper()
		return decode[oauth.TokenResponse](t, f.token(t, sync, grant()), http.StatusOK).Scope
	}
	if s := scope(t); s != readInvoices {
		t.Fatalf("scope %q before, want %q", s, readInvoices)
	}
	f.runSteps(t, admin, []step{
		{name: "deleting a role in use is a conflict", method: http.MethodDelete, path: "/api/v1/roles/acme/invoice-reader", status: http.StatusConflict, code: "conflict"},
		{name: "it still works", method: http.MethodGet, path: "/api/v1/roles/acme/invoice-reader", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if s := scope(t); s != readInvoices {
					t.Errorf("scope %q, want %q", s, readInvoices)
				}
			}},
		{name: "with force it is deleted", method: http.MethodDelete, path: "/api/v1/roles/acme/invoice-reader?force=true", status: http.StatusNoContent},
		{name: "the next token no longer carries its rights", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam/rights", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if got := decode[web.AccountRights](t, r, http.StatusOK); len(got.Roles) != 0 || len(got.Rights) != 0 {
					t.Errorf("roles %q, rights %+v", got.Roles, got.Rights)
				}
				if s := scope(t); s != "" {
					t.Errorf("scope %q, want none", s)
				}
			}},
		{name: "the group lost the pair", method: http.MethodGet, path: "/api/v1/groups/acme/finance", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if g := decode[web.Group](t, r, http.StatusOK); len(g.Roles) != 0 {
					t.Errorf("roles %+v", g.Roles)
				}
			}},
		{name: "the audit log records what force removed", method: http.MethodGet, path: "/api/v1/audit?target=acme/invoice-reader", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				l := decode[web.AuditList](t, r, http.StatusOK)
				if len(l.Items) != 2 || l.Items[0].Action != "role.delete" || string(l.Items[0].After) != "null" || l.Items[1].Action != "role.create" {
					t.Fatalf("entries %s, want role.delete then role.create", r.Body)
				}
				type use struct {
					SubjectID string `json:"subject_id"`
					Group     string `json:"group"`
					On        string `json:"on"`
				}
				var before struct {
					Role    string `json:"role"`
					Removed struct {
						Assignments []use `json:"assignments"`
						GroupPairs  []use `json:"group_pairs"`
					} `json:"removed"`
				}
				if err := json.Unmarshal(l.Items[0].Before, &before); err != nil {
					t.Fatal(err)
				}
				rm := before.Removed
				if before.Role != "acme/invoice-reader" ||
					len(rm.Assignments) != 1 || rm.Assignments[0].SubjectID == "" || rm.Assignments[0].On != "billing" ||
					len(rm.GroupPairs) != 1 || rm.GroupPairs[0] != (use{Group: "acme/finance", On: "billing"}) {
					t.Errorf("before %s", l.Items[0].Before)
				}
			}},
	})
}
