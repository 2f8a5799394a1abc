package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func permission(name string) rbac.Permission {
	return rbac.Permission{Name: name, Description: "About " + name, CreatedAt: storage.Time(t0), CreatedBy: "test"}
}

// rights parses "PERMISSION:OPERATION" rights, in the order given.
func rights(ss ...string) []rbac.Right {
	out := []rbac.Right{}
	for _, s := range ss {
		r, err := rbac.ParseRight(s)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

// scopes parses "ORG" and "ORG/*" scopes.
func scopes(ss ...string) []rbac.Scope {
	out := []rbac.Scope{}
	for _, s := range ss {
		sc, err := rbac.ParseScope(s)
		if err != nil {
			panic(err)
		}
		out = append(out, sc)
	}
	return out
}

// role returns a custom role with ID orgID+"."+name.
func role(orgID, name string, rs []rbac.Right, perimeter ...string) rbac.Role {
	return rbac.Role{
		ID: orgID + "." + name, OrgID: orgID, Name: name, Description: "Role " + name,
		Rights: rs, Perimeter: scopes(perimeter...),
		CreatedAt: storage.Time(t0), CreatedBy: "test", UpdatedAt: storage.Time(t0),
	}
}

// managedRole returns the managed role name, owned by root.
func managedRole(name, root string) rbac.Role {
	for _, r := range rbac.ManagedRoles(root, storage.Time(t0)) {
		if r.Name == name {
			return r
		}
	}
	panic("no managed role " + name)
}

// authz stores the tree of tree, the permissions billing.invoices and
// billing.payments, and accounts a1 in billing and a2 in acme.
func authz(t *testing.T, s Store) {
	t.Helper()
	tree(t, s)
	must(t, s.CreatePermission(ctx, permission("billing.invoices")))
	must(t, s.CreatePermission(ctx, permission("billing.payments")))
	must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
	must(t, s.CreateAccount(ctx, account("a2", "acme", "deploy")))
}

// reader is a role of acme reading invoices, assignable in acme's subtree.
func reader() rbac.Role {
	return role("acme", "reader", rights("billing.invoices:read"), "acme/*")
}

func permissionCases() {
	add("the built-in permissions are in the catalog", func(t *testing.T, s Store) {
		ps, err := s.ListPermissions(ctx)
		must(t, err)
		equal(t, len(ps), len(rbac.BuiltinPermissions))
		for _, want := range rbac.BuiltinPermissions {
			got, err := s.GetPermission(ctx, want.Name)
			must(t, err)
			if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(storage.Time(got.CreatedAt)) {
				t.Errorf("%s created at %v", got.Name, got.CreatedAt)
			}
			want.CreatedAt, want.CreatedBy = got.CreatedAt, "iamd"
			equal(t, got, want)
		}
	})
	add("a permission round-trips", func(t *testing.T, s Store) {
		p := permission("billing.invoices")
		must(t, s.CreatePermission(ctx, p))
		got, err := s.GetPermission(ctx, "billing.invoices")
		must(t, err)
		equal(t, got, p)
		_, err = s.GetPermission(ctx, "billing.nope")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.CreatePermission(ctx, permission("billing.invoices")), storage.ErrConflict)
		wantErr(t, s.CreatePermission(ctx, permission(rbac.PermKeys)), storage.ErrConflict)
	})
	add("permissions list by name", func(t *testing.T, s Store) {
		for _, n := range []string{"zz.last", "billing.invoices", "billing-x.a", "billing.invoices-old", "a"} {
			must(t, s.CreatePermission(ctx, permission(n)))
		}
		ps, err := s.ListPermissions(ctx)
		must(t, err)
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
		}
		equal(t, names, []string{"a", "billing-x.a", "billing.invoices", "billing.invoices-old",
			"iam.assignments", "iam.audit", "iam.groups", "iam.keys", "iam.organizations", "iam.roles",
			"iam.service-accounts", "iam.signing-keys", "iam.tokens", "iam.users", "zz.last"})
	})
	add("updating a permission changes its description only", func(t *testing.T, s Store) {
		must(t, s.CreatePermission(ctx, permission("billing.invoices")))
		must(t, s.UpdatePermission(ctx, "billing.invoices", func(p rbac.Permission) (rbac.Permission, error) {
			p.Description = "Invoices"
			p.Name, p.Builtin, p.CreatedBy = "billing.other", true, "intruder" // not updatable
			return p, nil
		}))
		got, _ := s.GetPermission(ctx, "billing.invoices")
		want := permission("billing.invoices")
		want.Description = "Invoices"
		equal(t, got, want)
		boom := errors.New("boom")
		wantErr(t, s.UpdatePermission(ctx, "billing.invoices", func(p rbac.Permission) (rbac.Permission, error) {
			p.Description = "changed"
			return p, boom
		}), boom)
		got, _ = s.GetPermission(ctx, "billing.invoices")
		equal(t, got.Description, "Invoices")
		wantErr(t, s.UpdatePermission(ctx, "nope", func(p rbac.Permission) (rbac.Permission, error) { return p, nil }), storage.ErrNotFound)
	})
	add("deleting a permission is refused while a role holds a right on it", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		wantErr(t, s.DeletePermission(ctx, "billing.invoices"), storage.ErrConflict)
		must(t, s.DeletePermission(ctx, "billing.payments"))
		_, err := s.GetPermission(ctx, "billing.payments")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeletePermission(ctx, "billing.payments"), storage.ErrNotFound)
		must(t, s.DeleteRole(ctx, reader().ID))
		must(t, s.DeletePermission(ctx, "billing.invoices"))
	})
}

func roleCases() {
	add("a role round-trips with its rights sorted and its perimeter", func(t *testing.T, s Store) {
		authz(t, s)
		r := role("acme", "clerk", rights("billing.payments:archive", "billing.invoices:write", "billing.payments:read",
			"billing.invoices:read", "billing.invoices:delete"), "ops", "billing/*", "acme")
		must(t, s.CreateRole(ctx, r))
		want := r
		want.Rights = rights("billing.invoices:read", "billing.invoices:write", "billing.invoices:delete",
			"billing.payments:read", "billing.payments:archive")
		want.Perimeter = scopes("acme", "billing/*", "ops")
		got, err := s.GetRole(ctx, r.ID)
		must(t, err)
		equal(t, got, want)
		byName, err := s.GetRoleByName(ctx, "acme", "clerk")
		must(t, err)
		equal(t, byName, want)
	})
	add("a role without rights or perimeter reads back empty lists, not nil", func(t *testing.T, s Store) {
		authz(t, s)
		r := role("acme", "empty", nil)
		r.Perimeter = nil
		must(t, s.CreateRole(ctx, r))
		got, err := s.GetRole(ctx, r.ID)
		must(t, err)
		wantEmpty(t, got.Rights)
		wantEmpty(t, got.Perimeter)
	})
	add("managed roles round-trip, the bootstrap role holding every right", func(t *testing.T, s Store) {
		tree(t, s)
		for _, r := range rbac.ManagedRoles("acme", storage.Time(t0)) {
			must(t, s.CreateRole(ctx, r))
			got, err := s.GetRole(ctx, r.ID)
			must(t, err)
			equal(t, got, r)
		}
		admin, err := s.GetRole(ctx, rbac.AdminRole)
		must(t, err)
		equal(t, admin.Rights, []rbac.Right{rbac.All})
		equal(t, admin.Kind, rbac.KindBootstrap)
	})
	add("a missing role is not found", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		_, err := s.GetRole(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetRoleByName(ctx, "billing", "reader")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("role names are unique within an organization only", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		dup := reader()
		dup.ID = "other"
		wantErr(t, s.CreateRole(ctx, dup), storage.ErrConflict)
		must(t, s.CreateRole(ctx, role("billing", "reader", nil, "billing")))
		sameID := role("ops", "x", nil, "ops")
		sameID.ID = reader().ID
		wantErr(t, s.CreateRole(ctx, sameID), storage.ErrConflict)
	})
	add("a role naming a missing permission, organization or owner conflicts and is not stored", func(t *testing.T, s Store) {
		authz(t, s)
		for _, r := range []rbac.Role{
			role("acme", "r1", rights("billing.invoices:read", "billing.nope:read"), "acme"),
			role("acme", "r2", rights("billing.invoices:read"), "acme", "nope/*"),
			role("nope", "r3", nil, "acme"),
		} {
			wantErr(t, s.CreateRole(ctx, r), storage.ErrConflict)
			_, err := s.GetRole(ctx, r.ID)
			wantErr(t, err, storage.ErrNotFound)
		}
	})
	add("roles list by organization then name", func(t *testing.T, s Store) {
		authz(t, s)
		for _, r := range []rbac.Role{
			role("ops", "a", nil, "ops"), role("acme", "zz", nil, "acme"), role("billing", "m", nil, "billing"),
			role("acme", "a-b", nil, "acme"), role("acme", "ab", nil, "acme"),
		} {
			must(t, s.CreateRole(ctx, r))
		}
		refs := func(orgID string) []string {
			rs, err := s.ListRoles(ctx, orgID)
			must(t, err)
			out := []string{}
			for _, r := range rs {
				out = append(out, r.Ref())
			}
			return out
		}
		equal(t, refs(""), []string{"acme/a-b", "acme/ab", "acme/zz", "billing/m", "ops/a"})
		equal(t, refs("acme"), []string{"acme/a-b", "acme/ab", "acme/zz"})
		equal(t, refs("nope"), []string{})
		rs, err := s.ListRoles(ctx, "billing")
		must(t, err)
		equal(t, rs, []rbac.Role{role("billing", "m", []rbac.Right{}, "billing")})
	})
	add("updating a role replaces its description, rights and perimeter", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		later := storage.Time(t0.Add(time.Hour))
		must(t, s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
			equal(t, r, reader())
			r.Description, r.UpdatedAt = "Reads and pays", later
			r.Rights = rights("billing.payments:write", "billing.invoices:read")
			r.Perimeter = scopes("billing", "ops/*")
			r.ID, r.OrgID, r.Name, r.Kind, r.CreatedBy = "x", "ops", "renamed", rbac.KindBootstrap, "intruder" // not updatable
			return r, nil
		}))
		got, err := s.GetRole(ctx, reader().ID)
		must(t, err)
		want := reader()
		want.Description, want.UpdatedAt = "Reads and pays", later
		want.Rights = rights("billing.invoices:read", "billing.payments:write")
		want.Perimeter = scopes("billing", "ops/*")
		equal(t, got, want)
	})
	add("a failed role update changes nothing", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		boom := errors.New("boom")
		wantErr(t, s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
			r.Description, r.Rights = "changed", nil
			return r, boom
		}), boom)
		// A replacement naming a missing permission fails halfway through:
		// the old rights and perimeter must survive it.
		wantErr(t, s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
			r.Description = "changed"
			r.Perimeter = scopes("ops")
			r.Rights = rights("billing.payments:read", "billing.nope:read")
			return r, nil
		}), storage.ErrConflict)
		wantErr(t, s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
			r.Perimeter = scopes("ops", "nope")
			return r, nil
		}), storage.ErrConflict)
		got, _ := s.GetRole(ctx, reader().ID)
		equal(t, got, reader())
		wantErr(t, s.UpdateRole(ctx, "nope", func(r rbac.Role) (rbac.Role, error) { return r, nil }), storage.ErrNotFound)
	})
	add("updating the bootstrap role keeps its every right", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateRole(ctx, managedRole(rbac.RoleBootstrap, "acme")))
		must(t, s.UpdateRole(ctx, rbac.AdminRole, func(r rbac.Role) (rbac.Role, error) {
			r.Description = "Everything"
			return r, nil
		}))
		got, _ := s.GetRole(ctx, rbac.AdminRole)
		equal(t, got.Rights, []rbac.Right{rbac.All})
		equal(t, got.Description, "Everything")
	})
	add("deleting a role removes its rights and perimeter", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, role("billing", "clerk", rights("billing.invoices:read"), "ops/*")))
		must(t, s.DeleteRole(ctx, "billing.clerk"))
		_, err := s.GetRole(ctx, "billing.clerk")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteRole(ctx, "billing.clerk"), storage.ErrNotFound)
		// Nothing refers to the permission, the owner or the perimeter.
		must(t, s.DeletePermission(ctx, "billing.invoices"))
		must(t, s.DeleteOrg(ctx, "ops"))
		must(t, s.DeleteAccount(ctx, "a1"))
		must(t, s.DeleteOrg(ctx, "billing"))
	})
	add("deleting a role is refused while it is assigned or in a group", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")))
		wantErr(t, s.DeleteRole(ctx, reader().ID), storage.ErrConflict)
		must(t, s.RemoveRoleAssignment(ctx, "a1", reader().ID, "billing"))
		must(t, s.CreateGroup(ctx, group("acme", "finance", rbac.Pair{RoleID: reader().ID, On: rbac.Scope{OrgID: "ops"}})))
		wantErr(t, s.DeleteRole(ctx, reader().ID), storage.ErrConflict)
		_, err := s.GetRole(ctx, reader().ID)
		must(t, err)
		must(t, s.DeleteGroup(ctx, "acme.finance"))
		must(t, s.DeleteRole(ctx, reader().ID))
	})
	add("a role's uses are its direct assignments and the groups holding it", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		other := role("acme", "other", nil, "acme/*")
		must(t, s.CreateRole(ctx, other))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", reader().ID, "ops")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing/*")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "acme")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", other.ID, "ops")))
		g1 := group("ops", "g1", rbac.Pair{RoleID: other.ID, On: rbac.Scope{OrgID: "ops"}}, rbac.Pair{RoleID: reader().ID, On: rbac.Scope{OrgID: "ops"}})
		g2 := group("acme", "g2", rbac.Pair{RoleID: reader().ID, On: rbac.Scope{OrgID: "billing", Subtree: true}})
		g3 := group("acme", "g3", rbac.Pair{RoleID: other.ID, On: rbac.Scope{OrgID: "billing"}})
		for _, g := range []rbac.Group{g1, g2, g3} {
			must(t, s.CreateGroup(ctx, g))
		}
		as, gs, err := s.RoleUses(ctx, reader().ID)
		must(t, err)
		equal(t, as, []rbac.RoleAssignment{
			assignment("a1", reader().ID, "acme"), assignment("a1", reader().ID, "billing/*"), assignment("a2", reader().ID, "ops"),
		})
		equal(t, gs, []rbac.Group{g2, g1})
		as, gs, err = s.RoleUses(ctx, "nope")
		must(t, err)
		wantEmpty(t, as)
		wantEmpty(t, gs)
	})
}
