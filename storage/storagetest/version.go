package storagetest

import (
	"testing"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func versionCases() {
	add("every change that can change rights advances the version the key lookup reads", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		version := func() int64 {
			t.Helper()
			c, err := s.GetCredential(ctx, "k1")
			must(t, err)
			return c.RightsVersion
		}
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateGroup(ctx, group("acme", "finance")))
		changes := []struct {
			name   string
			change func() error
		}{
			{"an assignment", func() error { return s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")) }},
			{"an unassignment", func() error { return s.RemoveRoleAssignment(ctx, "a1", reader().ID, "billing") }},
			{"a group pair", func() error {
				return s.UpdateGroup(ctx, group("acme", "finance").ID, func(g rbac.Group) (rbac.Group, error) {
					g.Pairs = []rbac.Pair{{RoleID: reader().ID, On: rbac.Scope{OrgID: "billing"}}}
					return g, nil
				})
			}},
			{"a membership", func() error { return s.AddMembership(ctx, membership("a1", group("acme", "finance").ID)) }},
			{"a role's rights", func() error {
				return s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
					r.Rights = rights("billing.invoices:read", "billing.payments:read")
					return r, nil
				})
			}},
			{"a role's perimeter", func() error {
				return s.UpdateRole(ctx, reader().ID, func(r rbac.Role) (rbac.Role, error) {
					r.Perimeter = scopes("acme", "billing/*")
					return r, nil
				})
			}},
			{"a new organization", func() error { return s.CreateOrg(ctx, org("/acme/billing/europe/")) }},
			{"a moved organization", func() error { return s.MoveOrg(ctx, "europe", "ops", t0) }},
			{"a moved account", func() error {
				return s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
					a.OrgID = "ops"
					return a, nil
				})
			}},
			{"a membership removed", func() error { return s.RemoveMembership(ctx, "a1", group("acme", "finance").ID) }},
		}
		for _, c := range changes {
			before := version()
			if err := c.change(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if after := version(); after <= before {
				t.Errorf("%s left the version at %d", c.name, after)
			}
		}
		// What changes nobody's rights leaves it.
		before := version()
		must(t, s.UpdateOrg(ctx, "billing", func(o rbac.Org) (rbac.Org, error) { o.Name = "Renamed"; return o, nil }))
		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) { a.Description = "x"; return a, nil }))
		must(t, s.RecordUsage(ctx, []accounts.Usage{{KeyID: "k1", AccountID: "a1", At: storage.Time(t0)}}))
		if after := version(); after != before {
			t.Errorf("a rename, a description and a usage moved the version from %d to %d", before, after)
		}
	})
}
