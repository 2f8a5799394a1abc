package oauth

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

// Signing algorithms. RFC 9068 §4 requires RS256 support; ES256 is the
// default for its small keys and signatures.
const (
	ES256 = "ES256"
	EdDSA = "EdDSA"
	RS256 = "RS256"
)

// Algorithms lists the signing algorithms iamd can use.
var Algorithms = []string{ES256, EdDSA, RS256}

// SigningKey is a token signing key as stored: the public half as a JWK, the
// private half as PKCS #8 sealed under the master key.
type SigningKey struct {
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

// KeyStore persists signing keys.
type KeyStore interface {
	// ListSigningKeys returns every key ordered by ActivatesAt then ID.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// UpdateSigningKeys calls fn with the stored keys, ordered, and stores
	// the set it returns, in one transaction that excludes concurrent
	// updates: keys not in the result are deleted, new ones inserted.
	// Stored keys are immutable; a returned key with a known ID is kept as
	// stored.
	UpdateSigningKeys(ctx context.Context, fn func([]SigningKey) ([]SigningKey, error)) error
}

// MasterKey encrypts signing keys at rest with AES-256-GCM.
type MasterKey struct {
	aead cipher.AEAD
}

// MasterKeySize is the size of a master key in bytes.
const MasterKeySize = 32

// NewMasterKey returns a master key from 32 random bytes.
func NewMasterKey(raw []byte) (*MasterKey, error) {
	if len(raw) != MasterKeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", MasterKeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &MasterKey{aead: aead}, nil
}

// ParseMasterKey decodes a base64 master key, as GenerateMasterKey writes it.
func ParseMasterKey(text string) (*MasterKey, error) {
	text = strings.TrimSpace(text)
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(text); err != nil {
			return nil, errors.New("master key is not base64")
		}
	}
	return NewMasterKey(raw)
}

// GenerateMasterKey returns a new random master key, base64-encoded.
func GenerateMasterKey() string {
	raw := make([]byte, MasterKeySize)
	rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

const sealVersion = 1

// seal encrypts a private key, binding it to its key ID and algorithm so a
// sealed key cannot be swapped onto another record.
func (m *MasterKey) seal(kid, alg string, plaintext []byte) []byte {
	nonce := make([]byte, m.aead.NonceSize(), 1+m.aead.NonceSize()+len(plaintext)+m.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return m.aead.Seal(out, nonce, plaintext, sealAD(kid, alg))
}

func (m *MasterKey) open(kid, alg string, sealed []byte) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, errors.New("unknown sealed key format")
	}
	plain, err := m.aead.Open(nil, sealed[1:1+n], sealed[1+n:], sealAD(kid, alg))
	if err != nil {
		return nil, errors.New("cannot decrypt signing key: wrong master key")
	}
	return plain, nil
}

func sealAD(kid, alg string) []byte {
	return []byte("iamd signing key\x00" + alg + "\x00" + kid)
}

// GenerateSigningKey returns a new key for alg, sealed under mk, that starts
// signing at activatesAt.
func GenerateSigningKey(alg string, mk *MasterKey, now, activatesAt time.Time) (SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return SigningKey{}, storage.Errorf(storage.ErrInvalid, "unknown signing algorithm %s (want one of %s)", storage.Quote(alg), strings.Join(Algorithms, ", "))
	}
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig", KeyID: thumbprint(priv.Public())}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{
		ID: pub.KeyID, Algorithm: alg, PublicJWK: pubJSON,
		PrivateKey: mk.seal(pub.KeyID, alg, der),
		CreatedAt:  storage.Time(now), ActivatesAt: storage.Time(activatesAt),
	}, nil
}

// signer is a usable signing key: decrypted, with its public JWK.
type signer struct {
	SigningKey
	public jose.JSONWebKey
	signer jose.Signer
}

func openSigningKey(k SigningKey, mk *MasterKey) (*signer, error) {
	der, err := mk.open(k.ID, k.Algorithm, k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON(k.PublicJWK); err != nil {
		return nil, fmt.Errorf("signing key %s: public key: %w", k.ID, err)
	}
	// The kid is the thumbprint of the public key: both the private key's
	// public half and the stored JWK must hash to it, so the JWKS cannot
	// drift from the key that signs.
	ps, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a signing key", k.ID)
	}
	if thumbprint(ps.Public()) != k.ID || thumbprint(pub.Key) != k.ID || pub.KeyID != k.ID || pub.Algorithm != k.Algorithm {
		return nil, fmt.Errorf("signing key %s: public key does not match private key", k.ID)
	}
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType(resource.AccessTokenType),
	)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return &signer{SigningKey: k, public: pub, signer: s}, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url-encoded: the key ID. It is empty for anything else.
func thumbprint(public any) string {
	t, err := (&jose.JSONWebKey{Key: public}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(t)
}

// sha256Tag returns a strong ETag for b.
func sha256Tag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(h[:16]) + `"`
}

// KeyChanges returns what turns the stored keys old into next: keys to
// insert and IDs to delete. Backends use it in UpdateSigningKeys.
func KeyChanges(old, next []SigningKey) (added []SigningKey, removed []string) {
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
