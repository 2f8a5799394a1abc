package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
)

// tight allows 3 failures per client ID and 5 per address, each refilling
// one every 10 seconds.
var tight = oauth.ThrottleConfig{ClientBurst: 3, ClientEvery: 10 * time.Second, AddrBurst: 5, AddrEvery: 10 * time.Second}

// throttleEnv is an env with two accounts and a server throttling tightly.
type throttleEnv struct {
	*env
	srv                  *oauth.Server
	id, secret, wrong    string
	otherID, otherSecret string
}

func newThrottleEnv(t *testing.T) *throttleEnv {
	e := newEnv(t, oauth.ES256)
	te := &throttleEnv{env: e, srv: e.server(oauth.Config{Throttle: tight})}
	id, key, secret := e.account("sync", syncScopes, nil)
	te.id, te.secret, te.wrong = id, secret, forgeSecret(t, key.ID)
	te.otherID, _, te.otherSecret = e.account("other", syncScopes, nil)
	return te
}

func (te *throttleEnv) try(auth, addr string) error {
	_, err := te.srv.Token(te.ctx, oauth.TokenRequest{
		ContentType: formType, Body: form("grant_type", "client_credentials"), Authorization: auth, ClientAddr: addr,
	})
	return err
}

// refused checks err is a failed authentication, not throttling.
func (te *throttleEnv) refused(t *testing.T, err error) {
	t.Helper()
	if oe := wantError(t, err, oauth.CodeInvalidClient, http.StatusUnauthorized, te.secret); oe.RetryAfter != 0 {
		t.Errorf("RetryAfter %v on a plain refusal", oe.RetryAfter)
	}
}

// throttled checks err is throttling and returns its RetryAfter.
func (te *throttleEnv) throttled(t *testing.T, err error) time.Duration {
	t.Helper()
	oe := wantError(t, err, oauth.CodeInvalidClient, http.StatusTooManyRequests, te.secret)
	if oe.RetryAfter <= 0 || oe.RetryAfter%time.Second != 0 {
		t.Errorf("RetryAfter %v, want a positive whole number of seconds", oe.RetryAfter)
	}
	if want := fmt.Sprintf("retry in %d seconds", int(oe.RetryAfter/time.Second)); !strings.Contains(oe.Description, want) {
		t.Errorf("description %q does not say %q", oe.Description, want)
	}
	return oe.RetryAfter
}

// addressThrottled checks that addr is past its burst: a failure from it
// is answered 429, while a correct secret from it still gets a token.
func (te *throttleEnv) addressThrottled(t *testing.T, addr string) {
	t.Helper()
	if err := te.try(basic(te.id, te.secret), addr); err != nil {
		t.Errorf("correct secret from a throttled address: %v", err)
	}
	te.throttled(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), addr))
}

// addrs hands out a fresh address per call, so that only client buckets
// drain.
type addrs int

func (a *addrs) next() string {
	*a++
	return fmt.Sprintf("203.0.113.%d", int(*a))
}

func TestThrottleThroughTokenEndpoint(t *testing.T) {
	t.Run("past a client's burst its failures are answered 429, yet its correct secret still works", func(t *testing.T) {
		te := newThrottleEnv(t)
		var a addrs
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), a.next()))
		}
		if wait := te.throttled(t, te.try(basic(te.id, te.wrong), a.next())); wait != tight.ClientEvery {
			t.Errorf("RetryAfter %v, want %v", wait, tight.ClientEvery)
		}
		// Someone else's failures never refuse a correct secret, by either
		// authentication method.
		if err := te.try(basic(te.id, te.secret), a.next()); err != nil {
			t.Errorf("correct secret while the client is throttled: %v", err)
		}
		_, err := te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: a.next(),
			Body: form("grant_type", "client_credentials", "client_id", te.id, "client_secret", te.secret)})
		if err != nil {
			t.Errorf("correct secret by client_secret_post while throttled: %v", err)
		}
		// client_secret_post failures count for the same client ID.
		_, err = te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: a.next(),
			Body: form("grant_type", "client_credentials", "client_id", te.id, "client_secret", te.wrong)})
		te.throttled(t, err)
		// Another client's failures are answered as usual.
		te.refused(t, te.try(basic(te.otherID, forgeSecret(t, mustKeyID(t, te.otherSecret))), a.next()))
	})

	t.Run("past an address's burst its failures are answered 429, yet correct secrets from it still work", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "198.51.100.1"
		// Distinct client IDs, so that only the address bucket drains.
		for i := range tight.AddrBurst {
			te.refused(t, te.try(basic(fmt.Sprintf("ghost-%d@acme.iam", i), te.wrong), addr))
		}
		te.throttled(t, te.try(basic("ghost@acme.iam", te.wrong), addr))
		for _, c := range [][2]string{{te.id, te.secret}, {te.otherID, te.otherSecret}} {
			if err := te.try(basic(c[0], c[1]), addr); err != nil {
				t.Errorf("%s from the throttled address: %v", c[0], err)
			}
		}
		// Nor is a correct client_secret_post refused.
		_, err := te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: addr,
			Body: form("grant_type", "client_credentials", "client_id", te.id, "client_secret", te.secret)})
		if err != nil {
			t.Errorf("client_secret_post from the throttled address: %v", err)
		}
		// Another address's failures are answered plainly.
		te.refused(t, te.try(basic(te.id, te.wrong), "198.51.100.2"))
	})

	t.Run("malformed credentials drain the address budget only", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "198.51.100.3"
		for range tight.AddrBurst {
			te.refused(t, te.try(basicRaw("no-colon"), addr))
		}
		te.addressThrottled(t, addr)
		// Once past the burst, malformed attempts are throttled as well.
		te.throttled(t, te.try(basicRaw(":"), addr))
		// The client's own budget is untouched.
		te.refused(t, te.try(basic(te.id, te.wrong), "198.51.100.4"))
	})

	t.Run("successful authentications never consume the budget", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "192.0.2.50"
		for i := range 100 {
			if err := te.try(basic(te.id, te.secret), addr); err != nil {
				t.Fatalf("success %d: %v", i, err)
			}
		}
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), addr))
		}
		te.throttled(t, te.try(basic(te.id, te.wrong), addr))
	})

	t.Run("the client's budget refills with time", func(t *testing.T) {
		te := newThrottleEnv(t)
		var a addrs
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), a.next()))
		}
		te.clock.Advance(tight.ClientEvery - 1500*time.Millisecond)
		if wait := te.throttled(t, te.try(basic(te.id, te.wrong), a.next())); wait != 2*time.Second {
			t.Errorf("1.5 s before refill RetryAfter is %v, want it rounded up to 2s", wait)
		}
		// Answering 429 did not take a token: the wait was honest.
		te.clock.Advance(1500 * time.Millisecond)
		te.refused(t, te.try(basic(te.id, te.wrong), a.next()))
		te.throttled(t, te.try(basic(te.id, te.wrong), a.next()))
		// A long wait refills the full burst but no more.
		te.clock.Advance(time.Hour)
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), a.next()))
		}
		te.throttled(t, te.try(basic(te.id, te.wrong), a.next()))
	})

	t.Run("an address's budget refills with time", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "192.0.2.60"
		for i := range tight.AddrBurst {
			te.refused(t, te.try(basic(fmt.Sprintf("ghost-%d@acme.iam", i), te.wrong), addr))
		}
		te.addressThrottled(t, addr)
		// addressThrottled charged one more failure: two intervals refill
		// the one token the next failure needs to be answered plainly.
		te.clock.Advance(2 * tight.AddrEvery)
		te.refused(t, te.try(basic("ghost@acme.iam", te.wrong), addr))
		te.throttled(t, te.try(basic("ghost@acme.iam", te.wrong), addr))
	})

	t.Run("secrets failing their checksum are refused without a lookup, throttled or not", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "192.0.2.70"
		te.store.reset()
		// One character of the random part changed: the checksum fails.
		i := len(te.secret) - 20
		flipped := byte('a')
		if te.secret[i] == 'a' {
			flipped = 'b'
		}
		bad := te.secret[:i] + string(flipped) + te.secret[i+1:]
		if _, ok := accounts.SecretKeyID(bad); ok {
			t.Fatalf("%q passes its checksum", bad)
		}
		for range 2 * tight.AddrBurst {
			if err := te.try(basic(te.id, bad), addr); err == nil {
				t.Fatal("a secret with a wrong checksum was accepted")
			}
		}
		if n := te.store.snapshot()["GetCredential"]; n != 0 {
			t.Errorf("secrets with a wrong checksum caused %d lookups", n)
		}
		te.addressThrottled(t, addr)
	})
}

func mustKeyID(t *testing.T, secret string) string {
	t.Helper()
	id, ok := accounts.SecretKeyID(secret)
	if !ok {
		t.Fatalf("%q is not a secret", secret)
	}
	return id
}

// TestThrottleCountsPerClientOnlyGuessesThatCouldSucceed: a secret naming
// no key of the claimed client can never be right, so it counts against the
// address only; made-up or foreign key IDs cannot lock a client out.
func TestThrottleCountsPerClientOnlyGuessesThatCouldSucceed(t *testing.T) {
	for _, c := range []struct {
		name  string
		guess func(te *throttleEnv) string
	}{
		{"unknown key IDs", func(te *throttleEnv) string { return forgeSecret(t, randomKeyID()) }},
		{"another client's key", func(te *throttleEnv) string { return te.otherSecret }},
		{"malformed secrets", func(te *throttleEnv) string { return "iamd_not-a-secret" }},
	} {
		t.Run("failures with "+c.name+" do not count against the client", func(t *testing.T) {
			te := newThrottleEnv(t)
			for i := range 3 * tight.ClientBurst {
				te.refused(t, te.try(basic(te.id, c.guess(te)), fmt.Sprintf("198.51.100.%d", i)))
			}
			// The client's bucket is still full: its own failures are
			// answered plainly, and its secret works.
			te.refused(t, te.try(basic(te.id, te.wrong), "198.51.100.200"))
			if err := te.try(basic(te.id, te.secret), "198.51.100.201"); err != nil {
				t.Fatalf("correct secret: %v", err)
			}
		})
		t.Run("failures with "+c.name+" still count against the address", func(t *testing.T) {
			te := newThrottleEnv(t)
			for range tight.AddrBurst {
				te.refused(t, te.try(basic(te.id, c.guess(te)), "198.51.100.7"))
			}
			te.addressThrottled(t, "198.51.100.7")
		})
	}
}

func TestThrottleBucketsIPv6AddressesBySlash64(t *testing.T) {
	te := newThrottleEnv(t)
	for i := range tight.AddrBurst {
		te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), fmt.Sprintf("2001:db8:1:2::%x", i+1)))
	}
	// Another address of the same /64 is the same host or site.
	te.addressThrottled(t, "2001:db8:1:2:ffff:ffff:ffff:ffff")
	// Another /64 is not.
	te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), "2001:db8:1:3::1"))
	// IPv4 addresses are not grouped.
	for range tight.AddrBurst {
		te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), "192.0.2.1"))
	}
	te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), "192.0.2.2"))
}

func TestOnlyIssuedTokensTouchCredentialsAndUsage(t *testing.T) {
	t.Run("an unsupported grant is refused without looking at the credentials", func(t *testing.T) {
		te := newThrottleEnv(t)
		te.store.reset()
		for range 2 * tight.AddrBurst {
			_, err := te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: "192.0.2.80",
				Authorization: basic(te.id, te.wrong), Body: form("grant_type", "password", "username", "u", "password", "p")})
			wantError(t, err, oauth.CodeUnsupportedGrantType, http.StatusBadRequest, te.wrong)
		}
		if n := te.store.snapshot()["GetCredential"]; n != 0 {
			t.Errorf("unsupported grants looked up credentials %d times", n)
		}
		// Nothing was counted against the client or the address.
		te.refused(t, te.try(basic(te.id, te.wrong), "192.0.2.80"))
		if err := te.try(basic(te.id, te.secret), "192.0.2.80"); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct{ name, param, value, code string }{
		{"a scope the account lacks", "scope", "data.items:archive", oauth.CodeInvalidScope},
		{"an audience the account lacks", "audience", "https://elsewhere.test", oauth.CodeInvalidTarget},
	} {
		t.Run("a request refused for "+c.name+" does not mark the key used", func(t *testing.T) {
			te := newThrottleEnv(t)
			_, err := te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: "192.0.2.90",
				Authorization: basic(te.id, te.secret), Body: form("grant_type", "client_credentials", c.param, c.value)})
			wantError(t, err, c.code, http.StatusBadRequest, te.secret)
			if err := te.usage.Flush(te.ctx); err != nil {
				t.Fatal(err)
			}
			k, err := te.db.GetKey(te.ctx, mustKeyID(t, te.secret))
			if err != nil {
				t.Fatal(err)
			}
			if !k.LastUsedAt.IsZero() {
				t.Fatalf("the key shows as used at %v", k.LastUsedAt)
			}
			// A token it does get marks it.
			if err := te.try(basic(te.id, te.secret), "192.0.2.90"); err != nil {
				t.Fatal(err)
			}
			te.usage.Flush(te.ctx)
			if k, _ := te.db.GetKey(te.ctx, k.ID); k.LastUsedAt.IsZero() {
				t.Fatal("an issued token did not mark the key used")
			}
		})
	}
}

func TestThrottleHoldsAnAddressPastItsBurstToOneLookupAtATime(t *testing.T) {
	te := newThrottleEnv(t)
	const attacker, neighbour = "198.51.100.66", "198.51.100.67"
	for range tight.AddrBurst {
		te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), attacker))
	}
	// concurrently sends n correct requests from addr and returns the most
	// lookups seen under way at once.
	concurrently := func(t *testing.T, addr string, n int) int {
		t.Helper()
		te.store.slowCredentials(20 * time.Millisecond)
		defer te.store.slowCredentials(0)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if err := te.try(basic(te.id, te.secret), addr); err != nil {
					t.Errorf("correct secret from %s: %v", addr, err)
				}
			})
		}
		wg.Wait()
		return te.store.lookupsAtOnce()
	}
	t.Run("an address within its burst is looked up in parallel", func(t *testing.T) {
		if n := concurrently(t, neighbour, 8); n < 2 {
			t.Fatalf("at most %d lookup at once; the test cannot tell a lane from none", n)
		}
	})
	t.Run("an address past its burst gets every correct request through, one lookup at a time", func(t *testing.T) {
		if n := concurrently(t, attacker, 8); n != 1 {
			t.Errorf("%d lookups at once from a throttled address, want 1", n)
		}
	})
	t.Run("a request that cannot get its turn in time is given up with 503 and Retry-After, unlooked up", func(t *testing.T) {
		te.store.slowCredentials(300 * time.Millisecond)
		defer te.store.slowCredentials(0)
		held := make(chan error, 1)
		go func() { held <- te.try(basic(te.id, te.secret), attacker) }()
		for te.store.lookupsAtOnce() == 0 {
			time.Sleep(time.Millisecond)
		}
		te.store.reset()
		ctx, cancel := context.WithTimeout(te.ctx, 20*time.Millisecond)
		defer cancel()
		_, err := te.srv.Token(ctx, oauth.TokenRequest{ContentType: formType, Body: form("grant_type", "client_credentials"),
			Authorization: basic(te.id, te.secret), ClientAddr: attacker})
		oe := wantError(t, err, oauth.CodeTemporarilyUnavailable, http.StatusServiceUnavailable, te.secret)
		if oe.RetryAfter != time.Second {
			t.Errorf("RetryAfter %v, want 1s", oe.RetryAfter)
		}
		if n := te.store.snapshot()["GetCredential"]; n != 0 {
			t.Errorf("the request given up was looked up %d times", n)
		}
		if err := <-held; err != nil {
			t.Errorf("the request holding the turn: %v", err)
		}
	})
}
