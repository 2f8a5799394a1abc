package web

import (
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/oauth"
)

// endpointRequest reads a request to an OAuth endpoint that takes client
// credentials in a form, under the token endpoint's limits.
func (s *Server) endpointRequest(c *fiber.Ctx, name string) (oauth.TokenRequest, error) {
	if encoded(c) {
		return oauth.TokenRequest{}, oauth.InvalidRequest("Content-Encoding is not supported on the " + name + " endpoint.")
	}
	body := c.Request().Body()
	if len(body) > tokenBodyLimit {
		return oauth.TokenRequest{}, &oauth.Error{Code: oauth.CodeInvalidRequest, Status: http.StatusRequestEntityTooLarge,
			Description: fmt.Sprintf("The request body exceeds %d bytes.", tokenBodyLimit)}
	}
	auth, err := authorization(c)
	if err != nil {
		return oauth.TokenRequest{}, oauth.InvalidRequest("The request has more than one Authorization header.")
	}
	return oauth.TokenRequest{
		ContentType:   c.Get(fiber.HeaderContentType),
		Body:          body,
		Query:         string(c.Request().URI().QueryString()),
		Authorization: auth,
		ClientAddr:    s.addr(c),
	}, nil
}

// introspect is the introspection endpoint (RFC 7662 §2).
func (s *Server) introspect(c *fiber.Ctx) error {
	r, err := s.endpointRequest(c, "introspection")
	if err != nil {
		return err
	}
	resp, err := s.OAuth.Introspect(c.UserContext(), r)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(resp)
}

// revoke is the revocation endpoint (RFC 7009 §2).
func (s *Server) revoke(c *fiber.Ctx) error {
	r, err := s.endpointRequest(c, "revocation")
	if err != nil {
		return err
	}
	if err := s.OAuth.Revoke(c.UserContext(), r); err != nil {
		return err
	}
	noStore(c)
	// RFC 7009 §2.2: the client ignores the body; send none.
	c.Status(http.StatusOK)
	return c.Send(nil)
}

// postOnly answers requests other than POST to the OAuth endpoints that
// take client credentials (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
func postOnly(c *fiber.Ctx) error {
	return &oauth.Error{Code: oauth.CodeInvalidRequest, Status: http.StatusMethodNotAllowed,
		Description: "This endpoint accepts only POST."}
}

// revocations serves the revocation feed (resource.Revocations) with an
// ETag: resource servers poll it with If-None-Match, and a 304 costs iamd
// one single-row query.
func (s *Server) revocations(c *fiber.Ctx) error {
	body, etag, err := s.OAuth.Revocations(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d", int(s.FeedMaxAge.Seconds())))
	c.Set(fiber.HeaderETag, etag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}
