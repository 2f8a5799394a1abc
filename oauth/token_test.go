package oauth_test

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/signing"
)

var (
	syncScopes = []string{"data.items:read", "data.items:write", "app.admin:delete"}
	// sortedSync is syncScopes in the order tokens list them: sorted.
	sortedSync    = []string{"app.admin:delete", "data.items:read", "data.items:write"}
	syncAudiences = []string{"https://api.acme.test", "https://billing.acme.test", "urn:acme:reports"}
)

func TestTokenIssuesAccessTokens(t *testing.T) {
	e := newEnv(t, signing.ES256)
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	if id != "sync@acme.iam" {
		t.Fatalf("client ID %q, want sync@acme.iam", id)
	}
	srv := e.server(oauth.Config{Throttle: generous})
	kid := e.keys.Keys()[0].ID
	post := func(params ...string) []byte {
		return form(append([]string{"grant_type", "client_credentials", "client_id", id, "client_secret", secret}, params...)...)
	}
	grant := func(params ...string) []byte {
		return form(append([]string{"grant_type", "client_credentials"}, params...)...)
	}
	cases := []struct {
		name        string
		contentType string
		auth        string
		body        []byte
		wantScopes  []string
		wantAud     []string
	}{
		{
			name: "Basic authentication without scope or audience grants every allowed scope for the issuer",
			auth: basic(id, secret), body: grant(),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "client_secret_post without scope or audience grants every allowed scope for the issuer",
			body: post(), wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "Basic credentials with the @ of the client ID sent as %40 authenticate",
			auth: basicRaw("sync%40acme.iam:" + secret), body: grant(),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "Basic credentials with an unencoded @ authenticate too",
			auth: basicRaw(id + ":" + secret), body: grant(),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "a lowercase basic scheme is accepted",
			auth: "basic " + strings.TrimPrefix(basic(id, secret), "Basic "), body: grant(),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "a client_id in the body equal to the Basic user is accepted",
			auth: basic(id, secret), body: grant("client_id", id),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name:        "a content type with a charset parameter is accepted",
			contentType: "application/x-www-form-urlencoded; charset=UTF-8",
			auth:        basic(id, secret), body: grant(),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "a requested subset of scopes is granted exactly, in request order",
			auth: basic(id, secret), body: grant("scope", "data.items:write data.items:read"),
			wantScopes: []string{"data.items:write", "data.items:read"}, wantAud: []string{testIssuer},
		},
		{
			name: "client_secret_post with one scope grants only that scope",
			body: post("scope", "app.admin:delete"), wantScopes: []string{"app.admin:delete"}, wantAud: []string{testIssuer},
		},
		{
			name: "one allowed audience replaces the default audience",
			auth: basic(id, secret), body: grant("audience", "https://api.acme.test"),
			wantScopes: sortedSync, wantAud: []string{"https://api.acme.test"},
		},
		{
			name: "repeated audience parameters grant each audience",
			auth: basic(id, secret), body: grant("audience", "https://api.acme.test", "audience", "urn:acme:reports"),
			wantScopes: sortedSync, wantAud: []string{"https://api.acme.test", "urn:acme:reports"},
		},
		{
			name: "a space-separated audience parameter grants each audience",
			auth: basic(id, secret), body: grant("audience", "https://api.acme.test https://billing.acme.test"),
			wantScopes: sortedSync, wantAud: []string{"https://api.acme.test", "https://billing.acme.test"},
		},
		{
			name: "the issuer is an allowed audience of every account",
			auth: basic(id, secret), body: grant("audience", testIssuer),
			wantScopes: sortedSync, wantAud: []string{testIssuer},
		},
		{
			name: "a resource indicator becomes the audience",
			auth: basic(id, secret), body: grant("resource", "https://billing.acme.test"),
			wantScopes: sortedSync, wantAud: []string{"https://billing.acme.test"},
		},
		{
			name: "repeated resource indicators grant each resource",
			auth: basic(id, secret), body: grant("resource", "https://billing.acme.test", "resource", "urn:acme:reports"),
			wantScopes: sortedSync, wantAud: []string{"https://billing.acme.test", "urn:acme:reports"},
		},
		{
			name: "a resource indicator is added to the requested audience",
			auth: basic(id, secret), body: grant("audience", "https://api.acme.test", "resource", "https://billing.acme.test", "scope", "data.items:read"),
			wantScopes: []string{"data.items:read"}, wantAud: []string{"https://api.acme.test", "https://billing.acme.test"},
		},
		{
			name:       "a resource equal to a requested audience appears once",
			body:       post("audience", "https://api.acme.test", "resource", "https://api.acme.test"),
			wantScopes: sortedSync, wantAud: []string{"https://api.acme.test"},
		},
	}
	seenJTI := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = formType
			}
			resp, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: ct, Body: tc.body, Authorization: tc.auth, ClientAddr: "192.0.2.1"})
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if resp.TokenType != "Bearer" || resp.ExpiresIn != 3600 {
				t.Errorf("token_type %q expires_in %d, want Bearer 3600", resp.TokenType, resp.ExpiresIn)
			}
			if want := strings.Join(tc.wantScopes, " "); resp.Scope != want {
				t.Errorf("response scope %q, want %q", resp.Scope, want)
			}
			m := e.inspect(resp.AccessToken)
			if m.typ != resource.AccessTokenType || m.header.Algorithm != signing.ES256 || m.header.KeyID != kid || m.key.Algorithm != signing.ES256 {
				t.Errorf("header typ %q alg %q kid %q (JWKS alg %q), want at+jwt ES256 %s", m.typ, m.header.Algorithm, m.header.KeyID, m.key.Algorithm, kid)
			}
			now := e.clock.Now().Unix()
			checkClaims(t, m.raw, map[string]any{
				"iss": testIssuer, "sub": id, "client_id": id, "org": "acme",
				"iat": float64(now), "nbf": float64(now), "exp": float64(now + 3600),
			})
			checkAudience(t, m.raw["aud"], tc.wantAud)
			if len(tc.wantScopes) == 0 {
				if _, ok := m.raw["scope"]; ok {
					t.Errorf("scope claim %v, want none", m.raw["scope"])
				}
			} else if got := m.raw["scope"]; got != resp.Scope {
				t.Errorf("scope claim %v, want %q as in the response", got, resp.Scope)
			}
			jti, _ := m.raw["jti"].(string)
			if len(jti) < 20 {
				t.Errorf("jti %q, want at least 128 random bits", jti)
			}
			if prev, dup := seenJTI[jti]; dup {
				t.Errorf("jti %q also issued in %q", jti, prev)
			}
			seenJTI[jti] = tc.name
			want := []string{"acct", "aud", "client_id", "exp", "iat", "iss", "jti", "key", "nbf", "org", "sub"}
			if len(tc.wantScopes) > 0 {
				want = append(want, "scope", "rights", "roles")
			}
			slices.Sort(want)
			if got := slices.Sorted(maps.Keys(m.raw)); !slices.Equal(got, want) {
				t.Errorf("claims %v, want exactly %v", got, want)
			}
		})
	}
}

func checkClaims(t *testing.T, raw map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("claim %s = %#v, want %#v", k, raw[k], v)
		}
	}
}

// checkAudience checks aud is a string for one audience (RFC 9068 §2.2
// allows either, iamd sends a string) and an array otherwise.
func checkAudience(t *testing.T, aud any, want []string) {
	t.Helper()
	if len(want) == 1 {
		if aud != want[0] {
			t.Errorf("aud %#v, want the string %q", aud, want[0])
		}
		return
	}
	list, ok := aud.([]any)
	if !ok {
		t.Fatalf("aud %#v, want an array of %q", aud, want)
	}
	var got []string
	for _, a := range list {
		s, _ := a.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("aud %q, want %q", got, want)
	}
}

func TestTokenIDsAreUniqueForIdenticalRequests(t *testing.T) {
	e := newEnv(t, signing.ES256)
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	srv := e.server(oauth.Config{Throttle: generous})
	_, t1 := e.token(srv, id, secret, "scope", "data.items:read")
	_, t2 := e.token(srv, id, secret, "scope", "data.items:read")
	m1, m2 := e.inspect(t1), e.inspect(t2)
	if m1.raw["jti"] == m2.raw["jti"] {
		t.Errorf("two tokens share jti %v", m1.raw["jti"])
	}
	if m1.raw["iat"] != m2.raw["iat"] || t1 == t2 {
		t.Errorf("tokens issued at the same instant: iat %v and %v, identical %v", m1.raw["iat"], m2.raw["iat"], t1 == t2)
	}
}

func TestTokenForAnAccountWithoutScopes(t *testing.T) {
	e := newEnv(t, signing.ES256)
	id, _, secret := e.account("bare", nil, nil)
	srv := e.server(oauth.Config{Throttle: generous})
	resp, tok := e.token(srv, id, secret)
	m := e.inspect(tok)
	if resp.Scope != "" || m.raw["scope"] != nil {
		t.Errorf("response scope %q, claim %v; want none", resp.Scope, m.raw["scope"])
	}
	if m.raw["sub"] != "bare@acme.iam" || m.raw["aud"] != testIssuer {
		t.Errorf("sub %v aud %v", m.raw["sub"], m.raw["aud"])
	}
	_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials", "scope", "data.items:read"), Authorization: basic(id, secret)})
	wantError(t, err, oauth.CodeInvalidScope, http.StatusBadRequest, secret)
}

func TestTokenDefaultAudience(t *testing.T) {
	e := newEnv(t, signing.ES256)
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	cases := []struct {
		name     string
		defAud   string
		params   []string
		wantAud  string
		wantCode string
	}{
		{name: "without a configured default the issuer is the audience", wantAud: testIssuer},
		{name: "a configured default audience is used when none is requested", defAud: oauth.ManagementAudience, wantAud: oauth.ManagementAudience},
		{name: "a configured default audience may be requested explicitly", defAud: "urn:iamd:default", params: []string{"audience", "urn:iamd:default"}, wantAud: "urn:iamd:default"},
		{name: "a requested audience overrides a configured default", defAud: "urn:iamd:default", params: []string{"audience", "urn:acme:reports"}, wantAud: "urn:acme:reports"},
		{name: "with a configured default the issuer is no longer an implicit audience", defAud: "urn:iamd:default", params: []string{"audience", testIssuer}, wantCode: oauth.CodeInvalidTarget},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := e.server(oauth.Config{DefaultAudience: tc.defAud, Throttle: generous})
			resp, err := srv.Token(e.ctx, oauth.TokenRequest{
				ContentType: formType, Body: form(append([]string{"grant_type", "client_credentials"}, tc.params...)...),
				Authorization: basic(id, secret),
			})
			if tc.wantCode != "" {
				wantError(t, err, tc.wantCode, http.StatusBadRequest, secret)
				return
			}
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			checkAudience(t, e.inspect(resp.AccessToken).raw["aud"], []string{tc.wantAud})
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	e := newEnv(t, signing.ES256)
	id, key, secret := e.account("sync", syncScopes, syncAudiences)
	otherID, _, otherSecret := e.account("other", []string{"data.items:read"}, nil)
	inactiveID, inactiveKey, inactiveSecret := e.account("inactive", []string{"data.items:read"}, nil)
	if _, _, err := e.accts.SetKeyActive(e.ctx, sys, inactiveKey.ID, false); err != nil {
		t.Fatal(err)
	}
	archivedID, _, archivedSecret := e.account("archived", []string{"data.items:read"}, nil)
	if _, err := e.accts.Archive(e.ctx, sys, archivedID); err != nil {
		t.Fatal(err)
	}
	expiringID, _, _ := e.account("expiring", []string{"data.items:read"}, nil)
	_, expiredSecret := e.key(expiringID, e.clock.Now().Add(time.Hour))
	srv := e.server(oauth.Config{Throttle: generous})

	// Every secret involved works before the clock moves, except those
	// deliberately disabled: the refusals below are not setup mistakes.
	for _, c := range [][2]string{{id, secret}, {otherID, otherSecret}, {expiringID, expiredSecret}} {
		e.token(srv, c[0], c[1])
	}
	e.clock.Advance(time.Hour)

	wrongSecret := forgeSecret(t, key.ID)
	// A changed character in the random part breaks the CRC-32.
	brokenChecksum := secret[:30] + flip(secret[30]) + secret[31:]
	grant := func(params ...string) []byte {
		return form(append([]string{"grant_type", "client_credentials"}, params...)...)
	}
	ok := basic(id, secret)
	const (
		badRequest   = http.StatusBadRequest
		unauthorized = http.StatusUnauthorized
	)
	cases := []struct {
		name        string
		contentType string
		auth        string
		body        []byte
		query       string
		code        string
		status      int
		mention     string // the description mentions this
	}{
		// Credentials.
		{name: "a wrong secret for the right key is refused", auth: basic(id, wrongSecret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a well-formed secret of an unknown key is refused", auth: basic(id, forgeSecret(t, randomKeyID())), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a secret with a broken checksum is refused", auth: basic(id, brokenChecksum), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a string that is no iamd secret is refused", auth: basic(id, "hunter2"), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "the secret of another account is refused", auth: basic(id, otherSecret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a secret posted for another account is refused", body: grant("client_id", otherID, "client_secret", secret), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a deactivated key is refused", auth: basic(inactiveID, inactiveSecret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "an expired key is refused", auth: basic(expiringID, expiredSecret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a key of an archived account is refused", auth: basic(archivedID, archivedSecret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a client ID of another scheme is refused", auth: basic("sync@acme.example.com", secret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "an unknown account with a valid secret is refused", auth: basic("ghost@acme.iam", secret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "no credentials at all are refused", body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a posted client_id without secret is refused", body: grant("client_id", id), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a posted client_secret without client_id is refused", body: grant("client_secret", secret), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials that are not base64 are refused", auth: "Basic !!!not-base64!!!", body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials without a colon are refused", auth: basicRaw(id + secret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials with an empty user are refused", auth: basicRaw(":" + secret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials with an empty password are refused", auth: basicRaw(id + ":"), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials that are both empty are refused", auth: basicRaw(":"), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "Basic credentials with bad percent-encoding are refused", auth: basicRaw("sync%zz@acme.iam:" + secret), body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a Basic scheme without credentials is refused", auth: "Basic", body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "a Bearer authorization is refused", auth: "Bearer " + secret, body: grant(), code: oauth.CodeInvalidClient, status: unauthorized},
		{name: "both Basic and a posted client_secret are refused", auth: ok, body: grant("client_id", id, "client_secret", secret), code: oauth.CodeInvalidRequest, status: badRequest, mention: "one client authentication method"},
		{name: "a posted client_id differing from the Basic user is refused", auth: ok, body: grant("client_id", otherID), code: oauth.CodeInvalidRequest, status: badRequest, mention: "client_id"},
		{name: "a client_secret in the query string is refused", body: grant("client_id", id), query: "client_secret=" + secret, code: oauth.CodeInvalidRequest, status: badRequest, mention: "request URI"},
		{name: "a client_secret in the query string is refused alongside Basic", auth: ok, body: grant(), query: "client_secret=" + secret, code: oauth.CodeInvalidRequest, status: badRequest, mention: "request URI"},
		{name: "a malformed query string is refused as such", auth: ok, body: grant(), query: "a=%zz", code: oauth.CodeInvalidRequest, status: badRequest, mention: "query string"},

		// Grant type.
		{name: "a request without grant_type is refused", auth: ok, body: form("scope", "data.items:read"), code: oauth.CodeInvalidRequest, status: badRequest, mention: "grant_type"},
		{name: "an empty grant_type is refused", auth: ok, body: form("grant_type", ""), code: oauth.CodeInvalidRequest, status: badRequest, mention: "grant_type"},
		{name: "the password grant is unsupported even with bad credentials", auth: basic(id, wrongSecret), body: form("grant_type", "password", "username", "u", "password", "p"), code: oauth.CodeUnsupportedGrantType, status: badRequest, mention: "client_credentials"},
		{name: "the password grant is unsupported with good credentials", auth: ok, body: form("grant_type", "password"), code: oauth.CodeUnsupportedGrantType, status: badRequest},
		{name: "the authorization code grant is unsupported without credentials", body: form("grant_type", "authorization_code", "code", "x"), code: oauth.CodeUnsupportedGrantType, status: badRequest},
		{name: "two grant types in one parameter are unsupported", auth: ok, body: form("grant_type", "client_credentials password"), code: oauth.CodeUnsupportedGrantType, status: badRequest},

		// Scope and audience.
		{name: "a scope the account may not request is refused", auth: ok, body: grant("scope", "data.items:delete"), code: oauth.CodeInvalidScope, status: badRequest, mention: "'data.items:delete'"},
		{name: "one disallowed scope among allowed ones is refused", auth: ok, body: grant("scope", "data.items:read data.items:delete"), code: oauth.CodeInvalidScope, status: badRequest, mention: "data.items:delete"},
		{name: "a scope that is a prefix of an allowed one is refused", auth: ok, body: grant("scope", "data.items"), code: oauth.CodeInvalidScope, status: badRequest},
		{name: "a scope with a quote is reflected without the quote", auth: ok, body: grant("scope", `"x`), code: oauth.CodeInvalidScope, status: badRequest, mention: "'x"},
		{name: "an audience the account may not request is refused", auth: ok, body: grant("audience", "https://evil.test"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "https://evil.test"},
		{name: "one disallowed audience among allowed ones is refused", auth: ok, body: grant("audience", "https://api.acme.test", "audience", "https://evil.test"), code: oauth.CodeInvalidTarget, status: badRequest},
		{name: "the audience of another account is refused", body: grant("client_id", otherID, "client_secret", otherSecret, "audience", "https://api.acme.test"), code: oauth.CodeInvalidTarget, status: badRequest},
		{name: "a resource the account may not request is refused", auth: ok, body: grant("resource", "https://evil.test/"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "https://evil.test/"},
		{name: "a relative resource is refused", auth: ok, body: grant("resource", "/api"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "absolute URI"},
		{name: "a resource with a fragment is refused even if allowed", auth: ok, body: grant("resource", "https://api.acme.test#frag"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "fragment"},
		{name: "a resource with an empty fragment is refused", auth: ok, body: grant("resource", "https://api.acme.test#"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "fragment"},
		{name: "a resource that is no URI is refused", auth: ok, body: grant("resource", "https://api.acme.test/%zz"), code: oauth.CodeInvalidTarget, status: badRequest},
		{name: "a resource with control characters is reflected sanitized", auth: ok, body: grant("resource", "x\n\"\\é"), code: oauth.CodeInvalidTarget, status: badRequest, mention: "x?'??"},
		{name: "a long audience is quoted cut short", auth: ok, body: grant("audience", "https://evil.test/"+strings.Repeat("a", 4000)), code: oauth.CodeInvalidTarget, status: badRequest, mention: "'https://evil.test/aaaaaaaaaaaaaa...'"},
		{name: "a long scope is quoted cut short", auth: ok, body: grant("scope", strings.Repeat("s", 4000)), code: oauth.CodeInvalidScope, status: badRequest, mention: "'" + strings.Repeat("s", 32) + "...'"},
		{name: "a secret sent as the audience is not sent back whole", auth: ok, body: grant("audience", secret), code: oauth.CodeInvalidTarget, status: badRequest},
		{name: "a secret sent as a resource is not sent back whole", auth: ok, body: grant("resource", "urn:"+secret), code: oauth.CodeInvalidTarget, status: badRequest},
		{name: "a secret sent as the scope is not sent back whole", auth: ok, body: grant("scope", "data.items:read "+secret), code: oauth.CodeInvalidScope, status: badRequest},

		// Form.
		{name: "a repeated grant_type is refused", auth: ok, body: form("grant_type", "client_credentials", "grant_type", "client_credentials"), code: oauth.CodeInvalidRequest, status: badRequest, mention: "'grant_type'"},
		{name: "a repeated scope is refused", auth: ok, body: grant("scope", "data.items:read", "scope", "data.items:write"), code: oauth.CodeInvalidRequest, status: badRequest, mention: "'scope'"},
		{name: "a repeated client_id is refused", body: grant("client_id", id, "client_id", id, "client_secret", secret), code: oauth.CodeInvalidRequest, status: badRequest, mention: "'client_id'"},
		{name: "a repeated client_secret is refused", body: grant("client_id", id, "client_secret", secret, "client_secret", secret), code: oauth.CodeInvalidRequest, status: badRequest, mention: "'client_secret'"},
		{name: "a JSON body is refused", contentType: "application/json", auth: ok, body: []byte(`{"grant_type":"client_credentials"}`), code: oauth.CodeInvalidRequest, status: badRequest, mention: "x-www-form-urlencoded"},
		{name: "a request without content type is refused", contentType: "-", auth: ok, body: grant(), code: oauth.CodeInvalidRequest, status: badRequest, mention: "x-www-form-urlencoded"},
		{name: "a multipart body is refused", contentType: "multipart/form-data; boundary=x", auth: ok, body: grant(), code: oauth.CodeInvalidRequest, status: badRequest},
		{name: "an empty body is refused", auth: ok, body: nil, code: oauth.CodeInvalidRequest, status: badRequest, mention: "empty"},
		{name: "a body that is not form encoding is refused", auth: ok, body: []byte("grant_type=%zz"), code: oauth.CodeInvalidRequest, status: badRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			switch ct {
			case "":
				ct = formType
			case "-":
				ct = ""
			}
			resp, err := srv.Token(e.ctx, oauth.TokenRequest{
				ContentType: ct, Body: tc.body, Query: tc.query, Authorization: tc.auth, ClientAddr: "198.51.100.7",
			})
			if err == nil {
				t.Fatalf("Token issued a token (scope %q), want %s", resp.Scope, tc.code)
			}
			oe := wantError(t, err, tc.code, tc.status, secret, otherSecret, inactiveSecret, archivedSecret, expiredSecret, wrongSecret)
			if oe.RetryAfter != 0 {
				t.Errorf("RetryAfter %v on a refusal that is not throttling", oe.RetryAfter)
			}
			if tc.mention != "" && !strings.Contains(oe.Description, tc.mention) {
				t.Errorf("description %q does not mention %q", oe.Description, tc.mention)
			}
		})
	}

	// The refusals give a client nothing to tell them apart.
	t.Run("every refused credential gets the same description", func(t *testing.T) {
		descs := map[string]bool{}
		for _, auth := range []string{basic(id, wrongSecret), basic(id, otherSecret), basic(inactiveID, inactiveSecret),
			basic(expiringID, expiredSecret), basic(archivedID, archivedSecret), basic(id, forgeSecret(t, randomKeyID())), basic("ghost@acme.iam", secret)} {
			_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: grant(), Authorization: auth})
			descs[wantError(t, err, oauth.CodeInvalidClient, unauthorized).Description] = true
		}
		if len(descs) != 1 {
			t.Errorf("refused credentials are told apart by %d descriptions: %v", len(descs), slices.Collect(maps.Keys(descs)))
		}
	})
}

// flip returns another base32 character than c.
func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func TestTokenServerErrors(t *testing.T) {
	t.Run("a failing database answers server_error without details and logs it", func(t *testing.T) {
		e := newEnv(t, signing.ES256)
		id, _, secret := e.account("sync", syncScopes, nil)
		srv := e.server(oauth.Config{Throttle: oauth.ThrottleConfig{ClientBurst: 2, ClientEvery: time.Hour, AddrBurst: 2, AddrEvery: time.Hour}})
		e.store.setFailCredential(errors.New("disk I/O error: /var/lib/iamd/iamd.db"))
		for range 5 {
			_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret), ClientAddr: "192.0.2.9"})
			oe := wantError(t, err, oauth.CodeServerError, http.StatusInternalServerError, secret, "disk", "iamd.db")
			if oe.RetryAfter != 0 {
				t.Errorf("RetryAfter %v, want none", oe.RetryAfter)
			}
		}
		if !strings.Contains(e.logs.String(), "disk I/O error") {
			t.Errorf("the internal error was not logged; log:\n%s", e.logs.String())
		}
		// Database failures are not the client's: they do not drain its
		// throttle budget (2 here).
		e.store.setFailCredential(nil)
		if _, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret), ClientAddr: "192.0.2.9"}); err != nil {
			t.Fatalf("after the database recovered: %v", err)
		}
	})
	t.Run("without an active signing key the server answers server_error", func(t *testing.T) {
		e := newEnv(t, "")
		id, _, secret := e.account("sync", syncScopes, nil)
		if e.keys.CanSign() {
			t.Fatal("CanSign with no key")
		}
		srv := e.server(oauth.Config{Throttle: generous})
		_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret)})
		wantError(t, err, oauth.CodeServerError, http.StatusInternalServerError, secret)
	})
	t.Run("a key that only activates later cannot sign yet", func(t *testing.T) {
		e := newEnv(t, "")
		id, _, secret := e.account("sync", syncScopes, nil)
		if _, err := e.keys.Rotate(e.ctx, signing.ES256, time.Minute); err != nil {
			t.Fatal(err)
		}
		srv := e.server(oauth.Config{Throttle: generous})
		_, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret)})
		wantError(t, err, oauth.CodeServerError, http.StatusInternalServerError, secret)
		e.clock.Advance(time.Minute)
		if !e.keys.CanSign() {
			t.Fatal("CanSign false once the key activated")
		}
		e.token(srv, id, secret)
	})
}
