// Package bucket holds the token buckets that iamd's throttles are made
// of: one bucket per key (a client ID, an address, a user), drained by
// failures and refilled at a steady rate, in memory.
package bucket

import (
	"math"
	"sync"
	"time"
)

// Limiter is a table of token buckets, one per key, each holding up to a
// burst of tokens and gaining one every interval. The empty key is never
// tracked. A Limiter is safe for concurrent use.
type Limiter struct {
	burst float64
	every time.Duration
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	// lane holds one token while a lookup from this key is under way;
	// made when the bucket first runs out (see Lane).
	lane chan struct{}
}

// New returns a limiter of buckets of burst tokens that gain one every
// interval, tracking at most max keys (see Take and Reserve for what
// happens past it).
func New(burst int, every time.Duration, max int) *Limiter {
	return &Limiter{burst: float64(burst), every: every, max: max, buckets: make(map[string]*bucket)}
}

// level returns the bucket's tokens at now.
func (l *Limiter) level(b *bucket, now time.Time) float64 {
	return math.Min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
}

// waitFor is how long a bucket at lvl takes to hold one token.
func (l *Limiter) waitFor(lvl float64) time.Duration {
	if lvl >= 1 {
		return 0
	}
	return time.Duration((1 - lvl) * float64(l.every))
}

// Wait returns how long key must wait until its bucket holds a token: zero
// if it holds one now, or if key is not tracked.
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	if key == "" {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return 0
	}
	return l.waitFor(l.level(b, now))
}

// Lane returns the lane of key if its bucket has run out, else nil: a
// channel of capacity one that callers use to serialize the key's work.
func (l *Limiter) Lane(key string, now time.Time) chan struct{} {
	if key == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok || l.level(b, now) >= 1 {
		return nil
	}
	if b.lane == nil {
		b.lane = make(chan struct{}, 1)
	}
	return b.lane
}

// Take takes a token from key's bucket, driving it below zero if it is
// empty: what a failure costs where failures are answered anyway. Past
// the limiter's max keys a new key is not tracked.
func (l *Limiter) Take(key string, now time.Time) {
	if key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now, false)
	if b == nil {
		return
	}
	b.tokens, b.at = l.level(b, now)-1, now
}

// Full says what Reserve does with a new key once the limiter tracks its
// max keys.
type Full int

const (
	// Ignore lets the key through untracked: for keys whose buckets only
	// refine a bound that another limiter already enforces.
	Ignore Full = iota
	// Refuse refuses the key, for one interval: for keys whose bucket is
	// the only bound, as letting them through would mean unthrottled
	// failures.
	Refuse
	// Grow tracks the key anyway: for keys whose number is bounded
	// elsewhere, such as existing users.
	Grow
)

// Reserve takes a token from key's bucket if it holds one, and returns
// zero; else it takes nothing and returns how long key must wait. A
// reserved token is given back with Refund if the attempt succeeds, so
// that only failures drain the bucket; reserving before the attempt,
// rather than taking after it, keeps concurrent attempts within the
// burst. A new key past the limiter's max keys is handled as full says.
func (l *Limiter) Reserve(key string, now time.Time, full Full) time.Duration {
	if key == "" {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now, full == Grow)
	if b == nil {
		if full == Refuse {
			return l.every
		}
		return 0
	}
	lvl := l.level(b, now)
	if lvl < 1 {
		return l.waitFor(lvl)
	}
	b.tokens, b.at = lvl-1, now
	return 0
}

// Refund gives back a token that Reserve took.
func (l *Limiter) Refund(key string, now time.Time) {
	if key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens, b.at = math.Min(l.burst, l.level(b, now)+1), now
	}
}

// Len returns the number of keys tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// get returns key's bucket, made full if new; nil if the table is full
// and grow is false. Call it with l.mu held.
func (l *Limiter) get(key string, now time.Time, grow bool) *bucket {
	if b, ok := l.buckets[key]; ok {
		return b
	}
	// Sweep now and then so memory follows the attack, not its peak; when
	// full, at most once a second, so a flood of new keys does not hold
	// the lock that every request takes.
	n := len(l.buckets)
	if n%1024 == 1023 || (n >= l.max && now.Sub(l.swept) >= time.Second) {
		l.sweep(now)
		l.swept = now
	}
	if len(l.buckets) >= l.max && !grow {
		return nil
	}
	b := &bucket{tokens: l.burst, at: now}
	l.buckets[key] = b
	return b
}

// sweep forgets buckets that have refilled: they hold no state.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
