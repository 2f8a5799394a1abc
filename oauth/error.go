package oauth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/storage"
)

// Error is an OAuth 2.0 error response (RFC 6749 §5.2). Its description is
// written for the client and never carries internal details.
type Error struct {
	// Code is the "error" member, such as invalid_client.
	Code string
	// Description is the "error_description" member.
	Description string
	// Status is the HTTP status code.
	Status int
	// RetryAfter, if positive, is sent in a Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// Error codes of RFC 6749 §5.2 and RFC 8707 §2.
const (
	CodeInvalidRequest       = "invalid_request"
	CodeInvalidClient        = "invalid_client"
	CodeInvalidScope         = "invalid_scope"
	CodeInvalidTarget        = "invalid_target"
	CodeUnsupportedGrantType = "unsupported_grant_type"
	CodeServerError          = "server_error"
	// CodeTemporarilyUnavailable is defined for the authorization endpoint
	// (RFC 6749 §4.1.2.1); iamd uses it on the token endpoint too, with 503
	// and Retry-After, for failures that retrying later will cure.
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// InvalidRequest returns an invalid_request error.
func InvalidRequest(description string) *Error {
	return &Error{Code: CodeInvalidRequest, Description: description, Status: http.StatusBadRequest}
}

// InvalidClient returns an invalid_client error. RFC 6749 §5.2 requires 401
// when the client tried HTTP Basic; iamd answers 401 for every client
// authentication failure, with a WWW-Authenticate challenge.
func InvalidClient(description string) *Error {
	return &Error{Code: CodeInvalidClient, Description: description, Status: http.StatusUnauthorized}
}

func invalidTarget(description string) *Error {
	return &Error{Code: CodeInvalidTarget, Description: description, Status: http.StatusBadRequest}
}

var errServer = &Error{Code: CodeServerError, Description: "The server could not issue a token; try again later.", Status: http.StatusInternalServerError}

// UnavailableRetry is how long clients are told to wait when the database
// is unavailable: long enough not to pile on a recovering server, short
// enough to notice a restart.
const UnavailableRetry = 5 * time.Second

var errUnavailable = &Error{Code: CodeTemporarilyUnavailable, Status: http.StatusServiceUnavailable, RetryAfter: UnavailableRetry,
	Description: "The server's database is unavailable; retry in a few seconds."}

// toError turns what the grant returned into an *Error. internal reports
// whether err is not a protocol error and must be logged.
func toError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	if errors.Is(err, storage.ErrUnavailable) {
		return errUnavailable, true
	}
	return errServer, true
}

// maxEcho bounds a request value quoted in an error_description: a long
// value does not make a long response, and a secret pasted into the wrong
// parameter is not sent back whole (32 bytes of an iamd secret hold at most
// 50 of its 256 random bits).
const maxEcho = 32

// echo returns a request value fit to quote in an error_description.
func echo(v string) string {
	v = description(v) // ASCII from here on: cutting bytes cuts characters
	if len(v) > maxEcho {
		v = v[:maxEcho] + "..."
	}
	return v
}

// description keeps only the characters RFC 6749 §5.2 allows in
// error_description: %x20-21 / %x23-5B / %x5D-7E.
func description(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\' || r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}
