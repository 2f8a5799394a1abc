package web_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/web"
)

// The rights of the role tokenFixture gives its account.
const (
	readInvoices  = "billing.invoices:read"
	writeInvoices = "billing.invoices:write"
	// invoiceScope is the scope of a token requested without one.
	invoiceScope = readInvoices + " " + writeInvoices
)

// tokenFixture adds to a fixture the organization billing, the permission
// billing.invoices, the role acme/invoices holding it to read and write,
// and the account sync@billing.iam, allowed the audience
// https://api.example.com, with one key and that role on billing.
func tokenFixture(t testing.TB, opts ...option) (*fixture, creds) {
	t.Helper()
	f := newFixture(t, opts...)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	f.createPermission(t, tok, "billing.invoices")
	f.createRole(t, tok, web.CreateRoleRequest{Org: rootOrg, Name: "invoices", Rights: []string{readInvoices, writeInvoices}})
	c := f.client(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing", AllowedAudiences: []string{"https://api.example.com"}})
	f.assign(t, tok, c.ClientID, web.AssignRequest{Role: rootOrg + "/invoices", On: []string{"billing"}})
	return f, c
}

func TestTokenEndpointIssuesAccessTokens(t *testing.T) {
	f, sync := tokenFixture(t)
	tests := []struct {
		name     string
		req      func() *http.Request
		wantAud  []string
		wantScop string
	}{
		{
			name:     "client_secret_basic without scope or resource gets every allowed scope for the default audience",
			req:      func() *http.Request { return tokenRequest(sync, grant()) },
			wantAud:  []string{issuer},
			wantScop: invoiceScope,
		},
		{
			name: "client_secret_post is accepted as well",
			req: func() *http.Request {
				return tokenRequest(creds{}, grant("client_id", sync.ClientID, "client_secret", sync.Secret))
			},
			wantAud:  []string{issuer},
			wantScop: invoiceScope,
		},
		{
			name:     "a requested subset of the allowed scopes is granted exactly",
			req:      func() *http.Request { return tokenRequest(sync, grant("scope", readInvoices)) },
			wantAud:  []string{issuer},
			wantScop: readInvoices,
		},
		{
			name:     "a resource indicator becomes the audience",
			req:      func() *http.Request { return tokenRequest(sync, grant("resource", "https://api.example.com")) },
			wantAud:  []string{"https://api.example.com"},
			wantScop: invoiceScope,
		},
		{
			name:     "the audience parameter works like a resource indicator",
			req:      func() *http.Request { return tokenRequest(sync, grant("audience", "https://api.example.com")) },
			wantAud:  []string{"https://api.example.com"},
			wantScop: invoiceScope,
		},
		{
			name: "a charset parameter on the form content type is accepted",
			req: func() *http.Request {
				r := tokenRequest(sync, grant())
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
				return r
			},
			wantAud:  []string{issuer},
			wantScop: invoiceScope,
		},
		{
			name: "the Basic user and password may be sent without form-urlencoding",
			req: func() *http.Request {
				r := tokenRequest(creds{}, grant())
				r.SetBasicAuth(sync.ClientID, sync.Secret)
				return r
			},
			wantAud:  []string{issuer},
			wantScop: invoiceScope,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.req())
			tr := decode[oauth.TokenResponse](t, r, http.StatusOK)
			wantNoStore(t, r)
			wantNoSecret(t, r, sync.Secret)
			if tr.TokenType != "Bearer" || tr.ExpiresIn != int64(tokenTTL/time.Second) || tr.Scope != tt.wantScop {
				t.Errorf("token_type %q, expires_in %d, scope %q; want Bearer, %d, %q",
					tr.TokenType, tr.ExpiresIn, tr.Scope, int64(tokenTTL/time.Second), tt.wantScop)
			}
			claims, err := f.tokens.Verifier().Verify(tr.AccessToken, tt.wantAud[0])
			if err != nil {
				t.Fatalf("the access token does not verify: %v", err)
			}
			if claims.Subject != sync.ClientID || claims.ClientID != sync.ClientID || claims.Org != "billing" ||
				claims.Scope != tt.wantScop || !slices.Equal([]string(claims.Audience), tt.wantAud) {
				t.Errorf("claims %+v; want sub and client_id %s, org billing, scope %q, aud %q",
					claims, sync.ClientID, tt.wantScop, tt.wantAud)
			}
			if h := jwtHeader(t, tr.AccessToken); h.Typ != resource.AccessTokenType || h.Alg != oauth.ES256 || h.Kid == "" {
				t.Errorf("JWT header %+v; want typ %s, alg ES256 and a kid", h, resource.AccessTokenType)
			}
		})
	}
}

// refused is the body of every refused credential: a client must not learn
// whether the account, the key or the secret was wrong.
const refused = "Client authentication failed."

func TestTokenEndpointRefusesBadClientCredentials(t *testing.T) {
	f, sync := tokenFixture(t)
	tok := f.adminToken(t)
	other := f.client(t, tok, web.CreateAccountRequest{ID: "other", Org: "billing"})
	archived := f.client(t, tok, web.CreateAccountRequest{ID: "old", Org: "billing"})
	decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts/old@billing.iam/archive", tok, nil), http.StatusOK)
	deleted := f.client(t, tok, web.CreateAccountRequest{ID: "gone", Org: "billing"})
	if r := f.call(t, http.MethodDelete, "/api/v1/accounts/gone@billing.iam", tok, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete account: %d %s", r.Status, r.Body)
	}
	newKey := func(in web.CreateKeyRequest) creds { return credsOf(f.createKey(t, tok, sync.ClientID, in)) }
	inactive := newKey(web.CreateKeyRequest{})
	decode[web.Key](t, f.call(t, http.MethodPost, "/api/v1/keys/"+inactive.KeyID+"/deactivate", tok, nil), http.StatusOK)
	removed := newKey(web.CreateKeyRequest{})
	if r := f.call(t, http.MethodDelete, "/api/v1/keys/"+removed.KeyID, tok, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete key: %d %s", r.Status, r.Body)
	}
	expiresIn := int64(60)
	expired := newKey(web.CreateKeyRequest{ExpiresIn: &expiresIn})
	f.clock.Advance(2 * time.Minute)

	// A well-formed secret with its last character changed fails its
	// checksum.
	last := byte('a')
	if sync.Secret[len(sync.Secret)-1] == last {
		last = 'b'
	}
	tampered := sync.Secret[:len(sync.Secret)-1] + string(last)
	withAuth := func(authorization string, form url.Values) *http.Request {
		r := tokenRequest(creds{}, form)
		r.Header.Set("Authorization", authorization)
		return r
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	tests := []struct {
		name     string
		req      *http.Request
		secret   string // must not appear in the response
		wantDesc string // empty: any description
	}{
		{"a wrong secret is refused", tokenRequest(creds{ClientID: sync.ClientID, Secret: other.Secret}, grant()), other.Secret, refused},
		{"a secret with a broken checksum is refused", tokenRequest(creds{ClientID: sync.ClientID, Secret: tampered}, grant()), tampered, refused},
		{"an unknown client id is refused", tokenRequest(creds{ClientID: "ghost@billing.iam", Secret: sync.Secret}, grant()), sync.Secret, refused},
		{"a client id of another scheme is refused", tokenRequest(creds{ClientID: "sync@billing.example", Secret: sync.Secret}, grant()), sync.Secret, refused},
		{"a deactivated key is refused", tokenRequest(inactive, grant()), inactive.Secret, refused},
		{"an expired key is refused", tokenRequest(expired, grant()), expired.Secret, refused},
		{"a deleted key is refused", tokenRequest(removed, grant()), removed.Secret, refused},
		{"a key of an archived account is refused", tokenRequest(archived, grant()), archived.Secret, refused},
		{"a key of a deleted account is refused", tokenRequest(deleted, grant()), deleted.Secret, refused},
		{"a wrong client_secret_post secret is refused", tokenRequest(creds{}, grant("client_id", sync.ClientID, "client_secret", other.Secret)), other.Secret, refused},
		{"a Basic header that is not base64 is malformed", withAuth("Basic !!!"+sync.Secret, grant()), sync.Secret, "Malformed HTTP Basic credentials."},
		{"a Basic header without a colon is malformed", withAuth("Basic "+b64(sync.ClientID+sync.Secret), grant()), sync.Secret, "Malformed HTTP Basic credentials."},
		{"a Basic header with an empty secret is malformed", withAuth("Basic "+b64(sync.ClientID+":"), grant()), "", "Malformed HTTP Basic credentials."},
		{"a Basic header with bad percent-encoding is malformed", withAuth("Basic "+b64(sync.ClientID+":%zz"+sync.Secret), grant()), sync.Secret, "Malformed HTTP Basic credentials."},
		{"an authentication scheme other than Basic is refused", withAuth("Bearer "+sync.Secret, grant()), sync.Secret, ""},
		{"a request without credentials is refused", tokenRequest(creds{}, grant()), "", ""},
		{"a client_id without client_secret is refused", tokenRequest(creds{}, grant("client_id", sync.ClientID)), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.req)
			e := wantOAuthError(t, r, http.StatusUnauthorized, oauth.CodeInvalidClient)
			wantHeader(t, r, "WWW-Authenticate", `Basic realm="iamd", charset="UTF-8"`)
			if e.Description == "" || (tt.wantDesc != "" && e.Description != tt.wantDesc) {
				t.Errorf("error_description %q, want %q", e.Description, tt.wantDesc)
			}
			wantNoSecret(t, r, tt.secret, sync.Secret, tampered)
		})
	}
	t.Run("the server log holds none of the secrets", func(t *testing.T) {
		log := f.logs.String()
		for i, s := range []string{sync.Secret, other.Secret, archived.Secret, deleted.Secret, inactive.Secret, removed.Secret, expired.Secret, tampered, f.admin.Secret} {
			if strings.Contains(log, s) {
				t.Errorf("the log contains secret %d of the list", i)
			}
		}
	})
}

func TestTokenEndpointRejectsMalformedRequests(t *testing.T) {
	f, sync := tokenFixture(t)
	form := func(body, contentType string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, oauth.TokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Authorization", basicAuth(sync.ClientID, sync.Secret))
		return r
	}
	gzipped := func() *http.Request {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(grant().Encode()))
		w.Close()
		r := form(b.String(), "application/x-www-form-urlencoded")
		r.Header.Set("Content-Encoding", "gzip")
		return r
	}
	inQuery := httptest.NewRequest(http.MethodPost, oauth.TokenPath+"?client_secret="+url.QueryEscape(sync.Secret),
		strings.NewReader(grant("client_id", sync.ClientID).Encode()))
	inQuery.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	both := tokenRequest(sync, grant("client_secret", sync.Secret))
	oversized := tokenRequest(sync, grant("padding", strings.Repeat("x", 20<<10)))

	tests := []struct {
		name     string
		req      *http.Request
		status   int
		code     string
		wantDesc string // a substring of error_description; empty: any
	}{
		{"an unknown grant type is unsupported", tokenRequest(sync, url.Values{"grant_type": {"password"}}), http.StatusBadRequest, oauth.CodeUnsupportedGrantType, "client_credentials"},
		{"the authorization code grant is unsupported", tokenRequest(sync, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}), http.StatusBadRequest, oauth.CodeUnsupportedGrantType, ""},
		{"a request without grant type is invalid", tokenRequest(sync, url.Values{"scope": {readInvoices}}), http.StatusBadRequest, oauth.CodeInvalidRequest, "grant_type"},
		{"an empty body is invalid", form("", "application/x-www-form-urlencoded"), http.StatusBadRequest, oauth.CodeInvalidRequest, ""},
		{"a repeated grant_type is invalid", form("grant_type=client_credentials&grant_type=client_credentials", "application/x-www-form-urlencoded"), http.StatusBadRequest, oauth.CodeInvalidRequest, "grant_type"},
		{"a JSON body is invalid", form(`{"grant_type":"client_credentials"}`, "application/json"), http.StatusBadRequest, oauth.CodeInvalidRequest, "x-www-form-urlencoded"},
		{"a body without content type is invalid", form(grant().Encode(), ""), http.StatusBadRequest, oauth.CodeInvalidRequest, "x-www-form-urlencoded"},
		{"a body that is not form encoding is invalid", form("grant_type=%zz", "application/x-www-form-urlencoded"), http.StatusBadRequest, oauth.CodeInvalidRequest, "form encoding"},
		{"a gzip-encoded body is invalid", gzipped(), http.StatusBadRequest, oauth.CodeInvalidRequest, "Content-Encoding"},
		{"a client secret in the query string is invalid", inQuery, http.StatusBadRequest, oauth.CodeInvalidRequest, "request URI"},
		{"HTTP Basic together with client_secret in the body is invalid", both, http.StatusBadRequest, oauth.CodeInvalidRequest, "one client authentication method"},
		{"a right the account does not hold is refused", tokenRequest(sync, grant("scope", readInvoices+" billing.invoices:delete")), http.StatusBadRequest, oauth.CodeInvalidScope, ""},
		{"an audience the account is not allowed is refused", tokenRequest(sync, grant("audience", "https://other.example.com")), http.StatusBadRequest, oauth.CodeInvalidTarget, "https://other.example.com"},
		{"the management API resource is refused to an account not allowed it", tokenRequest(sync, grant("resource", oauth.ManagementAudience)), http.StatusBadRequest, oauth.CodeInvalidTarget, oauth.ManagementAudience},
		{"a relative resource indicator is refused", tokenRequest(sync, grant("resource", "api")), http.StatusBadRequest, oauth.CodeInvalidTarget, "absolute URI"},
		{"a resource indicator with a fragment is refused", tokenRequest(sync, grant("resource", "https://api.example.com#x")), http.StatusBadRequest, oauth.CodeInvalidTarget, "fragment"},
		{"a body over 16 KiB is too large", oversized, http.StatusRequestEntityTooLarge, oauth.CodeInvalidRequest, "16384 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.req)
			e := wantOAuthError(t, r, tt.status, tt.code)
			if !strings.Contains(e.Description, tt.wantDesc) || e.Description == "" {
				t.Errorf("error_description %q, want it to mention %q", e.Description, tt.wantDesc)
			}
			if got := r.Header.Get("WWW-Authenticate"); got != "" {
				t.Errorf("WWW-Authenticate %q on a %d", got, tt.status)
			}
			wantNoSecret(t, r, sync.Secret)
		})
	}
	t.Run("the server log does not hold the secret sent in the query string", func(t *testing.T) {
		if strings.Contains(f.logs.String(), sync.Secret) {
			t.Error("the log contains the client secret")
		}
	})
}

func TestTokenEndpointAcceptsOnlyPost(t *testing.T) {
	f, sync := tokenFixture(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		t.Run(method+" is not allowed", func(t *testing.T) {
			req := tokenRequest(sync, grant())
			req.Method = method
			r := f.do(t, req)
			e := wantOAuthError(t, r, http.StatusMethodNotAllowed, oauth.CodeInvalidRequest)
			wantHeader(t, r, "Allow", http.MethodPost)
			if e.Description == "" {
				t.Error("no error_description")
			}
			wantNoSecret(t, r, sync.Secret)
		})
	}
}

func TestTokenEndpointThrottlesFailedAuthentication(t *testing.T) {
	f, sync := tokenFixture(t)
	other := f.client(t, f.adminToken(t), web.CreateAccountRequest{ID: "other", Org: "billing"})
	// A guess at the secret of the client's own key: only such guesses
	// could succeed, so only they count against the client.
	wrong := creds{ClientID: sync.ClientID, Secret: guessSecret(t, sync.Secret)}
	burst := oauth.DefaultThrottle.ClientBurst

	t.Run("the first failures per client id are answered invalid_client", func(t *testing.T) {
		for i := range burst {
			if r := f.token(t, wrong, grant()); r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401; body %s", i+1, r.Status, r.Body)
			}
		}
	})
	wantThrottled := func(t *testing.T, r *response) {
		t.Helper()
		e := wantOAuthError(t, r, http.StatusTooManyRequests, oauth.CodeInvalidClient)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if every := int(oauth.DefaultThrottle.ClientEvery / time.Second); err != nil || secs < 1 || secs > every {
			t.Errorf("Retry-After %q, want 1 to %d seconds", r.Header.Get("Retry-After"), every)
		}
		if !strings.Contains(e.Description, "retry in "+r.Header.Get("Retry-After")+" seconds") {
			t.Errorf("error_description %q does not match Retry-After %s", e.Description, r.Header.Get("Retry-After"))
		}
		wantNoSecret(t, r, sync.Secret, other.Secret)
	}
	t.Run("the next failure is answered 429 with Retry-After", func(t *testing.T) {
		wantThrottled(t, f.token(t, wrong, grant()))
	})
	t.Run("the right secret is never refused for failures", func(t *testing.T) {
		decode[oauth.TokenResponse](t, f.token(t, sync, grant()), http.StatusOK)
	})
	t.Run("another client is not throttled", func(t *testing.T) {
		decode[oauth.TokenResponse](t, f.token(t, other, grant()), http.StatusOK)
	})
	t.Run("once Retry-After has passed a failure is answered plainly again", func(t *testing.T) {
		f.clock.Advance(oauth.DefaultThrottle.ClientEvery)
		wantOAuthError(t, f.token(t, wrong, grant()), http.StatusUnauthorized, oauth.CodeInvalidClient)
	})
}

// TestTokenEndpointThrottlesFailuresPerAddress attacks over real
// connections from one address, as clients behind one NAT share it: the
// attacker's failures are answered 429, the neighbours' correct secrets are
// never refused.
func TestTokenEndpointThrottlesFailuresPerAddress(t *testing.T) {
	f, sync := tokenFixture(t, withThrottle(oauth.ThrottleConfig{ClientBurst: 100, ClientEvery: time.Second, AddrBurst: 3, AddrEvery: time.Minute}))
	base := f.serve(t)
	post := func(t *testing.T, authorization string) *response {
		t.Helper()
		return postToken(t, nil, base, grant(), "Authorization", authorization)
	}
	t.Run("malformed credentials count against the address", func(t *testing.T) {
		for range 3 {
			wantOAuthError(t, post(t, "Basic !!!"), http.StatusUnauthorized, oauth.CodeInvalidClient)
		}
	})
	t.Run("past the address's burst its failures are answered 429 with Retry-After", func(t *testing.T) {
		r := post(t, "Basic !!!")
		wantOAuthError(t, r, http.StatusTooManyRequests, oauth.CodeInvalidClient)
		if r.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		wantOAuthError(t, post(t, basicAuth(sync.ClientID, guessSecret(t, sync.Secret))), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	})
	t.Run("a correct secret from the throttled address still gets its token", func(t *testing.T) {
		for range 5 {
			decode[oauth.TokenResponse](t, post(t, basicAuth(sync.ClientID, sync.Secret)), http.StatusOK)
			wantOAuthError(t, post(t, "Basic !!!"), http.StatusTooManyRequests, oauth.CodeInvalidClient)
		}
	})
}

// rawExchange writes req to a new connection to addr and reads one
// response.
func rawExchange(t *testing.T, addr, req string) *response {
	t.Helper()
	return pipelined(t, addr, req)[0]
}

// TestBodiesOverTheServerLimit sends bodies over fiber's 1 MiB BodyLimit
// over a real connection: fasthttp refuses them before routing, which
// app.Test cannot show. Only the headers and the start of the body are
// sent, so the server closes a connection it has read in full.
func TestBodiesOverTheServerLimit(t *testing.T) {
	f, sync := tokenFixture(t)
	base := f.serve(t)
	addr := strings.TrimPrefix(base, "http://")
	tok := f.adminToken(t)
	const size = 2 << 20
	head := func(path, contentType, authorization string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
			path, addr, contentType, authorization, size)
	}
	t.Run("the token endpoint answers 413 with an OAuth error", func(t *testing.T) {
		r := rawExchange(t, addr, head(oauth.TokenPath, "application/x-www-form-urlencoded", basicAuth(sync.ClientID, sync.Secret))+"grant_type=client_credentials&")
		e := wantOAuthError(t, r, http.StatusRequestEntityTooLarge, oauth.CodeInvalidRequest)
		if e.Description == "" {
			t.Error("no error_description")
		}
		wantNoSecret(t, r, sync.Secret)
	})
	t.Run("the management API answers 413 with an API error", func(t *testing.T) {
		r := rawExchange(t, addr, head("/api/v1/orgs", "application/json", "Bearer "+tok)+`{"id":"`)
		wantAPIError(t, r, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
	t.Run("a body just under the limit reaches the token endpoint's own limit", func(t *testing.T) {
		r := postToken(t, nil, base, grant("padding", strings.Repeat("x", 1<<20-200)), "Authorization", basicAuth(sync.ClientID, sync.Secret))
		e := wantOAuthError(t, r, http.StatusRequestEntityTooLarge, oauth.CodeInvalidRequest)
		if !strings.Contains(e.Description, "16384") {
			t.Errorf("error_description %q, want the 16 KiB limit", e.Description)
		}
	})
}

// TestTokenEndpointOverLoopback issues tokens concurrently over real
// keep-alive connections, for the race detector.
func TestTokenEndpointOverLoopback(t *testing.T) {
	f, c := tokenFixture(t)
	base := f.serve(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	const workers, each = 8, 10
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				req, _ := http.NewRequest(http.MethodPost, base+oauth.TokenPath, strings.NewReader(grant().Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", basicAuth(c.ClientID, c.Secret))
				res, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				r := readResponse(t, res)
				if r.Status != http.StatusOK {
					t.Errorf("status %d: %s", r.Status, r.Body)
					return
				}
				mu.Lock()
				seen[string(r.Body)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct token responses, want %d", len(seen), workers*each)
	}
}

// TestTokenEndpointThrottlesPerAddressBehindTrustedProxies sends requests
// as a reverse proxy does: from a trusted address, over a few keep-alive
// connections, with the client address in X-Forwarded-For.
func TestTokenEndpointThrottlesPerAddressBehindTrustedProxies(t *testing.T) {
	f, sync := tokenFixture(t,
		withTrustedProxies("127.0.0.1"),
		withThrottle(oauth.ThrottleConfig{ClientBurst: 100, ClientEvery: time.Second, AddrBurst: 3, AddrEvery: time.Hour}))
	base := f.serve(t)
	// Two connections of the proxy, each a transport of its own.
	proxyConn := func() *http.Client {
		c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	conn1, conn2 := proxyConn(), proxyConn()
	attempt := func(t *testing.T, conn *http.Client, forwardedFor string) *response {
		t.Helper()
		// A malformed Authorization counts against the address only.
		return postToken(t, conn, base, grant(), "Authorization", "Basic !!!", "X-Forwarded-For", forwardedFor)
	}
	const attacker, neighbour = "203.0.113.7", "203.0.113.8"

	t.Run("the forwarded address is throttled after its burst", func(t *testing.T) {
		for range 3 {
			wantOAuthError(t, attempt(t, conn1, attacker), http.StatusUnauthorized, oauth.CodeInvalidClient)
		}
		wantOAuthError(t, attempt(t, conn1, attacker), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	})
	t.Run("the throttled address is throttled on another proxy connection", func(t *testing.T) {
		wantOAuthError(t, attempt(t, conn2, attacker), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	})
	t.Run("another forwarded address has its own budget", func(t *testing.T) {
		wantOAuthError(t, attempt(t, conn1, neighbour), http.StatusUnauthorized, oauth.CodeInvalidClient)
	})
	t.Run("the throttled address stays throttled after the first connection served another address", func(t *testing.T) {
		wantOAuthError(t, attempt(t, conn2, attacker), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	})
	t.Run("a correct client at the throttled address still gets its token", func(t *testing.T) {
		r := postToken(t, conn1, base, grant(), "Authorization", basicAuth(sync.ClientID, sync.Secret), "X-Forwarded-For", attacker)
		decode[oauth.TokenResponse](t, r, http.StatusOK)
	})
	t.Run("the throttled address cannot escape by prepending an address of its choice", func(t *testing.T) {
		// A proxy appends the address it sees to what the client sent.
		wantOAuthError(t, attempt(t, conn1, "192.0.2.1, "+attacker), http.StatusTooManyRequests, oauth.CodeInvalidClient)
	})
}

// guessSecret returns a well-formed, wrong secret for the key of secret.
func guessSecret(t *testing.T, secret string) string {
	t.Helper()
	keyID, ok := accounts.SecretKeyID(secret)
	if !ok {
		t.Fatalf("%q is not a secret", secret)
	}
	enc := base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	random := make([]byte, 32)
	rand.Read(random)
	s := accounts.SecretPrefix + keyID + "_" + enc.EncodeToString(random)
	sum := make([]byte, 4)
	binary.BigEndian.PutUint32(sum, crc32.ChecksumIEEE([]byte(s)))
	s += enc.EncodeToString(sum)
	if got, ok := accounts.SecretKeyID(s); !ok || got != keyID {
		t.Fatalf("guessed secret %q is not well-formed", s)
	}
	return s
}

// TestTwoAuthorizationHeadersAreRefused: a proxy may read the first or the
// last of two Authorization headers, so iamd takes neither.
func TestTwoAuthorizationHeadersAreRefused(t *testing.T) {
	f, sync := tokenFixture(t)
	base := f.serve(t)
	addr := strings.TrimPrefix(base, "http://")
	tok := f.adminToken(t)
	other := f.client(t, tok, web.CreateAccountRequest{ID: "other", Org: "billing"})
	body := grant().Encode()
	tokenReq := func(auth ...string) string {
		var h strings.Builder
		for _, a := range auth {
			h.WriteString("Authorization: " + a + "\r\n")
		}
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n%sContent-Length: %d\r\n\r\n%s",
			oauth.TokenPath, addr, h.String(), len(body), body)
	}
	apiReq := func(auth ...string) string {
		var h strings.Builder
		for _, a := range auth {
			h.WriteString("Authorization: " + a + "\r\n")
		}
		return fmt.Sprintf("GET /api/v1/orgs HTTP/1.1\r\nHost: %s\r\n%s\r\n", addr, h.String())
	}
	t.Run("one Basic header gets a token", func(t *testing.T) {
		decode[oauth.TokenResponse](t, rawExchange(t, addr, tokenReq(basicAuth(sync.ClientID, sync.Secret))), http.StatusOK)
	})
	t.Run("two Basic headers of two clients are invalid_request", func(t *testing.T) {
		r := rawExchange(t, addr, tokenReq(basicAuth(sync.ClientID, sync.Secret), basicAuth(other.ClientID, other.Secret)))
		e := wantOAuthError(t, r, http.StatusBadRequest, oauth.CodeInvalidRequest)
		if !strings.Contains(e.Description, "Authorization") {
			t.Errorf("error_description %q does not name the header", e.Description)
		}
		wantNoSecret(t, r, sync.Secret, other.Secret)
	})
	t.Run("the same Basic header twice is invalid_request too", func(t *testing.T) {
		wantOAuthError(t, rawExchange(t, addr, tokenReq(basicAuth(sync.ClientID, sync.Secret), basicAuth(sync.ClientID, sync.Secret))),
			http.StatusBadRequest, oauth.CodeInvalidRequest)
	})
	t.Run("one bearer header reaches the management API", func(t *testing.T) {
		if r := rawExchange(t, addr, apiReq("Bearer "+tok)); r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("two bearer headers are refused by the management API", func(t *testing.T) {
		r := rawExchange(t, addr, apiReq("Bearer "+tok, "Bearer "+tok))
		wantAPIError(t, r, http.StatusBadRequest, "invalid_argument")
		wantHeader(t, r, "WWW-Authenticate", `Bearer realm="iamd", error="invalid_request"`)
	})
}

// TestOneAudienceRule: the management API and both token parameters apply
// the same rule to audiences, so nothing the API stores is refused by the
// token endpoint or the other way round.
func TestOneAudienceRule(t *testing.T) {
	f := newFixture(t)
	base := f.serve(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	t.Run("the API refuses audiences that are not absolute, fragment-free URIs or plain names", func(t *testing.T) {
		for _, aud := range []string{"https://api.example.com#frag", "https://api.example.com#", "urn:x:y#z", "billing#api", "https://api.example.com/%zz"} {
			r := f.call(t, http.MethodPost, "/api/v1/accounts", tok, web.CreateAccountRequest{ID: "bad", Org: "billing", AllowedAudiences: []string{aud}})
			wantAPIError(t, r, http.StatusBadRequest, "invalid_argument")
		}
	})
	good := []string{"https://api.example.com", "urn:example:billing", "billing-api"}
	c := f.client(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing", AllowedAudiences: good})
	post := func(t *testing.T, params ...string) *response {
		t.Helper()
		return postToken(t, nil, base, grant(params...), "Authorization", basicAuth(c.ClientID, c.Secret))
	}
	t.Run("every audience the API accepted is granted through the audience parameter", func(t *testing.T) {
		for _, aud := range good {
			decode[oauth.TokenResponse](t, post(t, "audience", aud), http.StatusOK)
		}
	})
	t.Run("URI audiences are granted through the resource parameter as well", func(t *testing.T) {
		decode[oauth.TokenResponse](t, post(t, "resource", "https://api.example.com"), http.StatusOK)
		decode[oauth.TokenResponse](t, post(t, "resource", "urn:example:billing"), http.StatusOK)
	})
	t.Run("an audience with a fragment stored by an older release is refused by both parameters", func(t *testing.T) {
		const frag = "https://old.example.com#frag"
		acct, err := f.accts.Lookup(t.Context(), c.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		err = f.db.UpdateAccount(t.Context(), acct.ID, func(a accounts.Account) (accounts.Account, error) {
			a.AllowedAudiences = append(a.AllowedAudiences, frag)
			return a, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, param := range []string{"audience", "resource"} {
			e := wantOAuthError(t, post(t, param, frag), http.StatusBadRequest, oauth.CodeInvalidTarget)
			if !strings.Contains(e.Description, "fragment") {
				t.Errorf("%s: error_description %q does not say why", param, e.Description)
			}
		}
	})
}
