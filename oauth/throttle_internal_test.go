package oauth

import (
	"testing"
	"time"
)

func TestThrottleArithmetic(t *testing.T) {
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := ThrottleConfig{ClientBurst: 2, ClientEvery: 10 * time.Second, AddrBurst: 4, AddrEvery: time.Second}
	// step is one action on a fresh throttle: fail, or check the wait.
	type step struct {
		at       time.Duration
		fail     bool
		id, addr string
		wait     time.Duration
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"an unknown client and address need not wait", []step{
			{at: 0, id: "c", addr: "a", wait: 0},
		}},
		{"a burst of failures is allowed, then the client waits one interval", []step{
			{at: 0, fail: true, id: "c", addr: "a1"},
			{at: 0, id: "c", addr: "a2", wait: 0},
			{at: 0, fail: true, id: "c", addr: "a2"},
			{at: 0, id: "c", addr: "a3", wait: 10 * time.Second},
		}},
		{"the wait shrinks as the bucket refills", []step{
			{at: 0, fail: true, id: "c"},
			{at: 0, fail: true, id: "c"},
			{at: 4 * time.Second, id: "c", wait: 6 * time.Second},
			{at: 9500 * time.Millisecond, id: "c", wait: 500 * time.Millisecond},
			{at: 10 * time.Second, id: "c", wait: 0},
		}},
		{"a failure after a partial refill costs a whole token", []step{
			{at: 0, fail: true, id: "c"},
			{at: 0, fail: true, id: "c"},
			{at: 10 * time.Second, fail: true, id: "c"},
			{at: 10 * time.Second, id: "c", wait: 10 * time.Second},
		}},
		{"a failure while blocked drives the bucket further down", []step{
			{at: 0, fail: true, id: "c"},
			{at: 0, fail: true, id: "c"},
			{at: 0, fail: true, id: "c"},
			{at: 0, id: "c", wait: 20 * time.Second},
		}},
		{"a bucket refills to its burst and no further", []step{
			{at: 0, fail: true, id: "c"},
			{at: time.Hour, fail: true, id: "c"},
			{at: time.Hour, fail: true, id: "c"},
			{at: time.Hour, id: "c", wait: 10 * time.Second},
		}},
		{"the address bucket has its own burst and interval", []step{
			{at: 0, fail: true, id: "c1", addr: "a"},
			{at: 0, fail: true, id: "c2", addr: "a"},
			{at: 0, fail: true, id: "c3", addr: "a"},
			{at: 0, id: "c4", addr: "a", wait: 0},
			{at: 0, fail: true, id: "c4", addr: "a"},
			{at: 0, id: "c5", addr: "a", wait: time.Second},
			{at: 0, id: "c5", addr: "b", wait: 0},
		}},
		{"the longer of the two waits applies", []step{
			{at: 0, fail: true, id: "c", addr: "a"},
			{at: 0, fail: true, id: "c", addr: "a"},
			{at: 0, fail: true, id: "d", addr: "a"},
			{at: 0, fail: true, id: "e", addr: "a"},
			{at: 0, id: "c", addr: "a", wait: 10 * time.Second},
			{at: 0, id: "x", addr: "a", wait: time.Second},
		}},
		{"an empty client ID is never tracked", []step{
			{at: 0, fail: true, id: "", addr: "a"},
			{at: 0, fail: true, id: "", addr: "a"},
			{at: 0, fail: true, id: "", addr: "a"},
			{at: 0, id: "", addr: "b", wait: 0},
			{at: 0, id: "c", addr: "b", wait: 0},
		}},
		{"an empty address is never tracked", []step{
			{at: 0, fail: true, id: "c", addr: ""},
			{at: 0, fail: true, id: "d", addr: ""},
			{at: 0, fail: true, id: "e", addr: ""},
			{at: 0, fail: true, id: "f", addr: ""},
			{at: 0, fail: true, id: "g", addr: ""},
			{at: 0, id: "h", addr: "", wait: 0},
		}},
		{"empty client ID and address never wait", []step{
			{at: 0, fail: true}, {at: 0, fail: true}, {at: 0, fail: true}, {at: 0, fail: true}, {at: 0, fail: true},
			{at: 0, wait: 0},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th := NewThrottle(cfg)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				if s.fail {
					th.Fail(s.id, s.addr, now)
					continue
				}
				if got := th.Wait(s.id, s.addr, now); got != s.wait {
					t.Errorf("step %d: Wait(%q, %q) at +%v = %v, want %v", i, s.id, s.addr, s.at, got, s.wait)
				}
			}
		})
	}
	t.Run("empty keys leave no buckets behind", func(t *testing.T) {
		th := NewThrottle(cfg)
		for range 10 {
			th.Fail("", "", t0)
		}
		if n := th.clients.Len() + th.addrs.Len(); n != 0 {
			t.Errorf("%d buckets for empty keys", n)
		}
	})
}
