package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/iamd/iamd/internal/bucket"
)

// Throttle limits failed client authentications per source address and
// per client ID (RFC 6749 §2.3.1), with token buckets that only failures
// drain and that refill at a steady rate. A client that authenticates
// correctly never touches a bucket, and is never refused because of
// failures, its own or anyone else's: with 256-bit secrets there is nothing
// to gain by refusing one, and refusing would let an attacker lock out every
// client behind the same NAT or proxy.
//
// What the throttle does instead: a failure past a bucket's burst is
// answered 429 with Retry-After, telling a misconfigured client to back off;
// and an address past its burst is held to one credential lookup at a time
// (see Enter), which bounds the database work it can cause however many
// connections it opens, while its correct requests still get through.
//
// Buckets live in memory, per instance.
type Throttle struct {
	clients, addrs *bucket.Limiter
}

// ThrottleConfig sets burst sizes and refill intervals.
type ThrottleConfig struct {
	// ClientBurst failures per client ID are allowed at once, then one per
	// ClientEvery.
	ClientBurst int
	ClientEvery time.Duration
	// AddrBurst failures per source address are allowed at once, then one
	// per AddrEvery.
	AddrBurst int
	AddrEvery time.Duration
}

// DefaultThrottle allows 10 failures per client ID, then one every 6
// seconds, and 50 per address, then one a second.
var DefaultThrottle = ThrottleConfig{ClientBurst: 10, ClientEvery: 6 * time.Second, AddrBurst: 50, AddrEvery: time.Second}

// maxBuckets bounds the memory an attacker can make the throttle use by
// failing with ever new client IDs; past it, new keys are not tracked.
const maxBuckets = 100_000

// NewThrottle returns a throttle with cfg.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	return &Throttle{
		clients: bucket.New(cfg.ClientBurst, cfg.ClientEvery, maxBuckets),
		addrs:   bucket.New(cfg.AddrBurst, cfg.AddrEvery, maxBuckets),
	}
}

// Wait returns how long the client or address must wait before its next
// attempt: zero if it may try now. clientID may be empty.
func (t *Throttle) Wait(clientID, addr string, now time.Time) time.Duration {
	return max(t.clients.Wait(clientID, now), t.addrs.Wait(addr, now))
}

// Enter waits for addr's turn to look up credentials and returns the
// function that ends it. An address within its burst needs no turn; one past
// it gets one lookup at a time, its requests queued in order of arrival. A
// request that waited maxLaneWait, or whose ctx ended, is given up with
// ErrBusy and never looked up.
func (t *Throttle) Enter(ctx context.Context, addr string, now time.Time) (release func(), err error) {
	lane := t.addrs.Lane(addr, now)
	if lane == nil {
		return func() {}, nil
	}
	select {
	case lane <- struct{}{}:
		return func() { <-lane }, nil
	default:
	}
	timer := time.NewTimer(maxLaneWait)
	defer timer.Stop()
	select {
	case lane <- struct{}{}:
		return func() { <-lane }, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

// ErrBusy is returned by Throttle.Enter when an address's requests queue up
// faster than they are looked up.
var ErrBusy = errors.New("too many requests queued from one address")

// maxLaneWait bounds how long a request waits for its address's turn. A
// lookup takes well under a millisecond, so only an address with thousands
// of requests in flight comes near it.
const maxLaneWait = 2 * time.Second

// Fail records a failed authentication.
func (t *Throttle) Fail(clientID, addr string, now time.Time) {
	t.clients.Take(clientID, now)
	t.addrs.Take(addr, now)
}
