package rbac_test

import (
	"slices"
	"testing"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage"
)

// The tables of seed 003 ("Gestion des machines"), with its organizations:
// the training centre (cfa) above "Organisation Parent" (parent), above
// "Organisation Enfant A" (enfant-a). cfa sits under the root so that the
// tree has one root, as in iamd.
func seedTree(t *testing.T, e *env) {
	e.org(t, "cfa", "acme")
	e.org(t, "parent", "cfa")
	e.org(t, "enfant-a", "parent")
	e.permission(t, "training.courses")
}

// TestSeed003MachineRole is the table "Règles Machine → Rôle": a machine of
// Organisation Parent.
func TestSeed003MachineRole(t *testing.T) {
	tests := []struct {
		name     string
		roleFrom string
		on       string
		rule     int // 0: allowed
	}{
		{"a role of the training centre on Parent: every rule holds", "cfa", "parent", 0},
		{"a role of Parent on child A: the machine may act on a child", "parent", "enfant-a", 0},
		{"a role of child A on child A: a child's role is refused", "enfant-a", "enfant-a", 1},
	}
	each(t, func(t *testing.T, e *env) {
		seedTree(t, e)
		machine := e.account(t, "parent", "machine")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				role := e.role(t, tt.roleFrom, "r-"+tt.roleFrom+"-"+tt.on, []string{"training.courses:read"})
				err := e.accts.AssignRole(e.ctx, e.sys, machine, role.Ref(), scopes(t, tt.on))
				if tt.rule != 0 {
					wantRule(t, err, tt.rule)
					return
				}
				if err != nil {
					t.Fatalf("assign %s on %s: %v", role.Ref(), tt.on, err)
				}
				got := triples(e.rights(t, machine))
				if !slices.Contains(got, tt.on+" training.courses:read") {
					t.Fatalf("rights %v lack training.courses:read on %s", got, tt.on)
				}
			})
		}
	})
}

// TestSeed003OtherRules covers rules 2 and 3, which the seed's table names
// without an example row.
func TestSeed003OtherRules(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		seedTree(t, e)
		machine := e.account(t, "enfant-a", "machine")
		role := e.role(t, "cfa", "reader", []string{"training.courses:read"})
		wantRule(t, e.accts.AssignRole(e.ctx, e.sys, machine, role.Ref(), scopes(t, "parent")), 2)

		narrow := e.role(t, "cfa", "narrow", []string{"training.courses:read"}, "parent")
		wantRule(t, e.accts.AssignRole(e.ctx, e.sys, machine, narrow.Ref(), scopes(t, "enfant-a")), 3)
	})
}

// TestSeed003SystemMachines is the table "Machines administrées par
// Papaours": a system machine can be neither changed nor given roles; one
// created by the organization can.
func TestSeed003SystemMachines(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		seedTree(t, e)
		role := e.role(t, "cfa", "reader", []string{"training.courses:read"})
		sys, err := e.accts.Create(e.ctx, e.sys, accounts.NewAccount{OrgID: "parent", Name: "system-machine", System: true})
		if err != nil {
			t.Fatal(err)
		}
		sysID := sys.Name + "@parent.iam"
		tests := []struct {
			name     string
			clientID string
			system   bool
		}{
			{"the system machine can be neither changed nor assigned", sysID, true},
			{"a machine of the organization can be changed and assigned", e.account(t, "parent", "api-production"), false},
			{"so can the billing service", e.account(t, "parent", "billing-service"), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				name := "renamed"
				_, errUpdate := e.accts.Update(e.ctx, e.sys, tt.clientID, accounts.Changes{DisplayName: &name})
				errAssign := e.accts.AssignRole(e.ctx, e.sys, tt.clientID, role.Ref(), scopes(t, "parent"))
				if tt.system {
					wantErr(t, errUpdate, storage.ErrForbidden)
					wantErr(t, errAssign, storage.ErrForbidden)
					return
				}
				if errUpdate != nil || errAssign != nil {
					t.Fatalf("update: %v; assign: %v", errUpdate, errAssign)
				}
			})
		}
	})
}

// TestSeed003MachineGroup is the table "Règles Machine → Groupe".
func TestSeed003MachineGroup(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		seedTree(t, e)
		parentRole := e.role(t, "parent", "parent-role", []string{"training.courses:read"})
		childRole := e.role(t, "enfant-a", "child-role", []string{"training.courses:write"})
		parentGroup, err := e.orgs.CreateGroup(e.ctx, e.sys, "parent", "parent-group", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.orgs.AddPair(e.ctx, e.sys, parentGroup.Ref(), parentRole.Ref(), scope(t, "parent")); err != nil {
			t.Fatal(err)
		}
		childGroup, err := e.orgs.CreateGroup(e.ctx, e.sys, "enfant-a", "child-group", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.orgs.AddPair(e.ctx, e.sys, childGroup.Ref(), childRole.Ref(), scope(t, "enfant-a")); err != nil {
			t.Fatal(err)
		}
		sys, err := e.accts.Create(e.ctx, e.sys, accounts.NewAccount{OrgID: "parent", Name: "system-machine", System: true})
		if err != nil {
			t.Fatal(err)
		}
		machine := e.account(t, "parent", "machine")
		tests := []struct {
			name     string
			clientID string
			group    string
			check    func(t *testing.T, err error)
		}{
			{"a machine of Parent joins a group of Parent holding Parent's role on Parent", machine, parentGroup.Ref(),
				func(t *testing.T, err error) {
					if err != nil {
						t.Fatal(err)
					}
					if got := triples(e.rights(t, machine)); !slices.Equal(got, []string{"parent training.courses:read"}) {
						t.Fatalf("rights %v", got)
					}
				}},
			{"a group of child A holding child A's role is refused: the child's role is invalid", machine, childGroup.Ref(),
				func(t *testing.T, err error) { wantRule(t, err, 1) }},
			{"the system machine joins no group", sys.Name + "@parent.iam", parentGroup.Ref(),
				func(t *testing.T, err error) { wantErr(t, err, storage.ErrForbidden) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.check(t, e.accts.JoinGroup(e.ctx, e.sys, tt.clientID, tt.group))
			})
		}
	})
}
