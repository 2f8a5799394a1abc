package resource_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

// verifierKeys are keys a Verifier test signs with and looks up.
type verifierKeys struct {
	es256, other *ecdsa.PrivateKey
	es384        *ecdsa.PrivateKey
	ed           ed25519.PrivateKey
	rs           *rsa.PrivateKey
	published    map[string]jose.JSONWebKey
}

func newVerifierKeys(t testing.TB) *verifierKeys {
	t.Helper()
	gen := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	vk := &verifierKeys{es256: gen(elliptic.P256()), other: gen(elliptic.P256()), es384: gen(elliptic.P384()), ed: ed, rs: rs}
	vk.published = map[string]jose.JSONWebKey{
		"es": {Key: vk.es256.Public(), KeyID: "es", Algorithm: "ES256", Use: "sig"},
		"ed": {Key: vk.ed.Public(), KeyID: "ed", Algorithm: "EdDSA", Use: "sig"},
		"rs": {Key: vk.rs.Public(), KeyID: "rs", Algorithm: "RS256", Use: "sig"},
		// An ES256 key published as RS256.
		"mislabelled": {Key: vk.es256.Public(), KeyID: "mislabelled", Algorithm: "RS256", Use: "sig"},
		// The ES256 key published without its algorithm: the token's
		// header must not fill the gap.
		"noalg": {Key: vk.es256.Public(), KeyID: "noalg", Use: "sig"},
	}
	return vk
}

func (vk *verifierKeys) lookup(kid string) (jose.JSONWebKey, bool) {
	k, ok := vk.published[kid]
	return k, ok
}

// sign returns a compact JWS of claims; typ "-" leaves the header out.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "-" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifier(t *testing.T) {
	clk := newClock()
	now := clk.Now().Unix()
	vk := newVerifierKeys(t)
	v := resource.NewVerifier(testIssuer, vk.lookup, clk.Now)
	base := map[string]any{
		"iss": testIssuer, "sub": "sync@acme.iam", "client_id": "sync@acme.iam",
		"aud": []string{"https://api.acme.test", "urn:acme:reports"},
		"exp": now + 3600, "iat": now, "nbf": now, "jti": "jti-1", "scope": "read write", "org": "acme",
	}
	with := func(changes map[string]any) map[string]any {
		c := maps.Clone(base)
		for k, val := range changes {
			if val == nil {
				delete(c, k)
			} else {
				c[k] = val
			}
		}
		return c
	}
	es := func(claims map[string]any) string { return sign(t, jose.ES256, vk.es256, "es", "at+jwt", claims) }
	valid := es(base)
	parts := strings.Split(valid, ".")
	tamperedPayload, _ := json.Marshal(with(map[string]any{"scope": "read write admin"}))
	noneHeader, _ := json.Marshal(map[string]string{"alg": "none", "typ": "at+jwt", "kid": "es"})
	pubJSON, err := json.Marshal(vk.published["es"])
	if err != nil {
		t.Fatal(err)
	}
	// The uncompressed SEC 1 point: the raw key bytes an attacker would try as
	// an HMAC key if the verifier let the token pick the algorithm.
	pubPoint, err := vk.es256.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		token    string
		audience string
		ok       bool
		mention  string
	}{
		{name: "a valid token passes for one of its audiences", token: valid, audience: "urn:acme:reports", ok: true},
		{name: "a valid token passes when no audience is required", token: valid, ok: true},
		{name: "a token with a single string audience passes", token: es(with(map[string]any{"aud": "https://api.acme.test"})), audience: "https://api.acme.test", ok: true},
		{name: "typ application/at+jwt passes", token: sign(t, jose.ES256, vk.es256, "es", "application/at+jwt", base), ok: true},
		{name: "typ in upper case passes", token: sign(t, jose.ES256, vk.es256, "es", "AT+JWT", base), ok: true},
		{name: "an EdDSA token with an EdDSA key passes", token: sign(t, jose.EdDSA, vk.ed, "ed", "at+jwt", base), ok: true},
		{name: "an RS256 token with an RS256 key passes", token: sign(t, jose.RS256, vk.rs, "rs", "at+jwt", base), ok: true},
		{name: "a token without scope passes", token: es(with(map[string]any{"scope": nil})), ok: true},

		{name: "typ JWT is refused", token: sign(t, jose.ES256, vk.es256, "es", "JWT", base), mention: "typ"},
		{name: "a missing typ is refused", token: sign(t, jose.ES256, vk.es256, "es", "-", base), mention: "typ"},
		{name: "typ at+jwt with a suffix is refused", token: sign(t, jose.ES256, vk.es256, "es", "at+jwtx", base), mention: "typ"},
		{name: "an unknown kid is refused", token: sign(t, jose.ES256, vk.es256, "nope", "at+jwt", base), mention: "unknown signing key"},
		{name: "a missing kid is refused", token: sign(t, jose.ES256, vk.es256, "", "at+jwt", base), mention: "unknown signing key"},
		{name: "an EdDSA signature under an ES256 kid is refused", token: sign(t, jose.EdDSA, vk.ed, "es", "at+jwt", base), mention: "signs ES256"},
		{name: "an ES256 signature with a key published as RS256 is refused", token: sign(t, jose.ES256, vk.es256, "mislabelled", "at+jwt", base), mention: "signs RS256"},
		{name: "an ES256 token with a key published without alg is refused", token: sign(t, jose.ES256, vk.es256, "noalg", "at+jwt", base), mention: "signs , not ES256"},
		{name: "an ES384 token under an ES256 kid is refused", token: sign(t, jose.ES384, vk.es384, "es", "at+jwt", base)},
		{name: "an HS256 token keyed with the public JWK is refused", token: sign(t, jose.HS256, pubJSON, "es", "at+jwt", base)},
		{name: "an HS256 token keyed with the raw public key point is refused", token: sign(t, jose.HS256, pubPoint, "es", "at+jwt", base)},
		{name: "an unsigned alg none token is refused", token: base64.RawURLEncoding.EncodeToString(noneHeader) + "." + parts[1] + "."},
		{name: "a tampered payload is refused", token: parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]},
		{name: "a signature by another key under a known kid is refused", token: sign(t, jose.ES256, vk.other, "es", "at+jwt", base)},
		{name: "a truncated signature is refused", token: valid[:len(valid)-4]},
		{name: "a JSON-serialized JWS is refused", token: `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`},
		{name: "garbage is refused", token: "not.a.jwt"},
		{name: "an empty token is refused", token: ""},
		{name: "an oversized token is refused", token: es(with(map[string]any{"pad": strings.Repeat("x", 17<<10)})), mention: "too long"},

		{name: "another issuer is refused", token: es(with(map[string]any{"iss": "https://evil.test"})), mention: "issuer"},
		{name: "the issuer with a trailing slash is refused", token: es(with(map[string]any{"iss": testIssuer + "/"})), mention: "issuer"},
		{name: "a missing issuer is refused", token: es(with(map[string]any{"iss": nil})), mention: "issuer"},
		{name: "a token expired beyond the leeway is refused", token: es(with(map[string]any{"exp": now - 61})), mention: "expired"},
		{name: "a token expired exactly by the leeway is refused", token: es(with(map[string]any{"exp": now - 60})), mention: "expired"},
		{name: "a token expired within the leeway passes", token: es(with(map[string]any{"exp": now - 59})), ok: true},
		{name: "a token without exp is refused", token: es(with(map[string]any{"exp": nil})), mention: "expired"},
		{name: "a token not valid before a time beyond the leeway is refused", token: es(with(map[string]any{"nbf": now + 61})), mention: "not valid before"},
		{name: "a token not valid before a time within the leeway passes", token: es(with(map[string]any{"nbf": now + 59})), ok: true},
		{name: "a token issued in the future beyond the leeway is refused", token: es(with(map[string]any{"iat": now + 61})), mention: "future"},
		{name: "a token issued in the future within the leeway passes", token: es(with(map[string]any{"iat": now + 59})), ok: true},
		{name: "a token not valid before the end of int64 time is refused", token: es(with(map[string]any{"nbf": int64(math.MaxInt64)})), mention: "not valid before"},
		{name: "a token issued at the end of int64 time is refused", token: es(with(map[string]any{"iat": int64(math.MaxInt64)})), mention: "future"},
		{name: "a token expiring at the end of int64 time passes", token: es(with(map[string]any{"exp": int64(math.MaxInt64)})), ok: true},
		{name: "a token expired at the start of int64 time is refused", token: es(with(map[string]any{"exp": int64(math.MinInt64)})), mention: "expired"},
		{name: "a token for other audiences is refused", token: valid, audience: "urn:iamd:management", mention: "audience"},
		{name: "a token without audience is refused when one is required", token: es(with(map[string]any{"aud": nil})), audience: "https://api.acme.test", mention: "audience"},
		{name: "an audience matching only by prefix is refused", token: valid, audience: "https://api.acme", mention: "audience"},
		{name: "a token without sub is refused", token: es(with(map[string]any{"sub": nil})), mention: "sub"},
		{name: "a token without client_id is refused", token: es(with(map[string]any{"client_id": nil})), mention: "client_id"},
		{name: "a token without jti is refused", token: es(with(map[string]any{"jti": nil})), mention: "jti"},
		{name: "a token with an empty jti is refused", token: es(with(map[string]any{"jti": ""})), mention: "jti"},
		{name: "a rights claim that is not an array is refused", token: es(with(map[string]any{"rights": "billing"}))},
		{name: "a rights entry whose orgs are not a list is refused", token: es(with(map[string]any{"rights": []any{map[string]any{"orgs": "billing", "scope": "*"}}}))},
		{name: "roles that are not strings are refused", token: es(with(map[string]any{"roles": []any{1}}))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(tc.token, tc.audience)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.Subject != "sync@acme.iam" || c.ClientID != "sync@acme.iam" || c.Org != "acme" || c.ID != "jti-1" || c.Issuer != testIssuer {
					t.Errorf("claims %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", c)
			}
			if !errors.Is(err, resource.ErrInvalidToken) {
				t.Errorf("error %v does not wrap ErrInvalidToken", err)
			}
			if tc.mention != "" && !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}

	t.Run("verified claims hold the scopes and audiences of the token", func(t *testing.T) {
		c, err := v.Verify(valid, "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.Scopes(), []string{"read", "write"}) || !slices.Equal([]string(c.Audience), []string{"https://api.acme.test", "urn:acme:reports"}) ||
			c.Expiry != now+3600 || c.IssuedAt != now || c.NotBefore != now {
			t.Errorf("claims %+v", c)
		}
	})
	t.Run("verified claims hold the roles, groups and rights of the token", func(t *testing.T) {
		tok := es(with(map[string]any{
			"roles":  []map[string]any{{"orgs": []string{"billing", "sales/*"}, "roles": "acme/invoice-reader acme/viewer"}},
			"groups": []string{"acme/finance"},
			"rights": []map[string]any{{"orgs": []string{"billing", "sales"}, "scope": "billing.invoices:read"}},
		}))
		c, err := v.Verify(tok, "")
		if err != nil {
			t.Fatal(err)
		}
		want := resource.Rights{{Orgs: []string{"billing", "sales"}, Scope: "billing.invoices:read"}}
		if !reflect.DeepEqual(c.Roles, []resource.RoleEntry{{Orgs: []string{"billing", "sales/*"}, Roles: "acme/invoice-reader acme/viewer"}}) ||
			!slices.Equal(c.Groups, []string{"acme/finance"}) || !reflect.DeepEqual(c.Rights, want) ||
			!c.Allows("sales", "billing.invoices", "read") || c.Allows("acme", "billing.invoices", "read") {
			t.Errorf("claims %+v", c)
		}
	})
	t.Run("the same token expires as the clock moves past exp plus leeway", func(t *testing.T) {
		clk := newClock()
		v := resource.NewVerifier(testIssuer, vk.lookup, clk.Now)
		clk.Advance(time.Hour + resource.DefaultLeeway - time.Second)
		if _, err := v.Verify(valid, ""); err != nil {
			t.Fatalf("within the leeway: %v", err)
		}
		clk.Advance(time.Second)
		if _, err := v.Verify(valid, ""); !errors.Is(err, resource.ErrInvalidToken) {
			t.Fatalf("past the leeway: %v", err)
		}
	})
}
