package oauth_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
)

// TestVerifierChecksServerTokens: the tokens the server mints verify with
// the verifier of resource servers, and only as what they are.
func TestVerifierChecksServerTokens(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	srv := e.server(oauth.Config{Throttle: generous})
	v := srv.Verifier()
	_, tok := e.token(srv, id, secret, "audience", "https://api.acme.test", "resource", "urn:acme:reports", "scope", "data.items:read")
	c, err := v.Verify(tok, "urn:acme:reports")
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != id || c.ClientID != id || c.Org != "acme" || !slices.Equal(c.Scopes(), []string{"data.items:read"}) ||
		!slices.Equal([]string(c.Audience), []string{"https://api.acme.test", "urn:acme:reports"}) ||
		c.Expiry-c.IssuedAt != int64(testTTL/time.Second) {
		t.Errorf("claims %+v", c)
	}
	if _, err := v.Verify(tok, testIssuer); !errors.Is(err, resource.ErrInvalidToken) {
		t.Errorf("Verify for the issuer audience: %v, want refused", err)
	}
	// A verifier for another issuer refuses the same token.
	other := resource.NewVerifier("https://other.test", e.keys.PublicKey, e.clock.Now)
	if _, err := other.Verify(tok, ""); !errors.Is(err, resource.ErrInvalidToken) {
		t.Errorf("another issuer's verifier: %v", err)
	}
	e.clock.Advance(testTTL + resource.DefaultLeeway)
	if _, err := v.Verify(tok, ""); !errors.Is(err, resource.ErrInvalidToken) {
		t.Errorf("after ttl plus leeway: %v, want expired", err)
	}
}
