package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/web"
)

// postForm posts form to path over HTTP on loopback, authenticating c
// with HTTP Basic unless c is empty.
func (f *fixture) postForm(t testing.TB, path string, c creds, form url.Values) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.serve(t)+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c != (creds{}) {
		req.Header.Set("Authorization", basicAuth(c.ClientID, c.Secret))
	}
	res, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, res)
}

// introspect asks the introspection endpoint about token as c.
func (f *fixture) introspect(t testing.TB, c creds, token string) *response {
	t.Helper()
	return f.postForm(t, oauth.IntrospectionPath, c, url.Values{"token": {token}, "token_type_hint": {"access_token"}})
}

// active introspects token as c and reports whether it is active.
func (f *fixture) active(t testing.TB, c creds, token string) bool {
	t.Helper()
	r := f.introspect(t, c, token)
	wantNoStore(t, r)
	return decode[oauth.Introspection](t, r, http.StatusOK).Active
}

// revokeAt asks the revocation endpoint to revoke token as c.
func (f *fixture) revokeAt(t testing.TB, c creds, token string) *response {
	t.Helper()
	return f.postForm(t, oauth.RevocationPath, c, url.Values{"token": {token}})
}

// feed fetches the revocation feed with If-None-Match etag, if set.
func (f *fixture) feed(t testing.TB, etag string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.serve(t)+resource.RevocationsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, res)
}

func (f *fixture) revocations(t testing.TB) resource.Revocations {
	t.Helper()
	return decode[resource.Revocations](t, f.feed(t, ""), http.StatusOK)
}

// tokenClaims reads a token's claims without verifying it.
func tokenClaims(t testing.TB, token string) resource.Claims {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c resource.Claims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// revocationWorld is an organization billing with a service account svc,
// an auditor holding viewer (iam.tokens:read) on billing, an operator
// holding developer (iam.tokens:write) on billing, and an outsider
// holding nothing; and sales, with an account of its own.
type revocationWorld struct {
	admin                       string
	svc, auditor, operator, out creds
	seller                      creds
}

func newRevocationWorld(t *testing.T, f *fixture) revocationWorld {
	t.Helper()
	w := revocationWorld{admin: f.adminToken(t)}
	f.createOrg(t, w.admin, "billing")
	f.createOrg(t, w.admin, "sales")
	api := []string{oauth.ManagementAudience}
	w.svc = f.client(t, w.admin, web.CreateAccountRequest{ID: "svc", Org: "billing", AllowedAudiences: api})
	f.assign(t, w.admin, w.svc.ClientID, role("acme/viewer", "billing"))
	w.auditor, _ = f.member(t, w.admin, "auditor", "acme", role("acme/viewer", "billing"))
	w.operator, _ = f.member(t, w.admin, "operator", "acme", role("acme/developer", "billing"))
	w.out = f.client(t, w.admin, web.CreateAccountRequest{ID: "outsider", Org: "acme"})
	w.seller = f.client(t, w.admin, web.CreateAccountRequest{ID: "seller", Org: "sales", AllowedAudiences: api})
	return w
}

func TestIntrospection(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		tok := f.accessToken(t, w.svc)

		t.Run("an active token is described", func(t *testing.T) {
			r := f.introspect(t, w.auditor, tok)
			wantNoStore(t, r)
			got := decode[oauth.Introspection](t, r, http.StatusOK)
			c := tokenClaims(t, tok)
			want := oauth.Introspection{
				Active: true, Scope: c.Scope, ClientID: w.svc.ClientID, Subject: w.svc.ClientID,
				Audience: []string{issuer}, Issuer: issuer, Expiry: c.Expiry, IssuedAt: c.IssuedAt,
				NotBefore: c.NotBefore, ID: c.ID, TokenType: "Bearer", Org: "billing", Account: c.Account,
			}
			if got.Scope == "" || got.Account == "" || got.Expiry-got.IssuedAt != int64(tokenTTL/time.Second) {
				t.Errorf("introspection %+v lacks claims", got)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("introspection\n got %s\nwant %s", gotJSON, wantJSON)
			}
		})
		t.Run("a caller holding iam.tokens:read nowhere is refused, naming the right", func(t *testing.T) {
			e := wantOAuthError(t, f.introspect(t, w.out, tok), http.StatusForbidden, oauth.CodeAccessDenied)
			if !strings.Contains(e.Description, "iam.tokens:read") {
				t.Errorf("description %q does not name the right", e.Description)
			}
		})
		t.Run("bad caller credentials are invalid_client, as at the token endpoint", func(t *testing.T) {
			bad := w.auditor
			bad.Secret = w.svc.Secret
			r := f.introspect(t, bad, tok)
			wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient)
			wantHeader(t, r, "WWW-Authenticate", `Basic realm="iamd", charset="UTF-8"`)
			wantOAuthError(t, f.introspect(t, creds{}, tok), http.StatusUnauthorized, oauth.CodeInvalidClient)
		})
		t.Run("a request without a token is invalid_request", func(t *testing.T) {
			wantOAuthError(t, f.postForm(t, oauth.IntrospectionPath, w.auditor, url.Values{}), http.StatusBadRequest, oauth.CodeInvalidRequest)
		})
		t.Run("GET is refused as an OAuth error", func(t *testing.T) {
			r := f.feedLike(t, oauth.IntrospectionPath)
			wantOAuthError(t, r, http.StatusMethodNotAllowed, oauth.CodeInvalidRequest)
			wantHeader(t, r, "Allow", http.MethodPost)
		})

		parts := strings.Split(tok, ".")
		forged := resource.Claims{}
		_ = json.Unmarshal(mustB64(t, parts[1]), &forged)
		forged.Scope = "iam.keys:write"
		fb, _ := json.Marshal(forged)
		other := newFixture(t)
		otherAdmin := other.adminToken(t)
		for _, c := range []struct{ name, token string }{
			{"a malformed token", "not-a-token"},
			{"a token with its payload changed", parts[0] + "." + base64.RawURLEncoding.EncodeToString(fb) + "." + parts[2]},
			{"a token with another signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))},
			{"a token of another server", otherAdmin},
		} {
			t.Run(c.name+" is inactive", func(t *testing.T) {
				r := f.introspect(t, w.auditor, c.token)
				if string(r.Body) != `{"active":false}` {
					t.Errorf("body %s, want exactly {\"active\":false}", r.Body)
				}
			})
		}
		t.Run("a token of an account in an organization the caller may not see is inactive", func(t *testing.T) {
			if f.active(t, w.auditor, f.accessToken(t, w.seller)) {
				t.Error("a token of sales is active for an auditor of billing")
			}
		})
		t.Run("an expired token is inactive, and one not valid yet", func(t *testing.T) {
			old := f.accessToken(t, w.svc)
			f.clock.Advance(tokenTTL + 2*resource.DefaultLeeway)
			expired := f.active(t, w.auditor, old)
			young := f.accessToken(t, w.svc)
			f.clock.Advance(-(tokenTTL + 2*resource.DefaultLeeway) - 5*time.Minute)
			early := f.active(t, w.auditor, young)
			f.clock.Advance(5 * time.Minute)
			if expired || early {
				t.Errorf("expired token active %v, not-yet-valid token active %v", expired, early)
			}
			if !f.active(t, w.auditor, old) {
				t.Error("the token is inactive back in its lifetime")
			}
		})
		t.Run("a revoked token is inactive", func(t *testing.T) {
			own := f.accessToken(t, w.svc)
			if r := f.revokeAt(t, w.svc, own); r.Status != http.StatusOK {
				t.Fatalf("revoke: %d %s", r.Status, r.Body)
			}
			if f.active(t, w.auditor, own) {
				t.Error("a revoked token is active")
			}
			if !f.active(t, w.auditor, tok) {
				t.Error("revoking one token made another inactive")
			}
		})
		t.Run("the tokens of an archived or deleted account are inactive", func(t *testing.T) {
			arch := f.client(t, w.admin, web.CreateAccountRequest{ID: "arch", Org: "billing"})
			gone := f.client(t, w.admin, web.CreateAccountRequest{ID: "gone", Org: "billing"})
			archTok, goneTok := f.accessToken(t, arch), f.accessToken(t, gone)
			decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+arch.ClientID+"/archive", w.admin, nil), http.StatusOK)
			if r := f.call(t, http.MethodDelete, "/api/v1/accounts/"+gone.ClientID, w.admin, nil); r.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			if f.active(t, w.auditor, archTok) || f.active(t, w.auditor, goneTok) {
				t.Error("a token of an archived or deleted account is active")
			}
		})
	})
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// feedLike sends a GET to path over HTTP.
func (f *fixture) feedLike(t testing.TB, path string) *response {
	t.Helper()
	res, err := f.hc.Get(f.serve(t) + path)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, res)
}

func TestRevocation(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)

		t.Run("an account revokes its own token", func(t *testing.T) {
			tok := f.accessToken(t, w.seller)
			r := f.revokeAt(t, w.seller, tok)
			if r.Status != http.StatusOK || len(r.Body) != 0 {
				t.Fatalf("status %d body %q, want 200 and no body", r.Status, r.Body)
			}
			wantNoStore(t, r)
			if f.active(t, w.auditor, f.accessToken(t, w.svc)) != true {
				t.Fatal("setup: the auditor sees no active token")
			}
			jti := tokenClaims(t, tok).ID
			if !feedHasToken(f.revocations(t), jti) {
				t.Error("the feed does not list the revoked token")
			}
		})
		t.Run("another account's token is refused without iam.tokens:write on its organization", func(t *testing.T) {
			tok := f.accessToken(t, w.svc)
			for _, c := range []creds{w.out, w.auditor, w.seller} {
				wantOAuthError(t, f.revokeAt(t, c, tok), http.StatusBadRequest, oauth.CodeUnauthorizedClient)
			}
			if !f.active(t, w.auditor, tok) {
				t.Error("a refused revocation revoked the token")
			}
		})
		t.Run("another account's token is revoked with iam.tokens:write, audited, and again changes nothing", func(t *testing.T) {
			tok := f.accessToken(t, w.svc)
			for range 2 {
				if r := f.revokeAt(t, w.operator, tok); r.Status != http.StatusOK {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
			}
			if f.active(t, w.auditor, tok) {
				t.Error("the token is still active")
			}
			list := decode[web.AuditList](t, f.call(t, http.MethodGet, "/api/v1/audit?actor="+url.QueryEscape(w.operator.ClientID), w.admin, nil), http.StatusOK)
			n := 0
			for _, e := range list.Items {
				if e.Action == "token.revoke" && e.Target == w.svc.ClientID && e.Org == "billing" &&
					strings.Contains(string(e.After), tokenClaims(t, tok).ID) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d audit entries of the revocation, want 1: %+v", n, list.Items)
			}
		})
		t.Run("malformed, foreign and expired tokens are answered 200", func(t *testing.T) {
			old := f.accessToken(t, w.svc)
			f.clock.Advance(tokenTTL + 2*resource.DefaultLeeway)
			defer f.clock.Advance(-(tokenTTL + 2*resource.DefaultLeeway))
			for _, tok := range []string{"garbage", "a.b.c", newFixture(t).adminToken(t), old} {
				if r := f.revokeAt(t, w.out, tok); r.Status != http.StatusOK {
					t.Errorf("status %d: %s", r.Status, r.Body)
				}
			}
		})
		t.Run("bad caller credentials are invalid_client", func(t *testing.T) {
			bad := w.operator
			bad.Secret = w.svc.Secret
			wantOAuthError(t, f.revokeAt(t, bad, f.accessToken(t, w.svc)), http.StatusUnauthorized, oauth.CodeInvalidClient)
		})
		t.Run("a request without a token is invalid_request", func(t *testing.T) {
			wantOAuthError(t, f.postForm(t, oauth.RevocationPath, w.svc, url.Values{}), http.StatusBadRequest, oauth.CodeInvalidRequest)
		})
		t.Run("GET is refused as an OAuth error", func(t *testing.T) {
			wantOAuthError(t, f.feedLike(t, oauth.RevocationPath), http.StatusMethodNotAllowed, oauth.CodeInvalidRequest)
		})
	})
}

func feedHasToken(r resource.Revocations, jti string) bool {
	for _, t := range r.Tokens {
		if t.ID == jti {
			return true
		}
	}
	return false
}

func TestAPIRefusesRevokedTokens(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		svcAPI := f.apiToken(t, w.svc)
		opAPI := f.apiToken(t, w.operator)
		auditorAPI := f.apiToken(t, w.auditor)
		revoke := func(token string, in web.RevokeTokensRequest) *response {
			return f.call(t, http.MethodPost, "/api/v1/tokens/revoke", token, in)
		}

		t.Run("an admin without iam.tokens:write is refused", func(t *testing.T) {
			wantAPIError(t, revoke(auditorAPI, web.RevokeTokensRequest{Token: svcAPI}), http.StatusForbidden, "forbidden")
			if r := f.call(t, http.MethodGet, "/api/v1/orgs", svcAPI, nil); r.Status != http.StatusOK {
				t.Fatalf("the token stopped working: %d", r.Status)
			}
		})
		t.Run("an account revokes its own token, which the API then refuses", func(t *testing.T) {
			own := f.apiToken(t, w.seller)
			got := decode[web.Revocation](t, revoke(own, web.RevokeTokensRequest{Token: own}), http.StatusOK)
			if got.JTI != tokenClaims(t, own).ID || got.ClientID != w.seller.ClientID {
				t.Errorf("revocation %+v", got)
			}
			r := f.call(t, http.MethodGet, "/api/v1/orgs", own, nil)
			wantAPIError(t, r, http.StatusUnauthorized, "unauthenticated")
			wantHeader(t, r, "WWW-Authenticate", `Bearer realm="iamd", error="invalid_token"`)
		})
		t.Run("an admin with iam.tokens:write revokes another's token", func(t *testing.T) {
			decode[web.Revocation](t, revoke(opAPI, web.RevokeTokensRequest{Token: svcAPI}), http.StatusOK)
			wantAPIError(t, f.call(t, http.MethodGet, "/api/v1/orgs", svcAPI, nil), http.StatusUnauthorized, "unauthenticated")
			if r := f.call(t, http.MethodGet, "/api/v1/orgs", opAPI, nil); r.Status != http.StatusOK {
				t.Errorf("the revoker's token stopped working: %d", r.Status)
			}
		})
		t.Run("a malformed token or a request of nothing is a bad request", func(t *testing.T) {
			wantAPIError(t, revoke(opAPI, web.RevokeTokensRequest{Token: "nope"}), http.StatusBadRequest, "invalid_argument")
			wantAPIError(t, revoke(opAPI, web.RevokeTokensRequest{}), http.StatusBadRequest, "invalid_argument")
			wantAPIError(t, revoke(opAPI, web.RevokeTokensRequest{Key: "k"}), http.StatusBadRequest, "invalid_argument")
			wantAPIError(t, revoke(opAPI, web.RevokeTokensRequest{Token: svcAPI, Account: w.svc.ClientID}), http.StatusBadRequest, "invalid_argument")
		})
	})
}

func TestRevokeTokensCutoffs(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		opAPI := f.apiToken(t, w.operator)
		k2 := credsOf(f.createKey(t, w.admin, w.svc.ClientID, web.CreateKeyRequest{Label: "second"}))
		works := func(token string) bool {
			return f.call(t, http.MethodGet, "/api/v1/orgs", token, nil).Status == http.StatusOK
		}

		t.Run("deactivating a key with revoke_tokens revokes the tokens issued with it only", func(t *testing.T) {
			t1, t2 := f.apiToken(t, w.svc), f.apiToken(t, k2)
			decode[web.Key](t, f.call(t, http.MethodPost, "/api/v1/keys/"+w.svc.KeyID+"/deactivate", opAPI,
				web.RetireRequest{RevokeTokens: true}), http.StatusOK)
			if works(t1) {
				t.Error("a token of the deactivated key still works")
			}
			if !works(t2) || !works(f.apiToken(t, k2)) {
				t.Error("tokens of the other key stopped working")
			}
			rev := f.revocations(t)
			c := tokenClaims(t, t1)
			if len(rev.Cutoffs) != 1 || rev.Cutoffs[0].Account != c.Account || rev.Cutoffs[0].Key != w.svc.KeyID ||
				rev.Cutoffs[0].IssuedBefore <= c.IssuedAt || rev.Cutoffs[0].Expiry < rev.Cutoffs[0].IssuedBefore+int64(tokenTTL/time.Second) {
				t.Errorf("feed cutoffs %+v", rev.Cutoffs)
			}
			if !rev.Revoked(&c) {
				t.Error("the feed does not revoke the token")
			}
		})
		t.Run("revoke_tokens needs iam.tokens:write and changes nothing when refused", func(t *testing.T) {
			keysOnly := f.createRole(t, w.admin, web.CreateRoleRequest{Org: "acme", Name: "key-keeper", Rights: []string{"iam.keys:read", "iam.keys:write"}})
			_, keeper := f.member(t, w.admin, "keeper", "acme", role(keysOnly.Ref, "billing"))
			k3 := credsOf(f.createKey(t, w.admin, w.svc.ClientID, web.CreateKeyRequest{Label: "third"}))
			wantAPIError(t, f.call(t, http.MethodPost, "/api/v1/keys/"+k3.KeyID+"/deactivate", keeper, web.RetireRequest{RevokeTokens: true}), http.StatusForbidden, "forbidden")
			k := decode[web.Key](t, f.call(t, http.MethodGet, "/api/v1/keys/"+k3.KeyID, w.admin, nil), http.StatusOK)
			if k.Status != "active" {
				t.Errorf("the refused deactivation deactivated the key: %s", k.Status)
			}
			// An empty body still deactivates, as before.
			decode[web.Key](t, f.call(t, http.MethodPost, "/api/v1/keys/"+k3.KeyID+"/deactivate", keeper, nil), http.StatusOK)
		})
		t.Run("deleting a key with revoke_tokens revokes its tokens", func(t *testing.T) {
			k4 := credsOf(f.createKey(t, w.admin, w.svc.ClientID, web.CreateKeyRequest{Label: "fourth"}))
			t4 := f.apiToken(t, k4)
			if r := f.call(t, http.MethodDelete, "/api/v1/keys/"+k4.KeyID, opAPI, web.RetireRequest{RevokeTokens: true}); r.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			if works(t4) {
				t.Error("a token of the deleted key still works")
			}
			if !works(f.apiToken(t, k2)) {
				t.Error("tokens of the other key stopped working")
			}
		})
		t.Run("archiving an account with revoke_tokens revokes all its tokens, and restoring it lets new ones work", func(t *testing.T) {
			before := f.apiToken(t, k2)
			decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+w.svc.ClientID+"/archive", w.admin,
				web.RetireRequest{RevokeTokens: true}), http.StatusOK)
			decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+w.svc.ClientID+"/restore", w.admin, nil), http.StatusOK)
			if works(before) {
				t.Error("a token issued before the archive works after the restore")
			}
			// The cutoff covers the whole second it was made in.
			f.clock.Advance(time.Second)
			if !works(f.apiToken(t, k2)) {
				t.Error("a token issued after the restore is refused")
			}
		})
		t.Run("a cutoff by account and key through the API", func(t *testing.T) {
			tok := f.apiToken(t, k2)
			got := decode[web.Revocation](t, f.call(t, http.MethodPost, "/api/v1/tokens/revoke", opAPI,
				web.RevokeTokensRequest{Account: w.svc.ClientID, Key: k2.KeyID}), http.StatusOK)
			if got.Key != k2.KeyID || got.IssuedBefore == nil || got.ClientID != w.svc.ClientID {
				t.Errorf("revocation %+v", got)
			}
			if works(tok) {
				t.Error("the token still works")
			}
			wantAPIError(t, f.call(t, http.MethodPost, "/api/v1/tokens/revoke", opAPI,
				web.RevokeTokensRequest{Account: w.svc.ClientID, Key: w.seller.KeyID}), http.StatusNotFound, "not_found")
			wantAPIError(t, f.call(t, http.MethodPost, "/api/v1/tokens/revoke", opAPI,
				web.RevokeTokensRequest{Account: w.seller.ClientID}), http.StatusForbidden, "forbidden")
		})
	})
}

func TestRevocationFeed(t *testing.T) {
	onBothBackends(t, func(t *testing.T, opts ...option) {
		f := newFixture(t, opts...)
		w := newRevocationWorld(t, f)
		r := f.feed(t, "")
		empty := decode[resource.Revocations](t, r, http.StatusOK)
		if empty.Issuer != issuer || empty.Tokens == nil || len(empty.Tokens) != 0 || empty.Cutoffs == nil || len(empty.Cutoffs) != 0 {
			t.Errorf("empty feed %s", r.Body)
		}
		wantHeader(t, r, "Cache-Control", "public, max-age=30")
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if r := f.feed(t, etag); r.Status != http.StatusNotModified || len(r.Body) != 0 {
			t.Errorf("If-None-Match: status %d, want 304", r.Status)
		}

		tok := f.accessToken(t, w.svc)
		f.revokeAt(t, w.svc, tok)
		r = f.feed(t, etag)
		if r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
			t.Fatalf("after a revocation: status %d, etag %q (was %q)", r.Status, r.Header.Get("ETag"), etag)
		}
		got := decode[resource.Revocations](t, r, http.StatusOK)
		c := tokenClaims(t, tok)
		if len(got.Tokens) != 1 || got.Tokens[0] != (resource.RevokedToken{ID: c.ID, Expiry: c.Expiry}) {
			t.Errorf("feed tokens %+v, want the jti and exp of %+v", got.Tokens, c)
		}
		if r := f.feed(t, r.Header.Get("ETag")); r.Status != http.StatusNotModified {
			t.Errorf("unchanged feed: status %d, want 304", r.Status)
		}

		t.Run("an entry leaves the feed once its token expired, past twice the leeway", func(t *testing.T) {
			// A verifier whose clock runs a leeway behind accepts the token
			// until exp plus twice the leeway by iamd's clock.
			// exp is in whole seconds and the clock runs on: keep clear
			// of the boundary by a few seconds either side.
			f.clock.Advance(tokenTTL + 2*resource.DefaultLeeway - 5*time.Second)
			if got := f.revocations(t); len(got.Tokens) != 1 {
				t.Errorf("before twice the leeway ran out: %+v", got.Tokens)
			}
			f.clock.Advance(7 * time.Second)
			if got := f.revocations(t); len(got.Tokens) != 0 {
				t.Errorf("after expiry: %+v", got.Tokens)
			}
		})
	})
}

// TestRevocationAcrossInstances runs two instances on one PostgreSQL database, as a
// deployment does: a revocation made on one is seen at once by the other's
// introspection, management API and feed.
func TestRevocationAcrossInstances(t *testing.T) {
	// Instances share a PostgreSQL database; SQLite is one process's.
	onPostgres(t, func(t *testing.T, opts ...option) {
		a := newFixture(t, opts...)
		w := newRevocationWorld(t, a)
		b := a.twin(t)
		tok := a.apiToken(t, w.svc)
		feedB := b.feed(t, "")
		if r := b.call(t, http.MethodGet, "/api/v1/orgs", tok, nil); r.Status != http.StatusOK || !b.active(t, w.auditor, tok) {
			t.Fatalf("instance B does not take the token before its revocation: %d", r.Status)
		}
		if r := a.revokeAt(t, w.svc, tok); r.Status != http.StatusOK {
			t.Fatalf("revoke on A: %d %s", r.Status, r.Body)
		}
		if b.active(t, w.auditor, tok) {
			t.Error("B's introspection says the token revoked on A is active")
		}
		wantAPIError(t, b.call(t, http.MethodGet, "/api/v1/orgs", tok, nil), http.StatusUnauthorized, "unauthenticated")
		r := b.feed(t, feedB.Header.Get("ETag"))
		if r.Status != http.StatusOK || !feedHasToken(decode[resource.Revocations](t, r, http.StatusOK), tokenClaims(t, tok).ID) {
			t.Errorf("B's feed does not list the token revoked on A: %d %s", r.Status, r.Body)
		}

		// A cutoff made on B, through its API, holds on A.
		other := a.apiToken(t, w.svc)
		decode[web.Revocation](t, b.call(t, http.MethodPost, "/api/v1/tokens/revoke", w.admin,
			web.RevokeTokensRequest{Account: w.svc.ClientID}), http.StatusOK)
		if a.active(t, w.auditor, other) {
			t.Error("A's introspection says a token under B's cutoff is active")
		}
	})
}

func TestDiscoveryAdvertisesIntrospectionAndRevocation(t *testing.T) {
	f := newFixture(t)
	var m map[string]any
	if err := json.Unmarshal(f.get(t, "/.well-known/oauth-authorization-server").Body, &m); err != nil {
		t.Fatal(err)
	}
	if m["introspection_endpoint"] != issuer+oauth.IntrospectionPath || m["revocation_endpoint"] != issuer+oauth.RevocationPath {
		t.Errorf("metadata %v", m)
	}
	want, _ := json.Marshal(m["token_endpoint_auth_methods_supported"])
	for _, k := range []string{"introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		if got, _ := json.Marshal(m[k]); string(got) != string(want) {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}

// TestIntrospectionAndRevocationShareTheTokenEndpointThrottle: failures at
// either endpoint count against the buckets of the token endpoint, and are
// answered as it answers them.
func TestIntrospectionAndRevocationShareTheTokenEndpointThrottle(t *testing.T) {
	f := newFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 100, ClientEvery: time.Second, AddrBurst: 3, AddrEvery: time.Hour}))
	w := newRevocationWorld(t, f)
	bad := w.auditor
	bad.Secret = w.svc.Secret
	tok := f.accessToken(t, w.svc)
	wantOAuthError(t, f.introspect(t, bad, tok), http.StatusUnauthorized, oauth.CodeInvalidClient)
	wantOAuthError(t, f.revokeAt(t, bad, tok), http.StatusUnauthorized, oauth.CodeInvalidClient)
	wantOAuthError(t, f.introspect(t, bad, tok), http.StatusUnauthorized, oauth.CodeInvalidClient)
	for _, r := range []*response{
		f.introspect(t, bad, tok),
		f.revokeAt(t, bad, tok),
		postToken(t, f.hc, f.serve(t), grant(), "Authorization", basicAuth(bad.ClientID, bad.Secret)),
	} {
		wantOAuthError(t, r, http.StatusTooManyRequests, oauth.CodeInvalidClient)
		if r.Header.Get("Retry-After") == "" {
			t.Error("a 429 without Retry-After")
		}
	}
	// A correct secret is never refused for others' failures.
	if !f.active(t, w.auditor, tok) {
		t.Error("the auditor's correct credentials are refused")
	}
}

func TestIntrospectionRefusesOversizedAndMalformedRequests(t *testing.T) {
	f := newFixture(t)
	w := newRevocationWorld(t, f)
	for _, path := range []string{oauth.IntrospectionPath, oauth.RevocationPath} {
		r := f.postForm(t, path, w.auditor, url.Values{"token": {strings.Repeat("a", 17<<10)}})
		wantOAuthError(t, r, http.StatusRequestEntityTooLarge, oauth.CodeInvalidRequest)
		r = f.postForm(t, path, w.auditor, url.Values{"token": {"a", "b"}})
		wantOAuthError(t, r, http.StatusBadRequest, oauth.CodeInvalidRequest)
		req, _ := http.NewRequest(http.MethodPost, f.serve(t)+path, strings.NewReader(`{"token": "x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", basicAuth(w.auditor.ClientID, w.auditor.Secret))
		res, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wantOAuthError(t, readResponse(t, res), http.StatusBadRequest, oauth.CodeInvalidRequest)
	}
}

// TestIntrospectionAndRevocationTakePrivateKeyJWT: a caller authenticating
// with a key-pair key, as at the token endpoint, introspects and revokes;
// its assertion is single use there too.
func TestIntrospectionAndRevocationTakePrivateKeyJWT(t *testing.T) {
	f := newFixture(t)
	w := newRevocationWorld(t, f)
	k := f.keyPair(t, w.admin, w.operator.ClientID, web.CreateKeyRequest{Label: "pair"})
	tok := f.accessToken(t, w.svc)
	form := func(a string) url.Values {
		return url.Values{"token": {tok}, "client_assertion_type": {accounts.AssertionType}, "client_assertion": {a}}
	}
	a := signed(t, k.KeyFile.PrivateKey, k.Algorithm, k.KID, assertionClaims(w.operator.ClientID, issuer, f.clock.Now()))
	if got := decode[oauth.Introspection](t, f.postForm(t, oauth.IntrospectionPath, creds{}, form(a)), http.StatusOK); !got.Active {
		t.Fatalf("introspection with an assertion: %+v", got)
	}
	wantOAuthError(t, f.postForm(t, oauth.RevocationPath, creds{}, form(a)), http.StatusUnauthorized, oauth.CodeInvalidClient)
	a = signed(t, k.KeyFile.PrivateKey, k.Algorithm, k.KID, assertionClaims(w.operator.ClientID, issuer+oauth.TokenPath, f.clock.Now()))
	if r := f.postForm(t, oauth.RevocationPath, creds{}, form(a)); r.Status != http.StatusOK {
		t.Fatalf("revocation with an assertion: %d %s", r.Status, r.Body)
	}
	if f.active(t, w.auditor, tok) {
		t.Error("the token revoked by a key-pair caller is active")
	}
}
