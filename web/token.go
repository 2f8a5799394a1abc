package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// token is the token endpoint (RFC 6749 §3.2).
func (s *Server) token(c *fiber.Ctx) error {
	r, err := s.endpointRequest(c, "token")
	if err != nil {
		return err
	}
	resp, err := s.OAuth.Token(c.UserContext(), r)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(resp)
}

// errTwoAuthorizations is returned by authorization.
var errTwoAuthorizations = errors.New("more than one Authorization header")

// authorization returns the request's Authorization header. A request with
// two is refused: a proxy in front may read the other one than iamd does,
// and the two would disagree about who the client is.
func authorization(c *fiber.Ctx) (string, error) {
	if len(c.Request().Header.PeekAll(fiber.HeaderAuthorization)) > 1 {
		return "", errTwoAuthorizations
	}
	return c.Get(fiber.HeaderAuthorization), nil
}

// metadata serves the authorization server metadata (RFC 8414 §3).
func (s *Server) metadata(c *fiber.Ctx) error {
	s.cacheFor(c)
	return c.JSON(s.OAuth.Metadata())
}

// jwks serves the published signing keys (RFC 7517 §5) with an ETag, so
// resource servers can revalidate their copy cheaply.
func (s *Server) jwks(c *fiber.Ctx) error {
	body, etag := s.OAuth.Keys().JWKS()
	s.cacheFor(c)
	c.Set(fiber.HeaderETag, etag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (s *Server) cacheFor(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d", int(s.JWKSMaxAge.Seconds())))
}

// etagMatches implements If-None-Match (RFC 9110 §13.1.2), weak comparison.
func etagMatches(header, etag string) bool {
	if etag == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func healthz(c *fiber.Ctx) error {
	return c.SendString("ok\n")
}

// readyz reports whether the database answers and a key can sign.
func (s *Server) readyz(c *fiber.Ctx) error {
	noStore(c)
	if err := s.Ready(c.UserContext()); err != nil {
		s.Log.Warn("not ready", "err", err)
		return c.Status(http.StatusServiceUnavailable).SendString("not ready\n")
	}
	if !s.OAuth.Keys().CanSign() {
		return c.Status(http.StatusServiceUnavailable).SendString("no active signing key\n")
	}
	return c.SendString("ready\n")
}
