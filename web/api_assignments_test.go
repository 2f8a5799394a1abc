package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

func TestAssignAndUnassign(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	decode[web.Org](t, f.call(t, http.MethodPost, "/api/v1/orgs", admin, web.CreateOrgRequest{ID: "billing-eu", Parent: "billing"}), http.StatusCreated)
	f.createPermission(t, admin, "billing.invoices")
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{readInvoices}})
	sync := f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	path := "/api/v1/accounts/sync@billing.iam/assignments"
	rights := func(check func(t *testing.T, r web.AccountRights)) func(*testing.T, *response) {
		return func(t *testing.T, r *response) { check(t, f.rightsOf(t, admin, sync.ClientID)) }
	}
	f.runSteps(t, admin, []step{
		{name: "a role is assigned on two organizations at once", method: http.MethodPost, path: path,
			body: role("acme/invoice-reader", "billing", "billing-eu"), status: http.StatusNoContent,
			check: rights(func(t *testing.T, r web.AccountRights) {
				if !slices.Equal(r.Roles, []string{"acme/invoice-reader@billing,billing-eu"}) ||
					!holds(r, "billing", readInvoices, "acme/invoice-reader") || !holds(r, "billing-eu", readInvoices, "acme/invoice-reader") {
					t.Errorf("rights %+v", r)
				}
				if r.ClientID != sync.ClientID || r.Org != "billing" {
					t.Errorf("client_id %q, org %q", r.ClientID, r.Org)
				}
			})},
		{name: "the token carries the right", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if tr := decode[oauth.TokenResponse](t, f.token(t, sync, grant()), http.StatusOK); tr.Scope != readInvoices {
					t.Errorf("scope %q", tr.Scope)
				}
			}},
		{name: "assigning it again on one of them is a conflict", method: http.MethodPost, path: path,
			body: role("acme/invoice-reader", "billing"), status: http.StatusConflict, code: "conflict"},
		{name: "a managed role is assigned on a subtree", method: http.MethodPost, path: path,
			body: role("acme/viewer", "billing/*"), status: http.StatusNoContent,
			check: rights(func(t *testing.T, r web.AccountRights) {
				if !slices.Contains(r.Roles, "acme/viewer@billing/*") || !holds(r, "billing-eu", "iam.keys:read", "acme/viewer") {
					t.Errorf("rights %+v", r)
				}
			})},
		{name: "the role is taken away on one organization", method: http.MethodDelete, path: path + "?role=acme/invoice-reader&on=billing-eu", status: http.StatusNoContent,
			check: rights(func(t *testing.T, r web.AccountRights) {
				if holds(r, "billing-eu", readInvoices, "acme/invoice-reader") || !holds(r, "billing", readInvoices, "acme/invoice-reader") {
					t.Errorf("rights %+v", r)
				}
			})},
		{name: "a subtree assignment is taken away by its organization", method: http.MethodDelete, path: path + "?role=acme/viewer&on=billing/*", status: http.StatusNoContent},
		{name: "taking away what is not held is not found", method: http.MethodDelete, path: path + "?role=acme/viewer&on=billing", status: http.StatusNotFound, code: "not_found"},
		{name: "unassigning needs role and on, or group", method: http.MethodDelete, path: path + "?on=billing", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a role and a group at once is invalid", method: http.MethodDelete, path: path + "?group=acme/g&role=acme/viewer&on=billing", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown account is not found", method: http.MethodPost, path: "/api/v1/accounts/ghost@billing.iam/assignments",
			body: role("acme/viewer", "billing"), status: http.StatusNotFound, code: "not_found"},
	})
}

// TestMoveAccount: moving changes the client ID at once, keeps the keys,
// and makes the assignments whose rules no longer hold inactive.
func TestMoveAccount(t *testing.T) { onBothBackends(t, testMoveAccount) }

func testMoveAccount(t *testing.T, opts ...option) {
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	f.createPermission(t, admin, "billing.invoices")
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{readInvoices}})
	old := f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	f.assign(t, admin, old.ClientID, role("acme/invoice-reader", "billing"))
	moved := creds{ClientID: "sync@sales.iam", KeyID: old.KeyID, Secret: old.Secret}
	path := "/api/v1/accounts/sync@billing.iam/move"
	f.runSteps(t, admin, []step{
		{name: "a move without confirm is refused, saying why", method: http.MethodPost, path: path,
			body: `{"org":"sales"}`, status: http.StatusBadRequest,
			check: func(t *testing.T, r *response) {
				if e := wantAPIError(t, r, http.StatusBadRequest, "invalid_argument"); !strings.Contains(e.Message, "confirm") {
					t.Errorf("message %q", e.Message)
				}
				f.wantToken(t, old, http.StatusOK)
			}},
		{name: "a move to an unknown org is not found", method: http.MethodPost, path: path,
			body: web.MoveAccountRequest{Org: "nowhere", Confirm: true}, status: http.StatusNotFound, code: "not_found"},
		{name: "a move to its own org is invalid", method: http.MethodPost, path: path,
			body: web.MoveAccountRequest{Org: "billing", Confirm: true}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a confirmed move changes the client id", method: http.MethodPost, path: path,
			body: web.MoveAccountRequest{Org: "sales", Confirm: true}, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				a := decode[web.Account](t, r, http.StatusOK)
				if a.ClientID != moved.ClientID || a.Org != "sales" || a.ID != "sync" {
					t.Errorf("account %+v", a)
				}
			}},
		{name: "the old client id gets invalid_client at once", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam", status: http.StatusNotFound, code: "not_found",
			check: func(t *testing.T, r *response) { f.wantToken(t, old, http.StatusUnauthorized) }},
		{name: "the same key works under the new client id", method: http.MethodGet, path: "/api/v1/accounts/sync@sales.iam", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				a := decode[web.Account](t, r, http.StatusOK)
				if len(a.Keys) != 1 || a.Keys[0].ID != old.KeyID || a.Keys[0].ClientID != moved.ClientID {
					t.Errorf("keys %+v", a.Keys)
				}
				if tr := decode[oauth.TokenResponse](t, f.token(t, moved, grant()), http.StatusOK); tr.Scope != "" {
					t.Errorf("scope %q: the role on billing should no longer count", tr.Scope)
				}
			}},
		{name: "the role on billing is inactive, naming rule 2", method: http.MethodGet, path: "/api/v1/accounts/sync@sales.iam/rights", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				got := decode[web.AccountRights](t, r, http.StatusOK)
				if len(got.Rights) != 0 || len(got.Roles) != 0 || len(got.Inactive) != 1 {
					t.Fatalf("rights %+v", got)
				}
				if in := got.Inactive[0]; in.Role != "acme/invoice-reader" || in.On != "billing" || in.Rule != 2 || in.Reason == "" {
					t.Errorf("inactive %+v", in)
				}
			}},
		{name: "the system admin cannot be moved", method: http.MethodPost, path: "/api/v1/accounts/" + adminID + "/move",
			body: web.MoveAccountRequest{Org: "sales", Confirm: true}, status: http.StatusForbidden, code: "forbidden"},
	})
}
