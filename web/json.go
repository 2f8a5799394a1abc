package web

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamd/iamd/storage"
)

// jsonError says what encoding/json refused in a request body without
// echoing more of the body than storage.Quote shows: its messages quote an
// unknown field's name, a number's literal or a time's text in full.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	msg := err.Error()
	switch {
	case errors.As(err, &syntax):
		// Quotes one character at most.
	case errors.As(err, &typ):
		// A number too big for its field comes as "number 1234…":
		// keep the kind, drop the literal.
		e := *typ
		e.Value, _, _ = strings.Cut(e.Value, " ")
		msg = e.Error()
	case errors.As(err, &tm):
		msg = storage.Quote(tm.Value) + " is not an RFC 3339 time"
	default:
		// DisallowUnknownFields reports a plain error with the name in %q.
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			if name, uerr := strconv.Unquote(name); uerr == nil {
				msg = "json: unknown field " + storage.Quote(name)
				break
			}
		}
		if len(msg) > maxJSONErrorLen || !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
			msg = "not a JSON object of the expected fields"
		}
	}
	return badRequest("invalid JSON body: " + msg)
}

// maxJSONErrorLen bounds the encoding/json messages jsonError passes on
// without knowing their form.
const maxJSONErrorLen = 200
