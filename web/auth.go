package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
)

const actorKey = "iamd.actor"

// authenticate admits management API requests that carry an access token
// this server issued for the management API (see oauth.Admins). What the
// caller may then do is up to its rights, which every domain call checks.
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
	a, err := s.admins.Authenticate(c.UserContext(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, resource.ErrInvalidToken):
		return unauthenticated(c, "invalid_token", "the access token is invalid, expired, or not meant for this API")
	case err != nil:
		return err
	}
	c.Locals(actorKey, a)
	return c.Next()
}

// unauthenticated answers 401 with a Bearer challenge (RFC 6750 §3).
func unauthenticated(c *fiber.Ctx, code, msg string) error {
	challenge := `Bearer realm="iamd"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	c.Set(fiber.HeaderWWWAuthenticate, challenge)
	return &apiError{status: http.StatusUnauthorized, code: "unauthenticated", message: msg}
}

// actor returns the authenticated caller with its rights. Outside the
// authenticated routes it is an actor holding no right.
func actor(c *fiber.Ctx) rbac.Actor {
	a, _ := c.Locals(actorKey).(rbac.Actor)
	return a
}
