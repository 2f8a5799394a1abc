package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/web"
)

// The Bearer challenges of RFC 6750 §3.
const (
	challenge             = `Bearer realm="iamd"`
	invalidTokenChallenge = `Bearer realm="iamd", error="invalid_token"`
	insufficientScope     = `Bearer realm="iamd", error="insufficient_scope"`
)

func TestManagementAPIAuthentication(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")
	// A normal account allowed both its default audience and the
	// management API, but without any role.
	ops := f.client(t, admin, web.CreateAccountRequest{ID: "ops", Org: "billing", AllowedAudiences: []string{oauth.ManagementAudience}})
	stranger := newFixture(t)

	tests := []struct {
		name          string
		authorization string
		status        int
		code          string
		challenge     string // WWW-Authenticate; empty: none
	}{
		{"a request without Authorization is unauthenticated", "", http.StatusUnauthorized, "unauthenticated", challenge},
		{"HTTP Basic credentials are unauthenticated", basicAuth(f.admin.ClientID, f.admin.Secret), http.StatusUnauthorized, "unauthenticated", challenge},
		{"a Bearer scheme without token is unauthenticated", "Bearer ", http.StatusUnauthorized, "unauthenticated", challenge},
		{"a garbage token is invalid", "Bearer not-a-jwt", http.StatusUnauthorized, "unauthenticated", invalidTokenChallenge},
		{"a token with a broken signature is invalid", "Bearer " + admin[:len(admin)-4] + "AAAA", http.StatusUnauthorized, "unauthenticated", invalidTokenChallenge},
		{"a normal account's token for its default audience is invalid here", "Bearer " + f.accessToken(t, ops), http.StatusUnauthorized, "unauthenticated", invalidTokenChallenge},
		{"the admin's token for the default audience is invalid here", "Bearer " + f.accessToken(t, f.admin), http.StatusUnauthorized, "unauthenticated", invalidTokenChallenge},
		{"a token of another iamd instance is invalid", "Bearer " + stranger.adminToken(t), http.StatusUnauthorized, "unauthenticated", invalidTokenChallenge},
		{"a management token of an account without rights is forbidden", "Bearer " + f.accessToken(t, ops, "resource", oauth.ManagementAudience), http.StatusForbidden, "forbidden", insufficientScope},
		{"the admin's management token is accepted", "Bearer " + admin, http.StatusOK, "", ""},
		{"the Bearer scheme is case-insensitive", "bearer " + admin, http.StatusOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/orgs/"+rootOrg, nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			r := f.do(t, req)
			if tt.status == http.StatusOK {
				if o := decode[web.Org](t, r, http.StatusOK); o.ID != rootOrg {
					t.Errorf("org %q, want %q", o.ID, rootOrg)
				}
			} else {
				wantAPIError(t, r, tt.status, tt.code)
			}
			wantHeader(t, r, "WWW-Authenticate", tt.challenge)
			wantNoSecret(t, r, f.admin.Secret, ops.Secret)
		})
	}
}

// TestManagementAPIReadsTheCallerFresh checks that a token stops working
// as soon as its account is archived or deleted, not when it expires.
func TestManagementAPIReadsTheCallerFresh(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	ops := f.client(t, admin, web.CreateAccountRequest{ID: "ops", Org: rootOrg, AllowedAudiences: []string{oauth.ManagementAudience}})
	opsToken := f.accessToken(t, ops, "resource", oauth.ManagementAudience)
	account := "/api/v1/accounts/" + ops.ClientID

	steps := []struct {
		name   string
		method string
		path   string
		token  string
		status int
		code   string
	}{
		{"a token without rights is forbidden", http.MethodGet, "/api/v1/orgs/" + rootOrg, opsToken, http.StatusForbidden, "forbidden"},
		{"the admin archives the account", http.MethodPost, account + "/archive", admin, http.StatusOK, ""},
		{"the archived account's token is unauthenticated", http.MethodGet, "/api/v1/orgs", opsToken, http.StatusUnauthorized, "unauthenticated"},
		{"the admin restores the account", http.MethodPost, account + "/restore", admin, http.StatusOK, ""},
		{"the restored account's token is forbidden again", http.MethodGet, "/api/v1/orgs/" + rootOrg, opsToken, http.StatusForbidden, "forbidden"},
		{"the admin deletes the account", http.MethodDelete, account, admin, http.StatusNoContent, ""},
		{"the deleted account's token is unauthenticated", http.MethodGet, "/api/v1/orgs", opsToken, http.StatusUnauthorized, "unauthenticated"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := f.call(t, s.method, s.path, s.token, nil)
			if s.code != "" {
				wantAPIError(t, r, s.status, s.code)
				if s.status == http.StatusUnauthorized {
					wantHeader(t, r, "WWW-Authenticate", invalidTokenChallenge)
				}
			} else if r.Status != s.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, s.status, r.Body)
			}
		})
	}
}

func TestManagementAPIRefusesExpiredTokens(t *testing.T) {
	f := newFixture(t)
	old := f.adminToken(t)
	f.clock.Advance(tokenTTL + resource.DefaultLeeway + time.Second)
	t.Run("a token past its expiry and the leeway is invalid", func(t *testing.T) {
		r := f.call(t, http.MethodGet, "/api/v1/orgs", old, nil)
		wantAPIError(t, r, http.StatusUnauthorized, "unauthenticated")
		wantHeader(t, r, "WWW-Authenticate", invalidTokenChallenge)
	})
	t.Run("a new token is accepted", func(t *testing.T) {
		decode[web.OrgList](t, f.call(t, http.MethodGet, "/api/v1/orgs", f.adminToken(t), nil), http.StatusOK)
	})
}

func TestSystemAccountIsImmutable(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	path := "/api/v1/accounts/" + adminID
	before := decode[web.Account](t, f.call(t, http.MethodGet, path, tok, nil), http.StatusOK)
	if !before.System {
		t.Fatal("the bootstrap admin is not a system account")
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"changing the admin is forbidden", http.MethodPatch, path, `{"display_name":"Mallory"}`},
		{"archiving the admin is forbidden", http.MethodPost, path + "/archive", nil},
		{"restoring the admin is forbidden", http.MethodPost, path + "/restore", nil},
		{"deleting the admin is forbidden", http.MethodDelete, path, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := wantAPIError(t, f.call(t, tt.method, tt.path, tok, tt.body), http.StatusForbidden, "forbidden")
			if !strings.Contains(e.Message, "system account") {
				t.Errorf("message %q does not say why", e.Message)
			}
		})
	}
	t.Run("the admin is unchanged and still works", func(t *testing.T) {
		after := decode[web.Account](t, f.call(t, http.MethodGet, path, f.adminToken(t), nil), http.StatusOK)
		if after.DisplayName != before.DisplayName || after.Status != "active" || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("admin changed: %+v", after)
		}
	})
}
