package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
)

// auditOlder finds the "Older entries" link of an audit page.
var auditOlder = regexp.MustCompile(`href="(/console/audit\?[^"]+)" rel="next"`)

func auditRows(body []byte) int { return strings.Count(string(body), "<tr data-entry=") }

func TestConsoleAuditFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.orgs.CreateOrg(ctx, rbac.System(initBy), "billing", "Billing", rootOrg); err != nil {
		t.Fatal(err)
	}
	log := f.orgs.Audit()
	for i := range 60 {
		after := map[string]any{"n": i, "secret": "s3cr3t-value", "nested": map[string]string{"password": "hunter2-value"}}
		if err := log.Record(ctx, "tester@acme.iam", "thing.test", rootOrg, fmt.Sprintf("thing-%02d", i), nil, after); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := log.Record(ctx, "other@billing.iam", "thing.other", "billing", fmt.Sprintf("bill-%d", i), map[string]int{"n": i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.consoleUser(t, "alice", goodPassword, false, rbac.RoleAdmin)
	v := f.visitor(t)
	v.login(t, "alice", goodPassword)

	get := func(q url.Values) *response {
		t.Helper()
		r := v.get(t, "/console/audit?"+q.Encode())
		wantPage(t, r, http.StatusOK)
		return r
	}

	t.Run("pages go back in time with Older entries", func(t *testing.T) {
		r := get(url.Values{"actor": {"tester@acme.iam"}})
		if n := auditRows(r.Body); n != 50 {
			t.Fatalf("first page: %d entries, want 50", n)
		}
		if !strings.Contains(string(r.Body), "thing-59") || strings.Contains(string(r.Body), "thing-09<") {
			t.Error("the first page is not the newest entries")
		}
		m := auditOlder.FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no Older entries link: %s", r.Body)
		}
		r = v.get(t, strings.ReplaceAll(string(m[1]), "&amp;", "&"))
		wantPage(t, r, http.StatusOK)
		if n := auditRows(r.Body); n != 10 || auditOlder.Match(r.Body) {
			t.Errorf("second page: %d entries, want the 10 oldest and no further link", n)
		}
		if !strings.Contains(string(r.Body), "thing-00") || !strings.Contains(string(r.Body), "Newest entries") {
			t.Error("the second page lacks the oldest entry or the way back")
		}
	})
	t.Run("filters narrow the entries", func(t *testing.T) {
		for _, c := range []struct {
			q    url.Values
			want int
		}{
			{url.Values{"action": {"thing.other"}}, 3},
			{url.Values{"target": {"thing-07"}}, 1},
			{url.Values{"org": {"billing"}}, 3},
			{url.Values{"org": {"billing"}, "target": {"bill-1"}}, 1},
			{url.Values{"actor": {"nobody"}}, 0},
			{url.Values{"action": {"thing.other"}, "since": {f.clock.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04")}}, 0},
			{url.Values{"action": {"thing.other"}, "since": {f.clock.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}, 3},
			{url.Values{"action": {"thing.other"}, "until": {f.clock.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}, 0},
		} {
			if n := auditRows(get(c.q).Body); n != c.want {
				t.Errorf("%s: %d entries, want %d", c.q.Encode(), n, c.want)
			}
		}
		r := v.get(t, "/console/audit?since=yesterday")
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) {
			t.Errorf("no message: %s", r.Body)
		}
	})
	t.Run("details show the records, never a secret", func(t *testing.T) {
		r := get(url.Values{"target": {"thing-07"}})
		body := string(r.Body)
		if !strings.Contains(body, "<details") || !strings.Contains(body, "&#34;n&#34;: 7") {
			t.Errorf("no details: %s", body)
		}
		if strings.Contains(body, "s3cr3t-value") || strings.Contains(body, "hunter2-value") {
			t.Error("a secret is shown")
		}
	})
	t.Run("a malformed page token is refused", func(t *testing.T) {
		if r := v.get(t, "/console/audit?before=zz"); r.Status != http.StatusBadRequest {
			t.Errorf("status %d", r.Status)
		}
	})
	t.Run("the sign-in is in the log", func(t *testing.T) {
		if n := auditRows(get(url.Values{"actor": {"user:alice"}, "action": {"user.login"}}).Body); n != 1 {
			t.Errorf("%d sign-ins of alice", n)
		}
	})
}

func TestConsoleAuditNeedsTheAuditRight(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "vic", goodPassword, false, rbac.RoleViewer)
	v := f.visitor(t)
	v.login(t, "vic", goodPassword)
	wantPage(t, v.get(t, "/console/audit"), http.StatusForbidden)
	wantPage(t, v.get(t, "/console/audit?org="+rootOrg), http.StatusForbidden)
	if r := v.get(t, "/console/"); strings.Contains(string(r.Body), `href="/console/audit"`) {
		t.Error("the nav offers the audit log")
	}
}
