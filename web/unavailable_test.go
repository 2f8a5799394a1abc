package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/web"
)

// TestDatabaseOutage stops the PostgreSQL server under a running iamd:
// clients must be told to come back later, not that the server failed.
func TestDatabaseOutage(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	db, err := postgres.Open(context.Background(), cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := newFixture(t, withStore(db))
	base := f.serve(t)
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	send := func(t *testing.T, req *http.Request) *response {
		t.Helper()
		u, err := url.Parse(base + req.URL.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		req.URL, req.Host, req.RequestURI = u, u.Host, ""
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, u, err)
		}
		r := readResponse(t, res)
		checkResponse(t, req, r)
		return r
	}
	adminGrant := grant("resource", oauth.ManagementAudience)
	token := decode[oauth.TokenResponse](t, send(t, tokenRequest(f.admin, adminGrant)), http.StatusOK).AccessToken
	apiRequest := func(method, path string, body string) *http.Request {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	secrets := []string{cluster.Password, f.admin.Secret, token}

	cluster.Stop(t)
	t.Run("the token endpoint answers 503 temporarily_unavailable with Retry-After", func(t *testing.T) {
		r := send(t, tokenRequest(f.admin, adminGrant))
		e := wantOAuthError(t, r, http.StatusServiceUnavailable, oauth.CodeTemporarilyUnavailable)
		wantHeader(t, r, "Retry-After", "5")
		if e.Description != "The server's database is unavailable; retry in a few seconds." {
			t.Errorf("error_description %q", e.Description)
		}
		wantNoSecret(t, r, secrets...)
	})
	api := []struct{ name, method, path, body string }{
		{"listing organizations", http.MethodGet, "/api/v1/orgs", ""},
		{"reading an account", http.MethodGet, "/api/v1/accounts/" + f.admin.ClientID, ""},
		{"creating an organization", http.MethodPost, "/api/v1/orgs", `{"id":"billing"}`},
	}
	for _, tc := range api {
		t.Run("the management API answers 503 unavailable with Retry-After to "+tc.name, func(t *testing.T) {
			r := send(t, apiRequest(tc.method, tc.path, tc.body))
			e := wantAPIError(t, r, http.StatusServiceUnavailable, "unavailable")
			wantHeader(t, r, "Retry-After", "5")
			if e.Message != "the database is unavailable; retry later" {
				t.Errorf("message %q", e.Message)
			}
			wantNoSecret(t, r, secrets...)
		})
	}
	t.Run("the log has the cause but no secret", func(t *testing.T) {
		logs := f.logs.String()
		for _, want := range []string{
			`msg="token request" err="load key ` + f.admin.KeyID + `: database unavailable: `,
			`msg="request failed: database unavailable" method=GET path=/api/v1/orgs err="account \"` + f.admin.ClientID + `\": database unavailable: `,
		} {
			if !strings.Contains(logs, want) {
				t.Errorf("the log lacks %q", want)
			}
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the log holds the secret %q", s)
			}
		}
	})

	cluster.Start(t)
	t.Run("once the database is back tokens are issued and the API answers", func(t *testing.T) {
		decode[oauth.TokenResponse](t, send(t, tokenRequest(f.admin, adminGrant)), http.StatusOK)
		decode[web.OrgList](t, send(t, apiRequest(http.MethodGet, "/api/v1/orgs", "")), http.StatusOK)
	})
}
