package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

const principalKey = "iamd.principal"

// authenticate admits management API requests whose bearer token belongs to
// an admin (see oauth.Admins).
func (s *Server) authenticate(c *fiber.Ctx) error {
	header, err := authorization(c)
	if err != nil {
		// RFC 6750 §3.1: a repeated parameter is invalid_request.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="iamd", error="invalid_request"`)
		return badRequest("the request has more than one Authorization header")
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return unauthenticated(c, "", "this API requires a bearer access token")
	}
	caller, err := s.admins.Authenticate(c.UserContext(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, resource.ErrInvalidToken):
		return unauthenticated(c, "invalid_token", "the access token is invalid, expired, or not meant for this API")
	case errors.Is(err, storage.ErrForbidden):
		// RFC 6750 §3.1: the token is valid but grants too little.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="iamd", error="insufficient_scope"`)
		return &apiError{http.StatusForbidden, "forbidden", err.Error()}
	case err != nil:
		return err
	}
	c.Locals(principalKey, caller)
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
