package oauth_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
)

// TestConcurrentTokensDuringRotation issues tokens from many goroutines
// while keys rotate and refresh, for the race detector, and checks every
// token verifies with the JWKS published afterwards.
func TestConcurrentTokensDuringRotation(t *testing.T) {
	e := newEnv(t, oauth.ES256)
	id, key, secret := e.account("sync", syncScopes, syncAudiences)
	srv := e.server(oauth.Config{Throttle: generous})
	wrong := forgeSecret(t, key.ID)
	const workers, each = 8, 15
	tokens := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				addr := fmt.Sprintf("192.0.2.%d", w)
				if i%5 == 4 {
					// Failures too, to exercise the throttle.
					srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: basic(id, wrong), ClientAddr: addr})
					continue
				}
				resp, err := srv.Token(e.ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials", "scope", "data.items:read"), Authorization: basic(id, secret), ClientAddr: addr})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				tokens <- resp.AccessToken
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			e.clock.Advance(time.Second)
			if _, err := e.keys.Rotate(e.ctx, oauth.ES256, 0); err != nil {
				t.Errorf("Rotate: %v", err)
			}
			if err := e.keys.Refresh(e.ctx); err != nil {
				t.Errorf("Refresh: %v", err)
			}
			e.keys.JWKS()
			e.keys.Keys()
		}
	})
	wg.Go(func() {
		for range 5 {
			if err := e.usage.Flush(e.ctx); err != nil {
				t.Errorf("Flush: %v", err)
			}
		}
	})
	wg.Wait()
	close(tokens)
	n := 0
	v := srv.Verifier()
	for tok := range tokens {
		n++
		e.inspect(tok)
		if _, err := v.Verify(tok, testIssuer); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	if want := workers * each * 4 / 5; n != want {
		t.Errorf("%d tokens, want %d", n, want)
	}
}
