package web_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/signing"
)

func TestDiscoveryMetadata(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run(path+" describes the token endpoint and JWKS", func(t *testing.T) {
			r := f.get(t, path)
			m := decode[oauth.Metadata](t, r, http.StatusOK)
			wantHeader(t, r, "Cache-Control", "public, max-age=300")
			if m.Issuer != issuer || m.TokenEndpoint != issuer+"/oauth2/token" || m.JWKSURI != issuer+"/.well-known/jwks.json" {
				t.Errorf("issuer %q, token_endpoint %q, jwks_uri %q", m.Issuer, m.TokenEndpoint, m.JWKSURI)
			}
			if !slices.Equal(m.GrantTypesSupported, []string{"client_credentials"}) {
				t.Errorf("grant_types_supported %q", m.GrantTypesSupported)
			}
			if !slices.Equal(m.TokenEndpointAuthMethodsSupported, []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
				t.Errorf("token_endpoint_auth_methods_supported %q", m.TokenEndpointAuthMethodsSupported)
			}
			if !slices.Contains(m.TokenEndpointAuthSigningAlgValuesSupported, "ES256") || slices.Contains(m.TokenEndpointAuthSigningAlgValuesSupported, "HS256") {
				t.Errorf("token_endpoint_auth_signing_alg_values_supported %q", m.TokenEndpointAuthSigningAlgValuesSupported)
			}
			if m.ResponseTypesSupported == nil || len(m.ResponseTypesSupported) != 0 {
				t.Errorf("response_types_supported %q, want []", m.ResponseTypesSupported)
			}
		})
	}
}

// jwks fetches the JWKS and checks what every full answer carries.
func (f *fixture) jwks(t *testing.T, headers ...string) (jose.JSONWebKeySet, *response) {
	t.Helper()
	r := f.get(t, "/.well-known/jwks.json", headers...)
	set := decode[jose.JSONWebKeySet](t, r, http.StatusOK)
	wantHeader(t, r, "Cache-Control", "public, max-age=300")
	if etag := r.Header.Get("ETag"); len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Errorf("ETag %q is not a strong entity tag", etag)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() || k.Use != "sig" || k.KeyID == "" {
			t.Errorf("key %q: public %v, valid %v, use %q", k.KeyID, k.IsPublic(), k.Valid(), k.Use)
		}
	}
	return set, r
}

func TestJWKS(t *testing.T) {
	f := newFixture(t)
	set, first := f.jwks(t)
	etag := first.Header.Get("ETag")
	if len(set.Keys) != 1 || set.Keys[0].Algorithm != signing.ES256 {
		t.Fatalf("JWKS %+v, want one ES256 key", set.Keys)
	}
	if kid := jwtHeader(t, f.adminToken(t)).Kid; set.Keys[0].KeyID != kid {
		t.Errorf("the JWKS holds %q, tokens are signed by %q", set.Keys[0].KeyID, kid)
	}

	revalidations := []struct {
		name        string
		ifNoneMatch string
		notModified bool
	}{
		{"the current ETag is not modified", etag, true},
		{"the current ETag as a weak tag is not modified", "W/" + etag, true},
		{"the current ETag in a list is not modified", `"other", ` + etag, true},
		{"a wildcard is not modified", "*", true},
		{"a stale ETag gets the keys", `"stale"`, false},
		{"the ETag without quotes gets the keys", etag[1 : len(etag)-1], false},
	}
	for _, tt := range revalidations {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.notModified {
				if _, r := f.jwks(t, "If-None-Match", tt.ifNoneMatch); string(r.Body) != string(first.Body) {
					t.Errorf("body %s, want %s", r.Body, first.Body)
				}
				return
			}
			r := f.get(t, "/.well-known/jwks.json", "If-None-Match", tt.ifNoneMatch)
			if r.Status != http.StatusNotModified || len(r.Body) != 0 {
				t.Fatalf("status %d with %d bytes of body, want 304 without body", r.Status, len(r.Body))
			}
			wantHeader(t, r, "ETag", etag)
			wantHeader(t, r, "Cache-Control", "public, max-age=300")
		})
	}

	t.Run("a rotation publishes the next key under a new ETag", func(t *testing.T) {
		next, err := f.keys.Rotate(context.Background(), signing.ES256, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		set, r := f.jwks(t, "If-None-Match", etag)
		if r.Header.Get("ETag") == etag {
			t.Error("the ETag did not change")
		}
		var kids []string
		for _, k := range set.Keys {
			kids = append(kids, k.KeyID)
		}
		if !slices.Equal(kids, []string{set.Keys[0].KeyID, next.ID}) || kids[0] == next.ID {
			t.Errorf("kids %q, want the current key then %q", kids, next.ID)
		}
		if h := jwtHeader(t, f.adminToken(t)); h.Kid == next.ID {
			t.Error("the upcoming key signs before it activates")
		}
	})
}

func TestHealthChecks(t *testing.T) {
	f := newFixture(t)
	checks := []struct {
		name   string
		path   string
		before func(t *testing.T)
		status int
		body   string
	}{
		{"healthz answers ok", "/healthz", nil, http.StatusOK, "ok\n"},
		{"readyz answers ready while the database answers", "/readyz", nil, http.StatusOK, "ready\n"},
		{"readyz answers 503 once the database is closed", "/readyz", func(t *testing.T) {
			if err := f.db.Close(); err != nil {
				t.Fatal(err)
			}
		}, http.StatusServiceUnavailable, "not ready\n"},
		{"healthz still answers ok without a database", "/healthz", nil, http.StatusOK, "ok\n"},
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before(t)
			}
			r := f.get(t, tt.path)
			if r.Status != tt.status || string(r.Body) != tt.body {
				t.Errorf("%d %q, want %d %q", r.Status, r.Body, tt.status, tt.body)
			}
			if tt.path == "/readyz" {
				wantNoStore(t, r)
			}
		})
	}
}

func TestReadyzWithoutSigningKey(t *testing.T) {
	f := newFixture(t, withoutSigningKey())
	r := f.get(t, "/readyz")
	if r.Status != http.StatusServiceUnavailable || string(r.Body) != "no active signing key\n" {
		t.Errorf("%d %q, want 503 %q", r.Status, r.Body, "no active signing key\n")
	}
	t.Run("the token endpoint answers server_error without leaking why", func(t *testing.T) {
		r := f.token(t, f.admin, grant())
		e := wantOAuthError(t, r, http.StatusInternalServerError, oauth.CodeServerError)
		if e.Description != "The server could not issue a token; try again later." {
			t.Errorf("error_description %q", e.Description)
		}
	})
	t.Run("the JWKS is an empty set", func(t *testing.T) {
		if set, _ := f.jwks(t); len(set.Keys) != 0 {
			t.Errorf("%d keys, want none", len(set.Keys))
		}
	})
}
