package web_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/web"
)

// member creates, with the admin's token, the account id in org, allowed
// the management API, with one key and the given assignments; it returns
// the account's credentials and a management API token of it.
func (f *fixture) member(t testing.TB, admin, id, org string, grants ...web.AssignRequest) (creds, string) {
	t.Helper()
	c := f.client(t, admin, web.CreateAccountRequest{ID: id, Org: org, AllowedAudiences: []string{oauth.ManagementAudience}})
	for _, g := range grants {
		f.assign(t, admin, c.ClientID, g)
	}
	return c, f.apiToken(t, c)
}

// apiToken obtains a management API token for c.
func (f *fixture) apiToken(t testing.TB, c creds) string {
	t.Helper()
	return f.accessToken(t, c, "resource", oauth.ManagementAudience)
}

// role is an assignment of role on the scopes on.
func role(ref string, on ...string) web.AssignRequest {
	return web.AssignRequest{Role: ref, On: on}
}

// wantMissing checks a 403 for want of right on org: the body names both,
// and the challenge says the token grants too little (RFC 6750 §3.1).
func wantMissing(org, right string) func(*testing.T, *response) {
	return func(t *testing.T, r *response) {
		t.Helper()
		e := wantAPIError(t, r, http.StatusForbidden, "forbidden")
		if e.Missing == nil || e.Missing.Org != org || e.Missing.Right != right {
			t.Errorf("missing %+v, want %s on %s (message %q)", e.Missing, right, org, e.Message)
		}
		if want := "this requires the right " + right + " on organization " + org; !strings.Contains(e.Message, want) {
			t.Errorf("message %q does not say %q", e.Message, want)
		}
		wantHeader(t, r, "WWW-Authenticate", insufficientScope)
	}
}

// wantRule checks a 400 for an assignment that breaks rule n.
func wantRule(n int) func(*testing.T, *response) {
	return func(t *testing.T, r *response) {
		t.Helper()
		e := wantAPIError(t, r, http.StatusBadRequest, "invalid_argument")
		if e.Rule != n || !strings.Contains(e.Message, "rule "+strconv.Itoa(n)+": ") {
			t.Errorf("rule %d, message %q; want rule %d", e.Rule, e.Message, n)
		}
	}
}

// wantItems checks a list response: the values key picks from its items,
// in order.
func wantItems[T any](key func(T) string, want ...string) func(*testing.T, *response) {
	return func(t *testing.T, r *response) {
		t.Helper()
		l := decode[struct {
			Items         []T    `json:"items"`
			NextPageToken string `json:"next_page_token"`
		}](t, r, http.StatusOK)
		got := []string{}
		for _, it := range l.Items {
			got = append(got, key(it))
		}
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("items %q, want %q", got, want)
		}
	}
}

func orgID(o web.Org) string                 { return o.ID }
func accountID(a web.Account) string         { return a.ClientID }
func roleRef(r web.Role) string              { return r.Ref }
func groupRef(g web.Group) string            { return g.Ref }
func permissionName(p web.Permission) string { return p.Name }

// rightsOf returns clientID's effective rights as the admin sees them.
func (f *fixture) rightsOf(t testing.TB, admin, clientID string) web.AccountRights {
	t.Helper()
	return decode[web.AccountRights](t, f.call(t, http.MethodGet, "/api/v1/accounts/"+clientID+"/rights", admin, nil), http.StatusOK)
}

// holds reports whether the rights hold right on org through ref (ORG/ROLE).
func holds(r web.AccountRights, org, right, ref string) bool {
	return slices.ContainsFunc(r.Rights, func(e web.EffectiveRight) bool {
		return e.Org == org && e.Right == right && e.Role == ref
	})
}

// onBothBackends runs test on a fixture over SQLite and one over
// PostgreSQL, the latter skipped without a server (see pgtest.URL): the
// rules and the audit log hold on both.
func onBothBackends(t *testing.T, test func(t *testing.T, opts ...option)) {
	t.Run("sqlite", func(t *testing.T) { test(t) })
	onPostgres(t, test)
}

// onPostgres runs test on a fixture over PostgreSQL, skipped without a
// server (see pgtest.URL): for what only a database shared by several
// processes can show.
func onPostgres(t *testing.T, test func(t *testing.T, opts ...option)) {
	t.Run("postgres", func(t *testing.T) {
		db, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, withStore(db))
	})
}
