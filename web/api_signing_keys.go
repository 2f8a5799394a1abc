package web

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// needOnRoot returns the root organization if the caller holds right there.
func (s *Server) needOnRoot(ctx context.Context, a rbac.Actor, right rbac.Right) (rbac.Org, error) {
	root, err := s.Orgs.Root(ctx)
	if err != nil {
		return rbac.Org{}, err
	}
	return root, a.Need(root.ID, right)
}

// SigningKey describes a token signing key.
type SigningKey struct {
	ID             string     `json:"id"`
	Algorithm      string     `json:"algorithm"`
	State          string     `json:"state"`
	CreatedAt      time.Time  `json:"created_at"`
	ActivatesAt    time.Time  `json:"activates_at"`
	RetiredAt      *time.Time `json:"retired_at,omitempty"`
	PublishedUntil *time.Time `json:"published_until,omitempty"`
}

// SigningKeyList lists the signing keys, oldest first.
type SigningKeyList struct {
	Items []SigningKey `json:"items"`
}

// listSigningKeys reloads the keys first: another instance may have
// rotated them.
func (s *Server) listSigningKeys(c *fiber.Ctx) error {
	if _, err := s.needOnRoot(c.UserContext(), actor(c), readSigningKeys); err != nil {
		return err
	}
	if err := s.OAuth.Keys().Refresh(c.UserContext()); err != nil {
		return err
	}
	return s.sendSigningKeys(c)
}

func (s *Server) sendSigningKeys(c *fiber.Ctx) error {
	keys := s.OAuth.Keys().Keys()
	out := SigningKeyList{Items: make([]SigningKey, len(keys))}
	for i, k := range keys {
		out.Items[i] = SigningKey{
			ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt, ActivatesAt: k.ActivatesAt,
			RetiredAt: timePtr(k.RetiredAt), PublishedUntil: timePtr(k.PublishedUntil),
		}
	}
	return ok(c, out)
}

// RotateSigningKeysRequest adds a signing key, by default of the current
// key's algorithm.
type RotateSigningKeysRequest struct {
	Algorithm string `json:"algorithm"`
	// ActivateIn is the delay in seconds before the new key signs; by
	// default, long enough for every cached JWKS to have been refreshed.
	ActivateIn *int64 `json:"activate_in"`
	// Force allows an ActivateIn below MinActivation.
	Force bool `json:"force"`
}

// maxActivateIn is 30 days in seconds.
const maxActivateIn = 30 * 24 * 3600

func (s *Server) rotateSigningKeys(c *fiber.Ctx) error {
	root, err := s.needOnRoot(c.UserContext(), actor(c), writeSigningKeys)
	if err != nil {
		return err
	}
	var in RotateSigningKeysRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	delay := s.DefaultActivation
	if in.ActivateIn != nil {
		if *in.ActivateIn < 0 || *in.ActivateIn > maxActivateIn {
			return badRequest(fmt.Sprintf("activate_in must be 0 to %d seconds", maxActivateIn))
		}
		delay = time.Duration(*in.ActivateIn) * time.Second
	}
	// Resource servers refuse a key they have not seen: one that signs
	// before every cached JWKS has been refreshed gets its tokens refused.
	if delay < s.MinActivation && !in.Force {
		return badRequest(fmt.Sprintf("activate_in must be at least %d seconds, the time for every cached JWKS to show the new key; set force to sign sooner, and expect its tokens to be refused until then", int64(s.MinActivation/time.Second)))
	}
	k, err := s.OAuth.Keys().Rotate(c.UserContext(), in.Algorithm, delay)
	if err != nil {
		return err
	}
	// Recorded right after the rotation, not in its transaction: Rotate
	// loads the new key into this instance's key set as soon as it is
	// stored, so a rollback afterwards would leave a published key that
	// the database does not hold.
	view := signingKeyView{ID: k.ID, Algorithm: k.Algorithm, ActivatesAt: k.ActivatesAt}
	if err := s.Orgs.Audit().Record(c.UserContext(), actor(c).ID, "signing_key.rotate", root.ID, k.ID, nil, view); err != nil {
		return err
	}
	return s.sendSigningKeys(c) // Rotate reloaded the keys
}

// signingKeyView is a signing key as the audit log records it: never its
// private part.
type signingKeyView struct {
	ID          string    `json:"id"`
	Algorithm   string    `json:"algorithm"`
	ActivatesAt time.Time `json:"activates_at"`
}
