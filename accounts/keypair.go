package accounts

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Algorithms key-pair keys may sign with: JWS algorithms with keys strong
// enough for client authentication. The key type decides which fit.
var Algorithms = []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"}

// GeneratedAlgorithms are the algorithms CreateKeyPair generates keys for;
// DefaultAlgorithm is the one it uses when none is asked for.
var GeneratedAlgorithms = []string{"ES256", "RS256", "EdDSA"}

// DefaultAlgorithm is the algorithm of a generated key when none is given.
const DefaultAlgorithm = "ES256"

const (
	// MinRSABits and MaxRSABits bound the RSA moduli accepted.
	MinRSABits = 2048
	MaxRSABits = 4096
	// generatedRSABits is the modulus of RSA keys iamd generates.
	generatedRSABits = 3072
	// KeyFileType is the type member of a key file.
	KeyFileType = "iamd_service_account_key"
)

// kidFormat is what an uploaded kid must look like to be kept: short,
// and safe to print, put in a URL or a file name.
var kidFormat = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidKID reports whether kid may be a key's kid: 1 to 64 characters,
// letters, digits, '.', '_' and '-'.
func ValidKID(kid string) bool { return kidFormat.MatchString(kid) }

// NewKeyPair describes a key pair for iamd to generate.
type NewKeyPair struct {
	Label string
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time
	// Algorithm is one of GeneratedAlgorithms; empty for DefaultAlgorithm.
	Algorithm string
}

// KeyFile is what a generated key pair is handed out as, once: everything a
// client needs to sign assertions, readable by any JOSE library.
type KeyFile struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	// KeyID is the key's kid (for generated keys, also its key ID).
	KeyID string `json:"key_id"`
	// Issuer and TokenEndpoint are the server's; accounts does not know
	// them and leaves them empty for the caller (the API) to fill in.
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	// PrivateKey is the private JWK, its kid the key ID and alg the
	// key's algorithm.
	PrivateKey jose.JSONWebKey `json:"private_key"`
}

// CreateKeyPair generates a key pair for the account and returns the key,
// which holds the public half, and the key file, which holds the private
// half; it requires iam.keys write, as CreateKey. The private key is not
// stored and cannot be retrieved again. The key file's Issuer and
// TokenEndpoint are left for the caller to fill in.
func (s *Service) CreateKeyPair(ctx context.Context, actor rbac.Actor, clientID string, in NewKeyPair) (Key, KeyFile, error) {
	var file KeyFile
	k, err := s.createKey(ctx, actor, clientID, NewKey{Label: in.Label, ExpiresAt: in.ExpiresAt}, s.generated(in.Algorithm, clientID, &file))
	if err != nil {
		return Key{}, KeyFile{}, err
	}
	return k, file, nil
}

// generated makes a new key a generated key pair of algorithm alg and
// fills in *file.
func (s *Service) generated(alg, clientID string, file *KeyFile) material {
	return func(k *Key, _ []Key) error {
		if alg == "" {
			alg = DefaultAlgorithm
		}
		priv, err := generate(alg)
		if err != nil {
			return err
		}
		k.KID = k.ID
		if err := setPublic(k, priv.Public(), alg); err != nil {
			return err
		}
		*file = KeyFile{
			Type: KeyFileType, ClientID: clientID, KeyID: k.KID,
			PrivateKey: jose.JSONWebKey{Key: priv, KeyID: k.KID, Algorithm: alg, Use: "sig"},
		}
		return nil
	}
}

// rotated is the material of the key replacing old: a secret for a secret
// key, a key pair of the same algorithm for a key-pair key.
func (s *Service) rotated(old Key, out *Rotated) material {
	if old.Kind == KindKeyPair {
		out.KeyFile = new(KeyFile)
		return s.generated(old.Algorithm, s.ids.Of(out.Account), out.KeyFile)
	}
	return secretMaterial(&out.Secret)
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		return rsa.GenerateKey(rand.Reader, generatedRSABits)
	case "EdDSA":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, storage.Errorf(storage.ErrInvalid, "algorithm %s cannot be generated; use one of ES256 (the default), RS256, EdDSA", storage.Quote(alg))
}

// setPublic makes k a key-pair key holding the public key pub for alg.
func setPublic(k *Key, pub crypto.PublicKey, alg string) error {
	b, err := json.Marshal(jose.JSONWebKey{Key: pub, KeyID: k.KID, Algorithm: alg, Use: "sig"})
	if err != nil {
		return fmt.Errorf("encode public key: %w", err)
	}
	k.Kind, k.Algorithm, k.PublicJWK = KindKeyPair, alg, string(b)
	// What cannot be read back could never verify an assertion.
	if _, err := k.PublicKey(); err != nil {
		return storage.Errorf(storage.ErrInvalid, "the public key cannot be read back as a JWK: %v", err)
	}
	return nil
}

// PublicKey returns the public key of a key-pair key, as a JWK.
func (k Key) PublicKey() (jose.JSONWebKey, error) {
	var j jose.JSONWebKey
	if k.Kind != KindKeyPair {
		return j, fmt.Errorf("key %s is a %s key, not a key pair", k.ID, k.Kind)
	}
	if err := j.UnmarshalJSON([]byte(k.PublicJWK)); err != nil {
		return j, fmt.Errorf("key %s: stored public key: %w", k.ID, err)
	}
	return j, nil
}
