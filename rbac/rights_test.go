package rbac_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/rbac"
)

// paths of a small tree: acme > billing > eu, acme > sales.
var testPaths = map[string]string{
	"acme": "/acme/", "billing": "/acme/billing/", "eu": "/acme/billing/eu/", "sales": "/acme/sales/",
}

func testRole(id, org string, perimeter []rbac.Scope, rights ...rbac.Right) rbac.Role {
	return rbac.Role{ID: id, OrgID: org, Name: id, Rights: rights, Perimeter: perimeter}
}

var readInvoices = rbac.Right{Permission: "billing.invoices", Operation: "read"}

func TestCompute(t *testing.T) {
	acmeTree := []rbac.Scope{{OrgID: "acme", Subtree: true}}
	tests := []struct {
		name     string
		subject  string
		role     rbac.Role
		on       rbac.Scope
		want     []string
		inactive int // the failing rule, -1 if active
	}{
		{"a grant holds on the organization it names, not below",
			"acme", testRole("r", "acme", acmeTree, readInvoices), rbac.Scope{OrgID: "billing"},
			[]string{"billing billing.invoices:read"}, -1},
		{"a subtree grant covers the organization and its descendants",
			"acme", testRole("r", "acme", acmeTree, readInvoices), rbac.Scope{OrgID: "billing", Subtree: true},
			[]string{"billing billing.invoices:read", "eu billing.invoices:read"}, -1},
		{"a subtree grant on the root is every organization",
			"acme", testRole("r", "acme", acmeTree, readInvoices), rbac.Scope{OrgID: "acme", Subtree: true},
			[]string{"* billing.invoices:read"}, -1},
		{"a subtree grant on the root covers only the perimeter when it is narrower",
			"acme", testRole("r", "acme", []rbac.Scope{{OrgID: "acme"}, {OrgID: "billing", Subtree: true}}, readInvoices), rbac.Scope{OrgID: "acme", Subtree: true},
			[]string{"acme billing.invoices:read", "billing billing.invoices:read", "eu billing.invoices:read"}, -1},
		{"rule 1 fails for a role of a child organization",
			"billing", testRole("r", "eu", []rbac.Scope{{OrgID: "eu"}}, readInvoices), rbac.Scope{OrgID: "eu"},
			nil, 1},
		{"rule 2 fails for an organization above the subject",
			"billing", testRole("r", "acme", acmeTree, readInvoices), rbac.Scope{OrgID: "acme"},
			nil, 2},
		{"rule 2 fails for a sibling",
			"billing", testRole("r", "acme", acmeTree, readInvoices), rbac.Scope{OrgID: "sales"},
			nil, 2},
		{"rule 3 fails outside the perimeter",
			"acme", testRole("r", "acme", []rbac.Scope{{OrgID: "acme"}, {OrgID: "sales"}}, readInvoices), rbac.Scope{OrgID: "billing"},
			nil, 3},
		{"the subject's organization outside the perimeter grants nothing",
			"acme", testRole("r", "acme", []rbac.Scope{{OrgID: "billing"}}, readInvoices), rbac.Scope{OrgID: "billing"},
			nil, 0},
		{"the bootstrap wildcard",
			"acme", testRole("r", "acme", acmeTree, rbac.All), rbac.Scope{OrgID: "acme", Subtree: true},
			[]string{"* *"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := rbac.Grants{
				Org:    rbac.Org{ID: tt.subject, Path: testPaths[tt.subject]},
				Grants: []rbac.Grant{{RoleID: "r", On: tt.on}},
				Roles:  map[string]rbac.Role{"r": tt.role},
				Paths:  testPaths,
			}
			r := rbac.Compute(g)
			got := triples(r)
			if tt.inactive >= 0 {
				if len(got) != 0 || len(r.Inactive) != 1 || r.Inactive[0].Rule != tt.inactive || r.Inactive[0].Reason == "" {
					t.Fatalf("effective %v, inactive %+v; want inactive by rule %d", got, r.Inactive, tt.inactive)
				}
				return
			}
			if !slices.Equal(got, tt.want) || len(r.Inactive) != 0 {
				t.Fatalf("effective %v, inactive %+v; want %v", got, r.Inactive, tt.want)
			}
			anywhere := false
			for _, tr := range tt.want {
				org, right, _ := strings.Cut(tr, " ")
				want := readInvoices
				if right == "*" {
					want = rbac.Right{Permission: "any.permission", Operation: "delete"}
				}
				if org == rbac.AnyOrg {
					org, anywhere = "created-later", true
				}
				if !r.Allows(org, want) {
					t.Errorf("Allows(%s, %s) is false", org, want)
				}
			}
			if r.Allows("sales", readInvoices) != anywhere {
				t.Errorf("Allows(sales) = %v", !anywhere)
			}
		})
	}
}

func TestComputeThroughAGroupNamesTheGroup(t *testing.T) {
	g := rbac.Grants{
		Org:    rbac.Org{ID: "acme", Path: "/acme/"},
		Grants: []rbac.Grant{{RoleID: "r", On: rbac.Scope{OrgID: "billing"}, GroupID: "g"}},
		Roles:  map[string]rbac.Role{"r": testRole("r", "acme", []rbac.Scope{{OrgID: "acme", Subtree: true}}, readInvoices)},
		Groups: map[string]rbac.Group{"g": {ID: "g", OrgID: "acme", Name: "finance"}},
		Paths:  testPaths,
	}
	r := rbac.Compute(g)
	if eff := r.Effective(); len(eff) != 1 || eff[0].Source.Group != "acme/finance" || eff[0].Source.Role != "acme/r" {
		t.Fatalf("effective %+v", r.Effective())
	}
	if !slices.Equal(r.Roles, []string{"acme/r@billing"}) || !slices.Equal(r.Groups, []string{"acme/finance"}) {
		t.Fatalf("roles %v groups %v", r.Roles, r.Groups)
	}
}

func TestComputeNamesEachRoleOnceWithItsOrganizations(t *testing.T) {
	perimeter := []rbac.Scope{{OrgID: "acme", Subtree: true}}
	g := rbac.Grants{
		Org: rbac.Org{ID: "acme", Path: "/acme/"},
		Grants: []rbac.Grant{
			{RoleID: "r", On: rbac.Scope{OrgID: "sales"}},
			{RoleID: "r", On: rbac.Scope{OrgID: "billing", Subtree: true}},
			{RoleID: "r", On: rbac.Scope{OrgID: "sales"}, GroupID: "g"},
		},
		Roles:  map[string]rbac.Role{"r": testRole("r", "acme", perimeter, readInvoices)},
		Groups: map[string]rbac.Group{"g": {ID: "g", OrgID: "acme", Name: "finance"}},
		Paths:  testPaths,
	}
	if got := rbac.Compute(g).Roles; !slices.Equal(got, []string{"acme/r@billing/*,sales"}) {
		t.Fatalf("roles %v", got)
	}
}

func TestComputeSourcesTellDirectFromThroughAGroupEvenWithoutRights(t *testing.T) {
	perimeter := []rbac.Scope{{OrgID: "acme", Subtree: true}}
	g := rbac.Grants{
		Org: rbac.Org{ID: "acme", Path: "/acme/"},
		Grants: []rbac.Grant{
			{RoleID: "r", On: rbac.Scope{OrgID: "sales"}},
			{RoleID: "r", On: rbac.Scope{OrgID: "sales"}, GroupID: "g"},
			{RoleID: "empty", On: rbac.Scope{OrgID: "billing"}, GroupID: "g"},
		},
		Roles: map[string]rbac.Role{"r": testRole("r", "acme", perimeter, readInvoices),
			"empty": testRole("empty", "acme", perimeter)},
		Groups: map[string]rbac.Group{"g": {ID: "g", OrgID: "acme", Name: "finance"}},
		Paths:  testPaths,
	}
	got := rbac.Compute(g).Sources()
	want := []rbac.Source{
		{Role: "acme/r", On: rbac.Scope{OrgID: "sales"}},
		{Role: "acme/r", Group: "acme/finance", On: rbac.Scope{OrgID: "sales"}},
		{Role: "acme/empty", Group: "acme/finance", On: rbac.Scope{OrgID: "billing"}},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sources %+v, want %+v", got, want)
	}
}

func TestComputeKeepsTheBrokenRuleOfAnInactiveGrant(t *testing.T) {
	g := rbac.Grants{
		Org:    rbac.Org{ID: "billing", Path: "/acme/billing/"},
		Grants: []rbac.Grant{{RoleID: "r", On: rbac.Scope{OrgID: "sales"}}},
		Roles:  map[string]rbac.Role{"r": testRole("r", "acme", []rbac.Scope{{OrgID: "acme", Subtree: true}}, readInvoices)},
		Paths:  testPaths,
	}
	in := rbac.Compute(g).Inactive
	if len(in) != 1 || in[0].Rule != 2 || in[0].Err == nil || in[0].Err.Rule != 2 || in[0].Err.TargetOrg != "sales" {
		t.Fatalf("inactive %+v", in)
	}
}
