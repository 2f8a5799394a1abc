package oauth

import (
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
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
)

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
func GenerateSigningKey(alg string, mk *MasterKey, now, activatesAt time.Time) (signing.Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case signing.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case signing.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case signing.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return signing.Key{}, storage.Errorf(storage.ErrInvalid, "unknown signing algorithm %s (want one of %s)", storage.Quote(alg), strings.Join(signing.Algorithms, ", "))
	}
	if err != nil {
		return signing.Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig", KeyID: thumbprint(priv.Public())}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return signing.Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return signing.Key{}, err
	}
	return signing.Key{
		ID: pub.KeyID, Algorithm: alg, PublicJWK: pubJSON,
		PrivateKey: mk.seal(pub.KeyID, alg, der),
		CreatedAt:  storage.Time(now), ActivatesAt: storage.Time(activatesAt),
	}, nil
}

// signer is a usable signing key: decrypted, with its public JWK.
type signer struct {
	signing.Key
	public jose.JSONWebKey
	signer jose.Signer
}

func openSigningKey(k signing.Key, mk *MasterKey) (*signer, error) {
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
	return &signer{Key: k, public: pub, signer: s}, nil
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
