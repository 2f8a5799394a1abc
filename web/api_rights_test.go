package web_test

import (
	"net/http"
	"testing"

	"github.com/iamd/iamd/web"
)

// rightsFixture is a tree for the tests of rights: acme, with billing
// (and billing-eu under it) and sales; accounts sync@billing.iam and
// other@sales.iam; the role billing/local; the groups acme/finance and
// billing/team.
func rightsFixture(t *testing.T, opts ...option) (*fixture, string) {
	t.Helper()
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	decode[web.Org](t, f.call(t, http.MethodPost, "/api/v1/orgs", admin, web.CreateOrgRequest{ID: "billing-eu", Parent: "billing"}), http.StatusCreated)
	f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	f.client(t, admin, web.CreateAccountRequest{ID: "other", Org: "sales"})
	f.createRole(t, admin, web.CreateRoleRequest{Org: "billing", Name: "local", Rights: []string{"iam.keys:read"}})
	for _, g := range []web.CreateGroupRequest{{Org: rootOrg, Name: "finance"}, {Org: "billing", Name: "team"}} {
		decode[web.Group](t, f.call(t, http.MethodPost, "/api/v1/groups", admin, g), http.StatusCreated)
	}
	return f, admin
}

// TestViewerOnAChildOrg: the managed viewer role on billing reads billing
// and nothing else, and every refusal names the right it lacks.
func TestViewerOnAChildOrg(t *testing.T) { onBothBackends(t, testViewerOnAChildOrg) }

func testViewerOnAChildOrg(t *testing.T, opts ...option) {
	f, admin := rightsFixture(t, opts...)
	_, viewer := f.member(t, admin, "auditor", "billing", role("acme/viewer", "billing"))
	f.runSteps(t, viewer, []step{
		{name: "the org list holds billing alone", method: http.MethodGet, path: "/api/v1/orgs", status: http.StatusOK,
			check: wantItems(orgID, "billing")},
		{name: "billing can be read", method: http.MethodGet, path: "/api/v1/orgs/billing", status: http.StatusOK},
		{name: "the parent cannot be read", method: http.MethodGet, path: "/api/v1/orgs/acme", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.organizations:read")},
		{name: "a sibling cannot be read", method: http.MethodGet, path: "/api/v1/orgs/sales", status: http.StatusForbidden,
			check: wantMissing("sales", "iam.organizations:read")},
		{name: "a child is not covered by an assignment on billing alone", method: http.MethodGet, path: "/api/v1/orgs/billing-eu", status: http.StatusForbidden,
			check: wantMissing("billing-eu", "iam.organizations:read")},
		{name: "the account list holds billing's accounts alone", method: http.MethodGet, path: "/api/v1/accounts", status: http.StatusOK,
			check: wantItems(accountID, "auditor@billing.iam", "sync@billing.iam")},
		{name: "an account of billing can be read with its keys, roles and groups", method: http.MethodGet, path: "/api/v1/accounts/auditor@billing.iam", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				a := decode[web.Account](t, r, http.StatusOK)
				if len(a.Keys) != 1 || len(a.Roles) != 1 || a.Roles[0] != "acme/viewer@billing" || a.Groups == nil || len(a.Groups) != 0 {
					t.Errorf("keys %+v, roles %q, groups %q", a.Keys, a.Roles, a.Groups)
				}
			}},
		{name: "an account of sales cannot be read", method: http.MethodGet, path: "/api/v1/accounts/other@sales.iam", status: http.StatusForbidden,
			check: wantMissing("sales", "iam.service-accounts:read")},
		{name: "listing the accounts of the parent is refused", method: http.MethodGet, path: "/api/v1/accounts?org=acme", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.service-accounts:read")},
		{name: "the rights of an account of billing can be read", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam/rights", status: http.StatusOK},
		{name: "the role list holds billing's roles alone", method: http.MethodGet, path: "/api/v1/roles", status: http.StatusOK,
			check: wantItems(roleRef, "billing/local")},
		{name: "the roles of the parent cannot be listed", method: http.MethodGet, path: "/api/v1/roles?org=acme", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.roles:read")},
		{name: "a managed role, owned by the root, cannot be read", method: http.MethodGet, path: "/api/v1/roles/acme/viewer", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.roles:read")},
		{name: "the group list holds billing's groups alone", method: http.MethodGet, path: "/api/v1/groups", status: http.StatusOK,
			check: wantItems(groupRef, "billing/team")},
		{name: "a group of the parent cannot be read", method: http.MethodGet, path: "/api/v1/groups/acme/finance", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.groups:read")},
		{name: "nor its members", method: http.MethodGet, path: "/api/v1/groups/acme/finance/members", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.groups:read")},
		{name: "the members of billing's group can be read", method: http.MethodGet, path: "/api/v1/groups/billing/team/members", status: http.StatusOK},
		{name: "the permission catalog can be read, to pick rights from", method: http.MethodGet, path: "/api/v1/permissions", status: http.StatusOK},
		{name: "the audit log shows nothing without iam.audit read", method: http.MethodGet, path: "/api/v1/audit", status: http.StatusOK,
			check: wantItems(func(e web.AuditEntry) string { return e.ID })},
		{name: "the audit log of billing is refused", method: http.MethodGet, path: "/api/v1/audit?org=billing", status: http.StatusForbidden,
			check: wantMissing("billing", "iam.audit:read")},
		{name: "the signing keys cannot be read", method: http.MethodGet, path: "/api/v1/signing-keys", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.signing-keys:read")},

		{name: "creating an account in billing is refused", method: http.MethodPost, path: "/api/v1/accounts",
			body: web.CreateAccountRequest{ID: "new", Org: "billing"}, status: http.StatusForbidden, check: wantMissing("billing", "iam.service-accounts:write")},
		{name: "changing an account is refused", method: http.MethodPatch, path: "/api/v1/accounts/sync@billing.iam",
			body: `{"description":"x"}`, status: http.StatusForbidden, check: wantMissing("billing", "iam.service-accounts:write")},
		{name: "archiving an account is refused", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/archive",
			status: http.StatusForbidden, check: wantMissing("billing", "iam.service-accounts:archive")},
		{name: "deleting an account is refused", method: http.MethodDelete, path: "/api/v1/accounts/sync@billing.iam",
			status: http.StatusForbidden, check: wantMissing("billing", "iam.service-accounts:delete")},
		{name: "creating a key is refused", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/keys",
			status: http.StatusForbidden, check: wantMissing("billing", "iam.keys:write")},
		{name: "renaming billing is refused", method: http.MethodPatch, path: "/api/v1/orgs/billing",
			body: `{"name":"Billing"}`, status: http.StatusForbidden, check: wantMissing("billing", "iam.organizations:write")},
		{name: "creating an org under billing is refused", method: http.MethodPost, path: "/api/v1/orgs",
			body: web.CreateOrgRequest{ID: "billing-us", Parent: "billing"}, status: http.StatusForbidden, check: wantMissing("billing", "iam.organizations:write")},
		{name: "creating a role in billing is refused", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: "billing", Name: "mine", Rights: []string{}}, status: http.StatusForbidden, check: wantMissing("billing", "iam.roles:write")},
		{name: "assigning a role in billing is refused", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/assignments",
			body: role("billing/local", "billing"), status: http.StatusForbidden, check: wantMissing("billing", "iam.assignments:write")},
		{name: "registering a permission is refused", method: http.MethodPost, path: "/api/v1/permissions",
			body: web.CreatePermissionRequest{Name: "billing.invoices"}, status: http.StatusForbidden, check: wantMissing("acme", "iam.roles:write")},
		{name: "rotating the signing keys is refused", method: http.MethodPost, path: "/api/v1/signing-keys/rotate",
			status: http.StatusForbidden, check: wantMissing("acme", "iam.signing-keys:write")},
		{name: "creating an account in sales is refused", method: http.MethodPost, path: "/api/v1/accounts",
			body: web.CreateAccountRequest{ID: "new", Org: "sales"}, status: http.StatusForbidden, check: wantMissing("sales", "iam.service-accounts:write")},
	})
}

// TestViewerOnASubtree: with billing/*, the viewer reads billing and every
// organization under it, those created later too.
func TestViewerOnASubtree(t *testing.T) {
	f, admin := rightsFixture(t)
	_, viewer := f.member(t, admin, "auditor", "billing", role("acme/viewer", "billing/*"))
	decode[web.Org](t, f.call(t, http.MethodPost, "/api/v1/orgs", admin, web.CreateOrgRequest{ID: "billing-us", Parent: "billing"}), http.StatusCreated)
	f.runSteps(t, viewer, []step{
		{name: "the org list holds billing's subtree in tree order", method: http.MethodGet, path: "/api/v1/orgs", status: http.StatusOK,
			check: wantItems(orgID, "billing", "billing-eu", "billing-us")},
		{name: "an org created after the assignment can be read", method: http.MethodGet, path: "/api/v1/orgs/billing-us", status: http.StatusOK},
		{name: "the parent still cannot be read", method: http.MethodGet, path: "/api/v1/orgs/acme", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.organizations:read")},
	})
}

// TestDeveloperOnAChildOrg: the managed developer role manages accounts and
// keys, and nothing about roles or assignments.
func TestDeveloperOnAChildOrg(t *testing.T) {
	f, admin := rightsFixture(t)
	_, dev := f.member(t, admin, "dev", "billing", role("acme/developer", "billing"))
	f.runSteps(t, dev, []step{
		{name: "an account can be created in billing", method: http.MethodPost, path: "/api/v1/accounts",
			body: web.CreateAccountRequest{ID: "app", Org: "billing"}, status: http.StatusCreated},
		{name: "a key can be created for it", method: http.MethodPost, path: "/api/v1/accounts/app@billing.iam/keys",
			body: web.CreateKeyRequest{Label: "ci"}, status: http.StatusCreated},
		{name: "it can be changed", method: http.MethodPatch, path: "/api/v1/accounts/app@billing.iam",
			body: `{"description":"The app."}`, status: http.StatusOK},
		{name: "it can be archived", method: http.MethodPost, path: "/api/v1/accounts/app@billing.iam/archive", status: http.StatusOK},
		{name: "it cannot be deleted", method: http.MethodDelete, path: "/api/v1/accounts/app@billing.iam",
			status: http.StatusForbidden, check: wantMissing("billing", "iam.service-accounts:delete")},
		{name: "a role cannot be created", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: "billing", Name: "mine", Rights: []string{"iam.keys:read"}}, status: http.StatusForbidden,
			check: wantMissing("billing", "iam.roles:write")},
		{name: "a role cannot be changed", method: http.MethodPatch, path: "/api/v1/roles/billing/local",
			body: `{"description":"x"}`, status: http.StatusForbidden, check: wantMissing("billing", "iam.roles:write")},
		{name: "a role cannot be assigned", method: http.MethodPost, path: "/api/v1/accounts/app@billing.iam/assignments",
			body: role("billing/local", "billing"), status: http.StatusForbidden, check: wantMissing("billing", "iam.assignments:write")},
		{name: "a group cannot be created", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: "billing", Name: "team"}, status: http.StatusForbidden, check: wantMissing("billing", "iam.groups:write")},
		{name: "an account cannot be created in sales", method: http.MethodPost, path: "/api/v1/accounts",
			body: web.CreateAccountRequest{ID: "app", Org: "sales"}, status: http.StatusForbidden, check: wantMissing("sales", "iam.service-accounts:write")},
		{name: "an account cannot be moved out of billing's reach", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/move",
			body: web.MoveAccountRequest{Org: "sales", Confirm: true}, status: http.StatusForbidden, check: wantMissing("sales", "iam.service-accounts:write")},
	})
}

// TestAssignmentRules: each of the three rules refuses an assignment with
// a 400 that names it, directly and through a group.
func TestAssignmentRules(t *testing.T) { onBothBackends(t, testAssignmentRules) }

func testAssignmentRules(t *testing.T, opts ...option) {
	f, admin := rightsFixture(t, opts...)
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "billing-only", Rights: []string{"iam.keys:read"}, Perimeter: []string{"billing"}})
	f.client(t, admin, web.CreateAccountRequest{ID: "top", Org: rootOrg})
	decode[web.Group](t, f.call(t, http.MethodPost, "/api/v1/groups", admin, web.CreateGroupRequest{Org: rootOrg, Name: "billing-readers"}), http.StatusCreated)
	decode[web.Group](t, f.call(t, http.MethodPost, "/api/v1/groups/acme/billing-readers/roles", admin, web.GroupRole{Role: "acme/billing-only", On: "billing"}), http.StatusOK)
	assign := func(clientID string) string { return "/api/v1/accounts/" + clientID + "/assignments" }
	f.runSteps(t, admin, []step{
		{name: "rule 1: a role of billing cannot be given to an account of sales", method: http.MethodPost, path: assign("other@sales.iam"),
			body: role("billing/local", "sales"), status: http.StatusBadRequest, check: wantRule(1)},
		{name: "rule 2: an account of billing cannot be given a role on sales", method: http.MethodPost, path: assign("sync@billing.iam"),
			body: role("acme/viewer", "sales"), status: http.StatusBadRequest, check: wantRule(2)},
		{name: "rule 2: nor on its parent", method: http.MethodPost, path: assign("sync@billing.iam"),
			body: role("acme/viewer", "acme"), status: http.StatusBadRequest, check: wantRule(2)},
		{name: "rule 3: a role cannot be assigned outside its perimeter", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/billing-only", "sales"), status: http.StatusBadRequest, check: wantRule(3)},
		{name: "rule 2 through a group: its role on billing cannot reach an account of sales", method: http.MethodPost, path: assign("other@sales.iam"),
			body: web.AssignRequest{Group: "acme/billing-readers"}, status: http.StatusBadRequest, check: wantRule(2)},
		{name: "one refused organization refuses them all", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/billing-only", "billing", "sales"), status: http.StatusBadRequest, check: wantRule(3)},
		{name: "nothing was assigned", method: http.MethodGet, path: "/api/v1/accounts/top@acme.iam/rights", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if got := decode[web.AccountRights](t, r, http.StatusOK); len(got.Roles) != 0 || len(got.Rights) != 0 {
					t.Errorf("roles %q, rights %+v", got.Roles, got.Rights)
				}
			}},
		{name: "within the rules the assignment is made", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/billing-only", "billing"), status: http.StatusNoContent},
		{name: "the system admin cannot be assigned anything", method: http.MethodPost, path: assign(adminID),
			body: role("acme/viewer", "acme"), status: http.StatusForbidden, code: "forbidden"},
		{name: "the bootstrap role cannot be assigned", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/system-admin", "acme"), status: http.StatusForbidden, code: "forbidden"},
		{name: "an unknown role is not found", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/nope", "acme"), status: http.StatusNotFound, code: "not_found"},
		{name: "a role and a group at once is invalid", method: http.MethodPost, path: assign("top@acme.iam"),
			body: web.AssignRequest{Role: "acme/viewer", On: []string{"acme"}, Group: "acme/billing-readers"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a role without organization is invalid", method: http.MethodPost, path: assign("top@acme.iam"),
			body: web.AssignRequest{Role: "acme/viewer"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a malformed scope is invalid", method: http.MethodPost, path: assign("top@acme.iam"),
			body: role("acme/viewer", "acme/**"), status: http.StatusBadRequest, code: "invalid_argument"},
	})
}

// TestEscalationIsRefused: an admin of billing cannot grant, through an
// assignment, a subtree, a group or a role's new rights, what it does not
// hold itself.
func TestEscalationIsRefused(t *testing.T) { onBothBackends(t, testEscalationIsRefused) }

func testEscalationIsRefused(t *testing.T, opts ...option) {
	f, admin := rightsFixture(t, opts...)
	f.createPermission(t, admin, "billing.invoices")
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-writer", Rights: []string{writeInvoices}})
	_, boss := f.member(t, admin, "boss", "billing", role("acme/admin", "billing"))
	assign := "/api/v1/accounts/sync@billing.iam/assignments"
	f.runSteps(t, boss, []step{
		{name: "a role holding a right it lacks cannot be assigned", method: http.MethodPost, path: assign,
			body: role("acme/invoice-writer", "billing"), status: http.StatusForbidden, check: wantMissing("billing", writeInvoices)},
		{name: "a role whose rights it holds can be", method: http.MethodPost, path: assign,
			body: role("acme/viewer", "billing"), status: http.StatusNoContent},
		{name: "not on the subtree, which it does not hold with the descendants to come", method: http.MethodPost, path: "/api/v1/accounts/boss@billing.iam/assignments",
			body: role("acme/developer", "billing/*"), status: http.StatusForbidden, check: wantMissing("billing", "iam.assignments:write")},
		{name: "a group of its own organization is created", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: "billing", Name: "writers"}, status: http.StatusCreated},
		{name: "nor can the role be put in a group", method: http.MethodPost, path: "/api/v1/groups/billing/writers/roles",
			body: web.GroupRole{Role: "acme/invoice-writer", On: "billing"}, status: http.StatusForbidden, check: wantMissing("billing", writeInvoices)},
		{name: "a role of its own organization is created", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: "billing", Name: "mine", Rights: []string{"iam.keys:read"}}, status: http.StatusCreated},
		{name: "and assigned", method: http.MethodPost, path: assign, body: role("billing/mine", "billing"), status: http.StatusNoContent},
		{name: "but the assigned role cannot be given a right it lacks", method: http.MethodPatch, path: "/api/v1/roles/billing/mine",
			body: web.UpdateRoleRequest{Rights: &[]string{"iam.keys:read", writeInvoices}}, status: http.StatusForbidden, check: wantMissing("billing", writeInvoices)},
		{name: "nor a right of the root", method: http.MethodPatch, path: "/api/v1/roles/billing/mine",
			body: web.UpdateRoleRequest{Rights: &[]string{"iam.signing-keys:read"}}, status: http.StatusForbidden, check: wantMissing("billing", "iam.signing-keys:read")},
	})
	t.Run("the account holds only what was granted", func(t *testing.T) {
		r := f.rightsOf(t, admin, "sync@billing.iam")
		for _, e := range r.Rights {
			if e.Right == writeInvoices || e.Right == "iam.signing-keys:read" {
				t.Errorf("holds %+v", e)
			}
		}
		if !holds(r, "billing", "iam.keys:read", "billing/mine") {
			t.Errorf("rights %+v lack iam.keys:read from billing/mine", r.Rights)
		}
	})
}

// TestAccountShowsAssignmentsToWhoMayReadThem: an account's roles and
// groups are part of it only for a caller holding iam.assignments read,
// and its keys only for one holding iam.keys read.
func TestAccountShowsAssignmentsToWhoMayReadThem(t *testing.T) {
	f, admin := rightsFixture(t)
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "account-reader", Rights: []string{"iam.service-accounts:read"}})
	f.assign(t, admin, "sync@billing.iam", role("acme/viewer", "billing"))
	_, reader := f.member(t, admin, "reader", "billing", role("acme/account-reader", "billing"))
	_, viewer := f.member(t, admin, "auditor", "billing", role("acme/viewer", "billing"))
	for _, tt := range []struct {
		name, token string
		shown       bool
	}{
		{"a caller who may read assignments and keys sees them", viewer, true},
		{"a caller who may read the account alone sees neither", reader, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(t, http.MethodGet, "/api/v1/accounts/sync@billing.iam", tt.token, nil)
			a := decode[web.Account](t, r, http.StatusOK)
			if shown := a.Roles != nil && a.Groups != nil && a.Keys != nil; shown != tt.shown {
				t.Errorf("roles %q, groups %q, keys %+v; want them shown: %t", a.Roles, a.Groups, a.Keys, tt.shown)
			}
			if tt.shown && (len(a.Roles) != 1 || a.Roles[0] != "acme/viewer@billing") {
				t.Errorf("roles %q", a.Roles)
			}
		})
	}
}
