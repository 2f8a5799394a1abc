package oauth

import (
	"math"
	"sync"
	"time"
)

// Throttle limits failed client authentications per source address and
// per client ID (RFC 6749 §2.3.1), with token buckets that only failures
// drain and that refill at a steady rate. A client that authenticates
// correctly never touches a bucket.
//
// The server checks the address's bucket before the credentials, so an
// emptied one refuses every attempt from that address until it refills;
// the client's bucket decides only how its failures are answered (see
// Server.authenticateClient).
//
// Buckets live in memory, per instance.
type Throttle struct {
	clients, addrs *limiter
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
		clients: newLimiter(cfg.ClientBurst, cfg.ClientEvery),
		addrs:   newLimiter(cfg.AddrBurst, cfg.AddrEvery),
	}
}

// Wait returns how long the client or address must wait before its next
// attempt: zero if it may try now. clientID may be empty.
func (t *Throttle) Wait(clientID, addr string, now time.Time) time.Duration {
	return max(t.clients.wait(clientID, now), t.addrs.wait(addr, now))
}

// Fail records a failed authentication.
func (t *Throttle) Fail(clientID, addr string, now time.Time) {
	t.clients.take(clientID, now)
	t.addrs.take(addr, now)
}

type limiter struct {
	burst float64
	every time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, every time.Duration) *limiter {
	return &limiter{burst: float64(burst), every: every, buckets: make(map[string]*bucket)}
}

// level returns the bucket's tokens at now.
func (l *limiter) level(b *bucket, now time.Time) float64 {
	return math.Min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
}

func (l *limiter) wait(key string, now time.Time) time.Duration {
	if key == "" {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	if lvl := l.level(b, now); lvl < 1 {
		return time.Duration((1 - lvl) * float64(l.every))
	}
	return 0
}

func (l *limiter) take(key string, now time.Time) {
	if key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		// Sweep now and then so memory follows the attack, not its peak;
		// when full, at most once a second, so a flood of new keys does
		// not hold the lock that every request takes.
		n := len(l.buckets)
		if n%1024 == 1023 || (n >= maxBuckets && now.Sub(l.swept) >= time.Second) {
			l.sweep(now)
			l.swept = now
		}
		if len(l.buckets) >= maxBuckets {
			return
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.level(b, now)-1, now
}

// sweep forgets buckets that have refilled: they hold no state.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
