package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/iamd/iamd/web"
)

// acmeTree is the tree the authorization tests work on: acme at the root,
// billing and sales under it, emea under billing.
func acmeTree(t *testing.T, in *instance) {
	t.Helper()
	mustIamd(t, in.env, "orgs", "create", "billing", "--parent", "acme")
	mustIamd(t, in.env, "orgs", "create", "emea", "--parent", "billing", "--name", "Europe")
	mustIamd(t, in.env, "orgs", "create", "sales", "--parent", "acme")
}

func TestOrgsTreeShowsParentsFirstAndMoves(t *testing.T) {
	in := newInstance(t)
	acmeTree(t, in)
	if got, want := mustIamd(t, in.env, "orgs", "tree"), "acme\n  billing\n    emea  (Europe)\n  sales\n"; got != want {
		t.Fatalf("orgs tree:\n%s\nwant:\n%s", got, want)
	}
	mustIamd(t, in.env, "orgs", "move", "billing", "--parent", "sales")
	if got, want := mustIamd(t, in.env, "orgs", "tree", "--under", "sales"), "sales\n  billing\n    emea  (Europe)\n"; got != want {
		t.Fatalf("orgs tree --under sales after the move:\n%s\nwant:\n%s", got, want)
	}
	if got := mustIamd(t, in.env, "orgs", "get", "emea", "-o", "value=path"); got != "acme,sales,billing,emea\n" {
		t.Fatalf("the path of emea after the move: %q", got)
	}
	if _, errOut, code := iamd(t, in.env, "orgs", "move", "sales", "--parent", "emea"); code != exitUsage {
		t.Fatalf("a move under its own subtree: exit %d, %s", code, errOut)
	}
	mustIamd(t, in.env, "orgs", "update", "emea", "--name", "European Union")
	if got := mustIamd(t, in.env, "orgs", "get", "emea", "-o", "value=name"); got != "European Union\n" {
		t.Fatalf("the name after orgs update: %q", got)
	}
}

func TestPermissionsAndRoles(t *testing.T) {
	in := newInstance(t)
	acmeTree(t, in)
	mustIamd(t, in.env, "permissions", "create", "billing.invoices", "--description", "Invoices")
	perms := mustIamd(t, in.env, "permissions", "list", "-o", "value=name,builtin,description")
	for _, want := range []string{"billing.invoices\tfalse\tInvoices\n", "iam.service-accounts\ttrue\t"} {
		if !strings.Contains(perms, want) {
			t.Errorf("permissions list misses %q:\n%s", want, perms)
		}
	}
	mustIamd(t, in.env, "roles", "create", "invoice-reader", "--org", "acme",
		"--permissions", "billing.invoices:read", "--perimeter", "acme,billing")
	mustIamd(t, in.env, "roles", "create", "invoice-writer", "--org", "acme", "--description", "Writes invoices",
		"--permissions", "billing.invoices:read,billing.invoices:write", "--perimeter", "billing/*")
	for ref, want := range map[string]string{
		"acme/invoice-reader": "acme/invoice-reader\tcustom\tbilling.invoices:read\tacme,billing\n",
		"acme/invoice-writer": "acme/invoice-writer\tcustom\tbilling.invoices:read,billing.invoices:write\tbilling/*\n",
	} {
		if got := mustIamd(t, in.env, "roles", "get", ref, "-o", "value=ref,kind,rights,perimeter"); got != want {
			t.Errorf("roles get %s: %q, want %q", ref, got, want)
		}
	}
	listed := mustIamd(t, in.env, "roles", "list", "--org", "acme", "-o", "value=ref,kind")
	for _, want := range []string{"acme/invoice-reader\tcustom", "acme/viewer\tmanaged", "acme/admin\tmanaged"} {
		if !strings.Contains(listed, want) {
			t.Errorf("roles list misses %q:\n%s", want, listed)
		}
	}
	mustIamd(t, in.env, "roles", "update", "acme/invoice-writer", "--perimeter", "billing")
	if got := mustIamd(t, in.env, "roles", "get", "acme/invoice-writer", "-o", "value=perimeter"); got != "billing\n" {
		t.Errorf("perimeter after update: %q", got)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"a right on an unknown permission is refused", []string{"roles", "create", "typo", "--org", "acme", "--permissions", "billing.invoice:read"}, exitUsage, "billing.invoice"},
		{"a managed role cannot be edited", []string{"roles", "update", "acme/viewer", "--description", "mine"}, exitError, "viewer"},
		{"a role reference needs its organization", []string{"roles", "get", "invoice-reader"}, exitUsage, "want ORG/NAME"},
		{"a role needs rights", []string{"roles", "create", "empty", "--org", "acme"}, exitUsage, "--permissions is required"},
		{"a permission some role grants cannot be deleted", []string{"permissions", "delete", "billing.invoices", "--yes"}, exitError, "billing.invoices"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := iamd(t, in.env, c.args...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, errOut, c.code, c.says, out)
			}
		})
	}

	mustIamd(t, in.env, "roles", "delete", "acme/invoice-writer", "--yes")
	mustIamd(t, in.env, "roles", "delete", "acme/invoice-reader", "--yes")
	mustIamd(t, in.env, "permissions", "delete", "billing.invoices", "--yes")
	if _, _, code := iamd(t, in.env, "permissions", "get", "billing.invoices"); code != exitError {
		t.Fatalf("the permission survived its deletion (exit %d)", code)
	}
}

// rightsOf returns the account's rights, as -o json gives them.
func rightsOf(t *testing.T, in *instance, clientID string) web.AccountRights {
	t.Helper()
	var r web.AccountRights
	if err := json.Unmarshal([]byte(mustIamd(t, in.env, "accounts", "rights", clientID, "-o", "json")), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAssignmentsGroupsRightsAndMoves(t *testing.T) {
	in := newInstance(t)
	acmeTree(t, in)
	run := func(args ...string) string { t.Helper(); return mustIamd(t, in.env, args...) }
	run("permissions", "create", "billing.invoices")
	run("roles", "create", "invoice-reader", "--org", "acme", "--permissions", "billing.invoices:read", "--perimeter", "acme,billing")
	run("roles", "create", "invoice-writer", "--org", "acme", "--permissions", "billing.invoices:write", "--perimeter", "billing/*")
	run("roles", "create", "sales-reader", "--org", "sales", "--permissions", "billing.invoices:read")
	run("groups", "create", "finance", "--org", "acme", "--description", "Finance jobs")
	run("groups", "add", "acme/finance", "--role", "acme/invoice-writer", "--on", "emea")
	var g web.Group
	if err := json.Unmarshal([]byte(run("groups", "get", "acme/finance", "-o", "json")), &g); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Roles, []web.GroupRole{{Role: "acme/invoice-writer", On: "emea"}}) || g.Ref != "acme/finance" {
		t.Fatalf("groups get: %+v", g)
	}
	run("accounts", "create", "invoice-sync", "--org", "billing")
	const sync = "invoice-sync@billing.iam"

	run("accounts", "assign", sync, "--role", "acme/invoice-reader", "--on", "billing")
	run("accounts", "assign", sync, "--group", "acme/finance")
	if got := run("groups", "members", "acme/finance", "-o", "value=client_id,created_by"); got != sync+"\tadmin@acme.iam\n" {
		t.Fatalf("groups members: %q", got)
	}
	r := rightsOf(t, in, sync)
	wantRights := []web.EffectiveRight{
		{Org: "billing", Right: "billing.invoices:read", Role: "acme/invoice-reader", On: "billing"},
		{Org: "emea", Right: "billing.invoices:write", Role: "acme/invoice-writer", Group: "acme/finance", On: "emea"},
	}
	if !slices.Equal(r.Rights, wantRights) || len(r.Inactive) != 0 || r.Org != "billing" ||
		!slices.Equal(r.Groups, []string{"acme/finance"}) || !slices.Contains(r.Roles, "acme/invoice-reader@billing") {
		t.Fatalf("rights after the assignments: %+v", r)
	}
	table := run("accounts", "rights", sync)
	if !strings.Contains(table, "emea") || !strings.Contains(table, "acme/finance") {
		t.Fatalf("the rights table does not say where rights come from:\n%s", table)
	}

	for _, c := range []struct {
		name string
		args []string
		says string
	}{
		{"a role of another branch of the tree breaks rule 1", []string{"--role", "sales/sales-reader", "--on", "billing"}, "rule 1"},
		{"an organization outside the account's subtree breaks rule 2", []string{"--role", "acme/invoice-reader", "--on", "sales"}, "rule 2"},
		{"an organization the perimeter holds alone, not its subtree, breaks rule 3", []string{"--role", "acme/invoice-reader", "--on", "emea"}, "rule 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := iamd(t, in.env, append([]string{"accounts", "assign", sync}, c.args...)...)
			if code != exitUsage || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q (stdout %q)", code, errOut, exitUsage, c.says, out)
			}
		})
	}
	if _, errOut, code := iamd(t, in.env, "accounts", "assign", "admin@acme.iam", "--role", "acme/viewer", "--on", "acme"); code == 0 {
		t.Fatalf("the system admin was given a role: %s", errOut)
	}
	if _, errOut, code := iamd(t, in.env, "accounts", "assign", sync, "--role", "acme/invoice-reader"); code != exitUsage || !strings.Contains(errOut, "--on") {
		t.Fatalf("a role without --on: exit %d, %s", code, errOut)
	}

	run("accounts", "unassign", sync, "--group", "acme/finance")
	if r := rightsOf(t, in, sync); len(r.Rights) != 1 || len(r.Groups) != 0 {
		t.Fatalf("rights after leaving the group: %+v", r)
	}
	if got := run("groups", "members", "acme/finance", "-o", "value=client_id"); got != "" {
		t.Fatalf("members after unassign: %q", got)
	}

	// Moving: refused without --yes, saying what changes; with it, the
	// client ID changes, the old one is gone and the grant whose rules
	// no longer hold is inactive.
	_, errOut, code := iamd(t, in.env, "accounts", "move", sync, "--org", "sales")
	if code != exitUsage || !strings.Contains(errOut, "client ID") || !strings.Contains(errOut, "invoice-sync@sales.iam") {
		t.Fatalf("move without --yes: exit %d, %s", code, errOut)
	}
	if got := run("accounts", "get", sync, "-o", "value=org"); got != "billing\n" {
		t.Fatalf("a refused move moved the account: %q", got)
	}
	const moved = "invoice-sync@sales.iam"
	if got := run("accounts", "move", sync, "--org", "sales", "--yes", "-o", "value=client_id"); got != moved+"\n" {
		t.Fatalf("move printed %q", got)
	}
	if _, _, code := iamd(t, in.env, "accounts", "get", sync); code != exitError {
		t.Fatalf("the old client ID still names the account (exit %d)", code)
	}
	r = rightsOf(t, in, moved)
	if len(r.Rights) != 0 || len(r.Inactive) != 1 || r.Inactive[0].Role != "acme/invoice-reader" || r.Inactive[0].Reason == "" {
		t.Fatalf("rights after the move: %+v", r)
	}
	if table := run("accounts", "rights", moved); !strings.Contains(table, "INACTIVE") || !strings.Contains(table, r.Inactive[0].Reason) {
		t.Fatalf("the rights table does not show the inactive grant:\n%s", table)
	}
	run("accounts", "unassign", moved, "--role", "acme/invoice-reader", "--on", "billing")
	if r := rightsOf(t, in, moved); len(r.Rights)+len(r.Inactive) != 0 {
		t.Fatalf("rights after unassign: %+v", r)
	}
}

func TestAuditShowsTheChangesToATarget(t *testing.T) {
	in := newInstance(t)
	acmeTree(t, in)
	mustIamd(t, in.env, "accounts", "create", "invoice-sync", "--org", "billing")
	mustIamd(t, in.env, "accounts", "update", "invoice-sync@billing.iam", "--description", "nightly export")
	mustIamd(t, in.env, "accounts", "assign", "invoice-sync@billing.iam", "--role", "acme/viewer", "--on", "billing")

	var out web.AuditList
	if err := json.Unmarshal([]byte(mustIamd(t, in.env, "audit", "--target", "invoice-sync@billing.iam", "-o", "json")), &out); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range out.Items {
		if e.Target != "invoice-sync@billing.iam" || e.Actor != "admin@acme.iam" || e.Org != "billing" {
			t.Errorf("entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	// Newest first.
	if len(actions) != 3 || actions[2] != "account.create" || actions[0] != "assignment.add" {
		t.Fatalf("audit of the account: %v", actions)
	}
	if update := out.Items[1]; !strings.Contains(string(update.After), "nightly export") || strings.Contains(string(update.Before), "nightly export") {
		t.Fatalf("the update's before and after: %s / %s", update.Before, update.After)
	}

	var page web.AuditList
	if err := json.Unmarshal([]byte(mustIamd(t, in.env, "audit", "--org", "billing", "--limit", "1", "-o", "json")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.NextPageToken == "" || page.Items[0].ID != out.Items[0].ID {
		t.Fatalf("audit --limit 1: %+v", page)
	}
	if got := mustIamd(t, in.env, "audit", "--actor", "admin@acme.iam", "--since", "1h", "--org", "billing", "-o", "value=action"); strings.Count(got, "\n") < 3 {
		t.Fatalf("audit --since 1h:\n%s", got)
	}
	if got := mustIamd(t, in.env, "audit", "--until", "2000-01-01T00:00:00Z", "-o", "value=action"); got != "" {
		t.Fatalf("audit --until 2000: %q", got)
	}
	if _, errOut, code := iamd(t, in.env, "audit", "--since", "yesterday"); code != exitUsage || !strings.Contains(errOut, "--since") {
		t.Fatalf("a malformed --since: exit %d, %s", code, errOut)
	}
}

func TestScopesFlagPointsToRoles(t *testing.T) {
	in := newInstance(t)
	mustIamd(t, in.env, "accounts", "create", "job", "--org", "acme")
	for _, args := range [][]string{
		{"accounts", "create", "other", "--org", "acme", "--scopes", "billing.invoices:read"},
		{"accounts", "update", "job@acme.iam", "--scopes", "billing.invoices:read"},
	} {
		_, errOut, code := iamd(t, in.env, args...)
		if code != exitUsage || !strings.Contains(errOut, "iamd roles create") || !strings.Contains(errOut, "iamd accounts assign") {
			t.Errorf("iamd %s: exit %d, %s", strings.Join(args, " "), code, errOut)
		}
	}
	if _, _, code := iamd(t, in.env, "accounts", "get", "other@acme.iam"); code != exitError {
		t.Fatal("the refused create created the account")
	}
	if help := mustIamd(t, in.env, "accounts", "create", "--help"); strings.Contains(help, "--scopes") {
		t.Fatalf("--help still offers --scopes:\n%s", help)
	}
}

// TestViewerOnAChildOrganization: an account given the managed viewer role
// on billing gets a management token that grants reading billing, and
// nothing else: verify --require says so, and the API refuses it writes
// there and reads of its parent.
func TestViewerOnAChildOrganization(t *testing.T) {
	in := newInstance(t)
	acmeTree(t, in)
	mustIamd(t, in.env, "accounts", "create", "auditor", "--org", "billing", "--audiences", "urn:iamd:api")
	mustIamd(t, in.env, "accounts", "assign", "auditor@billing.iam", "--role", "acme/viewer", "--on", "billing")
	secret := strings.TrimSpace(mustIamd(t, in.env, "keys", "create", "auditor@billing.iam", "-o", "value=secret"))
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(mustIamd(t, in.env, "token", "--client-id", "auditor@billing.iam",
		"--client-secret-file", secretFile, "--audience", "urn:iamd:api"))
	claims := verifyWithJWKS(t, in.url, token, "urn:iamd:api")
	wantClaim(t, claims, "org", "billing")
	wantClaim(t, claims, "roles", []map[string]any{{"orgs": []string{"billing"}, "roles": "acme/viewer"}})
	mustIamd(t, in.env, "verify", token, "--audience", "urn:iamd:api", "--require", "billing:iam.organizations:read")
	for _, req := range []string{"acme:iam.organizations:read", "billing:iam.organizations:write"} {
		if _, errOut, code := iamd(t, in.env, "verify", token, "--require", req); code != exitError || !strings.Contains(errOut, "does not grant") {
			t.Errorf("verify --require %s: exit %d, %s", req, code, errOut)
		}
	}

	for _, c := range []struct {
		name, method, path, body string
		status                   int
		missing                  string
	}{
		{"it reads its organization", "GET", "/orgs/billing", "", http.StatusOK, ""},
		{"it reads an account there", "GET", "/accounts/auditor@billing.iam", "", http.StatusOK, ""},
		{"it reads the roles given there", "GET", "/accounts/auditor@billing.iam/rights", "", http.StatusOK, ""},
		{"it cannot read the parent", "GET", "/orgs/acme", "", http.StatusForbidden, "iam.organizations:read"},
		{"it cannot read a sibling", "GET", "/orgs/sales", "", http.StatusForbidden, "iam.organizations:read"},
		{"it cannot create an account", "POST", "/accounts", `{"id":"intruder","org":"billing"}`, http.StatusForbidden, "iam.service-accounts:write"},
		{"it cannot rename its organization", "PATCH", "/orgs/billing", `{"name":"Mine"}`, http.StatusForbidden, "iam.organizations:write"},
		{"it cannot give itself a role", "POST", "/accounts/auditor@billing.iam/assignments", `{"role":"acme/admin","on":["billing"]}`, http.StatusForbidden, "iam.assignments:write"},
		{"it cannot create a key", "POST", "/accounts/auditor@billing.iam/keys", `{}`, http.StatusForbidden, "iam.keys:write"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := apiRequest(t, in.url, token, c.method, c.path, c.body)
			if status != c.status || !strings.Contains(body, c.missing) {
				t.Fatalf("%s %s: %d %s; want %d naming %q", c.method, c.path, status, body, c.status, c.missing)
			}
		})
	}

	// The CLI, as the viewer, says which right is missing.
	viewer := env(t, "IAMD_SERVER="+in.url, "IAMD_CLIENT_ID=auditor@billing.iam", "IAMD_CLIENT_SECRET="+secret)
	mustIamd(t, viewer, "orgs", "get", "billing")
	_, errOut, code := iamd(t, viewer, "orgs", "create", "rogue", "--parent", "billing")
	if code != exitError || !strings.Contains(errOut, "iam.organizations:write") || !strings.Contains(errOut, "billing") {
		t.Fatalf("orgs create as the viewer: exit %d, %s", code, errOut)
	}
}

// apiRequest calls the management API with token and returns the status
// and body.
func apiRequest(t *testing.T, server, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, server+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMigrateRestoresTheManagedRoles: every migration brings the managed
// roles back to what this release ships, as when a release refines them.
func TestMigrateRestoresTheManagedRoles(t *testing.T) {
	in := newInstance(t)
	shipped := mustIamd(t, in.env, "roles", "get", "acme/viewer", "-o", "value=description,rights")
	db, err := sql.Open("sqlite", filepath.Join(in.dataDir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		"UPDATE roles SET description = 'an older release' WHERE id = 'managed-viewer'",
		"DELETE FROM role_rights WHERE role_id = 'managed-viewer' AND permission = 'iam.keys'",
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustIamd(t, in.env, "roles", "get", "acme/viewer", "-o", "value=description,rights"); got == shipped {
		t.Fatal("the role did not change in the database")
	}
	mustIamd(t, in.env, "migrate")
	if got := mustIamd(t, in.env, "roles", "get", "acme/viewer", "-o", "value=description,rights"); got != shipped {
		t.Fatalf("after migrate the viewer role is %q, want %q", got, shipped)
	}
}
