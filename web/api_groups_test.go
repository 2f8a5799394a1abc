package web_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/iamd/iamd/web"
)

func TestGroups(t *testing.T) { onBothBackends(t, testGroups) }

func testGroups(t *testing.T, opts ...option) {
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	f.createPermission(t, admin, "billing.invoices")
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{readInvoices}})
	sync := f.client(t, admin, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	f.client(t, admin, web.CreateAccountRequest{ID: "other", Org: "sales"})
	wantGroup := func(description string, roles ...web.GroupRole) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			g := decode[web.Group](t, r, r.Status)
			if g.Ref != "acme/finance" || g.Org != rootOrg || g.Name != "finance" || g.Description != description || g.CreatedBy != adminID {
				t.Errorf("group %+v", g)
			}
			if roles == nil {
				roles = []web.GroupRole{}
			}
			if !slices.Equal(g.Roles, roles) {
				t.Errorf("roles %+v, want %+v", g.Roles, roles)
			}
		}
	}
	reader := web.GroupRole{Role: "acme/invoice-reader", On: "billing"}
	viewer := web.GroupRole{Role: "acme/viewer", On: "billing/*"}
	members := "/api/v1/groups/acme/finance/members"
	assignments := "/api/v1/accounts/sync@billing.iam/assignments"
	f.runSteps(t, admin, []step{
		{name: "a group is created empty", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: rootOrg, Name: "finance", Description: "Finance"}, status: http.StatusCreated, check: wantGroup("Finance")},
		{name: "a taken name is a conflict", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: rootOrg, Name: "finance"}, status: http.StatusConflict, code: "conflict"},
		{name: "a group in an unknown org is not found", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: "nowhere", Name: "finance"}, status: http.StatusNotFound, code: "not_found"},
		{name: "a role on billing is added", method: http.MethodPost, path: "/api/v1/groups/acme/finance/roles",
			body: reader, status: http.StatusOK, check: wantGroup("Finance", reader)},
		{name: "a role on a subtree is added", method: http.MethodPost, path: "/api/v1/groups/acme/finance/roles",
			body: viewer, status: http.StatusOK, check: wantGroup("Finance", reader, viewer)},
		{name: "the same role on the same org again is a conflict", method: http.MethodPost, path: "/api/v1/groups/acme/finance/roles",
			body: reader, status: http.StatusConflict, code: "conflict"},
		{name: "a group of billing is created", method: http.MethodPost, path: "/api/v1/groups",
			body: web.CreateGroupRequest{Org: "billing", Name: "local"}, status: http.StatusCreated},
		{name: "a pair on an org outside the group's breaks rule 2", method: http.MethodPost, path: "/api/v1/groups/billing/local/roles",
			body: web.GroupRole{Role: "acme/viewer", On: "sales"}, status: http.StatusBadRequest, check: wantRule(2)},
		{name: "the description changes", method: http.MethodPatch, path: "/api/v1/groups/acme/finance",
			body: `{"description":"Finance team"}`, status: http.StatusOK, check: wantGroup("Finance team", reader, viewer)},
		{name: "groups are listed by org, then name", method: http.MethodGet, path: "/api/v1/groups", status: http.StatusOK,
			check: wantItems(groupRef, "acme/finance", "billing/local")},
		{name: "the org filter keeps that org's groups", method: http.MethodGet, path: "/api/v1/groups?org=billing", status: http.StatusOK,
			check: wantItems(groupRef, "billing/local")},
		{name: "the group has no member yet", method: http.MethodGet, path: members, status: http.StatusOK,
			check: wantItems(func(m web.Member) string { return m.ClientID })},
		{name: "an account joins it", method: http.MethodPost, path: assignments,
			body: web.AssignRequest{Group: "acme/finance"}, status: http.StatusNoContent},
		{name: "joining twice is a conflict", method: http.MethodPost, path: assignments,
			body: web.AssignRequest{Group: "acme/finance"}, status: http.StatusConflict, code: "conflict"},
		{name: "the members are listed", method: http.MethodGet, path: members, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				l := decode[web.MemberList](t, r, http.StatusOK)
				if len(l.Items) != 1 || l.Items[0].ClientID != sync.ClientID || l.Items[0].CreatedBy != adminID || l.Items[0].CreatedAt.IsZero() {
					t.Errorf("members %+v", l.Items)
				}
			}},
		{name: "the member holds the group's rights, each naming the group", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam/rights", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				got := decode[web.AccountRights](t, r, http.StatusOK)
				if !slices.Equal(got.Groups, []string{"acme/finance"}) || !slices.Equal(got.Roles, []string{"acme/invoice-reader@billing", "acme/viewer@billing/*"}) {
					t.Errorf("groups %q, roles %q", got.Groups, got.Roles)
				}
				i := slices.IndexFunc(got.Rights, func(e web.EffectiveRight) bool { return e.Right == readInvoices })
				if i < 0 || got.Rights[i] != (web.EffectiveRight{Org: "billing", Right: readInvoices, Role: "acme/invoice-reader", Group: "acme/finance", On: "billing"}) {
					t.Errorf("rights %+v", got.Rights)
				}
			}},
		{name: "the account shows its group", method: http.MethodGet, path: "/api/v1/accounts/sync@billing.iam", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if a := decode[web.Account](t, r, http.StatusOK); !slices.Equal(a.Groups, []string{"acme/finance"}) {
					t.Errorf("groups %q", a.Groups)
				}
			}},
		{name: "an account of sales cannot join: the pair on billing breaks rule 2 for it", method: http.MethodPost, path: "/api/v1/accounts/other@sales.iam/assignments",
			body: web.AssignRequest{Group: "acme/finance"}, status: http.StatusBadRequest, check: wantRule(2)},
		{name: "a pair is removed", method: http.MethodDelete, path: "/api/v1/groups/acme/finance/roles?role=acme/viewer&on=billing", status: http.StatusOK,
			check: wantGroup("Finance team", reader)},
		{name: "removing it again is not found", method: http.MethodDelete, path: "/api/v1/groups/acme/finance/roles?role=acme/viewer&on=billing",
			status: http.StatusNotFound, code: "not_found"},
		{name: "removing a pair needs role and on", method: http.MethodDelete, path: "/api/v1/groups/acme/finance/roles?role=acme/viewer",
			status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the member leaves", method: http.MethodDelete, path: assignments + "?group=acme/finance", status: http.StatusNoContent},
		{name: "leaving again is not found", method: http.MethodDelete, path: assignments + "?group=acme/finance", status: http.StatusNotFound, code: "not_found"},
		{name: "the group has no member left", method: http.MethodGet, path: members, status: http.StatusOK,
			check: wantItems(func(m web.Member) string { return m.ClientID })},
		{name: "the group is deleted", method: http.MethodDelete, path: "/api/v1/groups/acme/finance", status: http.StatusNoContent},
		{name: "a deleted group is not found", method: http.MethodGet, path: "/api/v1/groups/acme/finance", status: http.StatusNotFound, code: "not_found"},
		{name: "a malformed reference is invalid", method: http.MethodGet, path: "/api/v1/groups/acme/Finance", status: http.StatusBadRequest, code: "invalid_argument"},
	})
}
