package rbac_test

import (
	"errors"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// TestRefusalsDoNotTellExistence: a caller without the right gets the same
// refusal whether the group, role or organization it names exists or not;
// a 404 where others get 403 would let it map what it may not read.
func TestRefusalsDoNotTellExistence(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "secret", "acme")
		if _, err := e.orgs.CreateGroup(e.ctx, e.sys, "secret", "payroll", ""); err != nil {
			t.Fatal(err)
		}
		e.role(t, "secret", "exists", nil)
		e.role(t, "billing", "local", nil)
		v := e.account(t, "billing", "viewer")
		e.assign(t, v, "acme/viewer", "billing")
		a := e.actor(t, v)
		target := e.account(t, "billing", "target")
		cases := []struct {
			name           string
			org, right     string
			existing, gone string
			call           func(ref string) error
		}{
			{"GetGroup", "secret", "iam.groups:read", "secret/payroll", "secret/nope", func(ref string) error {
				_, err := e.orgs.GetGroup(e.ctx, a, ref)
				return err
			}},
			{"Members", "secret", "iam.groups:read", "secret/payroll", "secret/nope", func(ref string) error {
				_, err := e.orgs.Members(e.ctx, a, ref)
				return err
			}},
			{"DescribeGroup", "secret", "iam.groups:write", "secret/payroll", "secret/nope", func(ref string) error {
				_, err := e.orgs.DescribeGroup(e.ctx, a, ref, "x")
				return err
			}},
			{"AddPair", "secret", "iam.groups:write", "secret/payroll", "secret/nope", func(ref string) error {
				_, err := e.orgs.AddPair(e.ctx, a, ref, "secret/exists", scope(t, "secret"))
				return err
			}},
			{"RemovePair", "secret", "iam.groups:write", "secret/payroll", "secret/nope", func(ref string) error {
				_, err := e.orgs.RemovePair(e.ctx, a, ref, "secret/exists", "secret")
				return err
			}},
			{"DeleteGroup", "secret", "iam.groups:delete", "secret/payroll", "secret/nope", func(ref string) error {
				return e.orgs.DeleteGroup(e.ctx, a, ref)
			}},
			{"UpdateRole", "secret", "iam.roles:write", "secret/exists", "secret/nope", func(ref string) error {
				d := "x"
				_, err := e.orgs.UpdateRole(e.ctx, a, ref, rbac.RoleChanges{Description: &d})
				return err
			}},
			{"DeleteRole", "secret", "iam.roles:delete", "secret/exists", "secret/nope", func(ref string) error {
				return e.orgs.DeleteRole(e.ctx, a, ref, true)
			}},
			{"AssignRole", "billing", "iam.assignments:write", "billing/local", "billing/nope", func(ref string) error {
				return e.accts.AssignRole(e.ctx, a, target, ref, scopes(t, "billing"))
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				errExisting, errGone := c.call(c.existing), c.call(c.gone)
				wantMissing(t, errExisting, c.org, c.right)
				wantMissing(t, errGone, c.org, c.right)
				if errExisting.Error() != errGone.Error() {
					t.Errorf("%s tells them apart:\n%v\n%v", c.name, errExisting, errGone)
				}
			})
		}
		t.Run("ListOrgs", func(t *testing.T) {
			_, errExisting := e.orgs.ListOrgs(e.ctx, a, "secret")
			_, errGone := e.orgs.ListOrgs(e.ctx, a, "nope")
			wantMissing(t, errExisting, "secret", "iam.organizations:read")
			wantMissing(t, errGone, "nope", "iam.organizations:read")
			if errors.Is(errGone, storage.ErrNotFound) {
				t.Errorf("ListOrgs under a missing organization: %v", errGone)
			}
		})
		// With the right, a missing record is still reported as missing.
		_, err := e.orgs.GetGroup(e.ctx, e.sys, "secret/nope")
		wantErr(t, err, storage.ErrNotFound)
	})
}
