package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iamd/iamd/oauth"
)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	_, jwks := f.jwks(t)
	api := func(method, path, token string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, path, nil)
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return r
		}
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"a token response", func() *http.Request {
			return tokenRequest(f.admin, grant("resource", oauth.ManagementAudience))
		}, http.StatusOK},
		{"a token error", func() *http.Request { return tokenRequest(creds{}, grant()) }, http.StatusUnauthorized},
		{"a token endpoint method error", api(http.MethodGet, oauth.TokenPath, ""), http.StatusMethodNotAllowed},
		{"the metadata", api(http.MethodGet, "/.well-known/oauth-authorization-server", ""), http.StatusOK},
		{"the JWKS", api(http.MethodGet, oauth.JWKSPath, ""), http.StatusOK},
		{"a JWKS revalidation", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, oauth.JWKSPath, nil)
			r.Header.Set("If-None-Match", jwks.Header.Get("ETag"))
			return r
		}, http.StatusNotModified},
		{"a health check", api(http.MethodGet, "/healthz", ""), http.StatusOK},
		{"an API response", api(http.MethodGet, "/api/v1/orgs", tok), http.StatusOK},
		{"an API creation", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/orgs", strings.NewReader(`{"id":"billing"}`))
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, http.StatusCreated},
		{"an API deletion", api(http.MethodDelete, "/api/v1/orgs/billing", tok), http.StatusNoContent},
		{"an API authentication error", api(http.MethodGet, "/api/v1/orgs", ""), http.StatusUnauthorized},
		{"an API not found error", api(http.MethodGet, "/api/v1/orgs/nowhere", tok), http.StatusNotFound},
		{"an unknown route", api(http.MethodGet, "/nope", ""), http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name+" carries the security headers", func(t *testing.T) {
			r := f.do(t, tt.req())
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, tt.status, r.Body)
			}
			wantHeader(t, r, "X-Content-Type-Options", "nosniff")
			wantHeader(t, r, "X-Frame-Options", "DENY")
			wantHeader(t, r, "Referrer-Policy", "no-referrer")
			wantHeader(t, r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		status int
		code   string
		allow  string
	}{
		{"an unknown path is a JSON 404", http.MethodGet, "/nope", "", http.StatusNotFound, "not_found", ""},
		{"paths are case-sensitive", http.MethodGet, "/API/v1/orgs", tok, http.StatusNotFound, "not_found", ""},
		{"an unknown API path is a JSON 404 for an admin", http.MethodGet, "/api/v1/nope", tok, http.StatusNotFound, "not_found", ""},
		{"an unknown API path needs authentication first", http.MethodGet, "/api/v1/nope", "", http.StatusUnauthorized, "unauthenticated", ""},
		{"an API path with the wrong method lists the allowed ones", http.MethodPut, "/api/v1/orgs", tok, http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
		{"the JWKS cannot be deleted", http.MethodDelete, oauth.JWKSPath, "", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"the health check accepts only GET", http.MethodPost, "/healthz", "", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(t, tt.method, tt.path, tt.token, nil)
			wantAPIError(t, r, tt.status, tt.code)
			wantHeader(t, r, "Allow", tt.allow)
		})
	}
}
