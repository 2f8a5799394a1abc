package oauth_test

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
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/oauth"
)

// verifyFuzz is a verifier of a real key set, with the claims of every
// token its server issued that still verifies.
type verifyFuzz struct {
	verifier *oauth.Verifier
	// issued are the claims of the good tokens, decoded from their payload
	// without the verifier.
	issued []oauth.Claims
	// good, bad are tokens the verifier must accept and refuse.
	good, bad []string
}

// newVerifyFuzz issues tokens signed with each algorithm, an expired one,
// one from another server and one signed with a key that is not the
// server's under the kid of one that is.
func newVerifyFuzz(f *testing.F) *verifyFuzz {
	e := newEnv(f, oauth.ES256)
	id, _, secret := e.account("svc", []string{"read", "write"}, []string{"https://api.example", oauth.ManagementAudience})
	srv := e.server(oauth.Config{Throttle: unthrottled})
	z := &verifyFuzz{verifier: srv.Verifier()}
	_, expired := e.token(srv, id, secret)
	z.bad = append(z.bad, expired)
	e.clock.Advance(2 * testTTL)
	mint := func(params ...string) string {
		_, tok := e.token(srv, id, secret, params...)
		z.good = append(z.good, tok)
		return tok
	}
	es := mint()
	mint("scope", "read", "audience", "https://api.example")
	mint("resource", oauth.ManagementAudience, "audience", testIssuer)
	for _, alg := range []string{oauth.EdDSA, oauth.RS256} {
		if _, err := e.keys.Rotate(e.ctx, alg, 0); err != nil {
			f.Fatal(err)
		}
		e.clock.Advance(time.Second)
		mint("scope", "write")
	}

	other := newEnv(f, oauth.ES256)
	otherID, _, otherSecret := other.account("svc", []string{"read"}, nil)
	_, foreign := other.token(other.server(oauth.Config{}), otherID, otherSecret)
	z.bad = append(z.bad, foreign, resign(f, es))

	for _, tok := range z.good {
		var c oauth.Claims
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
		for _, aud := range []string{"", "https://api.example", oauth.ManagementAudience, testIssuer} {
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
			if !errors.Is(err, oauth.ErrInvalidToken) || c != nil {
				t.Fatalf("Verify = %v, %v; want nil and an error wrapping ErrInvalidToken", c, err)
			}
			return
		}
		if !slices.ContainsFunc(z.issued, func(i oauth.Claims) bool { return reflect.DeepEqual(i, *c) }) {
			t.Fatalf("token %q verifies with claims %+v that were never issued", token, c)
		}
		if audience != "" && !slices.Contains(c.Audience, audience) {
			t.Fatalf("token verifies for audience %q, not one of %q", audience, c.Audience)
		}
	})
}

// mutations returns variants of a compact token: header and payload
// tampering, algorithm confusion, encoding quirks.
func mutations(f *testing.F, tok string) []string {
	p := strings.Split(tok, ".")
	enc := base64.RawURLEncoding.EncodeToString
	var header map[string]any
	if err := json.Unmarshal(segment(f, tok, 0), &header); err != nil {
		f.Fatal(err)
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
	if err := json.Unmarshal(segment(f, tok, 1), &claims); err != nil {
		f.Fatal(err)
	}
	claims["scope"] = "read write admin"
	escalated, _ := json.Marshal(claims)
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
	if header["alg"] == oauth.ES256 {
		out = append(out, p[0]+"."+p[1]+"."+enc(twinSignature(f, segment(f, tok, 2))))
	}
	return out
}

// twinSignature returns (r, n-s) for an ES256 signature (r, s): it verifies
// just as well.
func twinSignature(f *testing.F, sig []byte) []byte {
	if len(sig) != 64 {
		f.Fatalf("ES256 signature of %d bytes", len(sig))
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
func resign(f *testing.F, tok string) string {
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(segment(f, tok, 0), &h); err != nil {
		f.Fatal(err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: h.Kid}},
		(&jose.SignerOptions{}).WithType(oauth.AccessTokenType))
	if err != nil {
		f.Fatal(err)
	}
	jws, err := s.Sign(segment(f, tok, 1))
	if err != nil {
		f.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// segment returns the decoded i-th part of a compact token.
func segment(f *testing.F, tok string, i int) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		f.Fatal(err)
	}
	return b
}
