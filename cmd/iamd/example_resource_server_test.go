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
// real iamd over loopback, with the cases of checkInvoices.
func TestGoResourceServerExample(t *testing.T) {
	const audience = "https://billing.example.test"
	in := newInstance(t)
	tokens := newInvoiceTokens(t, in, audience)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := resource.NewRemoteKeys(ctx, in.url, resource.RemoteConfig{OnError: func(err error) { t.Errorf("key refresh: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(invoices.Handler(resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now), audience))
	defer rs.Close()
	checkInvoices(t, rs.URL, tokens)
}

// invoiceTokens are tokens of iamd for the examples' GET /invoices.
type invoiceTokens struct {
	// reader holds billing.invoices:read on billing, bare no right, and
	// elsewhere is reader's right for another audience.
	reader, bare, elsewhere string
}

// newInvoiceTokens sets up the acme tree, the billing.invoices permission
// and an invoice-reader role in iamd, and gets the tokens for audience.
func newInvoiceTokens(t *testing.T, in *instance, audience string) invoiceTokens {
	t.Helper()
	acmeTree(t, in)
	mustIamd(t, in.env, "permissions", "create", "billing.invoices", "--description", "Invoices")
	mustIamd(t, in.env, "roles", "create", "invoice-reader", "--org", "acme", "--permissions", "billing.invoices:read")
	token := func(account, aud string, assign ...string) string {
		t.Helper()
		mustIamd(t, in.env, "accounts", "create", account, "--org", "acme", "--audiences", audience+",https://other.example.test")
		if len(assign) > 0 {
			mustIamd(t, in.env, append([]string{"accounts", "assign", account + "@acme.iam"}, assign...)...)
		}
		return in.secretToken(t, account+"@acme.iam", aud)
	}
	return invoiceTokens{
		reader:    token("reader", audience, "--role", "acme/invoice-reader", "--on", "billing"),
		bare:      token("bare", audience),
		elsewhere: token("elsewhere", "https://other.example.test", "--role", "acme/invoice-reader", "--on", "billing"),
	}
}

// secretToken creates a secret key for client and gets a token with it
// for aud through iamd token.
func (in *instance) secretToken(t *testing.T, client, aud string) string {
	t.Helper()
	secret := strings.TrimSpace(mustIamd(t, in.env, "keys", "create", client, "-o", "value=secret"))
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(mustIamd(t, in.env, "token", "--client-id", client,
		"--client-secret-file", file, "--audience", aud))
}

// checkInvoices checks an example resource server at base: a token
// allowing billing.invoices:read in an organization reads its invoices; no
// token, a broken or malformed one, a token for another org or without the
// right, and a token for another audience are refused with the RFC 6750
// answer.
func checkInvoices(t *testing.T, base string, tok invoiceTokens) {
	t.Helper()
	for _, c := range []struct {
		name, org, auth string
		status          int
		challenge       string
	}{
		{"the reader reads billing's invoices", "billing", "Bearer " + tok.reader, http.StatusOK, ""},
		{"no token is asked for one", "billing", "", http.StatusUnauthorized, "Bearer"},
		{"a token for another audience is invalid", "billing", "Bearer " + tok.elsewhere, http.StatusUnauthorized, `Bearer error="invalid_token"`},
		{"a token with a broken signature is invalid", "billing", "Bearer " + tok.reader + "A", http.StatusUnauthorized, `Bearer error="invalid_token"`},
		{"a header with two tokens is a bad request", "billing", "Bearer " + tok.reader + " " + tok.bare, http.StatusBadRequest, `Bearer error="invalid_request"`},
		{"the reader cannot read sales", "sales", "Bearer " + tok.reader, http.StatusForbidden, `Bearer error="insufficient_scope"`},
		{"the right holds in billing only, not its child", "emea", "Bearer " + tok.reader, http.StatusForbidden, `Bearer error="insufficient_scope"`},
		{"an account without the role cannot read", "billing", "Bearer " + tok.bare, http.StatusForbidden, `Bearer error="insufficient_scope"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, challenge, body := getInvoices(t, base, c.org, c.auth)
			if status != c.status || !strings.HasPrefix(challenge, c.challenge) {
				t.Fatalf("%d %q (%s); want %d and a challenge starting %q", status, challenge, body, c.status, c.challenge)
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

// getInvoices asks base for the invoices of org with Authorization auth
// (none if empty).
func getInvoices(t *testing.T, base, org, auth string) (status int, challenge string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/invoices?org="+org, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}
