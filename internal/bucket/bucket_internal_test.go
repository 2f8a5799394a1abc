package bucket

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

const maxBuckets = 100_000

func TestLimiterBoundsItsMemory(t *testing.T) {
	t.Run("refilled buckets are swept as new keys arrive", func(t *testing.T) {
		l := New(2, time.Second, maxBuckets)
		for i := range 1023 {
			l.Take(fmt.Sprint("k", i), t0)
		}
		if len(l.buckets) != 1023 {
			t.Fatalf("%d buckets, want 1023", len(l.buckets))
		}
		// Once they have refilled, the next new key sweeps them.
		l.Take("late", t0.Add(time.Second))
		if len(l.buckets) != 1 || l.buckets["late"] == nil {
			t.Errorf("%d buckets after the sweep, want only the new one", len(l.buckets))
		}
	})
	t.Run("buckets still draining are not swept", func(t *testing.T) {
		l := New(2, time.Second, maxBuckets)
		for i := range 1023 {
			l.Take(fmt.Sprint("k", i), t0)
		}
		l.Take("late", t0.Add(time.Second/2))
		if len(l.buckets) != 1024 {
			t.Errorf("%d buckets, want 1024", len(l.buckets))
		}
	})
	t.Run("past the bound new keys are not tracked while old ones are", func(t *testing.T) {
		l := full(1, time.Hour)
		l.Take("new", t0)
		l.Take("new", t0)
		if len(l.buckets) != maxBuckets || l.Wait("new", t0) != 0 {
			t.Errorf("%d buckets, wait %v: the table grew past its bound", len(l.buckets), l.Wait("new", t0))
		}
		if l.Wait("k7", t0) != time.Hour {
			t.Errorf("a tracked key's wait is %v, want 1h", l.Wait("k7", t0))
		}
	})
}

// full returns a limiter holding maxBuckets empty buckets.
func full(burst int, every time.Duration) *Limiter {
	l := New(burst, every, maxBuckets)
	for i := range maxBuckets {
		l.buckets[fmt.Sprint("k", i)] = &bucket{tokens: 0, at: t0}
	}
	return l
}

func TestReserve(t *testing.T) {
	t.Run("a burst is reserved, then the key waits one interval", func(t *testing.T) {
		l := New(2, 10*time.Second, maxBuckets)
		for i := range 2 {
			if w := l.Reserve("k", t0, Refuse); w != 0 {
				t.Fatalf("reservation %d: wait %v", i, w)
			}
		}
		if w := l.Reserve("k", t0, Refuse); w != 10*time.Second {
			t.Errorf("past the burst: wait %v, want 10s", w)
		}
	})
	t.Run("a refused reservation takes nothing, so the wait ends on time", func(t *testing.T) {
		l := New(1, 10*time.Second, maxBuckets)
		l.Reserve("k", t0, Refuse)
		for range 100 {
			l.Reserve("k", t0.Add(5*time.Second), Refuse)
		}
		if w := l.Reserve("k", t0.Add(10*time.Second), Refuse); w != 0 {
			t.Errorf("after one interval: wait %v, want 0", w)
		}
	})
	t.Run("a refunded reservation costs nothing", func(t *testing.T) {
		l := New(1, 10*time.Second, maxBuckets)
		for range 5 {
			if w := l.Reserve("k", t0, Refuse); w != 0 {
				t.Fatalf("wait %v after refunds", w)
			}
			l.Refund("k", t0)
		}
		l.Refund("k", t0) // refunds never fill past the burst
		l.Reserve("k", t0, Refuse)
		if w := l.Wait("k", t0); w != 10*time.Second {
			t.Errorf("wait %v, want 10s", w)
		}
	})
	t.Run("the empty key is never tracked", func(t *testing.T) {
		l := New(1, time.Hour, maxBuckets)
		for range 3 {
			if w := l.Reserve("", t0, Refuse); w != 0 {
				t.Errorf("wait %v", w)
			}
		}
		if l.Len() != 0 {
			t.Errorf("%d buckets", l.Len())
		}
	})
	t.Run("when full, a new key is ignored, refused or tracked as asked", func(t *testing.T) {
		l := full(1, time.Hour)
		if w := l.Reserve("ignored", t0, Ignore); w != 0 || l.Len() != maxBuckets {
			t.Errorf("Ignore: wait %v, %d buckets", w, l.Len())
		}
		if w := l.Reserve("refused", t0, Refuse); w != time.Hour || l.Len() != maxBuckets {
			t.Errorf("Refuse: wait %v, %d buckets", w, l.Len())
		}
		if w := l.Reserve("grown", t0, Grow); w != 0 || l.Len() != maxBuckets+1 {
			t.Errorf("Grow: wait %v, %d buckets", w, l.Len())
		}
		if w := l.Reserve("grown", t0, Ignore); w != time.Hour {
			t.Errorf("a grown key, once tracked, waits %v, want 1h", w)
		}
	})
	t.Run("when full of refilled buckets, a new key sweeps them and is tracked", func(t *testing.T) {
		l := full(1, time.Hour)
		if w := l.Reserve("new", t0.Add(time.Hour), Refuse); w != 0 || l.Len() != 1 {
			t.Errorf("wait %v, %d buckets", w, l.Len())
		}
	})
}

// BenchmarkLimiterTakeWhenFull measures a failure with a new key once the
// table holds maxBuckets draining buckets: each such take sweeps the
// whole table with the limiter's lock held, which every Wait needs too.
func BenchmarkLimiterTakeWhenFull(b *testing.B) {
	l := full(10, 6*time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Take(fmt.Sprintf("new-%d@acme.iam", i), t0)
	}
}
