// Package signing holds the token signing-key records as the storage
// backends keep them: the record, the store interface and the algorithm
// names.
//
// It exists so that storage/sqlite, storage/postgres and their conformance
// suite can store signing keys without importing package oauth, which would
// bring the whole protocol into storage. Everything that needs
// the keys' contents (sealing under the master key, generation, signing,
// the JWKS) stays in oauth.
package signing

import (
	"context"
	"time"
)

// Algorithm names, as they appear in a key's record, its JWK "alg" and the
// JWT header. RFC 9068 §4 requires RS256 support; ES256 is the default for
// its small keys and signatures.
const (
	ES256 = "ES256"
	EdDSA = "EdDSA"
	RS256 = "RS256"
)

// Algorithms lists the signing algorithms iamd can use.
var Algorithms = []string{ES256, EdDSA, RS256}

// Key is a token signing key as stored: the public half as a JWK, the
// private half as PKCS #8 sealed under the master key. The backends store
// the fields as they are; only oauth reads or makes them.
type Key struct {
	// ID is the key ID (kid): the RFC 7638 thumbprint of the public key.
	ID        string
	Algorithm string
	PublicJWK []byte
	// PrivateKey is the sealed PKCS #8 private key.
	PrivateKey []byte
	CreatedAt  time.Time
	// ActivatesAt is when the key starts signing. Until then it is only
	// published, so verifiers learn it before they see tokens it signed.
	ActivatesAt time.Time
}

// Store persists signing keys. The storage backends implement it.
type Store interface {
	// ListSigningKeys returns every key ordered by ActivatesAt then ID.
	ListSigningKeys(ctx context.Context) ([]Key, error)
	// UpdateSigningKeys calls fn with the stored keys, ordered, and stores
	// the set it returns, in one transaction that excludes concurrent
	// updates: keys not in the result are deleted, new ones inserted.
	// Stored keys are immutable; a returned key with a known ID is kept as
	// stored.
	UpdateSigningKeys(ctx context.Context, fn func([]Key) ([]Key, error)) error
}

// Changes returns what turns the stored keys old into next: keys to insert
// and IDs to delete. Backends use it in UpdateSigningKeys; since stored keys
// are immutable, a key is compared by ID alone.
func Changes(old, next []Key) (added []Key, removed []string) {
	keep := make(map[string]bool, len(next))
	for _, k := range next {
		keep[k.ID] = true
	}
	stored := make(map[string]bool, len(old))
	for _, k := range old {
		stored[k.ID] = true
		if !keep[k.ID] {
			removed = append(removed, k.ID)
		}
	}
	for _, k := range next {
		if !stored[k.ID] {
			added = append(added, k)
		}
	}
	return added, removed
}
