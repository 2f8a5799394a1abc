package web

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
)

// Key is an account key in the management API; its secret is never shown.
type Key struct {
	ID         string     `json:"id"`
	ClientID   string     `json:"client_id"`
	Kind       string     `json:"kind"`
	Label      string     `json:"label"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func (s *Server) newKey(k accounts.Key, clientID string) Key {
	return Key{
		ID: k.ID, ClientID: clientID, Kind: k.Kind, Label: k.Label, Status: k.Status(s.Now()),
		CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, ExpiresAt: timePtr(k.ExpiresAt), LastUsedAt: timePtr(k.LastUsedAt),
	}
}

func (s *Server) newKeys(keys []accounts.Key, clientID string) []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		out[i] = s.newKey(k, clientID)
	}
	return out
}

// NewKey is a key with its secret, returned once, at creation.
type NewKey struct {
	Key
	Secret string `json:"secret"`
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
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *int64     `json:"expires_in"`
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
	k, secret, err := s.Accounts.CreateKey(c.UserContext(), actor(c), clientID, accounts.NewKey{Label: in.Label, ExpiresAt: exp})
	if err != nil {
		return err
	}
	return created(c, NewKey{Key: s.newKey(k, clientID), Secret: secret})
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
	k, a, err := s.Accounts.SetKeyActive(c.UserContext(), actor(c), id, active)
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
	if err := s.Accounts.DeleteKey(c.UserContext(), actor(c), id); err != nil {
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

// KeyRotation is the result of a rotation: the new key, with its secret, and the old one.
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
		Key:    NewKey{Key: s.newKey(r.New, clientID), Secret: r.Secret},
		OldKey: s.newKey(r.Old, clientID),
	})
}
