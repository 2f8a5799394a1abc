package oauth

import (
	"time"

	"github.com/iamd/iamd/signing"
)

// Signing key schedule. Keys are ordered by ActivatesAt. At any instant:
//
//   - the current key is the last one whose ActivatesAt has passed: it signs;
//   - later keys are upcoming: published, not signing, so verifiers that
//     cache the JWKS learn them before the first token they sign;
//   - an earlier key is retired when its successor activates, and stays
//     published for retention (the longest token lifetime plus clock skew)
//     after that, until every token it signed has expired. Then it can be
//     deleted.
//
// The schedule depends only on stored times, so every instance sharing a
// database agrees on it without talking to the others.

// current returns the index of the current key in keys, or -1 if none has
// activated yet.
func current(keys []signing.Key, now time.Time) int {
	for i := len(keys) - 1; i >= 0; i-- {
		if !keys[i].ActivatesAt.After(now) {
			return i
		}
	}
	return -1
}

// published reports whether keys[i] belongs in the JWKS at now.
func published(keys []signing.Key, i int, now time.Time, retention time.Duration) bool {
	if i == len(keys)-1 || keys[i].ActivatesAt.After(now) {
		return true // newest or upcoming
	}
	return now.Before(keys[i+1].ActivatesAt.Add(retention))
}

// rotate returns keys with next added and the keys no longer published
// removed. It refuses while a key is still upcoming: rotating again before
// verifiers have learnt that key would make it sign unannounced.
func rotate(keys []signing.Key, next signing.Key, now time.Time, retention time.Duration) ([]signing.Key, error) {
	for _, k := range keys {
		if k.ActivatesAt.After(now) {
			return nil, errRotationPending(k)
		}
	}
	kept := make([]signing.Key, 0, len(keys)+1)
	for i, k := range keys {
		if published(keys, i, now, retention) || i == current(keys, now) {
			kept = append(kept, k)
		}
	}
	// Keys are ordered by activation time, to the millisecond: the new key
	// must come strictly after the last, or a rotation within the same
	// millisecond could sort it before the key it replaces.
	if n := len(kept); n > 0 && !next.ActivatesAt.After(kept[n-1].ActivatesAt) {
		next.ActivatesAt = kept[n-1].ActivatesAt.Add(time.Millisecond)
	}
	return append(kept, next), nil
}
