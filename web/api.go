package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// decode parses a JSON request body strictly: unknown fields, duplicate
// keys and trailing data are errors, so a typo in a field name or a field
// given twice is not silently ignored.
func decode(c *fiber.Ctx, v any) error {
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationJSON {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "the request body must be application/json"}
	}
	if encoded(c) {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "Content-Encoding is not supported"}
	}
	body := c.Request().Body()
	if err := checkKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON body: data after the JSON object")
	}
	return nil
}

// encoded reports a request body sent compressed. iamd refuses those
// rather than inflate them: c.Body() would, whatever the inflated size.
func encoded(c *fiber.Ctx) bool {
	enc := c.Get(fiber.HeaderContentEncoding)
	return enc != "" && !strings.EqualFold(enc, "identity")
}

// decodeOptional is decode for bodies that may be left out entirely.
func decodeOptional(c *fiber.Ctx, v any) error {
	if len(c.Request().Body()) == 0 {
		return nil
	}
	return decode(c, v)
}

// param returns a path parameter, percent-decoded.
func param(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return "", badRequest(fmt.Sprintf("malformed %s in path", name))
	}
	return v, nil
}

// created sends 201 with v.
func created(c *fiber.Ctx, v any) error {
	noStore(c)
	return c.Status(http.StatusCreated).JSON(v)
}

// ok sends 200 with v.
func ok(c *fiber.Ctx, v any) error {
	noStore(c)
	return c.JSON(v)
}

func noContent(c *fiber.Ctx) error {
	noStore(c)
	return c.SendStatus(http.StatusNoContent)
}

// timePtr returns nil for the zero time, so JSON says null.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// expiry reads "expires_at" (RFC 3339) or "expires_in" (seconds), at most
// one of them; the zero time means never.
func expiry(at *time.Time, in *int64, now time.Time) (time.Time, error) {
	switch {
	case at != nil && in != nil:
		return time.Time{}, badRequest("give expires_at or expires_in, not both")
	case at != nil:
		// The zero time means "never" inside iamd; as input it is a
		// mistake, not a way to ask for that.
		if at.IsZero() || !at.After(now) {
			return time.Time{}, badRequest("expires_at must be in the future")
		}
		return *at, nil
	case in != nil:
		if *in <= 0 || *in > maxExpiresIn {
			return time.Time{}, badRequest(fmt.Sprintf("expires_in must be 1 to %d seconds", maxExpiresIn))
		}
		return now.Add(time.Duration(*in) * time.Second), nil
	}
	return time.Time{}, nil
}

// maxExpiresIn is ten years in seconds.
const maxExpiresIn = 10 * 366 * 24 * 3600
