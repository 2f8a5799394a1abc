package accounts

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/iamd/iamd/storage"
)

// UsageRecorder keeps last-used times in memory and writes them in batches,
// so that issuing a token never costs a database write. Reads made through
// the Service show the pending times of this process too.
//
// A nil *UsageRecorder records nothing.
type UsageRecorder struct {
	store Store
	log   *slog.Logger

	mu       sync.Mutex
	keys     map[string]Usage     // latest pending use per key ID
	accounts map[string]time.Time // latest pending use per account ID
}

// NewUsageRecorder returns a recorder writing to store.
func NewUsageRecorder(store Store, log *slog.Logger) *UsageRecorder {
	return &UsageRecorder{
		store: store, log: log,
		keys: make(map[string]Usage), accounts: make(map[string]time.Time),
	}
}

// Record notes that the key authenticated at t.
func (r *UsageRecorder) Record(keyID, accountID string, t time.Time) {
	if r == nil {
		return
	}
	t = storage.Time(t)
	r.mu.Lock()
	if u, ok := r.keys[keyID]; !ok || t.After(u.At) {
		r.keys[keyID] = Usage{KeyID: keyID, AccountID: accountID, At: t}
	}
	if t.After(r.accounts[accountID]) {
		r.accounts[accountID] = t
	}
	r.mu.Unlock()
}

// Flush writes the pending times in one batch. On failure they stay pending
// for the next flush.
func (r *UsageRecorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	if len(r.keys) == 0 {
		r.mu.Unlock()
		return nil
	}
	batch := make([]Usage, 0, len(r.keys))
	for _, u := range r.keys {
		batch = append(batch, u)
	}
	r.mu.Unlock()

	if err := r.store.RecordUsage(ctx, batch); err != nil {
		return err
	}
	// Forget what was written, unless a newer use arrived meanwhile.
	r.mu.Lock()
	for _, u := range batch {
		if r.keys[u.KeyID].At.Equal(u.At) {
			delete(r.keys, u.KeyID)
		}
		if r.accounts[u.AccountID].Equal(u.At) {
			delete(r.accounts, u.AccountID)
		}
	}
	r.mu.Unlock()
	return nil
}

// Run flushes every interval until ctx is done, then flushes once more.
func (r *UsageRecorder) Run(ctx context.Context, interval time.Duration) {
	if r == nil {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := r.Flush(ctx); err != nil {
				r.log.Error("record key usage", "err", err)
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := r.Flush(final); err != nil {
				r.log.Error("record key usage at shutdown", "err", err)
			}
			cancel()
			return
		}
	}
}

func (r *UsageRecorder) overlayKey(k *Key) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if u, ok := r.keys[k.ID]; ok && u.At.After(k.LastUsedAt) {
		k.LastUsedAt = u.At
	}
	r.mu.Unlock()
}

func (r *UsageRecorder) overlayAccount(a *Account) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if t := r.accounts[a.ID]; t.After(a.LastUsedAt) {
		a.LastUsedAt = t
	}
	r.mu.Unlock()
}

// pending returns the most accounts or keys with uses not written yet.
func (r *UsageRecorder) pending() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(len(r.keys), len(r.accounts))
}
