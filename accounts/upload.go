package accounts

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// NewUploadedKey describes a public key to upload.
type NewUploadedKey struct {
	Label string
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time
	// PublicKey is a PEM public key (PKIX "PUBLIC KEY" or PKCS #1 "RSA
	// PUBLIC KEY"), a JWK, or a JWK Set holding exactly one key.
	PublicKey []byte
	// Algorithm, if set, is the key's algorithm; otherwise the JWK's alg,
	// or else the usual one for the key (RS256, ES256/384/512, EdDSA).
	Algorithm string
}

// UploadPublicKey adds a key-pair key of the account from a public key
// whose private half iamd never sees; it requires iam.keys write, as
// CreateKey. A valid kid in the upload (see ValidKID) is kept if no other
// key of the account has it; otherwise the key's kid is its key ID.
func (s *Service) UploadPublicKey(ctx context.Context, actor rbac.Actor, clientID string, in NewUploadedKey) (Key, error) {
	up, err := parsePublicKey(in.PublicKey, in.Algorithm)
	if err != nil {
		return Key{}, err
	}
	return s.createKey(ctx, actor, clientID, NewKey{Label: in.Label, ExpiresAt: in.ExpiresAt}, func(k *Key, keys []Key) error {
		k.KID, k.Uploaded = k.ID, true
		if ValidKID(up.kid) && !slices.ContainsFunc(keys, func(o Key) bool { return o.KID == up.kid }) {
			k.KID = up.kid
		}
		return setPublic(k, up.key, up.alg)
	})
}

type uploaded struct {
	key      crypto.PublicKey
	alg, kid string
}

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 §6).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

func parsePublicKey(b []byte, alg string) (uploaded, error) {
	b = bytes.TrimSpace(b)
	var up uploaded
	var err error
	switch {
	case len(b) == 0:
		return up, storage.Errorf(storage.ErrInvalid, "no public key given")
	case b[0] == '{':
		up, err = parseJWKOrSet(b)
	default:
		up, err = parsePEM(b)
	}
	if err != nil {
		return up, err
	}
	if alg != "" {
		if up.alg != "" && up.alg != alg {
			return up, storage.Errorf(storage.ErrInvalid, "the key says algorithm %s, not %s", storage.Quote(up.alg), storage.Quote(alg))
		}
		up.alg = alg
	}
	return up, checkPublicKey(&up)
}

func parseJWKOrSet(b []byte) (uploaded, error) {
	var probe struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "public key is not valid JSON: %v", err)
	}
	if probe.Keys != nil {
		if len(probe.Keys) != 1 {
			return uploaded{}, storage.Errorf(storage.ErrInvalid, "a JWK Set to upload must hold exactly one key, not %d", len(probe.Keys))
		}
		b = probe.Keys[0]
	}
	return parseJWK(b)
}

func parseJWK(b []byte) (uploaded, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "public key is not a JWK: %v", err)
	}
	var head struct{ Kty, Crv, Use string }
	_ = json.Unmarshal(b, &head) // members above parsed; wrong types show below
	switch {
	case head.Kty == "oct":
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "symmetric keys (kty \"oct\") are refused: upload a public key")
	case head.Kty != "RSA" && head.Kty != "EC" && head.Kty != "OKP":
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "key type %s is not supported; use RSA, EC or OKP (Ed25519)", storage.Quote(head.Kty))
	case head.Use != "" && head.Use != "sig":
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "key use %s is refused: the key must be for signatures (\"sig\")", storage.Quote(head.Use))
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return uploaded{}, storage.Errorf(storage.ErrInvalid, "the JWK holds the private member %q: upload the public key only, and keep the private key secret (consider it exposed)", m)
		}
	}
	if err := checkCurve(head.Kty, head.Crv); err != nil {
		return uploaded{}, err
	}
	var j jose.JSONWebKey
	if err := j.UnmarshalJSON(b); err != nil {
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "public key is not a valid JWK: %v", err)
	}
	return uploaded{key: j.Key, alg: j.Algorithm, kid: j.KeyID}, nil
}

func checkCurve(kty, crv string) error {
	switch {
	case kty == "EC" && crv != "P-256" && crv != "P-384" && crv != "P-521":
		return storage.Errorf(storage.ErrInvalid, "curve %s is not supported; use P-256, P-384 or P-521", storage.Quote(crv))
	case kty == "OKP" && crv != "Ed25519":
		return storage.Errorf(storage.ErrInvalid, "curve %s is not supported; use Ed25519", storage.Quote(crv))
	}
	return nil
}

func parsePEM(b []byte) (uploaded, error) {
	block, rest := pem.Decode(b)
	switch {
	case block == nil:
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "public key is neither PEM nor a JWK")
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "this is a private key (PEM %s): upload the public key only, and keep the private key secret (consider it exposed)", storage.Quote(block.Type))
	case len(bytes.TrimSpace(rest)) > 0:
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "upload exactly one PEM block")
	}
	var pub crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "PEM %s is not a public key; use a \"PUBLIC KEY\" block", storage.Quote(block.Type))
	}
	if err != nil {
		// x509 names unknown curves and algorithms in its error.
		return uploaded{}, storage.Errorf(storage.ErrInvalid, "public key cannot be read: %v", err)
	}
	return uploaded{key: pub}, nil
}

// checkPublicKey refuses weak or unsuitable keys and fills in the usual
// algorithm for the key when none was given.
func checkPublicKey(up *uploaded) error {
	var fits []string
	switch k := up.key.(type) {
	case *rsa.PublicKey:
		switch {
		case k.N.BitLen() < MinRSABits:
			return storage.Errorf(storage.ErrInvalid, "RSA key of %d bits is too weak; use at least %d", k.N.BitLen(), MinRSABits)
		case k.N.BitLen() > MaxRSABits:
			// Each verification with it costs the server the more.
			return storage.Errorf(storage.ErrInvalid, "RSA key of %d bits is too large; use at most %d", k.N.BitLen(), MaxRSABits)
		case k.E != 65537:
			// A large exponent makes each verification slow.
			return storage.Errorf(storage.ErrInvalid, "RSA key with public exponent %d; only 65537 is accepted", k.E)
		}
		fits = []string{"RS256", "PS256"}
	case *ecdsa.PublicKey:
		if err := checkCurve("EC", k.Curve.Params().Name); err != nil {
			return err
		}
		fits = []string{map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[k.Curve.Params().Name]}
	case ed25519.PublicKey:
		fits = []string{"EdDSA"}
	default:
		return storage.Errorf(storage.ErrInvalid, "key type %T is not supported; use RSA, EC (P-256, P-384, P-521) or Ed25519", up.key)
	}
	switch {
	case up.alg == "":
		up.alg = fits[0]
	case !slices.Contains(Algorithms, up.alg):
		return storage.Errorf(storage.ErrInvalid, "algorithm %s is not allowed; use one of %s", storage.Quote(up.alg), strings.Join(Algorithms, ", "))
	case !slices.Contains(fits, up.alg):
		return storage.Errorf(storage.ErrInvalid, "algorithm %s does not fit this key; use %s", storage.Quote(up.alg), strings.Join(fits, " or "))
	}
	return nil
}
