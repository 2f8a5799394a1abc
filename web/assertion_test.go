package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
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
		name, assertion string
	}{
		{"a registered kid with a signature by another key", signed(t, stranger, "ES256", es.KID, good())},
		{"an unregistered key without a kid", signed(t, stranger, "ES256", "", good())},
		{"an unknown kid", signed(t, esKey, "ES256", "no-such-kid", good())},
		{"a replayed assertion", replayed},
		{"an expired assertion", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = now().Add(-time.Minute).Unix() }))},
		{"exp more than 5 minutes ahead", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = now().Add(10 * time.Minute).Unix() }))},
		{"no exp", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "exp") }))},
		{"an exp no clock reaches", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["exp"] = int64(1) << 62 }))},
		{"nbf in the future", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["nbf"] = now().Add(2 * time.Minute).Unix() }))},
		{"iat in the future", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["iat"] = now().Add(2 * time.Minute).Unix() }))},
		{"no jti", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "jti") }))},
		{"a jti too long to store", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["jti"] = strings.Repeat("j", 257) }))},
		{"another audience", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["aud"] = "https://other.example" }))},
		{"no audience", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { delete(c, "aud") }))},
		{"iss other than sub", signed(t, esKey, "ES256", es.KID, with(func(c map[string]any) { c["iss"] = "other@billing.iam" }))},
		{"another client's kid", signed(t, other.KeyFile.PrivateKey, "ES256", other.KID, good())},
		{"claiming to be another client with one's own key", signed(t, esKey, "ES256", es.KID, assertionClaims("other@billing.iam", issuer, now()))},
		{"an unknown client", signed(t, esKey, "ES256", es.KID, assertionClaims("ghost@billing.iam", issuer, now()))},
		{"not a client ID", signed(t, esKey, "ES256", es.KID, assertionClaims("ghost", issuer, now()))},
		{"alg none", none(good())},
		{"HS256 keyed with the public key", hs256(good())},
		{"an algorithm other than the key's", pss},
		{"a deactivated key", signed(t, inactive.KeyFile.PrivateKey, "ES256", inactive.KID, good())},
		{"an expired key", signed(t, expiring.KeyFile.PrivateKey, "ES256", expiring.KID, good())},
		{"a key of an archived account", signed(t, archived.KeyFile.PrivateKey, "ES256", archived.KID, assertionClaims("old@billing.iam", issuer, now()))},
		{"a secret key's ID as kid", signed(t, esKey, "ES256", sync.KeyID, good())},
		{"not a JWS", "not.a.jws"},
		{"a JWS in JSON serialization", `{"payload":"e30","signatures":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := postToken(t, f.hc, base, withAssertion(tt.assertion))
			e := wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient)
			if e.Description != refused {
				t.Errorf("error_description %q, want %q as for a wrong secret", e.Description, refused)
			}
			wantNoSecret(t, r, tt.assertion)
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
// throttles as failed secrets, and never lock the right key out.
func TestPrivateKeyJWTThrottled(t *testing.T) {
	f, sync := tokenFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 3, ClientEvery: time.Minute, AddrBurst: 100, AddrEvery: time.Second}))
	tok := f.adminToken(t)
	base := f.serve(t)
	k := f.keyPair(t, tok, sync.ClientID, web.CreateKeyRequest{Label: "es"})
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged := func() url.Values {
		return withAssertion(signed(t, stranger, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now())))
	}
	for i := range 3 {
		if r := postToken(t, f.hc, base, forged()); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := postToken(t, f.hc, base, forged())
	wantOAuthError(t, r, http.StatusTooManyRequests, oauth.CodeInvalidClient)
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// A wrong secret for the same client is throttled too: one bucket.
	wantOAuthError(t, postToken(t, f.hc, base, grant(), "Authorization", basicAuth(sync.ClientID, guessSecret(t, sync.Secret))), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	good := signed(t, k.KeyFile.PrivateKey, "ES256", k.KID, assertionClaims(sync.ClientID, issuer, f.clock.Now()))
	decode[oauth.TokenResponse](t, postToken(t, f.hc, base, withAssertion(good)), http.StatusOK)
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
