package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/web"
)

// signed is a compact JWS of claims signed with key as alg, kid in the
// header unless empty.
func signed(t testing.TB, key any, alg, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	if j, ok := key.(jose.JSONWebKey); ok {
		key = j.Key // the kid, if any, comes from the option above
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertionClaims are the claims of a good assertion by client at now,
// for aud.
func assertionClaims(client string, aud any, now time.Time) map[string]any {
	jti := make([]byte, 16)
	rand.Read(jti)
	return map[string]any{
		"iss": client, "sub": client, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti),
	}
}

// withAssertion is a token request form authenticating with assertion,
// plus the parameters given as name, value pairs.
func withAssertion(assertion string, params ...string) url.Values {
	return grant(append([]string{"client_assertion_type", accounts.AssertionType, "client_assertion", assertion}, params...)...)
}

// claimsOf returns the payload of a compact JWT, unverified.
func claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// keyPairs holds an account's key-pair keys by name, as the key file gave
// them, and the private key of an uploaded one.
type keyPairs map[string]web.NewKey

func (f *fixture) keyPair(t testing.TB, token, clientID string, in web.CreateKeyRequest) web.NewKey {
	t.Helper()
	in.Type = accounts.KindKeyPair
	return f.createKey(t, token, clientID, in)
}

func TestPrivateKeyJWT(t *testing.T) {
	f, sync := tokenFixture(t)
	tok := f.adminToken(t)
	base := f.serve(t)
	tokenEndpoint := issuer + oauth.TokenPath
	keys := keyPairs{}
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		keys[alg] = f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: alg, Algorithm: alg})
	}
	// An uploaded key keeps the kid of its JWK.
	hsm, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pubJWK, _ := jose.JSONWebKey{Key: &hsm.PublicKey, KeyID: "hsm-1", Algorithm: "ES384"}.MarshalJSON()
	uploaded := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "hsm", PublicKey: string(pubJWK)})
	if uploaded.KID != "hsm-1" {
		t.Fatalf("uploaded key's kid %q, want hsm-1", uploaded.KID)
	}
	post := func(t *testing.T, form url.Values) *response {
		t.Helper()
		return postToken(t, f.hc, base, form)
	}
	now := f.clock.Now

	t.Run("each algorithm's key gets a token, aud the issuer or the token endpoint", func(t *testing.T) {
		for alg, k := range keys {
			for _, aud := range []any{issuer, tokenEndpoint, []string{"https://elsewhere.example", tokenEndpoint}} {
				a := signed(t, k.KeyFile.PrivateKey, alg, k.KID, assertionClaims(sync.ClientID, aud, now()))
				r := post(t, withAssertion(a, "scope", readInvoices))
				resp := decode[oauth.TokenResponse](t, r, http.StatusOK)
				wantNoStore(t, r)
				c := claimsOf(t, resp.AccessToken)
				if c["sub"] != sync.ClientID || c["key"] != k.ID || resp.Scope != readInvoices {
					t.Errorf("%s, aud %v: token sub %v key %v scope %q, want %s %s %s", alg, aud, c["sub"], c["key"], resp.Scope, sync.ClientID, k.ID, readInvoices)
				}
			}
		}
	})
	t.Run("an uploaded key signs under its own kid", func(t *testing.T) {
		a := signed(t, hsm, "ES384", "hsm-1", assertionClaims(sync.ClientID, issuer, now()))
		c := claimsOf(t, decode[oauth.TokenResponse](t, post(t, withAssertion(a)), http.StatusOK).AccessToken)
		if c["key"] != uploaded.ID {
			t.Errorf("key claim %v, want %s", c["key"], uploaded.ID)
		}
	})
	t.Run("without a kid the client's active keys are tried", func(t *testing.T) {
		for alg, k := range keys {
			a := signed(t, k.KeyFile.PrivateKey, alg, "", assertionClaims(sync.ClientID, issuer, now()))
			c := claimsOf(t, decode[oauth.TokenResponse](t, post(t, withAssertion(a)), http.StatusOK).AccessToken)
			if c["key"] != k.ID {
				t.Errorf("%s without kid: key claim %v, want %s", alg, c["key"], k.ID)
			}
		}
	})
	t.Run("a client_id matching the assertion may be sent along", func(t *testing.T) {
		a := signed(t, keys["ES256"].KeyFile.PrivateKey, "ES256", keys["ES256"].KID, assertionClaims(sync.ClientID, issuer, now()))
		decode[oauth.TokenResponse](t, post(t, withAssertion(a, "client_id", sync.ClientID)), http.StatusOK)
	})
	t.Run("x/oauth2 clientcredentials with a go-jose assertion for the token endpoint", func(t *testing.T) {
		k := keys["ES256"]
		cfg := clientcredentials.Config{
			ClientID: sync.ClientID, TokenURL: base + oauth.TokenPath, Scopes: []string{readInvoices},
			AuthStyle: oauth2.AuthStyleInParams,
			EndpointParams: url.Values{
				"client_assertion_type": {accounts.AssertionType},
				"client_assertion":      {signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, tokenEndpoint, now()))},
			},
		}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, f.hc)
		got, err := cfg.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c := claimsOf(t, got.AccessToken); c["sub"] != sync.ClientID || c["scope"] != readInvoices {
			t.Errorf("claims %v", c)
		}
	})
	t.Run("the signing algorithms are advertised", func(t *testing.T) {
		m := decode[oauth.Metadata](t, f.get(t, "/.well-known/oauth-authorization-server"), http.StatusOK)
		for _, alg := range []string{"ES256", "ES384", "RS256", "EdDSA"} {
			if !strings.Contains(strings.Join(m.TokenEndpointAuthSigningAlgValuesSupported, " "), alg) {
				t.Errorf("%s not in %v", alg, m.TokenEndpointAuthSigningAlgValuesSupported)
			}
		}
	})
}

func TestPrivateKeyJWTRefusals(t *testing.T) {
	f, sync := tokenFixture(t)
	tok := f.adminToken(t)
	base := f.serve(t)
	now := f.clock.Now
	es := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "es"})
	rs := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "rs", Algorithm: "RS256"})
	inactive := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "off"})
	decode[web.Key](t, f.call(t, http.MethodPost, "/api/v1/keys/"+inactive.ID+"/deactivate", tok, nil), http.StatusOK)
	in := int64(60)
	expiring := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "short", ExpiresIn: &in})
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "old", Org: "billing"})
	archived := f.keyPair(t, tok, "old@billing.iam", web.CreateKeyRequest{Label: "old"})
	decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/old@billing.iam/archive", tok, nil), http.StatusOK)
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "other", Org: "billing"})
	other := f.keyPair(t, tok, "other@billing.iam", web.CreateKeyRequest{Label: "other"})
	f.clock.Advance(2 * time.Minute) // the short key has expired

	esKey, rsKey := es.KeyFile.PrivateKey, rs.KeyFile.PrivateKey
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := func() map[string]any { return assertionClaims(sync.ClientID, issuer, now()) }
	with := func(change func(map[string]any)) map[string]any {
		c := good()
		change(c)
		return c
	}
	replayed := signed(t, esKey, "ES256", es.KID, good())
	decode[oauth.TokenResponse](t, postToken(t, f.hc, base, withAssertion(replayed)), http.StatusOK)

	// hs256 signs claims with HMAC, keyed by the client's public JWK: the
	// key-confusion attack on servers that take the algorithm from the
	// token.
	hs256 := func(claims map[string]any) string {
		h, _ := json.Marshal(map[string]string{"alg": "HS256", "kid": es.KID, "typ": "JWT"})
		p, _ := json.Marshal(claims)
		in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
		m := hmac.New(sha256.New, es.PublicJWK)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	none := func(claims map[string]any) string {
		h, _ := json.Marshal(map[string]string{"alg": "none", "kid": es.KID})
		p, _ := json.Marshal(claims)
		return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
	}
	pss := signed(t, rsKey.Key.(*rsa.PrivateKey), "PS256", rs.KID, good())

	tests := []struct {
		// reason is what the log must say: each case is refused for
		// its own reason, not by another check.
		name, assertion, reason string
	}{
		{"a registered kid with a signature by another key", signed(t, stranger, "ES256", es.KID, good()), "verifies with no key"},
		{"an unregistered key without a kid", signed(t, stranger, "ES256", "", good()), "verifies with no key"},
		{"an unknown kid", signed(t, esKey, "ES256", "no-such-kid", good()), "no key-pair key with kid"},
		{"a replayed assertion", replayed, "was used before"},
		{"an expired assertion", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = now().Add(-time.Minute).Unix() })), "expired at"},
		{"exp more than 5 minutes ahead", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = now().Add(10 * time.Minute).Unix() })), "exp is more than 5m0s ahead"},
		{"no exp", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "exp") })), "exp is required"},
		{"an exp no clock reaches", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = int64(1) << 62 })), "claims are not valid JSON claims"},
		{"nbf in the future", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["nbf"] = now().Add(2 * time.Minute).Unix() })), "nbf is in the future"},
		{"iat in the future", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["iat"] = now().Add(2 * time.Minute).Unix() })), "iat is in the future"},
		{"no jti", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "jti") })), "jti is required"},
		{"a jti too long to store", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["jti"] = strings.Repeat("j", 257) })), "jti is required"},
		{"another audience", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["aud"] = "https://other.example" })), "aud names neither"},
		{"no audience", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "aud") })), "aud names neither"},
		{"iss other than sub", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["iss"] = "other@billing.iam" })), "iss and sub must both be the client ID"},
		{"another client's kid", signed(t, other.KeyFile.PrivateKey, "ES256", other.KID, good()), "no key-pair key with kid"},
		{"claiming to be another client with one's own key", signed(t, esKey, "ES256", es.KID, assertionClaims("other@billing.iam", issuer, now())), "no key-pair key with kid"},
		{"an unknown client", signed(t, esKey, "ES256", es.KID, assertionClaims("ghost@billing.iam", issuer, now())), "no key-pair key with kid"},
		{"not a client ID", signed(t, esKey, "ES256", es.KID, assertionClaims("ghost", issuer, now())), "not a client ID"},
		{"alg none", none(good()), "is not a compact JWS"},
		{"HS256 keyed with the public key", hs256(good()), "is not a compact JWS"},
		{"an algorithm other than the key's", pss, "verifies with no key"},
		{"a deactivated key", signed(t, inactive.KeyFile.PrivateKey, "ES256", inactive.KID, good()), "is inactive"},
		{"an expired key", signed(t, expiring.KeyFile.PrivateKey, "ES256", expiring.KID, good()), "is expired"},
		{"a key of an archived account", signed(t, archived.KeyFile.PrivateKey, "ES256", archived.KID, assertionClaims("old@billing.iam", issuer, now())), "account is archived"},
		{"a secret key's ID as kid", signed(t, esKey, "ES256", sync.KeyID, good()), "no key-pair key with kid"},
		{"not a JWS", "not.a.jws", "is not a compact JWS"},
		{"a JWS in JSON serialization", `{"payload":"e30","signatures":[]}`, "is not a compact JWS"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := postToken(t, f.hc, base, withAssertion(tt.assertion))
			e := wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient)
			if e.Description != refused {
				t.Errorf("error_description %q, want %q as for a wrong secret", e.Description, refused)
			}
			wantNoSecret(t, r, tt.assertion)
			log := f.logs.String()
			last := log[strings.LastIndex(log, "client authentication failed"):]
			if line, _, _ := strings.Cut(last, "\n"); !strings.Contains(line, tt.reason) {
				t.Errorf("refused for another reason than %q: %s", tt.reason, line)
			}
		})
	}

	requestErrors := []struct {
		name   string
		form   url.Values
		header []string
		status int
		code   string
	}{
		{"a client_assertion_type other than jwt-bearer", grant("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", "client_assertion", replayed), nil, http.StatusUnauthorized, oauth.CodeInvalidClient},
		{"client_assertion without its type", grant("client_assertion", replayed), nil, http.StatusUnauthorized, oauth.CodeInvalidClient},
		{"the type without an assertion", grant("client_assertion_type", accounts.AssertionType), nil, http.StatusUnauthorized, oauth.CodeInvalidClient},
		{"a client_id other than the assertion's", withAssertion(signed(t, esKey, "ES256", es.KID, good()), "client_id", "other@billing.iam"), nil, http.StatusBadRequest, oauth.CodeInvalidRequest},
		{"an assertion with HTTP Basic", withAssertion(signed(t, esKey, "ES256", es.KID, good())), []string{"Authorization", basicAuth(sync.ClientID, sync.Secret)}, http.StatusBadRequest, oauth.CodeInvalidRequest},
		{"an assertion with client_secret", withAssertion(signed(t, esKey, "ES256", es.KID, good()), "client_id", sync.ClientID, "client_secret", sync.Secret), nil, http.StatusBadRequest, oauth.CodeInvalidRequest},
		{"two assertions", func() url.Values {
			v := withAssertion(signed(t, esKey, "ES256", es.KID, good()))
			v.Add("client_assertion", replayed)
			return v
		}(), nil, http.StatusBadRequest, oauth.CodeInvalidRequest},
	}
	for _, tt := range requestErrors {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := postToken(t, f.hc, base, tt.form, tt.header...)
			wantOAuthError(t, r, tt.status, tt.code)
			wantNoSecret(t, r, sync.Secret, replayed)
		})
	}
	t.Run("the log holds no assertion", func(t *testing.T) {
		log := f.logs.String()
		for _, tt := range tests {
			if len(tt.assertion) > 40 && strings.Contains(log, tt.assertion) {
				t.Errorf("the log holds the assertion of %q", tt.name)
			}
		}
	})
}

// TestPrivateKeyJWTThrottled: failed assertions count against the same
// throttles as failed secrets, never lock the right key out, and never
// tell a real client or kid from a made-up one.
func TestPrivateKeyJWTThrottled(t *testing.T) {
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged := func(f *fixture, client, kid string) url.Values {
		return withAssertion(signed(t, stranger, "ES256", kid, assertionClaims(client, issuer, f.clock.Now())))
	}
	statuses := func(f *fixture, n int, form func() url.Values) []int {
		var out []int
		for range n {
			out = append(out, postToken(t, f.hc, f.serve(t), form()).Status)
		}
		return out
	}

	t.Run("forged assertions count against the address", func(t *testing.T) {
		f, sync := tokenFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 100, ClientEvery: time.Minute, AddrBurst: 3, AddrEvery: time.Minute}))
		k := f.keyPair(t, f.adminToken(t), sync.ClientID, web.CreateKeyRequest{Label: "es"})
		got := statuses(f, 5, func() url.Values { return forged(f, sync.ClientID, k.KID) })
		if fmt.Sprint(got) != "[401 401 401 429 429]" {
			t.Errorf("statuses %v, want three 401 then 429", got)
		}
		good := signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now()))
		decode[oauth.TokenResponse](t, postToken(t, f.hc, f.serve(t), withAssertion(good)), http.StatusOK)
	})
	t.Run("a forged signature does not tell a real client or kid from a made-up one", func(t *testing.T) {
		f, sync := tokenFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 3, ClientEvery: time.Minute, AddrBurst: 1000, AddrEvery: time.Millisecond}))
		k := f.keyPair(t, f.adminToken(t), sync.ClientID, web.CreateKeyRequest{Label: "es"})
		want := "[401 401 401 401 401 401]"
		for _, c := range [][2]string{{sync.ClientID, ""}, {sync.ClientID, k.KID}, {sync.ClientID, "no-such-kid"}, {"ghost@billing.iam", ""}} {
			if got := fmt.Sprint(statuses(f, 6, func() url.Values { return forged(f, c[0], c[1]) })); got != want {
				t.Errorf("client %s kid %q: statuses %s, want %s", c[0], c[1], got, want)
			}
		}
	})
	t.Run("failures past the signature count against the client, as wrong secrets do", func(t *testing.T) {
		f, sync := tokenFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 3, ClientEvery: time.Minute, AddrBurst: 1000, AddrEvery: time.Millisecond}))
		k := f.keyPair(t, f.adminToken(t), sync.ClientID, web.CreateKeyRequest{Label: "es"})
		replayed := withAssertion(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now())))
		decode[oauth.TokenResponse](t, postToken(t, f.hc, f.serve(t), replayed), http.StatusOK)
		got := statuses(f, 4, func() url.Values { return replayed })
		if fmt.Sprint(got) != "[401 401 401 429]" {
			t.Errorf("replays: statuses %v, want three 401 then 429", got)
		}
		// A wrong secret for the same client is throttled too: one bucket.
		r := postToken(t, f.hc, f.serve(t), grant(), "Authorization", basicAuth(sync.ClientID, guessSecret(t, sync.Secret)))
		wantOAuthError(t, r, http.StatusTooManyRequests, oauth.CodeInvalidClient)
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		good := signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now()))
		decode[oauth.TokenResponse](t, postToken(t, f.hc, f.serve(t), withAssertion(good)), http.StatusOK)
	})
}

// TestPrivateKeyJWTConcurrentReplay sends one assertion many times at
// once: exactly one request gets a token, on either backend.
func TestPrivateKeyJWTConcurrentReplay(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		tok := f.adminToken(t)
		f.createOrg(t, tok, "billing")
		f.createAccount(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
		k := f.keyPair(t, tok, "sync@billing.iam", web.CreateKeyRequest{Label: "es"})
		base := f.serve(t)
		form := withAssertion(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims("sync@billing.iam", issuer, f.clock.Now())))
		const n = 16
		statuses := make(chan int, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				req, _ := http.NewRequest(http.MethodPost, base+oauth.TokenPath, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := f.hc.Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		close(start)
		count := map[int]int{}
		for range n {
			count[<-statuses]++
		}
		// The replays are refused: 401, or 429 once the client's
		// failures pass the throttle's burst.
		if count[http.StatusOK] != 1 || count[http.StatusUnauthorized]+count[http.StatusTooManyRequests] != n-1 {
			t.Fatalf("statuses %v, want one 200 and %d 401 or 429", count, n-1)
		}
	})
}

// TestPrivateKeyJWTCompactOnly: an assertion is a compact JWS; the same
// assertion rewritten in the JSON serialization, where a kid may hide in
// the unprotected header, is refused.
func TestPrivateKeyJWTCompactOnly(t *testing.T) {
	f, sync := tokenFixture(t)
	k := f.keyPair(t, f.adminToken(t), sync.ClientID, web.CreateKeyRequest{Label: "es"})
	asJSON := func(compact string, header map[string]any) string {
		p := strings.Split(compact, ".")
		m := map[string]any{"protected": p[0], "payload": p[1], "signature": p[2]}
		if header != nil {
			m["header"] = header
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for name, a := range map[string]string{
		"flattened JSON":                   asJSON(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now())), nil),
		"kid in the unprotected header":    asJSON(signed(t, k.KeyFile.PrivateKey, "ES256", "", assertionClaims(sync.ClientID, issuer, f.clock.Now())), map[string]any{"kid": k.KID}),
		"compact with whitespace inserted": strings.Replace(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now())), ".", " .", 1),
	} {
		r := postToken(t, f.hc, f.serve(t), withAssertion(a))
		if e := wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient); e.Description != refused {
			t.Errorf("%s: %q", name, e.Description)
		}
	}
}

// TestPrivateKeyJWTUnvalidatedIssuerNotLoggedWhole: an assertion's iss is
// logged before anything is checked, so a long one is refused at once.
func TestPrivateKeyJWTUnvalidatedIssuerNotLoggedWhole(t *testing.T) {
	f, _ := tokenFixture(t)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	long := strings.Repeat("x", 4000) + "@billing.iam"
	c := assertionClaims(long, issuer, f.clock.Now())
	c["exp"] = f.clock.Now().Add(-time.Hour).Unix()
	r := postToken(t, f.hc, f.serve(t), withAssertion(signed(t, stranger, "ES256", "", c)))
	wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient)
	if strings.Contains(f.logs.String(), strings.Repeat("x", 300)) {
		t.Error("the log holds the long, unchecked iss")
	}
}

// TestPrivateKeyJWTCostlyRSAKeysRefused: RSA keys whose every
// verification would cost the server dearly are refused at upload, so
// they can neither slow the token endpoint nor break the client's other
// keys.
func TestPrivateKeyJWTCostlyRSAKeysRefused(t *testing.T) {
	f, sync := tokenFixture(t)
	tok := f.adminToken(t)
	pemOf := func(pub *rsa.PublicKey) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	n8192, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 8192))
	n8192.SetBit(n8192, 8191, 1).SetBit(n8192, 0, 1)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, up := range map[string]string{
		"8192 bits":              pemOf(&rsa.PublicKey{N: n8192, E: 65537}),
		"exponent 2^31-1":        pemOf(&rsa.PublicKey{N: rs.N, E: 1<<31 - 1}),
		"exponent 3":             pemOf(&rsa.PublicKey{N: rs.N, E: 3}),
		"JWK with exponent 2^31": `{"kty":"RSA","n":"` + base64.RawURLEncoding.EncodeToString(rs.N.Bytes()) + `","e":"f____w"}`,
	} {
		r := f.call(t, http.MethodPost, "/api/v1/accounts/"+sync.ClientID+"/keys", tok, web.CreateKeyRequest{Label: "big", PublicKey: up, Algorithm: "RS256"})
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: upload answered %d %s, want 400", name, r.Status, r.Body)
		}
	}
	good := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "rs", Algorithm: "RS256"})
	a := signed(t, good.KeyFile.PrivateKey, "RS256", "", assertionClaims(sync.ClientID, issuer, f.clock.Now()))
	decode[oauth.TokenResponse](t, postToken(t, f.hc, f.serve(t), withAssertion(a)), http.StatusOK)
}

// TestPrivateKeyJWTPruneAcrossClocks: an instance whose clock runs ahead
// prunes expired assertion IDs without reopening the window in which an
// instance on time still accepts them.
func TestPrivateKeyJWTPruneAcrossClocks(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f, sync := tokenFixture(t, opts...)
		k := f.keyPair(t, f.adminToken(t), sync.ClientID, web.CreateKeyRequest{Label: "es"})
		// Instance A: the same database, its clock 2 minutes ahead.
		ahead := func() time.Time { return f.clock.Now().Add(2 * time.Minute) }
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ids, _ := accounts.NewClientIDs("")
		orgsA := rbac.NewService(f.db, f.db, audit.NewLog(f.db, ahead), ahead)
		acctsA := accounts.NewService(f.db, f.db, orgsA, ids, nil, ahead)
		a := oauth.NewServer(oauth.Config{Issuer: issuer, TokenTTL: tokenTTL, Throttle: oauth.DefaultThrottle}, acctsA, orgsA, f.keys, ahead, log)

		victim := withAssertion(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now())))
		decode[oauth.TokenResponse](t, postToken(t, f.hc, f.serve(t), victim), http.StatusOK)
		// Any assertion A accepts makes it prune, by its clock.
		own := withAssertion(signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, ahead())))
		if _, err := a.Token(context.Background(), oauth.TokenRequest{ContentType: "application/x-www-form-urlencoded", Body: []byte(own.Encode()), ClientAddr: "192.0.2.1"}); err != nil {
			t.Fatalf("A: %v", err)
		}
		wantOAuthError(t, postToken(t, f.hc, f.serve(t), victim), http.StatusUnauthorized, oauth.CodeInvalidClient)
	})
}

// TestPrivateKeyJWTEd25519AlgorithmName: an EdDSA key also verifies
// assertions signed under RFC 9864's name for its algorithm, Ed25519, as
// oauth4webapi signs them; nothing else about them is relaxed.
func TestPrivateKeyJWTEd25519AlgorithmName(t *testing.T) {
	f, sync := tokenFixture(t)
	tok := f.adminToken(t)
	ed := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "ed", Algorithm: "EdDSA"})
	es := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "es"})
	priv := ed.KeyFile.PrivateKey.Key.(ed25519.PrivateKey)
	sign := func(header map[string]any, claims map[string]any, key ed25519.PrivateKey) string {
		h, _ := json.Marshal(header)
		p, _ := json.Marshal(claims)
		in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
		return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in)))
	}
	good := func() map[string]any { return assertionClaims(sync.ClientID, issuer, f.clock.Now()) }
	post := func(a string) *response { return postToken(t, f.hc, f.serve(t), withAssertion(a)) }

	for _, h := range []map[string]any{{"alg": "Ed25519", "kid": ed.KID, "typ": "JWT"}, {"alg": "Ed25519"}} {
		c := claimsOf(t, decode[oauth.TokenResponse](t, post(sign(h, good(), priv)), http.StatusOK).AccessToken)
		if c["key"] != ed.ID {
			t.Errorf("header %v: key claim %v, want %s", h, c["key"], ed.ID)
		}
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	tampered := sign(map[string]any{"alg": "Ed25519", "kid": ed.KID}, good(), priv)
	tampered = tampered[:len(tampered)-4] + "AAAA"
	for name, a := range map[string]string{
		"another key's signature": sign(map[string]any{"alg": "Ed25519", "kid": ed.KID}, good(), other),
		"a tampered signature":    tampered,
		"crit in the header":      sign(map[string]any{"alg": "Ed25519", "kid": ed.KID, "crit": []string{"b64"}, "b64": false}, good(), priv),
		"an unknown header":       sign(map[string]any{"alg": "Ed25519", "kid": ed.KID, "jwk": map[string]any{"kty": "OKP"}}, good(), priv),
		"an EC key's kid":         sign(map[string]any{"alg": "Ed25519", "kid": es.KID}, good(), priv),
		"expired":                 sign(map[string]any{"alg": "Ed25519", "kid": ed.KID}, func() map[string]any { c := good(); c["exp"] = f.clock.Now().Add(-time.Hour).Unix(); return c }(), priv),
	} {
		if e := wantOAuthError(t, post(a), http.StatusUnauthorized, oauth.CodeInvalidClient); e.Description != refused {
			t.Errorf("%s: %q", name, e.Description)
		}
	}
	replayed := sign(map[string]any{"alg": "Ed25519", "kid": ed.KID}, good(), priv)
	decode[oauth.TokenResponse](t, post(replayed), http.StatusOK)
	wantOAuthError(t, post(replayed), http.StatusUnauthorized, oauth.CodeInvalidClient)
}
