package storagetest

import (
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// pathsOf maps the organizations at paths to their paths.
func pathsOf(paths ...string) map[string]string {
	out := map[string]string{}
	for _, p := range paths {
		out[org(p).ID] = p
	}
	return out
}

func grantsCases() {
	add("grants are a subject's direct and group assignments, with their roles, groups and organizations", func(t *testing.T, s Store) {
		authz(t, s)
		orgs(t, s, "/acme/billing/eu/", "/acme/billing/us/", "/acme/billing/eu/fr/", "/acme/sales/", "/acme/sales/north/", "/acme/ops/deep/")
		auditor := role("acme", "auditor", rights("billing.payments:read"), "ops", "sales/*")
		unused := role("acme", "unused", rights("billing.payments:read"), "ops")
		for _, r := range []rbac.Role{reader(), writer(), auditor, unused} {
			must(t, s.CreateRole(ctx, r))
		}
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing/*")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", writer().ID, "billing")))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", unused.ID, "ops/*")))
		finance := group("acme", "finance", pair(auditor.ID, "sales/*"), pair(reader().ID, "ops"))
		empty := group("acme", "empty")
		other := group("acme", "other", pair(unused.ID, "ops"))
		for _, g := range []rbac.Group{finance, empty, other} {
			must(t, s.CreateGroup(ctx, g))
		}
		must(t, s.AddMembership(ctx, membership("a1", finance.ID)))
		must(t, s.AddMembership(ctx, membership("a1", empty.ID)))
		must(t, s.AddMembership(ctx, membership("a2", other.ID)))

		got, err := s.LoadGrants(ctx, "a1")
		must(t, err)
		finance.Pairs = []rbac.Pair{}
		equal(t, got, rbac.Grants{
			Org: org("/acme/billing/"),
			Grants: []rbac.Grant{
				{RoleID: reader().ID, On: rbac.Scope{OrgID: "billing", Subtree: true}},
				{RoleID: writer().ID, On: rbac.Scope{OrgID: "billing"}},
				{RoleID: auditor.ID, On: rbac.Scope{OrgID: "sales", Subtree: true}, GroupID: finance.ID},
				{RoleID: reader().ID, On: rbac.Scope{OrgID: "ops"}, GroupID: finance.ID},
			},
			Roles:  map[string]rbac.Role{reader().ID: reader(), writer().ID: writer(), auditor.ID: auditor},
			Groups: map[string]rbac.Group{finance.ID: finance, empty.ID: empty},
			// The subject's organization, those granted, the roles'
			// owners and perimeters, and the subtrees granted: not
			// ops/deep, below a perimeter entry only.
			Paths: pathsOf("/acme/", "/acme/billing/", "/acme/ops/", "/acme/sales/",
				"/acme/billing/eu/", "/acme/billing/us/", "/acme/billing/eu/fr/", "/acme/sales/north/"),
		})
	})
	add("a subject without assignments has its organization alone", func(t *testing.T, s Store) {
		authz(t, s)
		got, err := s.LoadGrants(ctx, "a1")
		must(t, err)
		equal(t, got, rbac.Grants{
			Org: org("/acme/billing/"), Grants: []rbac.Grant{}, Roles: map[string]rbac.Role{}, Groups: map[string]rbac.Group{},
			Paths: pathsOf("/acme/billing/"),
		})
	})
	add("the grants of an unknown subject are not found", func(t *testing.T, s Store) {
		authz(t, s)
		_, err := s.LoadGrants(ctx, "nobody")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("the bootstrap admin's grant is every right on the whole tree", func(t *testing.T, s Store) {
		authz(t, s)
		admin := managedRole(rbac.RoleBootstrap, "acme")
		must(t, s.CreateRole(ctx, admin))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", admin.ID, "acme/*")))
		got, err := s.LoadGrants(ctx, "a2")
		must(t, err)
		equal(t, got.Grants, []rbac.Grant{{RoleID: admin.ID, On: rbac.Scope{OrgID: "acme", Subtree: true}}})
		equal(t, got.Roles, map[string]rbac.Role{admin.ID: admin})
		equal(t, got.Roles[admin.ID].Rights, []rbac.Right{rbac.All})
		// Compute writes this grant as every organization: the tree is not
		// read, so the admin's rights cost the same whatever its size.
		equal(t, got.Paths, pathsOf("/acme/"))
	})
	add("a grant on the root of a role with a narrower perimeter lists the tree", func(t *testing.T, s Store) {
		authz(t, s)
		narrow := role("acme", "narrow", rights("billing.invoices:read"), "acme", "billing/*")
		must(t, s.CreateRole(ctx, narrow))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", narrow.ID, "acme/*")))
		got, err := s.LoadGrants(ctx, "a2")
		must(t, err)
		equal(t, got.Paths, pathsOf("/acme/", "/acme/billing/", "/acme/ops/"))
	})
	add("grants follow a move of the tree", func(t *testing.T, s Store) {
		authz(t, s)
		orgs(t, s, "/acme/billing/eu/")
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "ops/*")))
		must(t, s.MoveOrg(ctx, "billing", "ops", t0))
		got, err := s.LoadGrants(ctx, "a1")
		must(t, err)
		equal(t, got.Org.Path, "/acme/ops/billing/")
		equal(t, got.Paths, pathsOf("/acme/", "/acme/ops/", "/acme/ops/billing/", "/acme/ops/billing/eu/"))
	})
}
