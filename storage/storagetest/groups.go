package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// group returns a group with ID orgID+"."+name.
func group(orgID, name string, pairs ...rbac.Pair) rbac.Group {
	if pairs == nil {
		pairs = []rbac.Pair{}
	}
	return rbac.Group{
		ID: orgID + "." + name, OrgID: orgID, Name: name, Description: "Group " + name, Pairs: pairs,
		CreatedAt: storage.Time(t0), CreatedBy: "test", UpdatedAt: storage.Time(t0),
	}
}

func pair(roleID, on string) rbac.Pair {
	return rbac.Pair{RoleID: roleID, On: scopes(on)[0]}
}

// assignment gives roleID to subjectID on "ORG" or "ORG/*".
func assignment(subjectID, roleID, on string) rbac.RoleAssignment {
	return rbac.RoleAssignment{SubjectID: subjectID, RoleID: roleID, On: scopes(on)[0], CreatedAt: storage.Time(t0), CreatedBy: "test"}
}

func membership(subjectID, groupID string) rbac.Membership {
	return rbac.Membership{SubjectID: subjectID, GroupID: groupID, CreatedAt: storage.Time(t0), CreatedBy: "test"}
}

// writer is a role of billing writing invoices, assignable on billing and
// ops alone.
func writer() rbac.Role {
	return role("billing", "writer", rights("billing.invoices:write"), "billing", "ops")
}

func groupCases() {
	add("a group round-trips with its pairs by role then organization", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateRole(ctx, writer()))
		g := group("acme", "finance", pair(writer().ID, "ops"), pair(reader().ID, "ops/*"), pair(reader().ID, "billing"), pair(writer().ID, "billing"))
		must(t, s.CreateGroup(ctx, g))
		want := g
		want.Pairs = []rbac.Pair{pair(reader().ID, "billing"), pair(reader().ID, "ops/*"), pair(writer().ID, "billing"), pair(writer().ID, "ops")}
		got, err := s.GetGroup(ctx, g.ID)
		must(t, err)
		equal(t, got, want)
		byName, err := s.GetGroupByName(ctx, "acme", "finance")
		must(t, err)
		equal(t, byName, want)
		_, err = s.GetGroup(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetGroupByName(ctx, "billing", "finance")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a group naming a missing role or organization, or a taken name, conflicts and is not stored", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateGroup(ctx, group("acme", "finance")))
		dup := group("acme", "finance")
		dup.ID = "other"
		wantErr(t, s.CreateGroup(ctx, dup), storage.ErrConflict)
		must(t, s.CreateGroup(ctx, group("ops", "finance")))
		for _, g := range []rbac.Group{
			group("acme", "g1", pair(reader().ID, "billing"), pair("nope", "billing")),
			group("acme", "g2", pair(reader().ID, "billing"), pair(reader().ID, "nope")),
			group("nope", "g3"),
			group("acme", "g4", pair(reader().ID, "billing"), pair(reader().ID, "billing/*")),
		} {
			wantErr(t, s.CreateGroup(ctx, g), storage.ErrConflict)
			_, err := s.GetGroup(ctx, g.ID)
			wantErr(t, err, storage.ErrNotFound)
		}
	})
	add("groups list by organization then name", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		for _, g := range []rbac.Group{group("ops", "a"), group("acme", "zz"), group("acme", "a-b", pair(reader().ID, "ops")), group("acme", "ab")} {
			must(t, s.CreateGroup(ctx, g))
		}
		gs, err := s.ListGroups(ctx, "")
		must(t, err)
		equal(t, gs, []rbac.Group{group("acme", "a-b", pair(reader().ID, "ops")), group("acme", "ab"), group("acme", "zz"), group("ops", "a")})
		gs, err = s.ListGroups(ctx, "ops")
		must(t, err)
		equal(t, gs, []rbac.Group{group("ops", "a")})
		gs, err = s.ListGroups(ctx, "billing")
		must(t, err)
		wantEmpty(t, gs)
	})
	add("updating a group replaces its description and pairs", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateRole(ctx, writer()))
		g := group("acme", "finance", pair(reader().ID, "billing"))
		must(t, s.CreateGroup(ctx, g))
		later := storage.Time(t0.Add(time.Hour))
		must(t, s.UpdateGroup(ctx, g.ID, func(g rbac.Group) (rbac.Group, error) {
			g.Description, g.UpdatedAt = "Finance", later
			g.Pairs = []rbac.Pair{pair(writer().ID, "ops"), pair(reader().ID, "ops/*")}
			g.ID, g.OrgID, g.Name, g.CreatedBy = "x", "ops", "renamed", "intruder" // not updatable
			return g, nil
		}))
		got, err := s.GetGroup(ctx, g.ID)
		must(t, err)
		want := g
		want.Description, want.UpdatedAt = "Finance", later
		want.Pairs = []rbac.Pair{pair(reader().ID, "ops/*"), pair(writer().ID, "ops")}
		equal(t, got, want)
	})
	add("a failed group update changes nothing", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		g := group("acme", "finance", pair(reader().ID, "billing"))
		must(t, s.CreateGroup(ctx, g))
		boom := errors.New("boom")
		wantErr(t, s.UpdateGroup(ctx, g.ID, func(g rbac.Group) (rbac.Group, error) {
			g.Description, g.Pairs = "changed", nil
			return g, boom
		}), boom)
		wantErr(t, s.UpdateGroup(ctx, g.ID, func(g rbac.Group) (rbac.Group, error) {
			g.Description = "changed"
			g.Pairs = []rbac.Pair{pair(reader().ID, "ops"), pair("nope", "ops")}
			return g, nil
		}), storage.ErrConflict)
		got, _ := s.GetGroup(ctx, g.ID)
		equal(t, got, g)
		wantErr(t, s.UpdateGroup(ctx, "nope", func(g rbac.Group) (rbac.Group, error) { return g, nil }), storage.ErrNotFound)
	})
	add("deleting a group removes its pairs and memberships", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		g := group("acme", "finance", pair(reader().ID, "billing"))
		must(t, s.CreateGroup(ctx, g))
		must(t, s.AddMembership(ctx, membership("a1", g.ID)))
		must(t, s.DeleteGroup(ctx, g.ID))
		_, err := s.GetGroup(ctx, g.ID)
		wantErr(t, err, storage.ErrNotFound)
		ms, err := s.ListMemberships(ctx, "a1")
		must(t, err)
		wantEmpty(t, ms)
		must(t, s.DeleteRole(ctx, reader().ID)) // no pair holds it any more
		wantErr(t, s.DeleteGroup(ctx, g.ID), storage.ErrNotFound)
	})
}

func assignmentCases() {
	add("role assignments round-trip in role then organization order", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateRole(ctx, writer()))
		for _, a := range []rbac.RoleAssignment{
			assignment("a1", writer().ID, "billing"), assignment("a1", reader().ID, "ops"),
			assignment("a1", reader().ID, "billing/*"), assignment("a2", reader().ID, "acme"),
		} {
			must(t, s.AddRoleAssignment(ctx, a))
		}
		got, err := s.ListRoleAssignments(ctx, "a1")
		must(t, err)
		equal(t, got, []rbac.RoleAssignment{
			assignment("a1", reader().ID, "billing/*"), assignment("a1", reader().ID, "ops"), assignment("a1", writer().ID, "billing"),
		})
		none, err := s.ListRoleAssignments(ctx, "nobody")
		must(t, err)
		wantEmpty(t, none)
	})
	add("a duplicate or dangling role assignment conflicts", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")))
		wantErr(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")), storage.ErrConflict)
		wantErr(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing/*")), storage.ErrConflict)
		wantErr(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "nope")), storage.ErrConflict)
		wantErr(t, s.AddRoleAssignment(ctx, assignment("a1", "nope", "billing")), storage.ErrConflict)
		wantErr(t, s.AddRoleAssignment(ctx, assignment("nobody", reader().ID, "billing")), storage.ErrConflict)
	})
	add("removing a role assignment removes that one only", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "ops/*")))
		must(t, s.RemoveRoleAssignment(ctx, "a1", reader().ID, "billing"))
		wantErr(t, s.RemoveRoleAssignment(ctx, "a1", reader().ID, "billing"), storage.ErrNotFound)
		wantErr(t, s.RemoveRoleAssignment(ctx, "a2", reader().ID, "ops"), storage.ErrNotFound)
		got, _ := s.ListRoleAssignments(ctx, "a1")
		equal(t, got, []rbac.RoleAssignment{assignment("a1", reader().ID, "ops/*")})
	})
	add("removing a role's uses removes its assignments and group pairs, and counts them", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateRole(ctx, writer()))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", reader().ID, "ops/*")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", writer().ID, "billing")))
		must(t, s.CreateGroup(ctx, group("acme", "g1", pair(reader().ID, "ops"), pair(reader().ID, "billing"), pair(writer().ID, "ops"))))
		must(t, s.CreateGroup(ctx, group("acme", "g2", pair(reader().ID, "acme"))))
		as, ps, err := s.RemoveRoleUses(ctx, reader().ID)
		must(t, err)
		equal(t, [2]int{as, ps}, [2]int{2, 3})
		must(t, s.DeleteRole(ctx, reader().ID))
		got, _ := s.ListRoleAssignments(ctx, "a1")
		equal(t, got, []rbac.RoleAssignment{assignment("a1", writer().ID, "billing")})
		g1, _ := s.GetGroup(ctx, "acme.g1")
		equal(t, g1.Pairs, []rbac.Pair{pair(writer().ID, "ops")})
		as, ps, err = s.RemoveRoleUses(ctx, reader().ID)
		must(t, err)
		equal(t, [2]int{as, ps}, [2]int{0, 0})
	})
	add("memberships round-trip, by group for a subject and by subject for a group", func(t *testing.T, s Store) {
		authz(t, s)
		for _, g := range []string{"zz", "aa", "mm"} {
			must(t, s.CreateGroup(ctx, group("acme", g)))
		}
		for _, m := range []rbac.Membership{membership("a2", "acme.mm"), membership("a1", "acme.zz"), membership("a1", "acme.mm"), membership("a1", "acme.aa")} {
			must(t, s.AddMembership(ctx, m))
		}
		ms, err := s.ListMemberships(ctx, "a1")
		must(t, err)
		equal(t, ms, []rbac.Membership{membership("a1", "acme.aa"), membership("a1", "acme.mm"), membership("a1", "acme.zz")})
		ms, err = s.ListMembers(ctx, "acme.mm")
		must(t, err)
		equal(t, ms, []rbac.Membership{membership("a1", "acme.mm"), membership("a2", "acme.mm")})
		ms, err = s.ListMemberships(ctx, "nobody")
		must(t, err)
		wantEmpty(t, ms)
		ms, err = s.ListMembers(ctx, "nope")
		must(t, err)
		wantEmpty(t, ms)
	})
	add("a duplicate or dangling membership conflicts; removing one removes it", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateGroup(ctx, group("acme", "finance")))
		must(t, s.AddMembership(ctx, membership("a1", "acme.finance")))
		wantErr(t, s.AddMembership(ctx, membership("a1", "acme.finance")), storage.ErrConflict)
		wantErr(t, s.AddMembership(ctx, membership("nobody", "acme.finance")), storage.ErrConflict)
		wantErr(t, s.AddMembership(ctx, membership("a1", "nope")), storage.ErrConflict)
		must(t, s.RemoveMembership(ctx, "a1", "acme.finance"))
		wantErr(t, s.RemoveMembership(ctx, "a1", "acme.finance"), storage.ErrNotFound)
		ms, _ := s.ListMemberships(ctx, "a1")
		wantEmpty(t, ms)
	})
	add("deleting an account removes its role assignments and memberships", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateGroup(ctx, group("acme", "finance")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing/*")))
		must(t, s.AddRoleAssignment(ctx, assignment("a2", reader().ID, "ops")))
		must(t, s.AddMembership(ctx, membership("a1", "acme.finance")))
		must(t, s.DeleteAccount(ctx, "a1"))
		as, _ := s.ListRoleAssignments(ctx, "a1")
		wantEmpty(t, as)
		ms, _ := s.ListMembers(ctx, "acme.finance")
		wantEmpty(t, ms)
		as, _ = s.ListRoleAssignments(ctx, "a2")
		equal(t, len(as), 1)
		must(t, s.DeleteOrg(ctx, "billing")) // nothing refers to it any more
	})
	add("deleting an organization anything refers to conflicts", func(t *testing.T, s Store) {
		authz(t, s)
		// Each reference is to an organization of its own, under acme.
		refs := []struct {
			name string
			ref  func(t *testing.T, id string)
		}{
			{"a child", func(t *testing.T, id string) { orgs(t, s, "/acme/"+id+"/child/") }},
			{"an account", func(t *testing.T, id string) { must(t, s.CreateAccount(ctx, account("acct-"+id, id, "sync"))) }},
			{"a role it owns", func(t *testing.T, id string) { must(t, s.CreateRole(ctx, role(id, "r", nil, "acme"))) }},
			{"a perimeter entry", func(t *testing.T, id string) { must(t, s.CreateRole(ctx, role("acme", id, nil, id))) }},
			{"a role assignment", func(t *testing.T, id string) {
				must(t, s.CreateRole(ctx, role("acme", id, nil, "acme/*")))
				must(t, s.AddRoleAssignment(ctx, assignment("a2", "acme."+id, id)))
			}},
			{"a group it owns", func(t *testing.T, id string) { must(t, s.CreateGroup(ctx, group(id, "g"))) }},
			{"a group pair", func(t *testing.T, id string) {
				must(t, s.CreateRole(ctx, role("acme", id, nil, "acme/*")))
				must(t, s.CreateGroup(ctx, group("acme", id, pair("acme."+id, id))))
			}},
		}
		for i, r := range refs {
			id := fmt.Sprintf("ref%d", i)
			orgs(t, s, "/acme/"+id+"/")
			r.ref(t, id)
			if err := s.DeleteOrg(ctx, id); !errors.Is(err, storage.ErrConflict) {
				t.Errorf("deleting an organization with %s: got %v, want a conflict", r.name, err)
			}
			_, err := s.GetOrg(ctx, id)
			must(t, err)
		}
	})
}
