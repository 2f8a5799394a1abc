package rbac_test

import (
	"testing"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func TestOnlyASystemAccountManagesItsKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin, err := e.accts.Create(e.ctx, e.sys, accounts.NewAccount{OrgID: "acme", Name: "root-admin", System: true})
		if err != nil {
			t.Fatal(err)
		}
		adminID := admin.Name + "@acme.iam"
		dev := e.account(t, "acme", "dev")
		e.assign(t, dev, "acme/developer", "acme")
		_, _, err = e.accts.CreateKey(e.ctx, e.actor(t, dev), adminID, accounts.NewKey{Label: "mine now"})
		wantErr(t, err, storage.ErrForbidden)
		k, _, err := e.accts.CreateKey(e.ctx, e.sys, adminID, accounts.NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.accts.SetKeyActive(e.ctx, e.actor(t, dev), k.ID, false)
		wantErr(t, err, storage.ErrForbidden)
	})
}

func TestAKeyOfAnAccountNeedsItsRights(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		dev := e.account(t, "billing", "dev")
		e.assign(t, dev, "acme/developer", "billing")
		bot := e.account(t, "billing", "admin-bot")
		e.assign(t, bot, "acme/admin", "billing")
		_, _, err := e.accts.CreateKey(e.ctx, e.actor(t, dev), bot, accounts.NewKey{})
		wantMissing(t, err, "billing", "iam.assignments:write")
		// An account holding no more than the developer does is fine.
		peer := e.account(t, "billing", "peer")
		e.assign(t, peer, "acme/viewer", "billing")
		k, _, err := e.accts.CreateKey(e.ctx, e.actor(t, dev), peer, accounts.NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		// Rotating or activating a key gives its account's rights too.
		e.assign(t, peer, "acme/admin", "billing")
		_, err = e.accts.RotateKey(e.ctx, e.actor(t, dev), k.ID, accounts.Rotation{})
		wantMissing(t, err, "billing", "iam.assignments:write")
	})
}

func TestASubtreeIsGrantedOnlyByWhoHoldsItWithTheDescendantsToCome(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		boss := e.account(t, "billing", "boss")
		e.assign(t, boss, "acme/admin", "billing")
		sock := e.account(t, "billing", "sock")
		// billing has no children yet: the grant would reach those made
		// later, which boss does not hold.
		err := e.accts.AssignRole(e.ctx, e.actor(t, boss), sock, "acme/viewer", scopes(t, "billing/*"))
		wantMissing(t, err, "billing", "iam.assignments:write")
		top := e.account(t, "acme", "top")
		e.assign(t, top, "acme/admin", "acme/*")
		if err := e.accts.AssignRole(e.ctx, e.actor(t, top), sock, "acme/viewer", scopes(t, "billing/*")); err != nil {
			t.Fatalf("one holding the subtree cannot grant on it: %v", err)
		}
	})
}

func TestOnlyWhoHoldsEverythingMovesOrganizations(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "finance", "acme")
		e.org(t, "billing", "finance")
		e.org(t, "sales", "acme")
		att := e.account(t, "acme", "att")
		e.assign(t, att, "acme/admin", "sales/*")
		mover := e.role(t, "acme", "mover", []string{"iam.organizations:write"})
		e.assign(t, att, mover.Ref(), "billing")
		_, err := e.orgs.MoveOrg(e.ctx, e.actor(t, att), "billing", "sales")
		wantMissing(t, err, "finance", "iam.organizations:write")
		e.assign(t, att, mover.Ref(), "finance")
		_, err = e.orgs.MoveOrg(e.ctx, e.actor(t, att), "billing", "sales")
		wantMissing(t, err, "acme", "*")
		// Nor does an admin of the whole tree: a move changes what roles
		// above cover, including rights it does not hold.
		e.assign(t, att, "acme/admin", "acme/*")
		_, err = e.orgs.MoveOrg(e.ctx, e.actor(t, att), "billing", "sales")
		wantMissing(t, err, "acme", "*")
		if o, _ := e.orgs.LookupOrg(e.ctx, "billing"); o.ParentID != "finance" {
			t.Fatalf("billing moved to %s", o.ParentID)
		}
		// One who already holds everything there may move it.
		if _, err := e.orgs.MoveOrg(e.ctx, e.sys, "billing", "sales"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestForcingARoleDeletionNeedsTheRightToUnassign(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "sales", "acme")
		owner := e.account(t, "billing", "owner")
		e.assign(t, owner, "acme/admin", "billing")
		r, err := e.orgs.CreateRole(e.ctx, e.actor(t, owner), rbac.NewRole{OrgID: "billing", Name: "local"})
		if err != nil {
			t.Fatal(err)
		}
		// Someone above assigns it where the owner has no say.
		e.org(t, "billing-eu", "billing")
		other := e.account(t, "billing", "other")
		e.assign(t, other, r.Ref(), "billing-eu")
		err = e.orgs.DeleteRole(e.ctx, e.actor(t, owner), r.Ref(), true)
		wantMissing(t, err, "billing-eu", "iam.assignments:write")
		if err := e.orgs.DeleteRole(e.ctx, e.sys, r.Ref(), true); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMovingAnAccountGivesItNothingTheMoverLacks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "euro", "acme")
		e.permission(t, "billing.invoices")
		role := e.role(t, "acme", "inv-admin", []string{"billing.invoices:delete"}, "euro/*")
		sock := e.account(t, "billing", "sock")
		// Assigned on euro, inactive while sock is outside the perimeter.
		if err := e.accts.AssignRole(e.ctx, e.sys, sock, role.Ref(), scopes(t, "euro")); err == nil {
			t.Fatal("assigned a role on an organization outside the subject's reach")
		}
		other := e.account(t, "euro", "other")
		e.assign(t, other, role.Ref(), "euro")
		if _, err := e.accts.Move(e.ctx, e.sys, other, "billing"); err != nil {
			t.Fatal(err)
		}
		mmm := e.account(t, "acme", "mmm")
		mover := e.role(t, "acme", "mover", []string{"iam.service-accounts:read", "iam.service-accounts:write"})
		e.assign(t, mmm, mover.Ref(), "billing", "euro")
		_, err := e.accts.Move(e.ctx, e.actor(t, mmm), "other@billing.iam", "euro")
		wantMissing(t, err, "euro", "billing.invoices:delete")
		if _, err := e.accts.Lookup(e.ctx, "other@billing.iam"); err != nil {
			t.Fatalf("the refused move moved it: %v", err)
		}
		if _, err := e.accts.Move(e.ctx, e.sys, "other@billing.iam", "euro"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRenamingAndMovingIsAllOrNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "sales", "acme")
		bad := "bad\x00name"
		parent := "sales"
		if _, err := e.orgs.UpdateOrg(e.ctx, e.sys, "billing", rbac.OrgChanges{Name: &bad, Parent: &parent}); err == nil {
			t.Fatal("a bad name was accepted")
		}
		if o, _ := e.orgs.LookupOrg(e.ctx, "billing"); o.ParentID != "acme" {
			t.Fatalf("half applied: billing moved to %s", o.ParentID)
		}
		good := "Billing"
		o, err := e.orgs.UpdateOrg(e.ctx, e.sys, "billing", rbac.OrgChanges{Name: &good, Parent: &parent})
		if err != nil || o.Name != "Billing" || o.ParentID != "sales" {
			t.Fatalf("UpdateOrg = %+v, %v", o, err)
		}
	})
}
