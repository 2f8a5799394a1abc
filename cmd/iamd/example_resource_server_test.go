package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/examples/go-resource-server/invoices"
	"github.com/iamd/iamd/resource"
)

// TestGoResourceServerExample runs the example resource server against a
// real iamd over loopback: a token allowing billing.invoices:read in an
// organization reads its invoices; no token, a token for another org or
// without the right, and a token for another audience are refused with
// the RFC 6750 answer.
func TestGoResourceServerExample(t *testing.T) {
	const audience = "https://billing.example.test"
	in := newInstance(t)
	acmeTree(t, in)
	mustIamd(t, in.env, "permissions", "create", "billing.invoices", "--description", "Invoices")
	mustIamd(t, in.env, "roles", "create", "invoice-reader", "--org", "acme", "--permissions", "billing.invoices:read")
	token := func(account, aud string, assign ...string) string {
		t.Helper()
		mustIamd(t, in.env, "accounts", "create", account, "--org", "acme", "--audiences", audience+",https://other.example.test")
		if len(assign) > 0 {
			mustIamd(t, in.env, append([]string{"accounts", "assign", account + "@acme.iam"}, assign...)...)
		}
		secret := strings.TrimSpace(mustIamd(t, in.env, "keys", "create", account+"@acme.iam", "-o", "value=secret"))
		file := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(file, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(mustIamd(t, in.env, "token", "--client-id", account+"@acme.iam",
			"--client-secret-file", file, "--audience", aud))
	}
	reader := token("reader", audience, "--role", "acme/invoice-reader", "--on", "billing")
	bare := token("bare", audience)
	elsewhere := token("elsewhere", "https://other.example.test", "--role", "acme/invoice-reader", "--on", "billing")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := resource.NewRemoteKeys(ctx, in.url, resource.RemoteConfig{OnError: func(err error) { t.Errorf("key refresh: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(invoices.Handler(resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now), audience))
	defer rs.Close()

	for _, c := range []struct {
		name, org, token string
		status           int
		challenge        string
	}{
		{"the reader reads billing's invoices", "billing", reader, http.StatusOK, ""},
		{"no token is asked for one", "billing", "", http.StatusUnauthorized, "Bearer"},
		{"a token for another audience is invalid", "billing", elsewhere, http.StatusUnauthorized, `Bearer error="invalid_token"`},
		{"the reader cannot read sales", "sales", reader, http.StatusForbidden, `Bearer error="insufficient_scope"`},
		{"the right holds in billing only, not its child", "emea", reader, http.StatusForbidden, `Bearer error="insufficient_scope"`},
		{"an account without the role cannot read", "billing", bare, http.StatusForbidden, `Bearer error="insufficient_scope"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, rs.URL+"/invoices?org="+c.org, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			got := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != c.status || !strings.HasPrefix(got, c.challenge) {
				t.Fatalf("%d %q (%s); want %d and a challenge starting %q", resp.StatusCode, got, body, c.status, c.challenge)
			}
			if c.status != http.StatusOK {
				return
			}
			var list invoices.List
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			if list.Org != "billing" || list.ClientID != "reader@acme.iam" || len(list.Items) != 1 {
				t.Fatalf("invoices %+v", list)
			}
		})
	}
}
