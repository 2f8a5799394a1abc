package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/logscan"
	"github.com/iamd/iamd/web"
)

// auditLog returns the whole audit log as token may read it with query,
// walking its pages of pageSize, and checks it is newest first.
func (f *fixture) auditLog(t testing.TB, token, query string, pageSize int) []web.AuditEntry {
	t.Helper()
	var all []web.AuditEntry
	next := ""
	for pages := 1; ; pages++ {
		q := query + "&page_size=" + strconv.Itoa(pageSize)
		if next != "" {
			q += "&page_token=" + next
		}
		l := decode[web.AuditList](t, f.call(t, http.MethodGet, "/api/v1/audit?"+q, token, nil), http.StatusOK)
		if len(l.Items) > pageSize {
			t.Fatalf("page %d has %d entries, more than %d", pages, len(l.Items), pageSize)
		}
		all = append(all, l.Items...)
		if next = l.NextPageToken; next == "" {
			break
		}
		if len(l.Items) == 0 || pages > 200 {
			t.Fatalf("page %d: %d entries and a next page token", pages, len(l.Items))
		}
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID || all[i].At.After(all[i-1].At) {
			t.Fatalf("entry %d (%s at %s) is not older than the one before (%s at %s)", i, all[i].ID, all[i].At, all[i-1].ID, all[i-1].At)
		}
	}
	return all
}

// TestEveryChangeIsAudited: the bootstrap admin makes every kind of change
// the API offers; each one is in the audit log, with who, where and what,
// the record before and after, and no secret.
func TestEveryChangeIsAudited(t *testing.T) { onBothBackends(t, testEveryChangeIsAudited) }

func testEveryChangeIsAudited(t *testing.T, opts ...option) {
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	start := f.clock.Now().Add(-time.Second)
	secrets := []string{f.admin.Secret, admin}
	var key web.NewKey
	var signingKey string
	f.runSteps(t, admin, []step{
		{name: "a permission is registered", method: http.MethodPost, path: "/api/v1/permissions", body: web.CreatePermissionRequest{Name: "billing.invoices"}, status: http.StatusCreated},
		{name: "and described", method: http.MethodPatch, path: "/api/v1/permissions/billing.invoices", body: `{"description":"Invoices"}`, status: http.StatusOK},
		{name: "an org is created", method: http.MethodPost, path: "/api/v1/orgs", body: web.CreateOrgRequest{ID: "billing"}, status: http.StatusCreated},
		{name: "another", method: http.MethodPost, path: "/api/v1/orgs", body: web.CreateOrgRequest{ID: "sales"}, status: http.StatusCreated},
		{name: "and a child", method: http.MethodPost, path: "/api/v1/orgs", body: web.CreateOrgRequest{ID: "emea", Parent: "billing"}, status: http.StatusCreated},
		{name: "which is renamed", method: http.MethodPatch, path: "/api/v1/orgs/emea", body: `{"name":"Europe"}`, status: http.StatusOK},
		{name: "and moved", method: http.MethodPatch, path: "/api/v1/orgs/emea", body: `{"parent":"sales"}`, status: http.StatusOK},
		{name: "a role is created", method: http.MethodPost, path: "/api/v1/roles",
			body: web.CreateRoleRequest{Org: rootOrg, Name: "invoice-reader", Rights: []string{readInvoices}}, status: http.StatusCreated},
		{name: "and changed", method: http.MethodPatch, path: "/api/v1/roles/acme/invoice-reader", body: `{"description":"Reads invoices"}`, status: http.StatusOK},
		{name: "a group is created", method: http.MethodPost, path: "/api/v1/groups", body: web.CreateGroupRequest{Org: rootOrg, Name: "finance"}, status: http.StatusCreated},
		{name: "and described", method: http.MethodPatch, path: "/api/v1/groups/acme/finance", body: `{"description":"Finance"}`, status: http.StatusOK},
		{name: "and given a role", method: http.MethodPost, path: "/api/v1/groups/acme/finance/roles", body: web.GroupRole{Role: "acme/invoice-reader", On: "billing"}, status: http.StatusOK},
		{name: "an account is created", method: http.MethodPost, path: "/api/v1/accounts", body: web.CreateAccountRequest{ID: "sync", Org: "billing"}, status: http.StatusCreated},
		{name: "and given a key", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/keys", body: web.CreateKeyRequest{Label: "ci"}, status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				key = decode[web.NewKey](t, r, http.StatusCreated)
				secrets = append(secrets, key.Secret)
			}},
	})
	f.runSteps(t, admin, []step{
		{name: "the key is deactivated", method: http.MethodPost, path: "/api/v1/keys/" + key.ID + "/deactivate", status: http.StatusOK},
		{name: "and activated", method: http.MethodPost, path: "/api/v1/keys/" + key.ID + "/activate", status: http.StatusOK},
		{name: "and rotated", method: http.MethodPost, path: "/api/v1/keys/" + key.ID + "/rotate", status: http.StatusCreated,
			check: func(t *testing.T, r *response) {
				secrets = append(secrets, decode[web.KeyRotation](t, r, http.StatusCreated).Key.Secret)
			}},
		{name: "and deleted", method: http.MethodDelete, path: "/api/v1/keys/" + key.ID, status: http.StatusNoContent},
		{name: "the account is changed", method: http.MethodPatch, path: "/api/v1/accounts/sync@billing.iam", body: `{"description":"Sync"}`, status: http.StatusOK},
		{name: "archived", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/archive", status: http.StatusOK},
		{name: "restored", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/restore", status: http.StatusOK},
		{name: "assigned a role", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/assignments", body: role("acme/invoice-reader", "billing"), status: http.StatusNoContent},
		{name: "and a group", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/assignments", body: web.AssignRequest{Group: "acme/finance"}, status: http.StatusNoContent},
		{name: "unassigned the role", method: http.MethodDelete, path: "/api/v1/accounts/sync@billing.iam/assignments?role=acme/invoice-reader&on=billing", status: http.StatusNoContent},
		{name: "and the group", method: http.MethodDelete, path: "/api/v1/accounts/sync@billing.iam/assignments?group=acme/finance", status: http.StatusNoContent},
		{name: "moved", method: http.MethodPost, path: "/api/v1/accounts/sync@billing.iam/move", body: web.MoveAccountRequest{Org: "sales", Confirm: true}, status: http.StatusOK},
		{name: "and deleted", method: http.MethodDelete, path: "/api/v1/accounts/sync@sales.iam", status: http.StatusNoContent},
		{name: "the group loses its role", method: http.MethodDelete, path: "/api/v1/groups/acme/finance/roles?role=acme/invoice-reader&on=billing", status: http.StatusOK},
		{name: "and is deleted", method: http.MethodDelete, path: "/api/v1/groups/acme/finance", status: http.StatusNoContent},
		{name: "the role is deleted", method: http.MethodDelete, path: "/api/v1/roles/acme/invoice-reader", status: http.StatusNoContent},
		{name: "the permission is deleted", method: http.MethodDelete, path: "/api/v1/permissions/billing.invoices", status: http.StatusNoContent},
		{name: "the moved org is deleted", method: http.MethodDelete, path: "/api/v1/orgs/emea", status: http.StatusNoContent},
		{name: "the signing keys are rotated", method: http.MethodPost, path: "/api/v1/signing-keys/rotate", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				for _, k := range decode[web.SigningKeyList](t, r, http.StatusOK).Items {
					if k.State == "next" {
						signingKey = k.ID
					}
				}
			}},
	})

	entries := f.auditLog(t, admin, "", 500)
	type want struct{ action, org, target, before, after string }
	// before and after: "" for null, else a fragment of the JSON record.
	wants := []want{
		{"permission.create", rootOrg, "billing.invoices", "", `"name":"billing.invoices"`},
		{"permission.update", rootOrg, "billing.invoices", `"description":""`, `"description":"Invoices"`},
		{"org.create", rootOrg, "billing", "", `"id":"billing"`},
		{"org.create", rootOrg, "sales", "", `"id":"sales"`},
		{"org.create", "billing", "emea", "", `"parent":"billing"`},
		{"org.rename", "emea", "emea", `"name":"emea"`, `"name":"Europe"`},
		{"org.move", "billing", "emea", `"parent":"billing"`, `"parent":"sales"`},
		{"org.move", "sales", "emea", `"parent":"billing"`, `"parent":"sales"`},
		{"role.create", rootOrg, "acme/invoice-reader", "", `"rights":["billing.invoices:read"]`},
		{"role.update", rootOrg, "acme/invoice-reader", `"description":""`, `"description":"Reads invoices"`},
		{"group.create", rootOrg, "acme/finance", "", `"group":"acme/finance"`},
		{"group.update", rootOrg, "acme/finance", `"description":""`, `"description":"Finance"`},
		{"group.add_role", rootOrg, "acme/finance", `"roles":[]`, `"roles":["acme/invoice-reader@billing"]`},
		{"account.create", "billing", "sync@billing.iam", "", `"client_id":"sync@billing.iam"`},
		{"key.create", "billing", "sync@billing.iam", "", `"id":"` + key.ID + `"`},
		{"key.deactivate", "billing", "sync@billing.iam", `"active":true`, `"active":false`},
		{"key.activate", "billing", "sync@billing.iam", `"active":false`, `"active":true`},
		{"key.create", "billing", "sync@billing.iam", "", `"label":"ci"`},
		{"key.rotate", "billing", "sync@billing.iam", `"active":true`, `"active":false`},
		{"key.delete", "billing", "sync@billing.iam", `"id":"` + key.ID + `"`, ""},
		{"account.update", "billing", "sync@billing.iam", `"description":""`, `"description":"Sync"`},
		{"account.archive", "billing", "sync@billing.iam", `"status":"active"`, `"status":"archived"`},
		{"account.restore", "billing", "sync@billing.iam", `"status":"archived"`, `"status":"active"`},
		{"assignment.add", "billing", "sync@billing.iam", "", `"role":"acme/invoice-reader"`},
		{"assignment.add", "billing", "sync@billing.iam", "", `"group":"acme/finance"`},
		{"assignment.remove", "billing", "sync@billing.iam", `"role":"acme/invoice-reader"`, ""},
		{"assignment.remove", "billing", "sync@billing.iam", `"group":"acme/finance"`, ""},
		{"account.move", "billing", "sync@sales.iam", `"client_id":"sync@billing.iam"`, `"client_id":"sync@sales.iam"`},
		{"account.move", "sales", "sync@sales.iam", `"client_id":"sync@billing.iam"`, `"client_id":"sync@sales.iam"`},
		{"account.delete", "sales", "sync@sales.iam", `"client_id":"sync@sales.iam"`, ""},
		{"group.remove_role", rootOrg, "acme/finance", `"roles":["acme/invoice-reader@billing"]`, `"roles":[]`},
		{"group.delete", rootOrg, "acme/finance", `"group":"acme/finance"`, ""},
		{"role.delete", rootOrg, "acme/invoice-reader", `"role":"acme/invoice-reader"`, ""},
		{"permission.delete", rootOrg, "billing.invoices", `"name":"billing.invoices"`, ""},
		{"org.delete", "sales", "emea", `"id":"emea"`, ""},
		{"signing_key.rotate", rootOrg, signingKey, "", `"algorithm":"ES256"`},
	}
	// The changes are in the log in the order they were made, after the
	// bootstrap's: read it oldest first.
	slices.Reverse(entries)
	i := slices.IndexFunc(entries, func(e web.AuditEntry) bool { return e.Action == "permission.create" })
	if i < 0 {
		t.Fatalf("no permission.create in %d entries", len(entries))
	}
	for _, e := range entries[:i] {
		if e.Actor != initBy {
			t.Errorf("entry before the first change by %s: %+v", e.Actor, e)
		}
	}
	got := entries[i:]
	var gotActions, wantActions []string
	for _, e := range got {
		gotActions = append(gotActions, e.Action+" "+e.Target)
	}
	for _, w := range wants {
		wantActions = append(wantActions, w.action+" "+w.target)
	}
	if !slices.Equal(gotActions, wantActions) {
		t.Fatalf("changes logged, oldest first:\n %s\nwant\n %s", strings.Join(gotActions, "\n "), strings.Join(wantActions, "\n "))
	}
	for j, w := range wants {
		e := got[j]
		if e.Org != w.org || e.Actor != adminID || e.At.Before(start) {
			t.Errorf("entry %d: %s by %s in %s on %s at %s, want %s in %s on %s", j, e.Action, e.Actor, e.Org, e.Target, e.At, w.action, w.org, w.target)
		}
		for _, side := range []struct{ name, got, want string }{{"before", string(e.Before), w.before}, {"after", string(e.After), w.after}} {
			if side.want == "" && side.got != "null" || side.want != "" && !strings.Contains(side.got, side.want) {
				t.Errorf("entry %d (%s): %s %s, want %s", j, e.Action, side.name, side.got, orNull(side.want))
			}
		}
	}
	t.Run("no audit record holds a secret", func(t *testing.T) {
		for _, e := range entries {
			text := string(e.Before) + " " + string(e.After) + " " + e.Target
			for _, h := range logscan.Find(text) {
				t.Errorf("%s of %s holds %s", e.Action, e.Target, h.Masked)
			}
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("%s of %s holds a secret", e.Action, e.Target)
				}
			}
			if strings.Contains(text, "secret_hash") || strings.Contains(text, "private") {
				t.Errorf("%s of %s: %s", e.Action, e.Target, text)
			}
		}
	})
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return "a record with " + s
}

// TestAuditFilters: filters select exactly, pages walk the log once, and a
// caller sees the organizations where it holds iam.audit read.
func TestAuditFilters(t *testing.T) { onBothBackends(t, testAuditFilters) }

func testAuditFilters(t *testing.T, opts ...option) {
	f := newFixture(t, opts...)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	f.createOrg(t, admin, "sales")
	_, boss := f.member(t, admin, "boss", "billing", role("acme/admin", "billing"))
	for _, id := range []string{"alpha", "beta", "gamma"} {
		f.createAccount(t, admin, web.CreateAccountRequest{ID: id, Org: "sales"})
		f.clock.Advance(time.Second)
		decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts", boss, web.CreateAccountRequest{ID: id, Org: "billing"}), http.StatusCreated)
		f.clock.Advance(time.Second)
	}
	decode[web.Account](t, f.call(t, http.MethodPatch, "/api/v1/accounts/beta@billing.iam", boss, `{"description":"b"}`), http.StatusOK)
	all := f.auditLog(t, admin, "", 500)
	if len(all) < 10 {
		t.Fatalf("%d entries", len(all))
	}
	mid := all[len(all)/2].At
	keep := func(pred func(web.AuditEntry) bool) []string {
		var ids []string
		for _, e := range all {
			if pred(e) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	ids := func(es []web.AuditEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	since := url.QueryEscape(mid.Format(time.RFC3339Nano))
	tests := []struct {
		name  string
		token string
		query string
		want  []string
	}{
		{"pages of one walk the whole log", admin, "", ids(all)},
		{"the actor filter keeps the actor's changes", admin, "actor=boss@billing.iam",
			keep(func(e web.AuditEntry) bool { return e.Actor == "boss@billing.iam" })},
		{"the target filter keeps the target's changes", admin, "target=beta@billing.iam",
			keep(func(e web.AuditEntry) bool { return e.Target == "beta@billing.iam" })},
		{"the org filter keeps the org's changes", admin, "org=sales",
			keep(func(e web.AuditEntry) bool { return e.Org == "sales" })},
		{"since keeps the changes at or after it", admin, "since=" + since,
			keep(func(e web.AuditEntry) bool { return !e.At.Before(mid) })},
		{"until keeps the changes before it", admin, "until=" + since,
			keep(func(e web.AuditEntry) bool { return e.At.Before(mid) })},
		{"filters combine", admin, "org=billing&actor=boss@billing.iam&since=" + since,
			keep(func(e web.AuditEntry) bool {
				return e.Org == "billing" && e.Actor == "boss@billing.iam" && !e.At.Before(mid)
			})},
		{"an admin of billing sees billing's changes alone", boss, "",
			keep(func(e web.AuditEntry) bool { return e.Org == "billing" })},
		{"an admin of billing may filter on billing", boss, "org=billing&target=beta@billing.iam",
			keep(func(e web.AuditEntry) bool { return e.Org == "billing" && e.Target == "beta@billing.iam" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) == 0 {
				t.Fatal("the case selects nothing: it would pass whatever the filter does")
			}
			got := ids(f.auditLog(t, tt.token, tt.query, 1))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %d entries %q,\nwant %d %q", len(got), got, len(tt.want), tt.want)
			}
		})
	}
	f.runSteps(t, boss, []step{
		{name: "an admin of billing may not read the root's log", method: http.MethodGet, path: "/api/v1/audit?org=acme", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.audit:read")},
		{name: "nor a sibling's", method: http.MethodGet, path: "/api/v1/audit?org=sales", status: http.StatusForbidden,
			check: wantMissing("sales", "iam.audit:read")},
	})
	f.runSteps(t, admin, []step{
		{name: "a page size of zero is invalid", method: http.MethodGet, path: "/api/v1/audit?page_size=0", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a page size over 500 is invalid", method: http.MethodGet, path: "/api/v1/audit?page_size=501", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a time that is not RFC 3339 is invalid", method: http.MethodGet, path: "/api/v1/audit?since=yesterday", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "until before since is invalid", method: http.MethodGet, path: "/api/v1/audit?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "a malformed page token is invalid", method: http.MethodGet, path: "/api/v1/audit?page_token=zz", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the default page is the 50 newest", method: http.MethodGet, path: "/api/v1/audit", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				l := decode[web.AuditList](t, r, http.StatusOK)
				if n := min(len(all), 50); len(l.Items) != n || l.Items[0].ID != all[0].ID || (len(all) > 50) != (l.NextPageToken != "") {
					t.Errorf("%d entries from %s, next %q", len(l.Items), l.Items[0].ID, l.NextPageToken)
				}
			}},
	})
}
