package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage"
)

// Key is an account key in the management API; its secret or private key
// is never shown.
type Key struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	// Type is "secret" or "key-pair"; the field is named kind, as it
	// has been since the API's first release.
	Type string `json:"kind"`
	// KID, Algorithm and PublicJWK are a key pair's: the kid assertions
	// name it by, the algorithm they are signed with and the public key.
	KID        string          `json:"kid,omitempty"`
	Algorithm  string          `json:"algorithm,omitempty"`
	PublicJWK  json.RawMessage `json:"public_jwk,omitempty"`
	Label      string          `json:"label"`
	Status     string          `json:"status"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	ExpiresAt  *time.Time      `json:"expires_at"`
	LastUsedAt *time.Time      `json:"last_used_at"`
}

func (s *Server) newKey(k accounts.Key, clientID string) Key {
	out := Key{
		ID: k.ID, ClientID: clientID, Type: k.Kind, Label: k.Label, Status: k.Status(s.Now()),
		CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, ExpiresAt: timePtr(k.ExpiresAt), LastUsedAt: timePtr(k.LastUsedAt),
	}
	if k.Kind == accounts.KindKeyPair {
		// The stored JWK is the public half only (accounts.setPublic).
		out.KID, out.Algorithm, out.PublicJWK = k.KID, k.Algorithm, json.RawMessage(k.PublicJWK)
	}
	return out
}

func (s *Server) newKeys(keys []accounts.Key, clientID string) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = s.newKey(k, clientID)
	}
	return out
}

// NewKey is a new key with what only its creation shows, once: the secret
// of a secret key or the key file of a generated key pair. An uploaded
// key has neither.
type NewKey struct {
	Key
	Secret  string            `json:"secret,omitempty"`
	KeyFile *accounts.KeyFile `json:"key_file,omitempty"`
}

// newKeyOf is the new key k with its secret or key file; the key file
// gets the server's issuer and token endpoint, which accounts does not
// know.
func (s *Server) newKeyOf(k accounts.Key, clientID, secret string, file *accounts.KeyFile) NewKey {
	if file != nil {
		m := s.OAuth.Metadata()
		file.Issuer, file.TokenEndpoint = m.Issuer, m.TokenEndpoint
	}
	return NewKey{Key: s.newKey(k, clientID), Secret: secret, KeyFile: file}
}

// KeyList lists an account's keys, oldest first.
type KeyList struct {
	Items []Key `json:"items"`
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	keys, err := s.Accounts.ListKeys(c.UserContext(), actor(c), clientID)
	if err != nil {
		return err
	}
	return ok(c, KeyList{Items: s.newKeys(keys, clientID)})
}

// CreateKeyRequest creates a key; without expiry it never expires.
type CreateKeyRequest struct {
	Label     string     `json:"label"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	ExpiresIn *int64     `json:"expires_in,omitempty"`
	// Type is "secret" (the default) or "key-pair"; with PublicKey it
	// may only be "key-pair".
	Type string `json:"kind,omitempty"`
	// Algorithm is a key pair's: for a generated one ES256 (the
	// default), RS256 or EdDSA; for an uploaded one it overrides the
	// key's own.
	Algorithm string `json:"algorithm,omitempty"`
	// PublicKey is an uploaded public key: PEM, a JWK or a JWK Set with
	// one key.
	PublicKey string `json:"public_key,omitempty"`
}

// keyKind is the kind of key in asks for, and whether it is an upload.
func (in CreateKeyRequest) keyKind() (kind string, upload bool, err error) {
	upload = strings.TrimSpace(in.PublicKey) != ""
	switch in.Type {
	case "":
		if upload {
			return accounts.KindKeyPair, true, nil
		}
		kind = accounts.KindSecret
	case accounts.KindSecret, accounts.KindKeyPair:
		kind = in.Type
	default:
		return "", false, badRequest(fmt.Sprintf("kind %s is not secret or key-pair", storage.Quote(in.Type)))
	}
	switch {
	case upload && kind == accounts.KindSecret:
		return "", false, badRequest("public_key makes a key-pair key, not a secret key")
	case kind == accounts.KindSecret && in.Algorithm != "":
		return "", false, badRequest("algorithm is for key-pair keys, not secret keys")
	}
	return kind, upload, nil
}

func (s *Server) createKey(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	var in CreateKeyRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	exp, err := expiry(in.ExpiresAt, in.ExpiresIn, s.Now())
	if err != nil {
		return err
	}
	kind, upload, err := in.keyKind()
	if err != nil {
		return err
	}
	ctx, who := c.UserContext(), actor(c)
	var k accounts.Key
	var secret string
	var file *accounts.KeyFile
	switch {
	case upload:
		k, err = s.Accounts.UploadPublicKey(ctx, who, clientID, accounts.NewUploadedKey{
			Label: in.Label, ExpiresAt: exp, PublicKey: []byte(in.PublicKey), Algorithm: in.Algorithm,
		})
	case kind == accounts.KindKeyPair:
		file = new(accounts.KeyFile)
		k, *file, err = s.Accounts.CreateKeyPair(ctx, who, clientID, accounts.NewKeyPair{Label: in.Label, ExpiresAt: exp, Algorithm: in.Algorithm})
	default:
		k, secret, err = s.Accounts.CreateKey(ctx, who, clientID, accounts.NewKey{Label: in.Label, ExpiresAt: exp})
	}
	if err != nil {
		return err
	}
	return created(c, s.newKeyOf(k, clientID, secret, file))
}

// keyParam returns the key ID in the path.
func keyParam(c *fiber.Ctx) (string, error) {
	return param(c, "key_id")
}

func (s *Server) getKey(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	k, a, err := s.Accounts.GetKey(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, s.newKey(k, s.Accounts.ClientIDs().Of(a)))
}

func (s *Server) activateKey(c *fiber.Ctx) error   { return s.setKeyActive(c, true) }
func (s *Server) deactivateKey(c *fiber.Ctx) error { return s.setKeyActive(c, false) }

func (s *Server) setKeyActive(c *fiber.Ctx, active bool) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	var in RetireRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	if active && in.RevokeTokens {
		return badRequest("revoke_tokens applies to deactivating a key, not activating it")
	}
	var k accounts.Key
	var a accounts.Account
	if active {
		k, a, err = s.Accounts.SetKeyActive(c.UserContext(), actor(c), id, true)
	} else {
		k, a, err = s.Accounts.DeactivateKeyRevoking(c.UserContext(), actor(c), id, in.RevokeTokens)
	}
	if err != nil {
		return err
	}
	return ok(c, s.newKey(k, s.Accounts.ClientIDs().Of(a)))
}

func (s *Server) deleteKey(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	var in RetireRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	if err := s.Accounts.DeleteKeyRevoking(c.UserContext(), actor(c), id, in.RevokeTokens); err != nil {
		return err
	}
	return noContent(c)
}

// RotateKeyRequest rotates a key.
type RotateKeyRequest struct {
	Label     string     `json:"label"`
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *int64     `json:"expires_in"`
	// GracePeriod keeps the old key working this many seconds; 0 or
	// absent deactivates it at once.
	GracePeriod int64 `json:"grace_period"`
}

// KeyRotation is the result of a rotation: the new key, with its secret or
// key file, and the old one.
type KeyRotation struct {
	Key    NewKey `json:"key"`
	OldKey Key    `json:"old_key"`
}

// maxGracePeriod is 90 days in seconds.
const maxGracePeriod = 90 * 24 * 3600

func (s *Server) rotateKey(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	var in RotateKeyRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	if in.GracePeriod < 0 || in.GracePeriod > maxGracePeriod {
		return badRequest(fmt.Sprintf("grace_period must be 0 to %d seconds", maxGracePeriod))
	}
	exp, err := expiry(in.ExpiresAt, in.ExpiresIn, s.Now())
	if err != nil {
		return err
	}
	r, err := s.Accounts.RotateKey(c.UserContext(), actor(c), id, accounts.Rotation{
		Label: in.Label, ExpiresAt: exp, Grace: time.Duration(in.GracePeriod) * time.Second,
	})
	if err != nil {
		return err
	}
	clientID := s.Accounts.ClientIDs().Of(r.Account)
	return created(c, KeyRotation{
		Key:    s.newKeyOf(r.New, clientID, r.Secret, r.KeyFile),
		OldKey: s.newKey(r.Old, clientID),
	})
}
