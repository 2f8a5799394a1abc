package resource_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

const testAudience = "https://billing.example"

// guarded serves, over loopback, GET /invoices?org=ORG requiring
// billing.invoices:read in ORG, and GET /any needing only a valid token;
// both answer the verified client ID.
func guarded(t *testing.T, v *resource.Verifier) *httptest.Server {
	t.Helper()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, resource.ClaimsFrom(r.Context()).ClientID)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /invoices", resource.RequireIn(func(r *http.Request) string { return r.URL.Query().Get("org") },
		"billing.invoices", "read", echo))
	mux.Handle("GET /acme", resource.Require("acme", "iam.keys", "write", echo))
	mux.Handle("GET /any", echo)
	s := httptest.NewServer(v.Middleware(testAudience, mux))
	t.Cleanup(s.Close)
	return s
}

func TestMiddlewareAnswersRFC6750(t *testing.T) {
	clk := newClock()
	vk := newVerifierKeys(t)
	v := resource.NewVerifier(testIssuer, vk.lookup, clk.Now)
	s := guarded(t, v)
	now := clk.Now().Unix()
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{
			"iss": testIssuer, "sub": "svc@acme.iam", "client_id": "svc@acme.iam", "aud": testAudience,
			"exp": now + 600, "iat": now, "nbf": now, "jti": "j", "org": "acme",
			"rights": []map[string]any{{"orgs": []string{"billing"}, "scope": "billing.invoices:read"}},
		}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	good := sign(t, jose.ES256, vk.es256, "es", "at+jwt", claims(nil))
	expired := sign(t, jose.ES256, vk.es256, "es", "at+jwt", claims(map[string]any{"exp": now - 3600}))
	otherAud := sign(t, jose.ES256, vk.es256, "es", "at+jwt", claims(map[string]any{"aud": "https://other.example"}))

	cases := []struct {
		name, path string
		auth       []string
		status     int
		challenge  string // the WWW-Authenticate header, or its start when ending in "*"
	}{
		{"a valid token reaches the handler with its claims", "/any", []string{"Bearer " + good}, 200, ""},
		{"the scheme is case-insensitive", "/any", []string{"bearer " + good}, 200, ""},
		{"a right held in the org passes", "/invoices?org=billing", []string{"Bearer " + good}, 200, ""},
		{"no Authorization header has no error code", "/any", nil, 401, "Bearer"},
		{"another scheme has no error code", "/any", []string{"Basic c3ZjOnNlY3JldA=="}, 401, "Bearer"},
		{"two Authorization headers are invalid_request", "/any", []string{"Bearer " + good, "Bearer " + good}, 400, `Bearer error="invalid_request", error_description="more than one Authorization header"`},
		{"Bearer without a token is invalid_request", "/any", []string{"Bearer"}, 400, `Bearer error="invalid_request"*`},
		{"Bearer and a space is invalid_request", "/any", []string{"Bearer "}, 400, `Bearer error="invalid_request"*`},
		{"two spaces are invalid_request", "/any", []string{"Bearer  " + good}, 400, `Bearer error="invalid_request"*`},
		{"a token with a space is invalid_request", "/any", []string{"Bearer " + good + " x"}, 400, `Bearer error="invalid_request"*`},
		{"a token with a quote is invalid_request", "/any", []string{`Bearer a"b`}, 400, `Bearer error="invalid_request"*`},
		{"an empty header is invalid_request", "/any", []string{""}, 400, `Bearer error="invalid_request"*`},
		{"garbage is invalid_token", "/any", []string{"Bearer abc.def.ghi"}, 401, `Bearer error="invalid_token"*`},
		{"an expired token is invalid_token", "/any", []string{"Bearer " + expired}, 401, `Bearer error="invalid_token", error_description="expired at *`},
		{"a token for another audience is invalid_token", "/any", []string{"Bearer " + otherAud}, 401, `Bearer error="invalid_token", error_description="audience ?https://billing.example? not in *`},
		{"a right not held in the org is insufficient_scope", "/invoices?org=sales", []string{"Bearer " + good}, 403,
			`Bearer error="insufficient_scope", error_description="this requires the right billing.invoices:read on organization sales", scope="billing.invoices:read"`},
		{"no org is insufficient_scope", "/invoices", []string{"Bearer " + good}, 403, `Bearer error="insufficient_scope"*`},
		{"a right not held at all is insufficient_scope", "/acme", []string{"Bearer " + good}, 403,
			`Bearer error="insufficient_scope", error_description="this requires the right iam.keys:write on organization acme", scope="iam.keys:write"`},
		{"a right guarded route without a token has no error code", "/invoices?org=billing", nil, 401, "Bearer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, s.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			got := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s, %q), want %d", resp.StatusCode, body, got, tc.status)
			}
			if tc.status == 200 {
				if string(body) != "svc@acme.iam" || got != "" {
					t.Fatalf("body %q, WWW-Authenticate %q; want the claims' client ID and no challenge", body, got)
				}
				return
			}
			if prefix, ok := strings.CutSuffix(tc.challenge, "*"); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Fatalf("WWW-Authenticate %q, want it to start with %q", got, prefix)
				}
			} else if got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if strings.Contains(got, good) || strings.Contains(string(body), good) {
				t.Fatal("the answer repeats the token")
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
}

func TestRequireWithoutMiddlewareIsUnauthorized(t *testing.T) {
	h := resource.Require("acme", "iam.keys", "read", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran without claims")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("%d %q; want 401 Bearer", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestChallengeKeepsTheHeaderWellFormed(t *testing.T) {
	w := httptest.NewRecorder()
	resource.Challenge(w, 401, resource.ErrorInvalidToken, "kid \"x\\\"\r\nSet-Cookie: a=b é"+strings.Repeat("y", 300), "")
	got := w.Header().Get("WWW-Authenticate")
	want := `Bearer error="invalid_token", error_description="kid ?x????Set-Cookie: a=b ??` + strings.Repeat("y", 200-len("kid \"x\\\"\r\nSet-Cookie: a=b é")) + `"`
	if got != want {
		t.Fatalf("WWW-Authenticate\n%q, want\n%q", got, want)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("a description set a header")
	}
}
