package oauth_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/signing"
)

func TestMetadata(t *testing.T) {
	e := newEnv(t, signing.ES256)
	cases := []struct {
		name, issuer, token, jwks string
	}{
		{"endpoints are under the issuer", "https://iamd.test", "https://iamd.test/oauth2/token", "https://iamd.test/.well-known/jwks.json"},
		{"a trailing slash of the issuer is not doubled", "https://iamd.test/", "https://iamd.test/oauth2/token", "https://iamd.test/.well-known/jwks.json"},
		{"an issuer with a path keeps it", "https://example.com/tenant", "https://example.com/tenant/oauth2/token", "https://example.com/tenant/.well-known/jwks.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := e.server(oauth.Config{Issuer: tc.issuer})
			m := srv.Metadata()
			if m.Issuer != tc.issuer {
				t.Errorf("issuer %q, want %q exactly as configured", m.Issuer, tc.issuer)
			}
			if m.TokenEndpoint != tc.token || m.JWKSURI != tc.jwks {
				t.Errorf("token_endpoint %q jwks_uri %q, want %q %q", m.TokenEndpoint, m.JWKSURI, tc.token, tc.jwks)
			}
			if !slices.Equal(m.GrantTypesSupported, []string{"client_credentials"}) {
				t.Errorf("grant_types_supported %q", m.GrantTypesSupported)
			}
			if !slices.Equal(m.TokenEndpointAuthMethodsSupported, []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
				t.Errorf("token_endpoint_auth_methods_supported %q", m.TokenEndpointAuthMethodsSupported)
			}
			if !slices.Equal(m.TokenEndpointAuthSigningAlgValuesSupported, []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "Ed25519"}) {
				t.Errorf("token_endpoint_auth_signing_alg_values_supported %q", m.TokenEndpointAuthSigningAlgValuesSupported)
			}
			if m.ResponseTypesSupported == nil || len(m.ResponseTypesSupported) != 0 {
				t.Errorf("response_types_supported %#v, want an empty list", m.ResponseTypesSupported)
			}
		})
	}
	t.Run("the metadata marshals with the RFC 8414 member names", func(t *testing.T) {
		b, err := json.Marshal(e.server(oauth.Config{}).Metadata())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"issuer", "token_endpoint", "jwks_uri", "grant_types_supported", "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported", "response_types_supported"} {
			if _, ok := m[k]; !ok {
				t.Errorf("member %s missing from %s", k, b)
			}
		}
		if rt, _ := m["response_types_supported"].([]any); rt == nil {
			t.Errorf("response_types_supported is %v, want []", m["response_types_supported"])
		}
	})
	t.Run("the server exposes its key set", func(t *testing.T) {
		if srv := e.server(oauth.Config{}); srv.Keys() != e.keys {
			t.Errorf("Keys %p, want %p", srv.Keys(), e.keys)
		}
	})
}
