package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// apiError is an error of the management API, sent as
// {"error": code, "message": message} with, for a missing right or a
// broken assignment rule, which one.
type apiError struct {
	status  int
	code    string
	message string
	missing *Missing
	rule    int
}

func (e *apiError) Error() string { return e.message }

func badRequest(msg string) error {
	return &apiError{status: http.StatusBadRequest, code: "invalid_argument", message: msg}
}

// ErrorBody is the body of management API errors.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	// Missing names the right the caller lacks, on a 403 for want of one.
	Missing *Missing `json:"missing,omitempty"`
	// Rule is the assignment rule of seed 003 (1 to 3) a refused
	// assignment breaks, on a 400.
	Rule int `json:"rule,omitempty"`
}

// Missing is a right the caller does not hold on an organization.
type Missing struct {
	Org   string `json:"org"`
	Right string `json:"right"`
}

// OAuthErrorBody is the body of OAuth errors (RFC 6749 §5.2).
type OAuthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// errorHandler is the one place errors become responses.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	setSecureHeaders(c)
	var oe *oauth.Error
	var ae *apiError
	var fe *fiber.Error
	var mr *rbac.MissingRight
	var re *rbac.RuleError
	switch {
	case errors.As(err, &oe):
		return writeOAuthError(c, oe)
	case errors.As(err, &fe):
		// fiber's own errors, such as "Cannot GET /path" for an unknown
		// route, may quote the request: answer with the status alone.
		text := strings.ToLower(http.StatusText(fe.Code))
		if isOAuthPath(c.Path()) {
			return writeOAuthError(c, &oauth.Error{Code: oauth.CodeInvalidRequest, Description: http.StatusText(fe.Code) + ".", Status: fe.Code})
		}
		ae = &apiError{status: fe.Code, code: codeFor(fe.Code), message: text}
	case errors.As(err, &ae):
	case errors.Is(err, storage.ErrUnavailable):
		// Logged like any internal error, but the client may retry.
		s.Log.Error("request failed: database unavailable", "method", c.Method(), "path", loggedPath(c.Path()), "err", err)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(oauth.UnavailableRetry.Seconds())))
		ae = &apiError{status: http.StatusServiceUnavailable, code: "unavailable", message: "the database is unavailable; retry later"}
	case errors.As(err, &mr):
		// RFC 6750 §3.1: the token is good but its holder lacks a right.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="iamd", error="insufficient_scope"`)
		ae = &apiError{status: http.StatusForbidden, code: "forbidden", message: err.Error(),
			missing: &Missing{Org: mr.Org, Right: mr.Right.String()}}
	case errors.As(err, &re):
		ae = &apiError{status: http.StatusBadRequest, code: "invalid_argument", message: err.Error(), rule: re.Rule}
	case errors.Is(err, storage.ErrNotFound):
		ae = &apiError{status: http.StatusNotFound, code: "not_found", message: err.Error()}
	case errors.Is(err, storage.ErrConflict):
		ae = &apiError{status: http.StatusConflict, code: "conflict", message: err.Error()}
	case errors.Is(err, storage.ErrInvalid):
		ae = &apiError{status: http.StatusBadRequest, code: "invalid_argument", message: err.Error()}
	case errors.Is(err, storage.ErrForbidden):
		ae = &apiError{status: http.StatusForbidden, code: "forbidden", message: err.Error()}
	default:
		// Internal error text never reaches the client.
		s.Log.Error("request failed", "method", c.Method(), "path", loggedPath(c.Path()), "err", err)
		ae = &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
	}
	noStore(c)
	return c.Status(ae.status).JSON(ErrorBody{Error: ae.code, Message: ae.message, Missing: ae.missing, Rule: ae.rule})
}

// isOAuthPath reports whether errors on path are OAuth errors (RFC 6749
// §5.2) rather than the management API's.
func isOAuthPath(path string) bool {
	switch path {
	case oauth.TokenPath, oauth.IntrospectionPath, oauth.RevocationPath:
		return true
	}
	return false
}

func codeFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "forbidden"
	}
	if status >= 500 {
		return "internal"
	}
	return "invalid_argument"
}

// writeOAuthError sends an RFC 6749 §5.2 error response.
func writeOAuthError(c *fiber.Ctx, e *oauth.Error) error {
	noStore(c)
	switch e.Status {
	case http.StatusUnauthorized:
		// RFC 6749 §5.2 and RFC 7235 §3.1: a 401 carries a challenge.
		c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="iamd", charset="UTF-8"`)
	case http.StatusMethodNotAllowed:
		c.Set(fiber.HeaderAllow, http.MethodPost)
	}
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(e.RetryAfter.Seconds())))
	}
	return c.Status(e.Status).JSON(OAuthErrorBody{Error: e.Code, Description: e.Description})
}

// noStore marks a response as never to be cached (RFC 6749 §5.1).
func noStore(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
}
