package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
)

// KeySet holds the signing keys in memory: it signs with the current key,
// serves the JWKS and looks up keys for verification. Refresh reloads it from
// the store; Run does so periodically so that every instance picks up keys
// another one rotated in.
type KeySet struct {
	store     signing.Store
	master    *MasterKey
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger

	mu   sync.RWMutex
	keys []*signer // ordered by ActivatesAt
	jwks []byte
	etag string

	// refreshMu serialises refreshes, so that an older read of the store
	// never replaces a newer one.
	refreshMu sync.Mutex
	// reloadMu serialises reloads for unknown key IDs; reloaded is when
	// the last one started.
	reloadMu sync.Mutex
	reloaded time.Time
}

// ReloadEvery is how often at most a key set reloads from the store for a
// token whose key ID it does not know (see Lookup).
const ReloadEvery = 5 * time.Second

// NewKeySet returns an empty key set; call Refresh before use. retention is
// how long a retired key stays published: the longest token lifetime plus
// allowed clock skew.
func NewKeySet(store signing.Store, master *MasterKey, retention time.Duration, now func() time.Time, log *slog.Logger) *KeySet {
	return &KeySet{store: store, master: master, retention: retention, now: now, log: log}
}

// ErrNoSigningKey is returned while no signing key has activated.
var ErrNoSigningKey = errors.New("no active signing key (run iamd init)")

// Refresh reloads the keys from the store and recomputes the JWKS.
func (ks *KeySet) Refresh(ctx context.Context) error {
	ks.refreshMu.Lock()
	defer ks.refreshMu.Unlock()
	stored, err := ks.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	ks.mu.RLock()
	loaded := make(map[string]*signer, len(ks.keys))
	for _, k := range ks.keys {
		loaded[k.ID] = k
	}
	ks.mu.RUnlock()

	keys := make([]*signer, 0, len(stored))
	for _, k := range stored {
		s, ok := loaded[k.ID]
		if !ok {
			if s, err = openSigningKey(k, ks.master); err != nil {
				return err
			}
		}
		keys = append(keys, s)
	}
	ks.mu.Lock()
	ks.keys = keys
	ks.computeJWKS(ks.now())
	ks.mu.Unlock()
	return nil
}

// computeJWKS must be called with mu held for writing.
func (ks *KeySet) computeJWKS(now time.Time) {
	records := ks.records()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for i, k := range ks.keys {
		if published(records, i, now, ks.retention) {
			set.Keys = append(set.Keys, k.public)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err) // public keys always marshal
	}
	ks.jwks, ks.etag = b, sha256Tag(b)
}

func (ks *KeySet) records() []signing.Key {
	out := make([]signing.Key, len(ks.keys))
	for i, k := range ks.keys {
		out[i] = k.Key
	}
	return out
}

// Run refreshes the set every interval until ctx is done.
func (ks *KeySet) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := ks.Refresh(ctx); err != nil && ctx.Err() == nil {
				ks.log.Error("refresh signing keys", "err", err)
			}
		}
	}
}

// signer returns the key that signs now.
func (ks *KeySet) signer() (*signer, error) {
	now := ks.now()
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	for i := len(ks.keys) - 1; i >= 0; i-- {
		if !ks.keys[i].ActivatesAt.After(now) {
			return ks.keys[i], nil
		}
	}
	return nil, ErrNoSigningKey
}

// JWKS returns the published keys as a JSON Web Key Set and its ETag.
func (ks *KeySet) JWKS() (body []byte, etag string) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.jwks, ks.etag
}

// PublicKey returns the published key with that key ID.
func (ks *KeySet) PublicKey(kid string) (jose.JSONWebKey, bool) {
	now := ks.now()
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	records := ks.records()
	for i, k := range ks.keys {
		if k.ID == kid && published(records, i, now, ks.retention) {
			return k.public, true
		}
	}
	return jose.JSONWebKey{}, false
}

// Lookup is PublicKey for tokens of other instances: a key ID it does not
// know makes it reload the keys from the store first, so a key another
// instance rotated in is accepted at once rather than at the next periodic
// refresh. Reloads happen at most once every ReloadEvery, whatever the
// tokens sent, and concurrent callers share one.
func (ks *KeySet) Lookup(ctx context.Context, kid string) (jose.JSONWebKey, bool) {
	if k, ok := ks.PublicKey(kid); ok {
		return k, true
	}
	ks.reloadMu.Lock()
	defer ks.reloadMu.Unlock()
	// A caller that waited for the reload in progress finds its key now.
	if k, ok := ks.PublicKey(kid); ok {
		return k, true
	}
	now := ks.now()
	if !ks.reloaded.IsZero() && now.Sub(ks.reloaded) < ReloadEvery {
		return jose.JSONWebKey{}, false
	}
	ks.reloaded = now
	if err := ks.Refresh(ctx); err != nil {
		ks.log.Error("reload signing keys for an unknown key ID", "err", err)
		return jose.JSONWebKey{}, false
	}
	return ks.PublicKey(kid)
}

// Keys returns the loaded keys with their state at now, oldest first.
func (ks *KeySet) Keys() []KeyState {
	now := ks.now()
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	records := ks.records()
	cur := current(records, now)
	out := make([]KeyState, len(records))
	for i, k := range records {
		st := KeyState{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActivatesAt: k.ActivatesAt}
		switch {
		case i == cur:
			st.State = "active"
		case i > cur:
			st.State = "next"
		default:
			st.State = "retired"
			st.RetiredAt = records[i+1].ActivatesAt
			st.PublishedUntil = st.RetiredAt.Add(ks.retention)
		}
		out[i] = st
	}
	return out
}

// KeyState describes a signing key for admins.
type KeyState struct {
	ID          string
	Algorithm   string
	State       string // next, active or retired
	CreatedAt   time.Time
	ActivatesAt time.Time
	// RetiredAt and PublishedUntil are set for retired keys.
	RetiredAt      time.Time
	PublishedUntil time.Time
}

// Ensure creates a key for alg that signs at once if no key is active.
// It reports whether it created one.
func (ks *KeySet) Ensure(ctx context.Context, alg string) (created bool, err error) {
	err = ks.store.UpdateSigningKeys(ctx, func(keys []signing.Key) ([]signing.Key, error) {
		now := ks.now()
		if current(keys, now) >= 0 {
			return keys, nil
		}
		k, err := GenerateSigningKey(alg, ks.master, now, now)
		if err != nil {
			return nil, err
		}
		created = true
		return append(keys, k), nil
	})
	if err != nil {
		return false, err
	}
	return created, ks.Refresh(ctx)
}

// Rotate adds a key for alg, or for the current key's algorithm if alg is
// empty, that starts signing after activateIn, and drops keys whose
// publication has ended. It returns storage.ErrConflict while an earlier
// rotation is still waiting to activate.
func (ks *KeySet) Rotate(ctx context.Context, alg string, activateIn time.Duration) (signing.Key, error) {
	if activateIn < 0 {
		return signing.Key{}, storage.Errorf(storage.ErrInvalid, "activation delay must not be negative")
	}
	var next signing.Key
	err := ks.store.UpdateSigningKeys(ctx, func(keys []signing.Key) ([]signing.Key, error) {
		now := ks.now()
		alg := alg
		if i := current(keys, now); alg == "" && i >= 0 {
			// Resource servers may accept only the algorithm in use.
			alg = keys[i].Algorithm
		} else if alg == "" {
			alg = signing.ES256
		}
		k, err := GenerateSigningKey(alg, ks.master, now, now.Add(activateIn))
		if err != nil {
			return nil, err
		}
		if keys, err = rotate(keys, k, now, ks.retention); err != nil {
			return nil, err
		}
		next = keys[len(keys)-1] // as rotate scheduled it
		return keys, nil
	})
	if err != nil {
		return signing.Key{}, err
	}
	return next, ks.Refresh(ctx)
}

func errRotationPending(k signing.Key) error {
	return storage.Errorf(storage.ErrConflict, "signing key %s is already waiting to activate at %s; rotate again after that",
		k.ID, k.ActivatesAt.UTC().Format(time.RFC3339))
}

// CanSign reports whether a key is active.
func (ks *KeySet) CanSign() bool {
	_, err := ks.signer()
	return err == nil
}
