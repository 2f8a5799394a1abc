package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/examples/go-resource-server/invoices"
	"github.com/iamd/iamd/resource"
)

// TestExamplesRefuseRevokedTokens runs the Go and the Node resource
// servers with revocation feed polling against a real iamd: a token they
// accept is refused with invalid_token once iamd revokes it, by its jti or
// by a cutoff on its account, after a poll; the other tokens still pass.
func TestExamplesRefuseRevokedTokens(t *testing.T) {
	const audience = "https://billing.example.test"
	in := newInstance(t)
	tokens := newInvoiceTokens(t, in, audience)
	// kept is a second token of reader, and cut another reader account's,
	// revoked with a cutoff.
	kept := in.secretToken(t, "reader@acme.iam", audience)
	mustIamd(t, in.env, "accounts", "create", "reader2", "--org", "acme", "--audiences", audience)
	mustIamd(t, in.env, "accounts", "assign", "reader2@acme.iam", "--role", "acme/invoice-reader", "--on", "billing")
	cut := in.secretToken(t, "reader2@acme.iam", audience)

	servers := map[string]string{"go": goResourceServer(t, in, audience)}
	if dir := nodeExampleIfAny(t, "node-resource-server"); dir != "" {
		_, servers["node"] = startServer(t, dir, env(t, "ISSUER="+in.url, "AUDIENCE="+audience,
			"ADDR=127.0.0.1:0", "REVOCATIONS=1", "REVOCATIONS_MAX_AGE=0.1"), "node server.js")
	}
	for name, base := range servers {
		for _, tok := range []string{tokens.reader, kept, cut} {
			if status, ch, body := getInvoices(t, base, "billing", "Bearer "+tok); status != http.StatusOK {
				t.Fatalf("%s, before any revocation: %d %q %s", name, status, ch, body)
			}
		}
	}

	mustIamd(t, in.env, "tokens", "revoke", tokens.reader)
	mustIamd(t, in.env, "tokens", "revoke", "--account", "reader2@acme.iam")
	for name, base := range servers {
		t.Run(name, func(t *testing.T) {
			for _, tok := range []string{tokens.reader, cut} {
				refused := func() bool {
					status, ch, _ := getInvoices(t, base, "billing", "Bearer "+tok)
					return status == http.StatusUnauthorized && strings.HasPrefix(ch, `Bearer error="invalid_token"`) &&
						strings.Contains(ch, "revoked")
				}
				for deadline := time.Now().Add(15 * time.Second); !refused(); time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						status, ch, body := getInvoices(t, base, "billing", "Bearer "+tok)
						t.Fatalf("a revoked token is still answered %d %q %s after 15 s", status, ch, body)
					}
				}
			}
			if status, ch, body := getInvoices(t, base, "billing", "Bearer "+kept); status != http.StatusOK {
				t.Fatalf("a token that is not revoked: %d %q %s", status, ch, body)
			}
		})
	}
}

// goResourceServer serves examples/go-resource-server's handler over
// loopback with the revocation feed polled every 100 ms.
func goResourceServer(t *testing.T, in *instance, audience string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	keys, err := resource.NewRemoteKeys(ctx, in.url, resource.RemoteConfig{OnError: func(err error) { t.Errorf("key refresh: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := resource.NewRemoteRevocations(ctx, keys.Issuer(), resource.FeedConfig{
		MinAge: 50 * time.Millisecond, MaxAge: 100 * time.Millisecond,
		OnError: func(err error) { t.Errorf("polling the feed: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		revs.Run(ctx)
	}()
	v := resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now).WithRevocations(revs.Revoked)
	rs := httptest.NewServer(invoices.Handler(v, audience))
	t.Cleanup(func() {
		rs.Close()
		cancel()
		<-done
	})
	return rs.URL
}
