package resource_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

// ages returns how long rk uses a set: the time after which a lookup of a
// cached key fetches again, to the second, up to limit.
func ages(t *testing.T, s *jwksServer, rk *resource.RemoteKeys, clk *clock, limit time.Duration) time.Duration {
	t.Helper()
	before := s.fetches.Load()
	for d := time.Duration(0); d <= limit; d += time.Second {
		rk.Lookup("a")
		if s.fetches.Load() != before {
			return d
		}
		clk.Advance(time.Second)
	}
	return -1
}

func TestRemoteKeysHonourCacheControlWithinBounds(t *testing.T) {
	cases := []struct {
		name, header string
		want         time.Duration
	}{
		{"max-age", "public, max-age=300", 300 * time.Second},
		{"max-age in capitals", "Max-Age=120", 120 * time.Second},
		{"max-age above MaxAge is cut to MaxAge", "max-age=99999999999999999", 20 * time.Minute},
		{"max-age below MinAge is raised to MinAge", "max-age=1", 90 * time.Second},
		{"no-cache is MinAge", "no-cache", 90 * time.Second},
		{"no-store is MinAge", "max-age=600, no-store", 90 * time.Second},
		{"no header is MaxAge", "", 20 * time.Minute},
		{"a malformed max-age is MaxAge", "max-age=soon", 20 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newJWKSServer(t, pub(ecKey(t), "a"))
			s.set(func(s *jwksServer) { s.cacheControl = tc.header })
			clk := newClock()
			rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now, MinAge: 90 * time.Second, MaxAge: 20 * time.Minute})
			if got := ages(t, s, rk, clk, time.Hour); got != tc.want {
				t.Fatalf("Cache-Control %q: the set is fetched again after %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestRemoteKeysRevalidateWithTheirETag(t *testing.T) {
	a := ecKey(t)
	s := newJWKSServer(t, pub(a, "a"))
	s.set(func(s *jwksServer) { s.cacheControl, s.etag = "max-age=300", `"v1"` })
	clk := newClock()
	rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now})

	// The set is out of date: it is revalidated, the server answers 304,
	// and the keys serve for another max-age without another request.
	clk.Advance(300 * time.Second)
	if _, ok := rk.Lookup("a"); !ok {
		t.Fatal("a 304 lost the cached keys")
	}
	if s.fetches.Load() != 2 || s.notModified.Load() != 1 {
		t.Fatalf("%d fetches, %d answered 304; want the second one", s.fetches.Load(), s.notModified.Load())
	}
	if got := ages(t, s, rk, clk, time.Hour); got != 300*time.Second {
		t.Fatalf("after a 304 the set is fetched again after %v, want its max-age again", got)
	}

	// A new set under a new tag replaces it.
	b := ecKey(t)
	s.set(func(s *jwksServer) { s.keys, s.etag = []any{pub(b, "b")}, `"v2"` })
	clk.Advance(300 * time.Second)
	if _, ok := rk.Lookup("b"); !ok {
		t.Fatal("the new set was not taken")
	}
	if _, ok := rk.Lookup("a"); ok {
		t.Fatal("a key the new set lacks is still used")
	}
}

func TestRemoteKeysServeTheirLastGoodKeysWhenTheServerFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(s *jwksServer)
		want string
	}{
		{"an error answer", func(s *jwksServer) { s.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable }) }, "503"},
		{"a 304 without having asked", func(s *jwksServer) { s.set(func(s *jwksServer) { s.status = http.StatusNotModified }) }, "304"},
		{"an unreachable server", func(s *jwksServer) { s.Close() }, "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newJWKSServer(t, pub(ecKey(t), "a"))
			clk := newClock()
			var mu sync.Mutex
			var errs []string
			rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now, MaxAge: time.Minute, OnError: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err.Error())
			}})
			tc.fail(s)
			for range 3 {
				clk.Advance(time.Minute)
				if _, ok := rk.Lookup("a"); !ok {
					t.Fatal("a failed refetch lost the last good keys")
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(errs) != 3 || !strings.Contains(errs[0], tc.want) {
				t.Fatalf("errors reported: %q; want three naming %q", errs, tc.want)
			}
		})
	}
}

func TestRemoteKeysWithoutAlgVerifyNothing(t *testing.T) {
	k := ecKey(t)
	noAlg := pub(k, "a")
	noAlg.Algorithm = ""
	s := newJWKSServer(t, noAlg)
	clk := newClock()
	rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now})
	v := resource.NewVerifier(rk.Issuer(), rk.Lookup, clk.Now)
	now := clk.Now().Unix()
	tok := sign(t, jose.ES256, k, "a", "at+jwt", map[string]any{
		"iss": s.URL, "sub": "s@acme.iam", "client_id": "s@acme.iam", "jti": "j", "exp": now + 60, "iat": now, "nbf": now,
	})
	if _, err := v.Verify(tok, ""); err == nil || !strings.Contains(err.Error(), "signs , not ES256") {
		t.Fatalf("a token signed with a JWK without alg: %v; want it refused", err)
	}
}
