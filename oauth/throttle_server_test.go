package oauth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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

func TestThrottleThroughTokenEndpoint(t *testing.T) {
	t.Run("after a client's burst of failures even its correct secret from another address is refused", func(t *testing.T) {
		te := newThrottleEnv(t)
		for i := range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), fmt.Sprintf("203.0.113.%d", i)))
		}
		wait := te.throttled(t, te.try(basic(te.id, te.secret), "203.0.113.200"))
		if wait != tight.ClientEvery {
			t.Errorf("RetryAfter %v, want %v", wait, tight.ClientEvery)
		}
		// client_secret_post is throttled by the same client ID.
		_, err := te.srv.Token(te.ctx, oauth.TokenRequest{ContentType: formType, ClientAddr: "203.0.113.201",
			Body: form("grant_type", "client_credentials", "client_id", te.id, "client_secret", te.secret)})
		te.throttled(t, err)
		// Another client from a fresh address is unaffected.
		if err := te.try(basic(te.otherID, te.otherSecret), "203.0.113.202"); err != nil {
			t.Errorf("another client: %v", err)
		}
	})

	t.Run("after an address's burst of failures any client from it is refused", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "198.51.100.1"
		// Distinct client IDs, so that only the address bucket drains.
		for i := range tight.AddrBurst {
			te.refused(t, te.try(basic(fmt.Sprintf("ghost-%d@acme.iam", i), te.wrong), addr))
		}
		te.throttled(t, te.try(basic(te.id, te.secret), addr))
		te.throttled(t, te.try(basic(te.otherID, te.otherSecret), addr))
		if err := te.try(basic(te.id, te.secret), "198.51.100.2"); err != nil {
			t.Errorf("the same client from another address: %v", err)
		}
	})

	t.Run("malformed credentials drain the address budget only", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "198.51.100.3"
		for range tight.AddrBurst {
			te.refused(t, te.try(basicRaw("no-colon"), addr))
		}
		te.throttled(t, te.try(basic(te.id, te.secret), addr))
		// Once blocked, malformed attempts are throttled as well.
		te.throttled(t, te.try(basicRaw(":"), addr))
		if err := te.try(basic(te.id, te.secret), "198.51.100.4"); err != nil {
			t.Errorf("from another address: %v", err)
		}
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
		te.throttled(t, te.try(basic(te.id, te.secret), addr))
	})

	t.Run("the budget refills with time", func(t *testing.T) {
		te := newThrottleEnv(t)
		const addr = "192.0.2.60"
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), addr))
		}
		te.clock.Advance(tight.ClientEvery - 1500*time.Millisecond)
		if wait := te.throttled(t, te.try(basic(te.id, te.secret), addr)); wait != 2*time.Second {
			t.Errorf("1.5 s before refill RetryAfter is %v, want it rounded up to 2s", wait)
		}
		te.clock.Advance(1500 * time.Millisecond)
		if err := te.try(basic(te.id, te.secret), addr); err != nil {
			t.Fatalf("after refilling one token: %v", err)
		}
		// One token refilled: one failure allowed, then refused again.
		te.refused(t, te.try(basic(te.id, te.wrong), addr))
		te.throttled(t, te.try(basic(te.id, te.secret), addr))
		// A long wait refills the full burst but no more.
		te.clock.Advance(time.Hour)
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), addr))
		}
		te.throttled(t, te.try(basic(te.id, te.secret), addr))
	})

	t.Run("a throttled request is refused before its credentials are looked up", func(t *testing.T) {
		te := newThrottleEnv(t)
		for range tight.ClientBurst {
			te.refused(t, te.try(basic(te.id, te.wrong), "192.0.2.70"))
		}
		te.store.reset()
		te.throttled(t, te.try(basic(te.id, te.secret), "192.0.2.71"))
		if n := te.store.snapshot()["GetCredential"]; n != 0 {
			t.Errorf("a throttled request looked up credentials %d times", n)
		}
	})
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
		t.Run("failures with "+c.name+" do not lock the client out", func(t *testing.T) {
			te := newThrottleEnv(t)
			for i := range 3 * tight.ClientBurst {
				te.refused(t, te.try(basic(te.id, c.guess(te)), fmt.Sprintf("198.51.100.%d", i)))
			}
			if err := te.try(basic(te.id, te.secret), "198.51.100.200"); err != nil {
				t.Fatalf("the client was locked out by guesses that could not succeed: %v", err)
			}
		})
		t.Run("failures with "+c.name+" still count against the address", func(t *testing.T) {
			te := newThrottleEnv(t)
			for range tight.AddrBurst {
				te.refused(t, te.try(basic(te.id, c.guess(te)), "198.51.100.7"))
			}
			te.throttled(t, te.try(basic(te.id, te.secret), "198.51.100.7"))
		})
	}
}

func TestThrottleBucketsIPv6AddressesBySlash64(t *testing.T) {
	te := newThrottleEnv(t)
	for i := range tight.AddrBurst {
		te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), fmt.Sprintf("2001:db8:1:2::%x", i+1)))
	}
	// Another address of the same /64 is the same host or site.
	te.throttled(t, te.try(basic(te.id, te.secret), "2001:db8:1:2:ffff:ffff:ffff:ffff"))
	// Another /64 is not.
	if err := te.try(basic(te.id, te.secret), "2001:db8:1:3::1"); err != nil {
		t.Fatalf("a different /64 was throttled: %v", err)
	}
	// IPv4 addresses are not grouped.
	for range tight.AddrBurst {
		te.refused(t, te.try(basic(te.id, forgeSecret(t, randomKeyID())), "192.0.2.1"))
	}
	if err := te.try(basic(te.id, te.secret), "192.0.2.2"); err != nil {
		t.Fatalf("a neighbouring IPv4 address was throttled: %v", err)
	}
}
