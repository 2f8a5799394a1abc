package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const principalKey = "iamd.principal"

// authenticate admits management API requests that carry an access token
// this server issued for the management audience, held by an active account
// with the admin role. The token is checked exactly as a resource server
// checks it; the account and role are read fresh, so archiving an admin
// locks it out at once.
func (s *Server) authenticate(c *fiber.Ctx) error {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return unauthenticated(c, "", "this API requires a bearer access token")
	}
	claims, err := s.verifier.Verify(strings.TrimSpace(token), oauth.ManagementAudience)
	if err != nil {
		return unauthenticated(c, "invalid_token", "the access token is invalid, expired, or not meant for this API")
	}
	acct, err := s.Accounts.Get(c.UserContext(), claims.Subject)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) || (err == nil && !acct.ArchivedAt.IsZero()) {
		return unauthenticated(c, "invalid_token", "the token's account no longer exists or is archived")
	}
	if err != nil {
		return err
	}
	admin, err := s.Orgs.HasRole(c.UserContext(), acct.ID, rbac.AdminRole)
	if err != nil {
		return err
	}
	if !admin {
		// RFC 6750 §3.1: the token is valid but grants too little.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="iamd", error="insufficient_scope"`)
		return &apiError{http.StatusForbidden, "forbidden", "the management API requires the " + rbac.AdminRole + " role"}
	}
	c.Locals(principalKey, claims.Subject)
	return c.Next()
}

// unauthenticated answers 401 with a Bearer challenge (RFC 6750 §3).
func unauthenticated(c *fiber.Ctx, code, msg string) error {
	challenge := `Bearer realm="iamd"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	c.Set(fiber.HeaderWWWAuthenticate, challenge)
	return &apiError{http.StatusUnauthorized, "unauthenticated", msg}
}

// principal returns the client ID of the authenticated caller.
func principal(c *fiber.Ctx) string {
	p, _ := c.Locals(principalKey).(string)
	return p
}
