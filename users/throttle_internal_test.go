package users

import (
	"fmt"
	"testing"
	"time"
)

func TestAddrKey(t *testing.T) {
	for _, c := range []struct{ addr, key string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:5000", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:443", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", "unknown"},
		{"not an address", "not an address"},
	} {
		if got := addrKey(c.addr); got != c.key {
			t.Errorf("addrKey(%q) = %q, want %q", c.addr, got, c.key)
		}
	}
}

// TestThrottleWhenFull: once a table holds its most draining buckets,
// a new address is refused, an existing user is still tracked and a
// made-up name is let through.
func TestThrottleWhenFull(t *testing.T) {
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	const most = 2000
	th := boundedThrottle(most)
	for i := range most {
		k := fmt.Sprint("k", i)
		th.addrs.Reserve(k, t0, 0)
		th.users.Reserve(k, t0, 0)
		th.pairs.Reserve(k, t0, 0)
	}
	now := t0.Add(time.Second)
	if w := th.reserve(newAttempt("alice", "192.0.2.1", true), now); w != addrEvery {
		t.Errorf("a new address: wait %v, want it refused for %v", w, addrEvery)
	}
	known := newAttempt("alice", "k7", true)
	for range userBurst {
		th.reserve(known, now)
	}
	if w := th.users.Wait("alice", now); w != userEvery {
		t.Errorf("an existing user past the bound waits %v, want it tracked (%v)", w, userEvery)
	}
	if w := th.reserve(newAttempt("nobody", "k8", false), now); w != 0 || th.users.Len() != most+1 || th.pairs.Len() != most {
		t.Errorf("a made-up name: wait %v, %d user buckets; want it let through untracked", w, th.users.Len())
	}
}

// TestMadeUpNamesAreThrottledLikeUsers: the throttle's answers must not
// tell an existing user from a made-up name.
func TestMadeUpNamesAreThrottledLikeUsers(t *testing.T) {
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newLoginThrottle()
	var waits [2][]time.Duration
	for i, known := range []bool{true, false} {
		a := newAttempt(fmt.Sprint("name", i), "192.0.2.1", known)
		for range pairBurst + 1 {
			waits[i] = append(waits[i], th.reserve(a, t0))
		}
	}
	if fmt.Sprint(waits[0]) != fmt.Sprint(waits[1]) {
		t.Errorf("a user's waits %v, a made-up name's %v", waits[0], waits[1])
	}
}
