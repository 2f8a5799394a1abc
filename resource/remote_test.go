package resource_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
)

// jwksServer is an authorization server's metadata and JWKS over loopback.
type jwksServer struct {
	*httptest.Server
	// issuer is what the metadata names; the server's URL unless changed.
	issuer string
	mu     sync.Mutex
	keys   []any // what the JWKS lists, marshalled at each request
	status int   // of the JWKS answer; 0 is 200
	pad    int   // bytes of padding added to the JWKS
	// cacheControl and etag, if not empty, are sent with the JWKS; a
	// request with If-None-Match: etag is answered 304.
	cacheControl, etag string
	// notModified counts 304 answers.
	notModified atomic.Int32
	// fetches counts JWKS requests.
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, keys ...any) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+resource.MetadataPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"issuer": s.issuer, "jwks_uri": s.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		if s.cacheControl != "" {
			w.Header().Set("Cache-Control", s.cacheControl)
		}
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
			if r.Header.Get("If-None-Match") == s.etag {
				s.notModified.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys, "pad": strings.Repeat("x", s.pad)})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	s.set(func(s *jwksServer) { s.issuer = s.URL })
	return s
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(k *ecdsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

func remoteKeys(t *testing.T, s *jwksServer, cfg resource.RemoteConfig) *resource.RemoteKeys {
	t.Helper()
	rk, err := resource.NewRemoteKeys(context.Background(), s.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

func TestRemoteKeysCacheTheSet(t *testing.T) {
	a := ecKey(t)
	s := newJWKSServer(t, pub(a, "a"))
	clk := newClock()
	rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now})
	if rk.Issuer() != s.URL {
		t.Errorf("Issuer() = %q, want %q", rk.Issuer(), s.URL)
	}
	for range 100 {
		if k, ok := rk.Lookup("a"); !ok || k.KeyID != "a" || !k.IsPublic() {
			t.Fatalf("Lookup(a) = %+v, %v", k, ok)
		}
	}
	clk.Advance(resource.DefaultMaxAge - time.Second)
	if _, ok := rk.Lookup("a"); !ok || s.fetches.Load() != 1 {
		t.Fatalf("a cached key: found %v after %d fetches; want one fetch", ok, s.fetches.Load())
	}

	// A token verifies with the fetched key.
	v := resource.NewVerifier(rk.Issuer(), rk.Lookup, clk.Now)
	now := clk.Now().Unix()
	tok := sign(t, jose.ES256, a, "a", "at+jwt", map[string]any{
		"iss": s.URL, "sub": "s@acme.iam", "client_id": "s@acme.iam", "jti": "j", "exp": now + 60, "iat": now, "nbf": now,
	})
	if _, err := v.Verify(tok, ""); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteKeysRefetchForAnUnknownKidAtMostEveryInterval(t *testing.T) {
	a, b := ecKey(t), ecKey(t)
	s := newJWKSServer(t, pub(a, "a"))
	clk := newClock()
	interval := 3 * time.Second
	rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now, RefetchInterval: interval})
	wantFetches := func(n int32) {
		t.Helper()
		if got := s.fetches.Load(); got != n {
			t.Fatalf("%d fetches of the JWKS, want %d", got, n)
		}
	}

	// Right after the first fetch, an unknown kid fetches nothing.
	if _, ok := rk.Lookup("b"); ok {
		t.Fatal("Lookup(b) found a key that is not published")
	}
	wantFetches(1)
	s.set(func(s *jwksServer) { s.keys = append(s.keys, pub(b, "b")) })
	clk.Advance(interval - time.Millisecond)
	if _, ok := rk.Lookup("b"); ok {
		t.Fatal("Lookup(b) refetched within the interval")
	}
	wantFetches(1)
	clk.Advance(time.Millisecond)
	if _, ok := rk.Lookup("b"); !ok {
		t.Fatal("a key published since the last fetch is not found once the interval passed")
	}
	wantFetches(2)

	// Made-up kids, many at once, fetch once per interval.
	clk.Advance(interval)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, ok := rk.Lookup("made-up-" + string(rune('a'+i%26))); ok {
				t.Error("a made-up kid was found")
			}
		})
	}
	wg.Wait()
	wantFetches(3)
	for range 10 {
		rk.Lookup("made-up")
	}
	wantFetches(3)
	// Known keys are still found without a fetch.
	if _, ok := rk.Lookup("a"); !ok {
		t.Fatal("Lookup(a) after made-up kids")
	}
	wantFetches(3)
}

func TestRemoteKeysDropKeysTheServerStopsPublishing(t *testing.T) {
	a, b := ecKey(t), ecKey(t)
	s := newJWKSServer(t, pub(a, "a"), pub(b, "b"))
	clk := newClock()
	var errs []error
	rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now, MaxAge: time.Minute, OnError: func(err error) { errs = append(errs, err) }})

	// A failed refetch keeps the set in use, and is reported.
	s.set(func(s *jwksServer) { s.status = http.StatusInternalServerError })
	clk.Advance(time.Minute)
	if _, ok := rk.Lookup("a"); !ok {
		t.Fatal("a failed refetch lost the cached keys")
	}
	if s.fetches.Load() != 2 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "500") {
		t.Fatalf("%d fetches, errors %v; want a second, failed fetch reported", s.fetches.Load(), errs)
	}

	s.set(func(s *jwksServer) { s.status, s.keys = 0, []any{pub(b, "b")} })
	clk.Advance(resource.DefaultRefetchInterval)
	if _, ok := rk.Lookup("a"); ok {
		t.Fatal("a key the server no longer publishes is still used past MaxAge")
	}
	if _, ok := rk.Lookup("b"); !ok {
		t.Fatal("Lookup(b) after the refetch")
	}
}

func TestRemoteKeysKeepOnlyUsableSigningKeys(t *testing.T) {
	k := ecKey(t)
	sym := jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"}
	s := newJWKSServer(t,
		pub(ecKey(t), "sig"),
		jose.JSONWebKey{Key: k.Public(), KeyID: "no-use", Algorithm: "ES256"},
		jose.JSONWebKey{Key: k, KeyID: "private", Algorithm: "ES256", Use: "sig"},
		jose.JSONWebKey{Key: k.Public(), KeyID: "enc", Algorithm: "ECDH-ES", Use: "enc"},
		sym,
		pub(ecKey(t), "twice"), pub(ecKey(t), "twice"),
		map[string]string{"kty": "future", "kid": "unknown-type"},
		pub(ecKey(t), ""),
	)
	rk := remoteKeys(t, s, resource.RemoteConfig{})
	for kid, want := range map[string]bool{
		"sig": true, "no-use": true, "private": true,
		"enc": false, "oct": false, "twice": false, "unknown-type": false, "": false,
	} {
		key, ok := rk.Lookup(kid)
		if ok != want {
			t.Errorf("Lookup(%q) found %v, want %v", kid, ok, want)
		}
		if ok && !key.IsPublic() {
			t.Errorf("Lookup(%q) returned a private key", kid)
		}
	}
}

func TestRemoteKeysRefuseBadMetadataAndOversizedAnswers(t *testing.T) {
	a := ecKey(t)
	ctx := context.Background()
	t.Run("metadata naming another issuer is refused", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		s.set(func(s *jwksServer) { s.issuer = "https://evil.test" })
		_, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{})
		if err == nil || !strings.Contains(err.Error(), `names issuer "https://evil.test"`) {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
	})
	t.Run("an empty issuer takes the one of the metadata it is told to read", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		s.set(func(s *jwksServer) { s.issuer = "https://iam.example.test" })
		rk, err := resource.NewRemoteKeys(ctx, "", resource.RemoteConfig{MetadataURL: s.URL + resource.MetadataPath})
		if err != nil || rk.Issuer() != "https://iam.example.test" {
			t.Fatalf("NewRemoteKeys = %v, %v", rk, err)
		}
		if _, err := resource.NewRemoteKeys(ctx, "", resource.RemoteConfig{}); err == nil {
			t.Fatal("neither an issuer nor a metadata URL was accepted")
		}
	})
	t.Run("a failed JWKS fetch is reported", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		s.set(func(s *jwksServer) { s.status = http.StatusNotFound })
		if _, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{}); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
	})
	t.Run("an unreachable server is reported", func(t *testing.T) {
		s := newJWKSServer(t)
		s.Close()
		_, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{})
		if err == nil || !strings.Contains(err.Error(), "fetch "+s.URL+resource.MetadataPath) {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
	})
	t.Run("an oversized JWKS is refused", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		s.set(func(s *jwksServer) { s.pad = 4 << 10 })
		_, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{MaxResponseBytes: 4 << 10})
		if err == nil || !strings.Contains(err.Error(), "larger than 4096 bytes") {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
		s.set(func(s *jwksServer) { s.pad = resource.DefaultMaxResponseBytes })
		if _, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{}); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("NewRemoteKeys with the default bound = %v", err)
		}
		s.set(func(s *jwksServer) { s.pad = 0 })
		if _, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{MaxResponseBytes: 4 << 10}); err != nil {
			t.Fatalf("the same JWKS without padding: %v", err)
		}
	})
	t.Run("an oversized refetch keeps the keys", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		clk := newClock()
		var errs []error
		rk := remoteKeys(t, s, resource.RemoteConfig{Now: clk.Now, MaxResponseBytes: 4 << 10, OnError: func(err error) { errs = append(errs, err) }})
		s.set(func(s *jwksServer) { s.pad, s.keys = 8<<10, nil })
		clk.Advance(resource.DefaultMaxAge)
		if _, ok := rk.Lookup("a"); !ok || len(errs) != 1 || !strings.Contains(errs[0].Error(), "larger than") {
			t.Fatalf("Lookup(a) = %v, errors %v", ok, errs)
		}
	})
	t.Run("oversized metadata is refused", func(t *testing.T) {
		big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"issuer":"x","jwks_uri":"http://127.0.0.1/jwks","pad":"` + strings.Repeat("x", 5000) + `"}`))
		}))
		defer big.Close()
		_, err := resource.NewRemoteKeys(ctx, "", resource.RemoteConfig{MetadataURL: big.URL, MaxResponseBytes: 4 << 10})
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
	})
	for name, md := range map[string]string{
		"metadata without jwks_uri is refused":    `{"issuer":"ISSUER"}`,
		"a jwks_uri that is not a URL is refused": `{"issuer":"ISSUER","jwks_uri":"/jwks"}`,
		"a jwks_uri of another scheme is refused": `{"issuer":"ISSUER","jwks_uri":"file:///etc/passwd"}`,
		"metadata without issuer is refused":      `{"jwks_uri":"http://127.0.0.1/jwks"}`,
		"metadata that is not JSON is refused":    `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(strings.ReplaceAll(md, "ISSUER", "http://"+r.Host)))
			}))
			defer srv.Close()
			if _, err := resource.NewRemoteKeys(ctx, srv.URL, resource.RemoteConfig{}); err == nil {
				t.Fatal("NewRemoteKeys accepted it")
			}
		})
	}
	t.Run("a canceled context stops the first fetch", func(t *testing.T) {
		s := newJWKSServer(t, pub(a, "a"))
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := resource.NewRemoteKeys(ctx, s.URL, resource.RemoteConfig{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
	})
}
