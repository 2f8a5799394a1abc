package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of FeedConfig. A revocation reaches a resource server within
// about the feed's max-age, DefaultFeedMaxAge at most; DefaultFeedMinAge
// keeps a feed that says no-cache from being polled in a loop.
const (
	DefaultFeedMinAge = 5 * time.Second
	DefaultFeedMaxAge = time.Minute
)

// DefaultFeedMaxResponseBytes bounds a feed unless FeedConfig says
// otherwise: room for some 300,000 revocations. iamd keeps what one account
// can add to its feed bounded, but every account may add some.
const DefaultFeedMaxResponseBytes = 16 << 20

// FeedConfig tunes RemoteRevocations; its zero value is the defaults.
type FeedConfig struct {
	// Client fetches the feed; nil is a client with a ten second timeout.
	Client *http.Client
	// URL is the feed's address when not the issuer's URL followed by
	// RevocationsPath.
	URL string
	// MaxAge is the longest time between two polls: the feed's
	// Cache-Control max-age is used instead when it is shorter, but never
	// below MinAge. Without Cache-Control the feed is polled every MaxAge.
	MaxAge time.Duration
	// MinAge is the least time between two polls, whatever the feed's
	// Cache-Control says (no-cache included), and the wait before polling
	// again after a failure; at most MaxAge.
	MinAge time.Duration
	// MaxResponseBytes bounds the feed; DefaultFeedMaxResponseBytes if
	// zero.
	MaxResponseBytes int64
	// OnError, if not nil, is called with the error of every failed poll
	// made by Run; the last good list stays in use.
	OnError func(error)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// RemoteRevocations is an authorization server's revocation feed
// (Revocations), polled for a Verifier: pass its Revoked to
// Verifier.WithRevocations. Run polls it; between polls, and while the
// server is unreachable or answers an error, the last good list is used.
// It is safe for concurrent use; Revoked takes no lock.
type RemoteRevocations struct {
	issuer, url string
	client      *http.Client
	cfg         FeedConfig

	list atomic.Pointer[feedList]
	// mu serializes polls.
	mu sync.Mutex
}

// feedList is one fetched feed, indexed for Revoked.
type feedList struct {
	tokens map[string]struct{}
	// cutoffs are by account.
	cutoffs map[string][]Cutoff
	fetched time.Time
	// maxAge is how long to wait before the next poll.
	maxAge time.Duration
	// etag revalidates the list: a 304 keeps it for another maxAge.
	etag string
}

// NewRemoteRevocations fetches the revocation feed of issuer (the issuer
// of RemoteKeys.Issuer, say) once, and returns an error if that fails: a
// server started with revocations asked for should not start without
// them. The feed must name issuer as its issuer.
func NewRemoteRevocations(ctx context.Context, issuer string, cfg FeedConfig) (*RemoteRevocations, error) {
	if issuer == "" {
		return nil, errors.New("revocation feed: want an issuer")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultFeedMaxAge
	}
	if cfg.MinAge <= 0 {
		cfg.MinAge = DefaultFeedMinAge
	}
	cfg.MinAge = min(cfg.MinAge, cfg.MaxAge)
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultFeedMaxResponseBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &RemoteRevocations{issuer: issuer, url: cfg.URL, client: cfg.Client, cfg: cfg}
	if r.url == "" {
		r.url = strings.TrimRight(issuer, "/") + RevocationsPath
	}
	if err := r.Poll(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Revoked reports whether the last good feed revokes the token with
// claims c. It is what Verifier.WithRevocations takes.
func (r *RemoteRevocations) Revoked(c *Claims) bool {
	l := r.list.Load()
	if l == nil || c == nil {
		return false
	}
	if _, ok := l.tokens[c.ID]; ok {
		return true
	}
	for _, k := range l.cutoffs[c.Account] {
		if k.revokes(c) {
			return true
		}
	}
	return false
}

// Poll fetches the feed now, revalidating the last one with its ETag
// (If-None-Match), and returns the error of a failed fetch, keeping the
// last good list.
func (r *RemoteRevocations) Poll(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.list.Load()
	var etag string
	if old != nil {
		etag = old.etag
	}
	body, h, err := getBody(ctx, r.client, r.cfg.MaxResponseBytes, r.url, etag)
	if err != nil {
		return fmt.Errorf("revocation feed: %w", err)
	}
	now := r.cfg.Now()
	if body == nil {
		// Not modified: as for the key set, the answer's Cache-Control
		// and ETag, when given, replace the stored ones.
		l := *old
		l.fetched = now
		if h.Get("Cache-Control") != "" {
			l.maxAge = boundedAge(h, r.cfg.MinAge, r.cfg.MaxAge)
		}
		if e := h.Get("ETag"); e != "" {
			l.etag = e
		}
		r.list.Store(&l)
		return nil
	}
	var feed Revocations
	if err := json.Unmarshal(body, &feed); err != nil {
		return fmt.Errorf("revocation feed: fetch %s: %w", r.url, err)
	}
	if feed.Issuer != r.issuer {
		return fmt.Errorf("revocation feed: %s names issuer %s, not %s", r.url, quote(feed.Issuer), quote(r.issuer))
	}
	l := &feedList{
		tokens:  make(map[string]struct{}, len(feed.Tokens)),
		cutoffs: make(map[string][]Cutoff),
		fetched: now,
		maxAge:  boundedAge(h, r.cfg.MinAge, r.cfg.MaxAge),
		etag:    h.Get("ETag"),
	}
	for _, t := range feed.Tokens {
		l.tokens[t.ID] = struct{}{}
	}
	for _, k := range feed.Cutoffs {
		l.cutoffs[k.Account] = append(l.cutoffs[k.Account], k)
	}
	r.list.Store(l)
	return nil
}

// Run polls the feed until ctx ends: once the last answer's max-age has
// passed (between MinAge and MaxAge), and MinAge after a failed poll,
// whose error goes to OnError. Start it once, in its own goroutine.
func (r *RemoteRevocations) Run(ctx context.Context) {
	wait := r.untilStale()
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := r.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			if r.cfg.OnError != nil {
				r.cfg.OnError(err)
			}
			wait = r.cfg.MinAge
			continue
		}
		wait = r.untilStale()
	}
}

// NextPoll returns when the last good list is due for a poll: the time of
// the last successful poll plus the feed's max-age, between MinAge and
// MaxAge.
func (r *RemoteRevocations) NextPoll() time.Time {
	l := r.list.Load()
	return l.fetched.Add(l.maxAge)
}

// untilStale is the time left before the last good list is due for a poll.
func (r *RemoteRevocations) untilStale() time.Duration {
	return max(r.NextPoll().Sub(r.cfg.Now()), 0)
}
