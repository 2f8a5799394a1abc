package accounts_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/internal/logscan"
)

// usageFixture is an account with one key whose secret authenticates.
type usageFixture struct {
	*env
	client    string
	accountID string
	firstKey  accounts.Key
	secret    string
}

func newUsageFixture(t *testing.T) *usageFixture {
	t.Helper()
	e := newEnv(t)
	client := e.account(t, "deployer")
	k, secret := e.key(t, client, accounts.NewKey{})
	return &usageFixture{env: e, client: client, accountID: k.AccountID, firstKey: k, secret: secret}
}

// seen returns the last-used times of the key and its account as the
// service shows them.
func (f *usageFixture) seen(t *testing.T) (key, account time.Time) {
	t.Helper()
	a, err := f.svc.Get(f.ctx, sys, f.client)
	if err != nil {
		t.Fatal(err)
	}
	k, ka, err := f.svc.GetKey(f.ctx, sys, f.firstKey.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ka.LastUsedAt.Equal(a.LastUsedAt) {
		t.Errorf("GetKey shows the account last used at %v, Get at %v", ka.LastUsedAt, a.LastUsedAt)
	}
	keys, err := f.svc.ListKeys(f.ctx, sys, f.client)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(keys, func(lk accounts.Key) bool { return lk.ID == k.ID })
	if i < 0 || !keys[i].LastUsedAt.Equal(k.LastUsedAt) {
		t.Errorf("ListKeys shows %+v, GetKey last used at %v", keys, k.LastUsedAt)
	}
	as, err := f.svc.List(f.ctx, sys, accounts.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || !as[0].LastUsedAt.Equal(a.LastUsedAt) {
		t.Errorf("List shows %+v, Get last used at %v", as, a.LastUsedAt)
	}
	return k.LastUsedAt, a.LastUsedAt
}

// stored returns the last-used times of the key and its account in the
// database, bypassing the recorder.
func (f *usageFixture) stored(t *testing.T) (key, account time.Time) {
	t.Helper()
	k, err := f.db.GetKey(f.ctx, f.firstKey.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.db.GetAccount(f.ctx, f.accountID)
	if err != nil {
		t.Fatal(err)
	}
	return k.LastUsedAt, a.LastUsedAt
}

func (f *usageFixture) wantSeen(t *testing.T, want time.Time) {
	t.Helper()
	k, a := f.seen(t)
	sameTime(t, "key LastUsedAt through the service", k, want)
	sameTime(t, "account LastUsedAt through the service", a, want)
}

func (f *usageFixture) wantStored(t *testing.T, want time.Time) {
	t.Helper()
	k, a := f.stored(t)
	sameTime(t, "stored key LastUsedAt", k, want)
	sameTime(t, "stored account LastUsedAt", a, want)
}

func (f *usageFixture) flush(t *testing.T) {
	t.Helper()
	if err := f.usage.Flush(f.ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func TestUsageRecorder(t *testing.T) {
	t.Run("authenticating alone records no use: a request may still be refused", func(t *testing.T) {
		f := newUsageFixture(t)
		f.clock.Advance(time.Minute)
		f.authOK(t, f.client, f.secret, f.firstKey.ID)
		f.wantSeen(t, time.Time{})
		f.flush(t)
		f.wantStored(t, time.Time{})
	})
	t.Run("shows a use through the service before it is flushed", func(t *testing.T) {
		f := newUsageFixture(t)
		f.wantSeen(t, time.Time{})
		at := f.clock.Advance(time.Minute + 1234567*time.Nanosecond)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.wantSeen(t, at)
		f.wantStored(t, time.Time{})
	})
	t.Run("writes the use to the store on flush", func(t *testing.T) {
		f := newUsageFixture(t)
		at := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.flush(t)
		f.wantStored(t, at)
		f.wantSeen(t, at)
	})
	t.Run("writes the latest of several uses", func(t *testing.T) {
		f := newUsageFixture(t)
		var last time.Time
		for range 5 {
			last = f.clock.Advance(time.Second)
			f.use(t, f.client, f.secret, f.firstKey.ID)
		}
		f.flush(t)
		f.wantStored(t, last)
	})
	t.Run("shows the account's latest use across its keys", func(t *testing.T) {
		f := newUsageFixture(t)
		k2, s2 := f.key(t, f.client, accounts.NewKey{})
		t2 := f.clock.Advance(time.Minute)
		f.use(t, f.client, s2, k2.ID)
		t1 := f.clock.Advance(-30 * time.Second) // an earlier use of the first key arrives later
		f.use(t, f.client, f.secret, f.firstKey.ID)
		k, a := f.seen(t)
		sameTime(t, "first key LastUsedAt", k, t1)
		sameTime(t, "account LastUsedAt", a, t2)
		f.flush(t)
		sk, sa := f.stored(t)
		sameTime(t, "stored first key LastUsedAt", sk, t1)
		sameTime(t, "stored account LastUsedAt", sa, t2)
		got, _, _ := f.svc.GetKey(f.ctx, sys, k2.ID)
		sameTime(t, "second key LastUsedAt", got.LastUsedAt, t2)
	})
	t.Run("flushing with nothing pending does not touch the store", func(t *testing.T) {
		f := newUsageFixture(t)
		// A cancelled context makes any store call fail, so a nil error
		// means Flush did not call the store.
		cancelled, cancel := context.WithCancel(f.ctx)
		cancel()
		if err := f.usage.Flush(cancelled); err != nil {
			t.Errorf("Flush with nothing pending = %v, want nil", err)
		}
		at := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.flush(t)
		if err := f.usage.Flush(cancelled); err != nil {
			t.Errorf("Flush after everything was written = %v, want nil", err)
		}
		f.wantStored(t, at)
	})
	t.Run("keeps pending uses when a flush fails", func(t *testing.T) {
		f := newUsageFixture(t)
		at := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		cancelled, cancel := context.WithCancel(f.ctx)
		cancel()
		if err := f.usage.Flush(cancelled); err == nil {
			t.Fatal("Flush with a cancelled context and a pending use succeeded")
		}
		f.wantStored(t, time.Time{})
		f.wantSeen(t, at)
		f.flush(t)
		f.wantStored(t, at)
	})
	t.Run("keeps a newer use recorded during a flush", func(t *testing.T) {
		f := newUsageFixture(t)
		first := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		var second time.Time
		f.store.beforeRecord = func() {
			f.store.beforeRecord = nil
			second = f.clock.Advance(time.Minute)
			f.use(t, f.client, f.secret, f.firstKey.ID)
		}
		f.flush(t)
		if second.IsZero() {
			t.Fatal("the hook did not run")
		}
		f.wantStored(t, first)
		f.wantSeen(t, second)
		f.flush(t)
		f.wantStored(t, second)
	})
	t.Run("keeps a newer use of another key of the account recorded during a flush", func(t *testing.T) {
		f := newUsageFixture(t)
		k2, s2 := f.key(t, f.client, accounts.NewKey{})
		first := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		var second time.Time
		f.store.beforeRecord = func() {
			f.store.beforeRecord = nil
			second = f.clock.Advance(time.Minute)
			f.use(t, f.client, s2, k2.ID)
		}
		f.flush(t)
		_, sa := f.stored(t)
		sameTime(t, "stored account LastUsedAt after the first flush", sa, first)
		_, a := f.seen(t)
		sameTime(t, "account LastUsedAt through the service", a, second)
		f.flush(t)
		_, sa = f.stored(t)
		sameTime(t, "stored account LastUsedAt after the second flush", sa, second)
		stored2, _ := f.db.GetKey(f.ctx, k2.ID)
		sameTime(t, "stored second key LastUsedAt", stored2.LastUsedAt, second)
	})
	t.Run("keeps a newer use recorded after a flush", func(t *testing.T) {
		f := newUsageFixture(t)
		first := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.flush(t)
		second := f.clock.Advance(time.Minute)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.wantStored(t, first)
		f.wantSeen(t, second)
		f.flush(t)
		f.wantStored(t, second)
	})
	t.Run("never moves last use backward before a flush", func(t *testing.T) {
		f := newUsageFixture(t)
		late := f.clock.Advance(time.Hour)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.clock.Set(start.Add(time.Minute))
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.wantSeen(t, late)
		f.flush(t)
		f.wantStored(t, late)
	})
	t.Run("never moves last use backward across flushes", func(t *testing.T) {
		f := newUsageFixture(t)
		late := f.clock.Advance(time.Hour)
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.flush(t)
		f.clock.Set(start.Add(time.Minute))
		f.use(t, f.client, f.secret, f.firstKey.ID)
		f.wantSeen(t, late)
		f.flush(t)
		f.wantStored(t, late)
		f.wantSeen(t, late)
	})
	t.Run("records an older time directly without moving last use backward", func(t *testing.T) {
		f := newUsageFixture(t)
		late := start.Add(time.Hour)
		f.usage.Record(f.firstKey.ID, f.accountID, late)
		f.usage.Record(f.firstKey.ID, f.accountID, start.Add(time.Minute))
		f.wantSeen(t, late)
		f.flush(t)
		f.wantStored(t, late)
	})
	t.Run("skips uses of a key deleted before the flush", func(t *testing.T) {
		f := newUsageFixture(t)
		k2, s2 := f.key(t, f.client, accounts.NewKey{})
		at := f.clock.Advance(time.Minute)
		f.use(t, f.client, s2, k2.ID)
		if err := f.svc.DeleteKey(f.ctx, sys, k2.ID); err != nil {
			t.Fatal(err)
		}
		f.flush(t)
		_, sa := f.stored(t)
		sameTime(t, "stored account LastUsedAt", sa, at)
		if err := f.usage.Flush(f.ctx); err != nil {
			t.Errorf("second Flush = %v", err)
		}
	})
	t.Run("records nothing through a service without a recorder", func(t *testing.T) {
		f := newUsageFixture(t)
		svc := accounts.NewService(f.db, f.db, f.orgs, f.ids, nil, f.clock.Now)
		f.clock.Advance(time.Minute)
		c, err := svc.Authenticate(f.ctx, f.client, f.secret)
		if err != nil {
			t.Fatal(err)
		}
		svc.Used(c)
		if a, _ := svc.Get(f.ctx, sys, f.client); !a.LastUsedAt.IsZero() {
			t.Errorf("LastUsedAt %v without a recorder", a.LastUsedAt)
		}
		f.flush(t)
		f.wantStored(t, time.Time{})
	})
}

// Concurrent authentications and flushes lose no use: after the last flush
// the store holds the latest time any authentication saw.
func TestUsageRecorderUnderConcurrency(t *testing.T) {
	f := newUsageFixture(t)
	var tick atomic.Int64
	var latest atomic.Int64
	// A clock that moves one millisecond per reading, so every
	// authentication has its own time.
	now := func() time.Time {
		at := start.Add(time.Duration(tick.Add(1)) * time.Millisecond)
		for {
			l := latest.Load()
			if at.UnixMilli() <= l || latest.CompareAndSwap(l, at.UnixMilli()) {
				return at
			}
		}
	}
	svc := accounts.NewService(f.db, f.db, f.orgs, f.ids, f.usage, now)

	ctx, stop := context.WithCancel(f.ctx)
	var flushes atomic.Int64
	flusherDone := make(chan struct{})
	go func() {
		defer close(flusherDone)
		for ctx.Err() == nil {
			if err := f.usage.Flush(f.ctx); err != nil {
				t.Errorf("Flush: %v", err)
				return
			}
			flushes.Add(1)
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 40 {
				c, err := svc.Authenticate(f.ctx, f.client, f.secret)
				if err != nil {
					t.Errorf("Authenticate: %v", err)
					return
				}
				svc.Used(c)
			}
		})
	}
	wg.Wait()
	stop()
	<-flusherDone
	f.flush(t)
	want := time.UnixMilli(latest.Load())
	// Twice per use: Authenticate checks expiry, Used stamps the use. The
	// last reading is always a Used one, so it is the latest use.
	if tick.Load() != 320 {
		t.Fatalf("clock read %d times, want twice per use (320)", tick.Load())
	}
	f.wantStored(t, want)
	f.wantSeen(t, want)
	t.Logf("%d flushes ran during the authentications", flushes.Load())
}

func TestRunFlushesOnStop(t *testing.T) {
	f := newUsageFixture(t)
	at := f.clock.Advance(time.Minute)
	f.use(t, f.client, f.secret, f.firstKey.ID)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() {
		// The interval is long enough never to tick: only the final flush
		// on cancellation can write.
		f.usage.Run(ctx, time.Hour)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	f.wantStored(t, at)
}

func TestRunLogsOnlyAFailedFinalFlush(t *testing.T) {
	// Run logs flush failures instead of returning them: nothing for a
	// successful final flush, one record for a failed one.
	f := newUsageFixture(t)
	logs := logscan.New(t, "usage log", nil)
	r := accounts.NewUsageRecorder(f.db, slog.New(slog.NewTextHandler(logs, nil)))
	// The text handler writes a record per line.
	logged := func() int { return strings.Count(logs.String(), "\n") }
	r.Record(f.firstKey.ID, f.accountID, start)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { r.Run(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	if logged() != 0 {
		t.Errorf("Run logged %d records for a successful final flush", logged())
	}
	f.wantStored(t, start)

	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	r.Record(f.firstKey.ID, f.accountID, start.Add(time.Minute))
	ctx, cancel = context.WithCancel(f.ctx)
	done = make(chan struct{})
	go func() { r.Run(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	if logged() != 1 {
		t.Errorf("Run logged %d records for a failed final flush, want 1", logged())
	}
	if err := r.Flush(f.ctx); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Flush over a closed database = %v, want the store's error", err)
	}
}
