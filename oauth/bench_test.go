package oauth_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
)

// benchmarkToken measures Server.Token with client_secret_basic over
// SQLite, signing with alg, from parallel clients.
func benchmarkToken(b *testing.B, alg string) {
	e := newEnv(b, oauth.ES256)
	if alg != oauth.ES256 {
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

func BenchmarkToken(b *testing.B)      { benchmarkToken(b, oauth.ES256) }
func BenchmarkTokenEdDSA(b *testing.B) { benchmarkToken(b, oauth.EdDSA) }
func BenchmarkTokenRS256(b *testing.B) { benchmarkToken(b, oauth.RS256) }
