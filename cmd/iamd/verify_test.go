package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

// signingServer is an authorization server reduced to its metadata and
// JWKS over loopback, and the key to sign tokens with for it.
type signingServer struct {
	url string
	key *ecdsa.PrivateKey
}

func newSigningServer(t *testing.T) *signingServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &signingServer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+resource.MetadataPath, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": s.url, "jwks_uri": s.url + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: key.Public(), KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"},
		}})
	})
	// The URL is known before the server starts: the handlers read it.
	srv := httptest.NewUnstartedServer(mux)
	s.url = "http://" + srv.Listener.Addr().String()
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// token signs an access token of the server with extra claims.
func (s *signingServer) token(t *testing.T, extra map[string]any) string {
	t.Helper()
	now := time.Now().Unix()
	claims := map[string]any{
		"iss": s.url, "sub": "sync@billing.iam", "client_id": "sync@billing.iam", "aud": "https://billing.example.com",
		"exp": now + 600, "iat": now, "nbf": now, "jti": "jti-1", "org": "billing",
	}
	for k, v := range extra {
		claims[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: s.key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType(resource.AccessTokenType))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyRequire(t *testing.T) {
	s := newSigningServer(t)
	tok := s.token(t, map[string]any{
		"scope": "billing.invoices:read billing.invoices:write iam.audit:read",
		"roles": []map[string]any{
			{"orgs": []string{"billing"}, "roles": "acme/invoice-reader"},
			{"orgs": []string{"acme/*"}, "roles": "acme/viewer"},
		},
		"groups": []string{"acme/finance"},
		"rights": []map[string]any{
			{"orgs": []string{"billing", "sales"}, "scope": "billing.invoices:read"},
			{"orgs": []string{"billing"}, "scope": "billing.invoices:write"},
			{"orgs": []string{"*"}, "scope": "iam.audit:read"},
		},
	})
	environ := env(t, "IAMD_SERVER="+s.url)
	for _, c := range []struct {
		name    string
		require []string
		code    int
		says    []string
	}{
		{"a right the token grants in the org is accepted", []string{"billing:billing.invoices:read"}, exitOK, nil},
		{"every right of several requirements granted is accepted",
			[]string{"billing:billing.invoices:read", "sales:billing.invoices:read", "billing:billing.invoices:write", "ops-team:iam.audit:read"}, exitOK, nil},
		{"a right on every organization is accepted for every organization", []string{"*:iam.audit:read"}, exitOK, nil},
		{"a right held elsewhere is refused, naming it", []string{"sales:billing.invoices:write"}, exitError,
			[]string{"token does not grant billing.invoices:write on sales"}},
		{"another operation is refused", []string{"billing:billing.invoices:delete"}, exitError,
			[]string{"token does not grant billing.invoices:delete on billing"}},
		{"each missing right is named, and only those", []string{"billing:billing.invoices:read", "acme:billing.invoices:read", "billing:iam.keys:write"}, exitError,
			[]string{"token does not grant billing.invoices:read on acme", "token does not grant iam.keys:write on billing"}},
		{"a right on one organization is not one on every organization", []string{"*:billing.invoices:read"}, exitError,
			[]string{"token does not grant billing.invoices:read on every organization"}},
		{"a malformed requirement is a usage error", []string{"billing:billing.invoices"}, exitUsage,
			[]string{"--require", "ORG:PERMISSION:OPERATION"}},
		{"an unknown operation is a usage error", []string{"billing:billing.invoices:list"}, exitUsage,
			[]string{"--require", "not one of read, write, delete, archive"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"verify", tok}
			for _, r := range c.require {
				args = append(args, "--require", r)
			}
			out, errOut, code := iamd(t, environ, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, c.code, out, errOut)
			}
			for _, want := range c.says {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not say %q", errOut, want)
				}
			}
			if c.code == exitOK && (errOut != "" || !strings.Contains(out, "sync@billing.iam")) {
				t.Errorf("accepted, but stdout %q, stderr %q", out, errOut)
			}
			if c.code != exitOK && strings.Contains(out, "sync@billing.iam") {
				t.Errorf("refused, but printed the claims: %s", out)
			}
			if c.code == exitError && strings.Count(errOut, "does not grant") != len(c.says) {
				t.Errorf("stderr names %d missing rights, want %d: %s", strings.Count(errOut, "does not grant"), len(c.says), errOut)
			}
		})
	}

	t.Run("the table shows roles, groups and rights", func(t *testing.T) {
		out := mustIamd(t, environ, "verify", tok)
		for _, want := range []string{
			"roles       acme/invoice-reader on billing\n",
			"            acme/viewer on acme/*\n",
			"groups      acme/finance\n",
			"rights      billing.invoices:read on billing,sales\n",
			"            billing.invoices:write on billing\n",
			"            iam.audit:read on *\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("table does not have %q:\n%s", want, out)
			}
		}
	})
	t.Run("the JSON output holds the rights claim", func(t *testing.T) {
		var claims resource.Claims
		if err := json.Unmarshal([]byte(mustIamd(t, environ, "verify", tok, "-o", "json")), &claims); err != nil {
			t.Fatal(err)
		}
		if len(claims.Rights) != 3 || !claims.Allows("sales", "billing.invoices", "read") || len(claims.Roles) != 2 || len(claims.Groups) != 1 {
			t.Errorf("claims %+v", claims)
		}
	})
	t.Run("a malformed requirement is refused before the token is checked", func(t *testing.T) {
		_, errOut, code := iamd(t, env(t, "IAMD_SERVER=http://127.0.0.1:1"), "verify", "not.a.token", "--require", "nope")
		if code != exitUsage || !strings.Contains(errOut, `requirement "nope"`) {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("a token without a rights claim grants nothing, whatever its scope", func(t *testing.T) {
		bare := s.token(t, map[string]any{"scope": "billing.invoices:read"})
		_, errOut, code := iamd(t, environ, "verify", bare, "--require", "billing:billing.invoices:read")
		if code != exitError || !strings.Contains(errOut, "token does not grant billing.invoices:read on billing") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if out := mustIamd(t, environ, "verify", bare); !strings.Contains(out, "rights      -\n") {
			t.Errorf("table of a token without rights:\n%s", out)
		}
	})
}

// TestVerifyRequireOnServerTokens: the bootstrap admin's token grants
// every right on every organization; an account without roles gets a token
// that grants none, and each requirement is refused by name.
func TestVerifyRequireOnServerTokens(t *testing.T) {
	in := newInstance(t)
	tok := strings.TrimSpace(mustIamd(t, in.env, "token", "-o", "value=access_token"))
	if out := mustIamd(t, in.env, "verify", tok); !strings.Contains(out, "admin@acme.iam") {
		t.Fatalf("verify without --require: %s", out)
	}
	mustIamd(t, in.env, "verify", tok, "--require", "acme:iam.keys:read", "--require", "acme:iam.service-accounts:write")

	secret := in.secretFor(t, "job")
	bare := strings.TrimSpace(mustIamd(t, in.env, "token", "--client-id", "job@acme.iam", "--client-secret", secret))
	_, errOut, code := iamd(t, in.env, "verify", bare, "--require", "acme:iam.keys:read", "--require", "acme:iam.service-accounts:write")
	if code != exitError || !strings.Contains(errOut, "token does not grant iam.keys:read on acme") ||
		!strings.Contains(errOut, "token does not grant iam.service-accounts:write on acme") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
