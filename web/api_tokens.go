package web

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/resource"
)

// RevokeTokensRequest revokes one token (Token), or every token of an
// account issued until now (Account), or of one of its keys (Account and
// Key).
type RevokeTokensRequest struct {
	Token   string `json:"token"`
	Account string `json:"account"`
	Key     string `json:"key"`
}

// Revocation is what a revocation revoked: one token (JTI set), or the
// tokens of an account or key issued before IssuedBefore.
type Revocation struct {
	JTI          string     `json:"jti,omitempty"`
	ClientID     string     `json:"client_id"`
	Key          string     `json:"key,omitempty"`
	IssuedBefore *time.Time `json:"issued_before,omitempty"`
	// ExpiresAt is when every token it revokes has expired; it leaves the
	// feed two minutes after.
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) revokeTokens(c *fiber.Ctx) error {
	var in RevokeTokensRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx, who := c.UserContext(), actor(c)
	switch {
	case in.Token != "" && (in.Account != "" || in.Key != ""):
		return badRequest("give either token, or account (and key), not both")
	case in.Token != "":
		t, err := s.OAuth.RevokeAs(ctx, who, in.Token)
		if errors.Is(err, resource.ErrInvalidToken) {
			return badRequest("token is not a valid, unexpired access token of this server: there is nothing to revoke")
		}
		if err != nil {
			return err
		}
		return ok(c, Revocation{JTI: t.ID, ClientID: t.ClientID, Key: t.KeyID, ExpiresAt: t.ExpiresAt.UTC()})
	case in.Account != "":
		k, err := s.Accounts.RevokeTokensOf(ctx, who, in.Account, in.Key)
		if err != nil {
			return err
		}
		return ok(c, Revocation{ClientID: in.Account, Key: k.KeyID, IssuedBefore: &k.IssuedBefore, ExpiresAt: k.ExpiresAt})
	case in.Key != "":
		return badRequest("key needs the account it belongs to")
	}
	return badRequest("token or account is required")
}

// RetireRequest is the optional body of deactivating or deleting a key and
// archiving an account.
type RetireRequest struct {
	// RevokeTokens revokes the tokens already issued with the key, or to
	// the account, in the same transaction.
	RevokeTokens bool `json:"revoke_tokens"`
}
