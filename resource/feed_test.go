package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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

// feedServer serves a revocation feed over loopback as iamd does: the
// Revocations JSON with an ETag and Cache-Control, 304 on a matching
// If-None-Match.
type feedServer struct {
	*httptest.Server
	mu   sync.Mutex
	feed resource.Revocations
	// etag and cacheControl are sent when not empty.
	etag, cacheControl string
	status             int // 0 is 200
	pad                int // bytes of padding in the body
	// fetches counts requests, notModified the 304 answers, and
	// conditional the requests that carried the ETag.
	fetches, notModified, conditional atomic.Int32
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	s := &feedServer{etag: `"r1"`, cacheControl: "public, max-age=30"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != resource.RevocationsPath {
			http.NotFound(w, r)
			return
		}
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
				s.conditional.Add(1)
				s.notModified.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if r.Header.Get("If-None-Match") != "" {
			s.conditional.Add(1)
		}
		b, _ := json.Marshal(s.feed)
		if s.pad > 0 {
			b = append(b[:len(b)-1], []byte(`,"pad":"`+strings.Repeat("x", s.pad)+`"}`)...)
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	s.set(func(s *feedServer) { s.feed.Issuer = s.URL })
	return s
}

func (s *feedServer) set(f func(s *feedServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func remoteRevocations(t *testing.T, s *feedServer, cfg resource.FeedConfig) *resource.RemoteRevocations {
	t.Helper()
	r, err := resource.NewRemoteRevocations(context.Background(), s.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRemoteRevocationsRefuseWhatTheFeedLists(t *testing.T) {
	s := newFeedServer(t)
	clk := newClock()
	now := clk.Now().Unix()
	s.set(func(s *feedServer) {
		s.feed.Tokens = []resource.RevokedToken{{ID: "revoked-jti", Expiry: now + 600}}
		s.feed.Cutoffs = []resource.Cutoff{
			{Account: "acct-all", IssuedBefore: now, Expiry: now + 600},
			{Account: "acct-key", Key: "key-1", IssuedBefore: now, Expiry: now + 600},
		}
	})
	revs := remoteRevocations(t, s, resource.FeedConfig{Now: clk.Now})

	k := ecKey(t)
	keys := func(kid string) (jose.JSONWebKey, bool) { return pub(k, "a"), kid == "a" }
	plain := resource.NewVerifier(s.URL, keys, clk.Now)
	v := plain.WithRevocations(revs.Revoked)
	token := func(jti, acct, key string, iat int64) string {
		return sign(t, jose.ES256, k, "a", "at+jwt", map[string]any{
			"iss": s.URL, "sub": "s@acme.iam", "client_id": "s@acme.iam", "jti": jti,
			"aud": testAudience, "acct": acct, "key": key, "exp": now + 300, "iat": iat, "nbf": iat,
		})
	}
	for _, c := range []struct {
		name    string
		token   string
		revoked bool
	}{
		{"a token revoked by its jti is refused", token("revoked-jti", "acct-other", "key-9", now), true},
		{"another token of the same account is accepted", token("fresh-jti", "acct-other", "key-9", now), false},
		{"a token of an account cut off, issued before the cutoff, is refused", token("j1", "acct-all", "key-3", now-1), true},
		{"a token of that account issued at the cutoff is accepted", token("j2", "acct-all", "key-3", now), false},
		{"a token of the key cut off, issued before, is refused", token("j3", "acct-key", "key-1", now-60), true},
		{"a token of another key of that account is accepted", token("j4", "acct-key", "key-2", now-60), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := plain.Verify(c.token, ""); err != nil {
				t.Fatalf("without revocations: %v", err)
			}
			_, err := v.Verify(c.token, "")
			if c.revoked != (err != nil) {
				t.Fatalf("Verify = %v, want revoked %v", err, c.revoked)
			}
			if c.revoked && (!errors.Is(err, resource.ErrRevoked) || !errors.Is(err, resource.ErrInvalidToken)) {
				t.Fatalf("Verify = %v, want ErrRevoked and ErrInvalidToken", err)
			}
		})
	}

	t.Run("the middleware answers a revoked token 401 invalid_token", func(t *testing.T) {
		rs := guarded(t, v)
		for tok, want := range map[string]int{token("revoked-jti", "x", "y", now): 401, token("ok", "x", "y", now): 200} {
			req, _ := http.NewRequest(http.MethodGet, rs.URL+"/any", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ch := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != want || want == 401 && ch != `Bearer error="invalid_token", error_description="the token is revoked"` {
				t.Fatalf("%d %q, want %d", resp.StatusCode, ch, want)
			}
		}
	})
}

func TestRemoteRevocationsRevalidateWithTheirETag(t *testing.T) {
	s := newFeedServer(t)
	s.set(func(s *feedServer) { s.feed.Tokens = []resource.RevokedToken{{ID: "a", Expiry: 1 << 40}} })
	clk := newClock()
	revs := remoteRevocations(t, s, resource.FeedConfig{Now: clk.Now})
	a, b := &resource.Claims{ID: "a"}, &resource.Claims{ID: "b"}

	for range 3 {
		if err := revs.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if s.fetches.Load() != 4 || s.notModified.Load() != 3 || !revs.Revoked(a) {
		t.Fatalf("%d fetches, %d answered 304, revoked(a) %v; want 4, 3, true", s.fetches.Load(), s.notModified.Load(), revs.Revoked(a))
	}

	// A changed feed has a new ETag: the old one no longer matches.
	s.set(func(s *feedServer) {
		s.feed.Tokens = []resource.RevokedToken{{ID: "b", Expiry: 1 << 40}}
		s.etag = `"r2"`
	})
	if err := revs.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if revs.Revoked(a) || !revs.Revoked(b) || s.conditional.Load() != 4 {
		t.Fatalf("after the change: revoked(a) %v, revoked(b) %v, %d conditional requests", revs.Revoked(a), revs.Revoked(b), s.conditional.Load())
	}
}

func TestRemoteRevocationsHonourCacheControlWithinBounds(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         time.Duration
	}{
		{"max-age", "public, max-age=30", 30 * time.Second},
		{"max-age above MaxAge is cut to MaxAge", "max-age=86400", 2 * time.Minute},
		{"max-age below MinAge is raised to MinAge", "max-age=1", 10 * time.Second},
		{"no-cache is MinAge", "no-cache", 10 * time.Second},
		{"no header is MaxAge", "", 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFeedServer(t)
			s.set(func(s *feedServer) { s.cacheControl = tc.header })
			clk := newClock()
			revs := remoteRevocations(t, s, resource.FeedConfig{Now: clk.Now, MinAge: 10 * time.Second, MaxAge: 2 * time.Minute})
			if got := revs.NextPoll().Sub(clk.Now()); got != tc.want {
				t.Fatalf("Cache-Control %q: next poll in %v, want %v", tc.header, got, tc.want)
			}
			// A 304 with another max-age replaces it.
			s.set(func(s *feedServer) { s.cacheControl = "max-age=20" })
			clk.Advance(time.Second)
			if err := revs.Poll(context.Background()); err != nil || s.notModified.Load() != 1 {
				t.Fatalf("Poll = %v after %d 304s", err, s.notModified.Load())
			}
			if got := revs.NextPoll().Sub(clk.Now()); got != 20*time.Second {
				t.Fatalf("after a 304 with max-age=20: next poll in %v", got)
			}
		})
	}
}

func TestRemoteRevocationsKeepTheirLastGoodList(t *testing.T) {
	s := newFeedServer(t)
	s.set(func(s *feedServer) { s.feed.Tokens = []resource.RevokedToken{{ID: "a", Expiry: 1 << 40}} })
	revs := remoteRevocations(t, s, resource.FeedConfig{MaxResponseBytes: 4 << 10})
	a := &resource.Claims{ID: "a"}
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		change func(s *feedServer)
		says   string
	}{
		{"an error answer", func(s *feedServer) { s.status = http.StatusServiceUnavailable }, "503"},
		{"a feed of another issuer", func(s *feedServer) { s.status, s.etag, s.feed.Issuer = 0, `"r2"`, "https://evil.test" }, `names issuer "https://evil.test"`},
		{"an oversized feed", func(s *feedServer) { s.feed.Issuer, s.pad = s.URL, 8<<10 }, "larger than 4096 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.set(func(s *feedServer) { s.feed.Tokens = nil; c.change(s) })
			err := revs.Poll(ctx)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Poll = %v, want an error saying %q", err, c.says)
			}
			if !revs.Revoked(a) {
				t.Fatal("the last good list was lost")
			}
		})
	}
	t.Run("an unreachable server", func(t *testing.T) {
		s.Close()
		if err := revs.Poll(ctx); err == nil || !revs.Revoked(a) {
			t.Fatalf("Poll = %v, revoked %v", err, revs.Revoked(a))
		}
	})
}

func TestNewRemoteRevocationsNeedAFeed(t *testing.T) {
	ctx := context.Background()
	s := newFeedServer(t)
	s.set(func(s *feedServer) { s.status = http.StatusNotFound })
	if _, err := resource.NewRemoteRevocations(ctx, s.URL, resource.FeedConfig{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("NewRemoteRevocations = %v", err)
	}
	s.set(func(s *feedServer) { s.status = 0 })
	if _, err := resource.NewRemoteRevocations(ctx, "https://iam.example.test", resource.FeedConfig{URL: s.URL + resource.RevocationsPath}); err == nil || !strings.Contains(err.Error(), "names issuer") {
		t.Fatalf("a feed of another issuer at FeedConfig.URL: %v", err)
	}
	if _, err := resource.NewRemoteRevocations(ctx, "", resource.FeedConfig{}); err == nil {
		t.Fatal("no issuer was accepted")
	}
}

// TestRemoteRevocationsRun polls in real time, with bounds short enough
// for a test: the feed asks for an hour, MaxAge says 20 ms.
func TestRemoteRevocationsRun(t *testing.T) {
	s := newFeedServer(t)
	s.set(func(s *feedServer) { s.cacheControl = "max-age=3600" })
	var errs atomic.Int32
	revs := remoteRevocations(t, s, resource.FeedConfig{
		MinAge: 5 * time.Millisecond, MaxAge: 20 * time.Millisecond,
		OnError: func(error) { errs.Add(1) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		revs.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	within := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen within 10 s", what)
			}
		}
	}
	// A revocation published after the start is learned by polling.
	s.set(func(s *feedServer) {
		s.feed.Tokens, s.etag = []resource.RevokedToken{{ID: "late", Expiry: 1 << 40}}, `"r2"`
	})
	within("learning a new revocation", func() bool { return revs.Revoked(&resource.Claims{ID: "late"}) })
	within("polling with the ETag", func() bool { return s.notModified.Load() >= 2 })
	// Failures are reported, and polling goes on.
	s.set(func(s *feedServer) { s.status = http.StatusInternalServerError })
	within("reporting a failed poll", func() bool { return errs.Load() >= 2 })
	if !revs.Revoked(&resource.Claims{ID: "late"}) {
		t.Fatal("failed polls lost the list")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once its context ended")
	}
}
