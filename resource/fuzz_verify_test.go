package resource_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

// verifyFuzz is a verifier of published keys, with the claims of every
// token signed by them that still verifies.
type verifyFuzz struct {
	verifier *resource.Verifier
	// issued are the claims of the good tokens, decoded from their payload
	// without the verifier.
	issued []resource.Claims
	// good, bad are tokens the verifier must accept and refuse.
	good, bad []string
}

// newVerifyFuzz signs tokens as iamd does, with each algorithm and with the
// authorization claims, plus an expired one, one signed with a key that is
// not published, and one signed with a key that is not the published one
// under the kid of one that is.
func newVerifyFuzz(f *testing.F) *verifyFuzz {
	clk := newClock()
	vk := newVerifierKeys(f)
	z := &verifyFuzz{verifier: resource.NewVerifier(testIssuer, vk.lookup, clk.Now)}
	now := clk.Now().Unix()
	claims := func(jti string, extra ...any) map[string]any {
		c := map[string]any{
			"iss": testIssuer, "sub": "svc@acme.iam", "client_id": "svc@acme.iam",
			"aud": []string{"https://api.example", "urn:iamd:api"},
			"exp": now + 3600, "iat": now, "nbf": now, "jti": jti, "scope": "billing.invoices:read iam.keys:write", "org": "acme",
		}
		for i := 0; i < len(extra); i += 2 {
			c[extra[i].(string)] = extra[i+1]
		}
		return c
	}
	rights := []map[string]any{
		{"orgs": []string{"billing", "sales"}, "scope": "billing.invoices:read"},
		{"orgs": []string{"acme"}, "scope": "iam.keys:write"},
	}
	es := sign(f, jose.ES256, vk.es256, "es", resource.AccessTokenType, claims("j1"))
	z.good = append(z.good, es,
		sign(f, jose.ES256, vk.es256, "es", resource.AccessTokenType, claims("j2", "scope", "billing.invoices:read", "aud", "https://api.example")),
		sign(f, jose.EdDSA, vk.ed, "ed", resource.AccessTokenType, claims("j3", "rights", rights)),
		sign(f, jose.RS256, vk.rs, "rs", resource.AccessTokenType, claims("j4", "rights", rights,
			"roles", []map[string]any{{"orgs": []string{"billing", "acme/*"}, "roles": "acme/invoice-reader"}}, "groups", []string{"acme/finance"})),
	)
	z.bad = append(z.bad,
		sign(f, jose.ES256, vk.es256, "es", resource.AccessTokenType, claims("j5", "exp", now-3600)),
		sign(f, jose.ES256, vk.other, "other", resource.AccessTokenType, claims("j6")),
		resign(f, es),
	)
	for _, tok := range z.good {
		var c resource.Claims
		if err := json.Unmarshal(segment(f, tok, 1), &c); err != nil {
			f.Fatal(err)
		}
		z.issued = append(z.issued, c)
	}
	return z
}

// FuzzVerify checks that only tokens the key set really signed verify, and
// always to the claims they were issued with. A token need not be byte for
// byte as issued to verify: a base64url segment decodes the same with other
// trailing bits or with line breaks, and an ECDSA signature (r, s) has a
// twin (r, n-s). What can never change is what was signed, so a token that
// verifies must carry exactly the claims of one that was issued.
func FuzzVerify(f *testing.F) {
	z := newVerifyFuzz(f)
	for _, tok := range append(z.good, z.bad...) {
		for _, aud := range []string{"", "https://api.example", "urn:iamd:api", testIssuer} {
			f.Add(tok, aud)
		}
		for _, m := range mutations(f, tok) {
			f.Add(m, "")
		}
	}
	for _, tok := range []string{"", ".", "..", "...", "a.b.c", "e30.e30.", "e30.e30.e30", "a.b.c.d.e", strings.Repeat("A", 17<<10)} {
		f.Add(tok, "")
	}
	// The seeds themselves hold what Verify must do with them.
	for _, tok := range z.good {
		if _, err := z.verifier.Verify(tok, ""); err != nil {
			f.Fatalf("an issued token does not verify: %v", err)
		}
	}
	for _, tok := range z.bad {
		if _, err := z.verifier.Verify(tok, ""); err == nil {
			f.Fatalf("a token that must be refused verifies")
		}
	}
	f.Fuzz(func(t *testing.T, token, audience string) {
		c, err := z.verifier.Verify(token, audience)
		if err != nil {
			if !errors.Is(err, resource.ErrInvalidToken) || c != nil {
				t.Fatalf("Verify = %v, %v; want nil and an error wrapping ErrInvalidToken", c, err)
			}
			return
		}
		if !slices.ContainsFunc(z.issued, func(i resource.Claims) bool { return reflect.DeepEqual(i, *c) }) {
			t.Fatalf("token %q verifies with claims %+v that were never issued", token, c)
		}
		if audience != "" && !slices.Contains(c.Audience, audience) {
			t.Fatalf("token verifies for audience %q, not one of %q", audience, c.Audience)
		}
	})
}

// mutations returns variants of a compact token: header and payload
// tampering, algorithm confusion, encoding quirks.
func mutations(tb testing.TB, tok string) []string {
	p := strings.Split(tok, ".")
	enc := base64.RawURLEncoding.EncodeToString
	var header map[string]any
	if err := json.Unmarshal(segment(tb, tok, 0), &header); err != nil {
		tb.Fatal(err)
	}
	withHeader := func(k string, v any) string {
		h := make(map[string]any, len(header)+1)
		for hk, hv := range header {
			h[hk] = hv
		}
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
		b, _ := json.Marshal(h)
		return enc(b)
	}
	var claims map[string]any
	if err := json.Unmarshal(segment(tb, tok, 1), &claims); err != nil {
		tb.Fatal(err)
	}
	claims["scope"] = "read write admin"
	escalated, _ := json.Marshal(claims)
	claims["rights"] = []map[string]any{{"orgs": []string{"*"}, "scope": "*"}}
	everywhere, _ := json.Marshal(claims)
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)/2] ^= 1
		return string(b)
	}
	last := func(s string, c byte) string { return s[:len(s)-1] + string(c) }
	out := []string{
		withHeader("alg", "none") + "." + p[1] + ".",
		withHeader("alg", "HS256") + "." + p[1] + "." + p[2],
		withHeader("typ", "JWT") + "." + p[1] + "." + p[2],
		withHeader("kid", nil) + "." + p[1] + "." + p[2],
		withHeader("crit", []string{"b64"}) + "." + p[1] + "." + p[2],
		withHeader("b64", false) + "." + p[1] + "." + p[2],
		p[0] + "." + enc(escalated) + "." + p[2],
		p[0] + "." + enc(everywhere) + "." + p[2],
		p[0] + "." + flip(p[1]) + "." + p[2],
		p[0] + "." + p[1] + "." + flip(p[2]),
		p[0] + "." + p[1] + ".",
		p[0] + "." + p[1],
		p[0] + ".." + p[2],
		p[0] + "." + p[1] + "." + p[2] + ".",
		p[0] + "=." + p[1] + "." + p[2],
		p[0] + "." + p[1] + "." + p[2] + "==",
		p[0] + "." + p[1] + "." + last(p[2], 'A'),
		p[0] + "." + p[1][:10] + "\n" + p[1][10:] + "." + p[2],
		" " + tok,
		tok + " ",
		strings.ReplaceAll(tok, "-", "+"),
		strings.ToUpper(tok),
	}
	if header["alg"] == string(jose.ES256) {
		out = append(out, p[0]+"."+p[1]+"."+enc(twinSignature(tb, segment(tb, tok, 2))))
	}
	return out
}

// twinSignature returns (r, n-s) for an ES256 signature (r, s): it verifies
// just as well.
func twinSignature(tb testing.TB, sig []byte) []byte {
	if len(sig) != 64 {
		tb.Fatalf("ES256 signature of %d bytes", len(sig))
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	out := make([]byte, 64)
	copy(out, sig[:32])
	s.FillBytes(out[32:])
	return out
}

// resign signs tok's header and claims again with a fresh key: a token that
// names a published key but was not signed by it.
func resign(tb testing.TB, tok string) string {
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(segment(tb, tok, 0), &h); err != nil {
		tb.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: h.Kid}},
		(&jose.SignerOptions{}).WithType(resource.AccessTokenType))
	if err != nil {
		tb.Fatal(err)
	}
	jws, err := s.Sign(segment(tb, tok, 1))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// segment returns the decoded i-th part of a compact token.
func segment(tb testing.TB, tok string, i int) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
