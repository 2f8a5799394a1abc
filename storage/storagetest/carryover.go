package storagetest

import (
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// V1 is the content of a database at migration 0001, before the
// authorization model, whose carrying over CheckCarryOver checks. Each
// backend writes it with its own SQL, then migrates to the latest schema.
type V1 struct {
	// Orgs are the organizations as (ID, parent ID), parents first.
	Orgs [][2]string
	// Accounts hold the scopes set directly on them.
	Accounts []V1Account
	// Assignments are (subject, role, organization); the role iam.admin
	// was the only one.
	Assignments [][3]string
	// At is when every record was created.
	At time.Time
}

// V1Account is an account of V1.
type V1Account struct {
	ID, OrgID, Name string
	System          bool
	Scopes          []string
}

// CarryOverData returns the V1 that CheckCarryOver expects: a tree, the
// system admin holding iam.admin, and accounts with scopes that are rights,
// scopes that are not, and none.
func CarryOverData() V1 {
	return V1{
		Orgs: [][2]string{{"acme", ""}, {"billing", "acme"}, {"eu", "billing"}, {"ops", "acme"}},
		Accounts: []V1Account{
			{ID: "admin1", OrgID: "acme", Name: "root-admin", System: true, Scopes: []string{"iam.keys:read"}},
			{ID: "sync1", OrgID: "billing", Name: "invoice-sync", Scopes: []string{"billing.invoices:read", "billing.invoices:write", "legacy"}},
			{ID: "none1", OrgID: "eu", Name: "idle"},
			// Named as a managed role, in the root: its role takes a suffix.
			{ID: "named1", OrgID: "acme", Name: "admin", Scopes: []string{"iam.keys:read", "iam.keys:read"}},
			{ID: "odd1", OrgID: "ops", Name: "odd", Scopes: []string{"Billing:read", "billing..x:read", "billing.x:fly", "a:b:read", "billing.-x:read", "ops.deploy:archive"}},
		},
		Assignments: [][3]string{{"admin1", "iam.admin", "acme"}},
		At:          t0,
	}
}

// CheckCarryOver checks what migrating CarryOverData to the latest schema
// made of it.
func CheckCarryOver(t *testing.T, s Store) {
	for id, path := range map[string]string{"acme": "/acme/", "billing": "/acme/billing/", "eu": "/acme/billing/eu/", "ops": "/acme/ops/"} {
		o, err := s.GetOrg(ctx, id)
		must(t, err)
		equal(t, o.Path, path)
	}
	// The tree is usable: its paths bound its subtrees.
	equal(t, listOrgs(t, s, "billing"), []string{"billing", "eu"})

	// The bootstrap role, held by the former iam.admin.
	admin, err := s.GetRole(ctx, rbac.AdminRole)
	must(t, err)
	want := managedRole(rbac.RoleBootstrap, "acme")
	if admin.CreatedAt.IsZero() || !admin.UpdatedAt.Equal(admin.CreatedAt) {
		t.Errorf("bootstrap role created at %v, updated at %v", admin.CreatedAt, admin.UpdatedAt)
	}
	want.CreatedAt, want.UpdatedAt = admin.CreatedAt, admin.UpdatedAt
	equal(t, admin, want)
	as, err := s.ListRoleAssignments(ctx, "admin1")
	must(t, err)
	equal(t, len(as), 1)
	equal(t, [3]any{as[0].RoleID, as[0].On, as[0].CreatedBy}, [3]any{rbac.AdminRole, rbac.Scope{OrgID: "acme", Subtree: true}, "iamd"})

	// Scopes that are rights became rights of a role of the account's.
	checkScopesRole(t, s, "sync1", rbac.Role{
		OrgID: "billing", Name: "invoice-sync",
		Description: "Carried over from the scopes of invoice-sync@billing; scopes that are not PERMISSION:OPERATION: legacy",
		Rights:      rights("billing.invoices:read", "billing.invoices:write"),
	})
	checkScopesRole(t, s, "named1", rbac.Role{
		OrgID: "acme", Name: "admin-scopes", Description: "Carried over from the scopes of admin@acme",
		Rights: rights("iam.keys:read"),
	})
	checkScopesRole(t, s, "odd1", rbac.Role{
		OrgID: "ops", Name: "odd",
		Description: "Carried over from the scopes of odd@ops; scopes that are not PERMISSION:OPERATION: " +
			"Billing:read billing..x:read billing.x:fly a:b:read billing.-x:read",
		Rights: rights("ops.deploy:archive"),
	})
	for _, id := range []string{"none1", "admin1"} {
		_, err := s.GetRole(ctx, "scopes-"+id)
		wantErr(t, err, storage.ErrNotFound)
	}
	roles, err := s.ListRoles(ctx, "")
	must(t, err)
	equal(t, len(roles), 4)

	// The permissions the rights name are in the catalog.
	for _, name := range []string{"billing.invoices", "ops.deploy"} {
		p, err := s.GetPermission(ctx, name)
		must(t, err)
		equal(t, [3]any{p.Description, p.Builtin, p.CreatedBy}, [3]any{"Carried over from account scopes", false, "iamd"})
	}
	keys, err := s.GetPermission(ctx, rbac.PermKeys)
	must(t, err)
	equal(t, keys.Builtin, true)
	ps, err := s.ListPermissions(ctx)
	must(t, err)
	equal(t, len(ps), len(rbac.BuiltinPermissions)+2)

	// Accounts read back, scopes gone; the grants follow.
	a, err := s.GetAccount(ctx, "sync1")
	must(t, err)
	equal(t, a.Name, "invoice-sync")
	g, err := s.LoadGrants(ctx, "sync1")
	must(t, err)
	equal(t, g.Grants, []rbac.Grant{{RoleID: "scopes-sync1", On: rbac.Scope{OrgID: "billing"}}})
}

// checkScopesRole checks the role carrying over the scopes of accountID,
// and that the account holds it on its organization alone.
func checkScopesRole(t *testing.T, s Store, accountID string, want rbac.Role) {
	t.Helper()
	got, err := s.GetRole(ctx, "scopes-"+accountID)
	must(t, err)
	want.ID, want.Kind, want.CreatedBy = "scopes-"+accountID, rbac.KindCustom, "iamd"
	want.Perimeter = []rbac.Scope{{OrgID: want.OrgID}}
	want.CreatedAt, want.UpdatedAt = got.CreatedAt, got.UpdatedAt
	equal(t, got, want)
	as, err := s.ListRoleAssignments(ctx, accountID)
	must(t, err)
	equal(t, len(as), 1)
	equal(t, [3]any{as[0].RoleID, as[0].On, as[0].CreatedBy}, [3]any{want.ID, rbac.Scope{OrgID: want.OrgID}, "iamd"})
}

// SeedBeforeUsers stores, on a database at migration 0005, the records
// CheckUsersCarryOver expects once 0006 made assignments and memberships
// refer to subjects: the tree of tree, accounts a1 in billing and a2 in
// acme, and for each an assignment and a membership. insertAccount writes
// an account with the backend's own SQL, as CreateAccount writes the
// owner, a column 0005 lacks.
func SeedBeforeUsers(t *testing.T, s Store, insertAccount func(id, orgID, name string)) {
	t.Helper()
	tree(t, s)
	must(t, s.CreatePermission(ctx, permission("billing.invoices")))
	insertAccount("a1", "billing", "sync")
	insertAccount("a2", "acme", "deploy")
	must(t, s.CreateRole(ctx, reader()))
	must(t, s.CreateGroup(ctx, group("acme", "finance", pair(reader().ID, "ops"))))
	for _, id := range []string{"a1", "a2"} {
		must(t, s.AddRoleAssignment(ctx, assignment(id, reader().ID, "billing")))
		must(t, s.AddMembership(ctx, membership(id, group("acme", "finance").ID)))
	}
}

// CheckUsersCarryOver checks that migration 0006 kept what SeedBeforeUsers
// stored, and made its accounts subjects: their grants load, deleting one
// takes its assignments and memberships, and no user can take its ID.
func CheckUsersCarryOver(t *testing.T, s Store) {
	finance := group("acme", "finance").ID
	a, err := s.GetAccount(ctx, "a1")
	must(t, err)
	equal(t, a.OwnerID, "")
	for _, id := range []string{"a1", "a2"} {
		as, err := s.ListRoleAssignments(ctx, id)
		must(t, err)
		equal(t, as, []rbac.RoleAssignment{assignment(id, reader().ID, "billing")})
		ms, err := s.ListMemberships(ctx, id)
		must(t, err)
		equal(t, ms, []rbac.Membership{membership(id, finance)})
	}
	g, err := s.LoadGrants(ctx, "a1")
	must(t, err)
	equal(t, g.Org.ID, "billing")
	equal(t, g.Grants, []rbac.Grant{
		{RoleID: reader().ID, On: rbac.Scope{OrgID: "billing"}},
		{RoleID: reader().ID, On: rbac.Scope{OrgID: "ops"}, GroupID: finance},
	})

	must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
	wantErr(t, s.CreateUser(ctx, user("a1", "billing", "bob")), storage.ErrConflict)
	must(t, s.DeleteAccount(ctx, "a2"))
	as, err := s.ListRoleAssignments(ctx, "a2")
	must(t, err)
	wantEmpty(t, as)
	ms, err := s.ListMemberships(ctx, "a2")
	must(t, err)
	wantEmpty(t, ms)
}
