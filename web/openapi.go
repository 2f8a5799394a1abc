package web

import (
	"bytes"
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIPath serves the OpenAPI document.
const openAPIPath = "/api/v1/openapi.json"

// openAPIDocument describes the management API. It is written by hand, and
// the tests hold it to the routes: every route under /api/v1 is in it,
// nothing else is, and every response the tests see matches it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3 document of the management API.
func OpenAPI() []byte { return bytes.Clone(openAPIDocument) }

// openAPI serves the document to anyone: it holds no secret, and clients
// read it before they have a token.
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(openAPIDocument)
}
