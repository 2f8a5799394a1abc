package oauth_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/signing"
)

// benchmarkToken measures Server.Token with client_secret_basic over
// SQLite, signing with alg, from parallel clients.
func benchmarkToken(b *testing.B, alg string) {
	e := newEnv(b, signing.ES256)
	if alg != signing.ES256 {
		e.clock.Advance(time.Second)
		if _, err := e.keys.Rotate(e.ctx, alg, 0); err != nil {
			b.Fatal(err)
		}
	}
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	srv := e.server(oauth.Config{Throttle: oauth.DefaultThrottle})
	auth := basic(id, secret)
	body := form("grant_type", "client_credentials", "scope", "data.items:read data.items:write", "audience", "https://api.acme.test")
	// Check once that the benchmark measures successes with alg.
	resp, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: body, Authorization: auth, ClientAddr: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	if got := e.inspect(resp.AccessToken).header.Algorithm; got != alg {
		b.Fatalf("signed with %s, want %s", got, alg)
	}
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		addr := fmt.Sprintf("192.0.2.%d", worker.Add(1)%250)
		for pb.Next() {
			if _, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: body, Authorization: auth, ClientAddr: addr}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkToken(b *testing.B)      { benchmarkToken(b, signing.ES256) }
func BenchmarkTokenEdDSA(b *testing.B) { benchmarkToken(b, signing.EdDSA) }
func BenchmarkTokenRS256(b *testing.B) { benchmarkToken(b, signing.RS256) }

// BenchmarkTokenRights measures tokens of an account holding roles roles,
// each of three rights, on orgs organizations (its own and children), and
// reports their size: the README's figures.
func BenchmarkTokenRights(b *testing.B) {
	for _, c := range []struct{ roles, orgs int }{{3, 3}, {20, 50}} {
		b.Run(fmt.Sprintf("%d roles on %d organizations", c.roles, c.orgs), func(b *testing.B) {
			e := newEnv(b, signing.ES256)
			id, _, secret := e.account("sync", nil, nil)
			on := []rbac.Scope{{OrgID: "acme"}}
			for i := 1; i < c.orgs; i++ {
				o, err := e.orgs.CreateOrg(e.ctx, sys, fmt.Sprintf("org-%02d", i), "", "acme")
				if err != nil {
					b.Fatal(err)
				}
				on = append(on, rbac.Scope{OrgID: o.ID})
			}
			for i := range c.roles {
				perm := fmt.Sprintf("app.resource-%02d", i)
				if _, err := e.orgs.CreatePermission(e.ctx, sys, perm, ""); err != nil {
					b.Fatal(err)
				}
				r, err := e.orgs.CreateRole(e.ctx, sys, rbac.NewRole{OrgID: "acme", Name: fmt.Sprintf("role-%02d", i),
					Rights: []rbac.Right{{Permission: perm, Operation: "read"}, {Permission: perm, Operation: "write"}, {Permission: perm, Operation: "delete"}}})
				if err != nil {
					b.Fatal(err)
				}
				if err := e.accts.AssignRole(e.ctx, sys, id, r.Ref(), on); err != nil {
					b.Fatal(err)
				}
			}
			srv := e.server(oauth.Config{Throttle: oauth.DefaultThrottle})
			req := oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, secret), ClientAddr: "192.0.2.1"}
			resp, err := srv.Token(e.ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			last := on[len(on)-1].OrgID
			if cl := e.claimsOf(resp.AccessToken); !cl.Allows(last, fmt.Sprintf("app.resource-%02d", c.roles-1), "delete") {
				b.Fatalf("the token does not grant the last role on %s: %+v", last, cl.Rights)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Token(e.ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(resp.AccessToken)), "token-bytes")
		})
	}
}

// BenchmarkTokenAssertion measures Server.Token with private_key_jwt
// (ES256 assertions, each with its own jti) beside client_secret_basic, over
// SQLite, from parallel clients: the difference is the assertion's
// signature check and its replay check, one insert.
func BenchmarkTokenAssertion(b *testing.B) {
	e := newEnv(b, signing.ES256)
	id, _, secret := e.account("sync", syncScopes, syncAudiences)
	_, kf, err := e.accts.CreateKeyPair(e.ctx, sys, id, accounts.NewKeyPair{Label: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	srv := e.server(oauth.Config{Throttle: oauth.DefaultThrottle})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: kf.PrivateKey}, nil)
	if err != nil {
		b.Fatal(err)
	}
	params := []string{"grant_type", "client_credentials", "scope", "data.items:read data.items:write", "audience", "https://api.acme.test"}
	var issued int // assertions signed so far: each jti is new
	requests := func(n int) []oauth.TokenRequest {
		reqs := make([]oauth.TokenRequest, n)
		now := e.clock.Now()
		for i := range reqs {
			claims := fmt.Sprintf(`{"iss":%q,"sub":%q,"aud":%q,"exp":%d,"jti":"bench-%d"}`, id, id, testIssuer, now.Add(time.Minute).Unix(), issued)
			issued++
			jws, err := signer.Sign([]byte(claims))
			if err != nil {
				b.Fatal(err)
			}
			a, _ := jws.CompactSerialize()
			reqs[i] = oauth.TokenRequest{ContentType: formType, ClientAddr: "192.0.2.1",
				Body: form(append(params, "client_assertion_type", accounts.AssertionType, "client_assertion", a)...)}
		}
		return reqs
	}
	if _, err := srv.Token(e.ctx, requests(1)[0]); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, next func(i int64) oauth.TokenRequest) {
		var n atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := srv.Token(e.ctx, next(n.Add(1)-1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("client_secret_basic", func(b *testing.B) {
		req := oauth.TokenRequest{ContentType: formType, Body: form(params...), Authorization: basic(id, secret), ClientAddr: "192.0.2.1"}
		run(b, func(int64) oauth.TokenRequest { return req })
	})
	b.Run("private_key_jwt", func(b *testing.B) {
		reqs := requests(b.N)
		run(b, func(i int64) oauth.TokenRequest { return reqs[i] })
	})
}
