package users

import (
	"net/netip"
	"time"

	"github.com/iamd/iamd/internal/bucket"
)

// Failed sign-ins are throttled with token buckets that only failures
// drain: per user and address, per address, and per user across
// addresses. While any of an attempt's buckets is empty the attempt is
// refused without the password being verified, unlike the token
// endpoint's throttle (oauth.Throttle), which still serves correct
// secrets: a 256-bit secret cannot be guessed, a password can.
//
// Refused attempts take nothing, so a bucket holds a token again one
// interval after the last failure, however long the attack went on. The
// numbers keep a lockout short and narrow:
//
//   - One address against one user fails 5 times, then once every 30 s;
//     the user's bucket regains one token every 15 s, twice what that
//     address takes, so it never drops below 15: the user signs in from
//     any other address meanwhile. Emptying the user's bucket takes the
//     bursts of four addresses (four /64 networks in IPv6), and keeping
//     it empty takes three failing at their pair rate, since two only
//     match its refill; once they stop, the user has a token within
//     15 s.
//   - The user behind the attacker's own address (a shared NAT) waits
//     for the pair and address buckets: 30 s after the attack stops.
//   - Guesses at one user's password are bounded by its bucket: 20, then
//     4 a minute (5,760 a day) however many addresses try; spraying
//     passwords across users is bounded by the address bucket: 30, then
//     12 a minute per address.
//
// IPv6 addresses are keyed by their /64, which one host typically owns
// whole, so it cannot rotate through its addresses.
//
// The buckets live in memory, per instance: n instances behind a load
// balancer allow n times these rates.
const (
	pairBurst = 5
	pairEvery = 30 * time.Second
	addrBurst = 30
	addrEvery = 5 * time.Second
	userBurst = 20
	userEvery = 15 * time.Second
)

// maxBuckets bounds each table of buckets. When a table is full, a new
// key is handled by what its bucket protects:
//   - an address is refused, since letting it through untracked would
//     allow unthrottled spraying;
//   - an existing user is tracked anyway: there are only so many users;
//   - a made-up name goes untracked: it has no password to guess;
//   - a user and address pair goes untracked: its user's bucket still
//     bounds the guesses.
const maxBuckets = 100_000

// maxKeyLen bounds the user names and addresses kept as keys.
const maxKeyLen = 64

// loginThrottle limits failed sign-ins per user and per address.
type loginThrottle struct {
	pairs, addrs, users *bucket.Limiter
	// noted limits the audit records of refused attempts to one per user
	// and address every pairEvery: refusals cost the attacker nothing,
	// and must not grow the audit log at the rate it sends them.
	noted *bucket.Limiter
}

func newLoginThrottle() *loginThrottle {
	// Compute the dummy hash now, so the first sign-in with an unknown
	// name takes no longer than a wrong password.
	go dummyHash()
	return boundedThrottle(maxBuckets)
}

// boundedThrottle returns a throttle of tables of at most n buckets.
func boundedThrottle(n int) *loginThrottle {
	return &loginThrottle{
		pairs: bucket.New(pairBurst, pairEvery, n),
		addrs: bucket.New(addrBurst, addrEvery, n),
		users: bucket.New(userBurst, userEvery, n),
		noted: bucket.New(1, pairEvery, n),
	}
}

// attempt is one sign-in's keys in the throttle.
type attempt struct {
	pair, addr, user string
	known            bool
}

func newAttempt(name, addr string, known bool) attempt {
	a, n := addrKey(addr), cut(name, maxKeyLen)
	return attempt{pair: a + "\x00" + n, addr: a, user: n, known: known}
}

// reserve takes a token from each of the attempt's buckets and returns
// zero; if one of them has none, it gives back what it took and returns
// the longest wait. known says whether the name is an existing user's.
func (t *loginThrottle) reserve(a attempt, now time.Time) time.Duration {
	userFull := bucket.Ignore
	if a.known {
		userFull = bucket.Grow
	}
	waits := [3]time.Duration{
		t.pairs.Reserve(a.pair, now, bucket.Ignore),
		t.addrs.Reserve(a.addr, now, bucket.Refuse),
		t.users.Reserve(a.user, now, userFull),
	}
	wait := max(waits[0], waits[1], waits[2])
	if wait > 0 {
		for i, l := range []*bucket.Limiter{t.pairs, t.addrs, t.users} {
			if waits[i] == 0 {
				l.Refund([]string{a.pair, a.addr, a.user}[i], now)
			}
		}
	}
	return wait
}

// refund gives back what reserve took, for an attempt that succeeded.
func (t *loginThrottle) refund(a attempt, now time.Time) {
	t.pairs.Refund(a.pair, now)
	t.addrs.Refund(a.addr, now)
	t.users.Refund(a.user, now)
}

// addrKey is the key of a client address: an IPv4 address, the /64 of an
// IPv6 one, or else the string itself, cut.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			if addr == "" {
				return "unknown"
			}
			return cut(addr, maxKeyLen)
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// cut returns s cut to n characters.
func cut(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// note reports whether a refused attempt is to be audited (see noted);
// past maxBuckets, new ones are not.
func (t *loginThrottle) note(a attempt, now time.Time) bool {
	return t.noted.Reserve(a.pair, now, bucket.Refuse) == 0
}
