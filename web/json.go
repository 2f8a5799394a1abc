package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamd/iamd/storage"
)

// maxJSONDepth bounds how deeply a request body may nest. No request of the
// API nests deeper than an array in an object; the bound keeps checkKeys'
// stack small whatever is sent.
const maxJSONDepth = 32

// checkKeys refuses a JSON value in which an object, at any depth, has the
// same key twice. encoding/json would keep the last one silently, and it
// matches keys to fields case-insensitively, so {"id":1,"ID":2} sets one
// field twice as well: keys are compared as encoding/json compares them.
//
// A body that is not valid JSON is left to the decoder, which says where
// it goes wrong. A valid one is scanned by hand rather than with
// json.Decoder.Token, which allocates for every token and took six times
// as long as decoding itself; here each key is stored and removed once.
func checkKeys(body []byte) error {
	if !json.Valid(body) {
		return nil
	}
	var (
		stack []int                  // per open object or array, where its keys start in open
		open  []seenKey              // keys of the open objects
		seen  = map[seenKey][]byte{} // to the key as first spelled
		fold  []byte
	)
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '[':
			if len(stack) == maxJSONDepth {
				return badRequest(fmt.Sprintf("invalid JSON body: nested deeper than %d levels", maxJSONDepth))
			}
			stack = append(stack, len(open))
		case '}', ']':
			start := stack[len(stack)-1]
			for _, k := range open[start:] {
				delete(seen, k)
			}
			open, stack = open[:start], stack[:len(stack)-1]
		case '"':
			start := i
			i = stringEnd(body, i)
			if !followedByColon(body, i+1) {
				continue // a string value, not a key
			}
			raw := body[start : i+1]
			fold = foldKey(fold[:0], raw)
			k := seenKey{depth: len(stack), fold: string(fold)}
			if first, dup := seen[k]; dup {
				return duplicateKey(raw, first)
			}
			seen[k] = raw
			open = append(open, k)
		}
	}
	return nil
}

// seenKey is a key of an open object: its depth and its folded spelling.
type seenKey struct {
	depth int
	fold  string
}

// stringEnd returns the index of the quote closing the string that starts
// at body[i], in valid JSON.
func stringEnd(body []byte, i int) int {
	for i++; body[i] != '"'; i++ {
		if body[i] == '\\' {
			i++
		}
	}
	return i
}

// followedByColon reports whether the next token from body[i] on is a colon:
// in valid JSON, whether the string before it is an object key.
func followedByColon(body []byte, i int) bool {
	for ; i < len(body); i++ {
		switch body[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return body[i] == ':'
		}
	}
	return false
}

// unquote returns the text of a JSON string, as encoding/json reads it.
func unquote(raw []byte) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw) // not reached: checkKeys passes valid strings
	}
	return s
}

func duplicateKey(raw, firstRaw []byte) error {
	key, first := unquote(raw), unquote(firstRaw)
	if key == first {
		return badRequest("invalid JSON body: duplicate key " + storage.Quote(key))
	}
	return badRequest(fmt.Sprintf("invalid JSON body: duplicate key %s (keys are matched case-insensitively; %s came first)",
		storage.Quote(key), storage.Quote(first)))
}

// foldKey appends to dst the raw JSON string key folded as encoding/json
// folds keys to match them to struct fields: unescaped, and every
// character turned into the smallest of its case-folding orbit (invalid
// UTF-8 reads as U+FFFD there and here).
func foldKey(dst, raw []byte) []byte {
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') >= 0 {
		text = []byte(unquote(raw))
	}
	for len(text) > 0 {
		if c := text[0]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			text = text[1:]
			continue
		}
		r, n := utf8.DecodeRune(text)
		text = text[n:]
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				r = next
				break
			}
			r = next
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

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
