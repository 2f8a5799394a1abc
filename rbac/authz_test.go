package rbac_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func TestDeepHierarchy(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.permission(t, "data.records")
		parent := "acme"
		for i := 1; i < 20; i++ {
			id := fmt.Sprintf("level-%02d", i)
			e.org(t, id, parent)
			parent = id
		}
		deepest := parent // depth 20
		role := e.role(t, "acme", "records-reader", []string{"data.records:read"})
		mid := e.account(t, "level-10", "job")
		e.assign(t, mid, role.Ref(), "level-15/*")

		got := triples(e.rights(t, mid))
		want := []string{}
		for i := 15; i < 20; i++ {
			want = append(want, fmt.Sprintf("level-%02d data.records:read", i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("rights %v, want %v", got, want)
		}
		// Organizations created later under the subtree are covered.
		if _, err := e.orgs.CreateOrg(e.ctx, e.sys, "level-20b", "", "level-15"); err != nil {
			t.Fatal(err)
		}
		if !e.rights(t, mid).Allows("level-20b", rbac.Right{Permission: "data.records", Operation: "read"}) {
			t.Fatal("a child created after the assignment is not covered")
		}
		// Rule 2 across the depth: the deepest account cannot act above.
		low := e.account(t, deepest, "low")
		wantRule(t, e.accts.AssignRole(e.ctx, e.sys, low, role.Ref(), scopes(t, "level-18")), 2)
		// Rule 1 across the depth: a role of the deepest org for the middle.
		deepRole := e.role(t, deepest, "deep", []string{"data.records:read"})
		wantRule(t, e.accts.AssignRole(e.ctx, e.sys, mid, deepRole.Ref(), scopes(t, deepest)), 1)
		if _, err := e.orgs.CreateOrg(e.ctx, e.sys, "too-deep-1", "", deepest); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPerimeterExcludingTheSubjectsOrganizationGrantsNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.permission(t, "billing.invoices")
		// Assignable on billing, but only to subjects of billing.
		role := e.role(t, "acme", "billing-only", []string{"billing.invoices:read"}, "billing")
		ops := e.account(t, "acme", "ops")
		e.assign(t, ops, role.Ref(), "billing")
		r := e.rights(t, ops)
		if len(r.Effective()) != 0 || len(r.Inactive) != 1 || r.Inactive[0].Rule != 0 ||
			!strings.Contains(r.Inactive[0].Reason, "outside the perimeter") {
			t.Fatalf("effective %v, inactive %+v: want the grant inactive, acme being outside the perimeter", triples(r), r.Inactive)
		}
		// Widening the perimeter makes it effective.
		wide := []rbac.Scope{scope(t, "acme"), scope(t, "billing")}
		if _, err := e.orgs.UpdateRole(e.ctx, e.sys, role.Ref(), rbac.RoleChanges{Perimeter: &wide}); err != nil {
			t.Fatal(err)
		}
		if got := triples(e.rights(t, ops)); !slices.Equal(got, []string{"billing billing.invoices:read"}) {
			t.Fatalf("rights %v after widening", got)
		}
		// Narrowing it again deactivates the assignment, with rule 3 now
		// failing too: billing left the perimeter.
		narrow := []rbac.Scope{scope(t, "acme")}
		if _, err := e.orgs.UpdateRole(e.ctx, e.sys, role.Ref(), rbac.RoleChanges{Perimeter: &narrow}); err != nil {
			t.Fatal(err)
		}
		r = e.rights(t, ops)
		if len(r.Effective()) != 0 || len(r.Inactive) != 1 || r.Inactive[0].Rule != 3 {
			t.Fatalf("after narrowing: effective %v, inactive %+v", triples(r), r.Inactive)
		}
	})
}

func TestMovingAnAccountRecomputesItsRights(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "sales", "acme")
		e.permission(t, "billing.invoices")
		role := e.role(t, "acme", "invoice-reader", []string{"billing.invoices:read"})
		sync := e.account(t, "billing", "invoice-sync")
		e.assign(t, sync, role.Ref(), "billing")

		moved, err := e.accts.Move(e.ctx, e.sys, sync, "sales")
		if err != nil {
			t.Fatal(err)
		}
		if moved.OrgID != "sales" {
			t.Fatalf("moved to %q", moved.OrgID)
		}
		if _, err := e.accts.Lookup(e.ctx, sync); !errorsIsNotFound(err) {
			t.Fatalf("the old client ID still resolves: %v", err)
		}
		r := e.rights(t, "invoice-sync@sales.iam")
		if len(r.Effective()) != 0 || len(r.Inactive) != 1 || r.Inactive[0].Rule != 2 {
			t.Fatalf("after the move: effective %v, inactive %+v; want the billing assignment inactive by rule 2", triples(r), r.Inactive)
		}
		entries := e.auditOf(t, audit.Filter{Target: "invoice-sync@sales.iam"})
		if len(entries) == 0 || entries[0].Action != "account.move" || !strings.Contains(string(entries[0].Before), sync) {
			t.Fatalf("audit %+v: want account.move with the old client ID before", entries)
		}
		// Auditors of either organization see the move.
		for _, org := range []string{"billing", "sales"} {
			got := e.auditOf(t, audit.Filter{Target: "invoice-sync@sales.iam", OrgIDs: []string{org}})
			if len(got) != 1 || got[0].Action != "account.move" ||
				string(got[0].Before) != string(entries[0].Before) || string(got[0].After) != string(entries[0].After) {
				t.Errorf("audit of %s: %+v; want the account.move", org, got)
			}
		}
	})
}

func errorsIsNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not found")
}

func TestRemovingARole(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.permission(t, "billing.invoices")
		role := e.role(t, "acme", "invoice-reader", []string{"billing.invoices:read"})
		sync := e.account(t, "billing", "invoice-sync")
		e.assign(t, sync, role.Ref(), "billing/*")
		if _, err := e.orgs.CreateGroup(e.ctx, e.sys, "acme", "finance", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.orgs.AddPair(e.ctx, e.sys, "acme/finance", role.Ref(), scope(t, "billing")); err != nil {
			t.Fatal(err)
		}
		acct, err := e.accts.Lookup(e.ctx, sync)
		if err != nil {
			t.Fatal(err)
		}

		wantErr(t, e.orgs.DeleteRole(e.ctx, e.sys, role.Ref(), false), storage.ErrConflict)
		if err := e.orgs.DeleteRole(e.ctx, e.sys, role.Ref(), true); err != nil {
			t.Fatal(err)
		}
		if r := e.rights(t, sync); len(r.Effective()) != 0 || len(r.Roles) != 0 {
			t.Fatalf("rights after deleting the role: %v, roles %v", triples(r), r.Roles)
		}
		entries := e.auditOf(t, audit.Filter{Target: "acme/invoice-reader"})
		// The entry lists what went with the role, not just how much.
		want := `"removed":{"assignments":[{"subject_id":"` + acct.ID + `","on":"billing/*"}],"group_pairs":[{"group":"acme/finance","on":"billing"}]}`
		if len(entries) == 0 || entries[0].Action != "role.delete" || !strings.Contains(string(entries[0].Before), want) {
			t.Fatalf("audit %+v: want role.delete with %s", entries, want)
		}
	})
}

func TestNobodyGrantsWhatTheyDoNotHold(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.permission(t, "billing.invoices")
		admin := e.account(t, "billing", "billing-admin")
		e.assign(t, admin, "acme/admin", "billing")
		writer := e.role(t, "acme", "invoice-writer", []string{"billing.invoices:write"})
		target := e.account(t, "billing", "invoice-sync")

		// The admin role on billing manages assignments there, but holds
		// no billing.invoices right.
		err := e.accts.AssignRole(e.ctx, e.actor(t, admin), target, writer.Ref(), scopes(t, "billing"))
		wantMissing(t, err, "billing", "billing.invoices:write")
		// Nor can it give itself more through a role it may edit.
		own := e.role(t, "billing", "own", []string{"iam.keys:read"})
		e.assign(t, admin, own.Ref(), "billing")
		more := parseRights(t, []string{"iam.keys:read", "billing.invoices:write"})
		_, err = e.orgs.UpdateRole(e.ctx, e.actor(t, admin), own.Ref(), rbac.RoleChanges{Rights: &more})
		wantMissing(t, err, "billing", "billing.invoices:write")
		// Nor through a group.
		g, err := e.orgs.CreateGroup(e.ctx, e.actor(t, admin), "billing", "writers", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.orgs.AddPair(e.ctx, e.actor(t, admin), g.Ref(), writer.Ref(), scope(t, "billing"))
		wantMissing(t, err, "billing", "billing.invoices:write")
		// Holding the right, it may grant it.
		e.assign(t, admin, writer.Ref(), "billing")
		if err := e.accts.AssignRole(e.ctx, e.actor(t, admin), target, writer.Ref(), scopes(t, "billing")); err != nil {
			t.Fatal(err)
		}
		// But not on the parent, where it holds nothing.
		top := e.account(t, "acme", "top")
		err = e.accts.AssignRole(e.ctx, e.actor(t, admin), top, writer.Ref(), scopes(t, "acme"))
		wantMissing(t, err, "acme", "iam.assignments:write")
		// Managed roles cannot be changed, the bootstrap role not assigned.
		_, err = e.orgs.UpdateRole(e.ctx, e.sys, "acme/viewer", rbac.RoleChanges{Rights: &more})
		wantErr(t, err, storage.ErrForbidden)
		err = e.accts.AssignRole(e.ctx, e.sys, target, "acme/system-admin", scopes(t, "billing"))
		wantErr(t, err, storage.ErrForbidden)
	})
}

func TestViewerReadsWhereAssignedAndNothingElse(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "sales", "acme")
		viewer := e.account(t, "billing", "auditor")
		e.assign(t, viewer, "acme/viewer", "billing")
		a := e.actor(t, viewer)
		orgs, err := e.orgs.ListOrgs(e.ctx, a, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 1 || orgs[0].ID != "billing" {
			t.Fatalf("viewer lists %v", orgs)
		}
		if _, err := e.orgs.GetOrg(e.ctx, a, "acme"); err == nil {
			t.Fatal("the viewer reads its parent")
		}
		_, err = e.orgs.CreateOrg(e.ctx, a, "billing-eu", "", "billing")
		wantMissing(t, err, "billing", "iam.organizations:write")
		if _, err := e.accts.Get(e.ctx, a, viewer); err != nil {
			t.Fatalf("the viewer cannot read its own account: %v", err)
		}
		name := "x"
		_, err = e.accts.Update(e.ctx, a, viewer, accountsChanges(&name))
		wantMissing(t, err, "billing", "iam.service-accounts:write")
	})
}

func TestOrganizationTree(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.org(t, "europe", "billing")
		e.org(t, "sales", "acme")
		if _, err := e.orgs.MoveOrg(e.ctx, e.sys, "billing", "europe"); err == nil {
			t.Fatal("moved an organization under its own child")
		}
		if _, err := e.orgs.MoveOrg(e.ctx, e.sys, "acme", "sales"); err == nil {
			t.Fatal("moved the root")
		}
		moved, err := e.orgs.MoveOrg(e.ctx, e.sys, "billing", "sales")
		if err != nil {
			t.Fatal(err)
		}
		if moved.Path != "/acme/sales/billing/" {
			t.Fatalf("path after the move %q", moved.Path)
		}
		eu, err := e.orgs.LookupOrg(e.ctx, "europe")
		if err != nil || eu.Path != "/acme/sales/billing/europe/" {
			t.Fatalf("child path after the move %q (%v)", eu.Path, err)
		}
		wantErr(t, e.orgs.DeleteOrg(e.ctx, e.sys, "billing"), storage.ErrConflict)
		if err := e.orgs.DeleteOrg(e.ctx, e.sys, "europe"); err != nil {
			t.Fatal(err)
		}
		renamed, err := e.orgs.RenameOrg(e.ctx, e.sys, "billing", "Billing EU")
		if err != nil || renamed.Name != "Billing EU" {
			t.Fatalf("rename: %+v %v", renamed, err)
		}
		all, err := e.orgs.ListOrgs(e.ctx, e.sys, "")
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, o := range all {
			paths = append(paths, o.Path)
		}
		if !slices.Equal(paths, []string{"/acme/", "/acme/sales/", "/acme/sales/billing/"}) {
			t.Fatalf("tree order %v", paths)
		}
	})
}

func TestEveryChangeIsAuditedInItsTransaction(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.org(t, "billing", "acme")
		e.permission(t, "billing.invoices")
		e.role(t, "acme", "invoice-reader", []string{"billing.invoices:read"})
		// A refused change records nothing.
		before := len(e.auditOf(t, audit.Filter{}))
		if _, err := e.orgs.CreateRole(e.ctx, e.sys, rbac.NewRole{OrgID: "acme", Name: "invoice-reader"}); err == nil {
			t.Fatal("created a role twice")
		}
		if n := len(e.auditOf(t, audit.Filter{})); n != before {
			t.Fatalf("a refused change left %d audit entries", n-before)
		}
		entries := e.auditOf(t, audit.Filter{Target: "acme/invoice-reader"})
		if len(entries) != 1 || entries[0].Action != "role.create" || entries[0].Actor != "test" || entries[0].OrgID != "acme" {
			t.Fatalf("entries %+v", entries)
		}
		var after struct{ Rights []string }
		if err := json.Unmarshal(entries[0].After, &after); err != nil || !slices.Equal(after.Rights, []string{"billing.invoices:read"}) {
			t.Fatalf("after %s (%v)", entries[0].After, err)
		}
		if entries[0].Before != nil {
			t.Fatalf("before %s, want null", entries[0].Before)
		}
	})
}

func (e *env) auditOf(t *testing.T, f audit.Filter) []audit.Entry {
	t.Helper()
	f.Limit = 1000
	entries, err := e.orgs.Audit().List(e.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestManagedRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		roles, err := e.orgs.ListRoles(e.ctx, e.sys, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range roles {
			names = append(names, r.Name+":"+r.Kind)
		}
		if !slices.Equal(names, []string{"admin:managed", "developer:managed", "system-admin:bootstrap", "viewer:managed"}) {
			t.Fatalf("managed roles %v", names)
		}
		// Idempotent, and it restores what a release defines.
		if err := e.orgs.EnsureManagedRoles(e.ctx); err != nil {
			t.Fatal(err)
		}
		viewer, err := e.orgs.GetRole(e.ctx, e.sys, "acme/viewer")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range viewer.Rights {
			if r.Operation != rbac.OpRead {
				t.Fatalf("the viewer role holds %s", r)
			}
		}
		wantErr(t, e.orgs.DeleteRole(e.ctx, e.sys, "acme/viewer", true), storage.ErrForbidden)
	})
}

func accountsChanges(name *string) accounts.Changes { return accounts.Changes{DisplayName: name} }
