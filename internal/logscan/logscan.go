// Package logscan fails tests whose servers log a client secret or an access
// token. The test fixtures send every server log, and the captured output of
// the iamd binary, through a Recorder, which scans what it recorded when the
// test ends: so every test checks that nothing it sent or received as a
// credential reached a log, not only the tests written about logging.
package logscan

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	// secretPattern is the shape of a client secret (accounts/secret.go).
	// The checksum is deliberately not checked: a secret with one character
	// changed, as tests send to be refused, gives away all the others.
	secretPattern = regexp.MustCompile(`iamd_([a-z2-7]{16})_[a-z2-7]{59}`)
	// jwsPattern is a compact JWS (RFC 7515 §7.1), as access tokens are:
	// three base64url segments, the header a JSON object, so "eyJ".
	jwsPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// basicPattern is HTTP Basic credentials, where a secret hides in base64.
	basicPattern = regexp.MustCompile(`(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})`)
	// privateJWKPattern is the private member of a JWK (RFC 7518 §6.2.2.1,
	// §6.3.2.1, RFC 8037 §2), in JSON or escaped in a logged string: the
	// private key of a key file. Public JWKs have no "d".
	privateJWKPattern = regexp.MustCompile(`\\?"d\\?"\s*:\s*\\?"[A-Za-z0-9_-]{16,}`)
)

// Hit is a secret or access token found in a text.
type Hit struct {
	// Start and End are the byte offsets of the match.
	Start, End int
	// Line and Column, from 1, are where the match starts.
	Line, Column int
	// Masked names what was found without giving it away, e.g.
	// "[client secret iamd_<key id>_…]": key IDs are not secret.
	Masked string
}

// Find returns the client secrets, access tokens, HTTP Basic credentials
// holding a client secret and private JWKs in text, in the order they
// appear.
func Find(text string) []Hit {
	var hits []Hit
	for _, m := range secretPattern.FindAllStringSubmatchIndex(text, -1) {
		hits = append(hits, hitAt(text, m[0], m[1], "[client secret iamd_"+text[m[2]:m[3]]+"_…]"))
	}
	for _, m := range jwsPattern.FindAllStringIndex(text, -1) {
		if isJWS(text[m[0]:m[1]]) {
			hits = append(hits, hitAt(text, m[0], m[1], fmt.Sprintf("[access token, %d bytes]", m[1]-m[0])))
		}
	}
	for _, m := range basicPattern.FindAllStringSubmatchIndex(text, -1) {
		if id, ok := basicSecret(text[m[2]:m[3]]); ok {
			hits = append(hits, hitAt(text, m[2], m[3], "[Basic credentials with client secret iamd_"+id+"_…]"))
		}
	}
	for _, m := range privateJWKPattern.FindAllStringIndex(text, -1) {
		hits = append(hits, hitAt(text, m[0], m[1], "[private JWK member d]"))
	}
	slices.SortFunc(hits, func(a, b Hit) int { return a.Start - b.Start })
	return hits
}

// isJWS reports whether the header segment of s decodes to a JSON object,
// which tells a token from a host name that happens to start with "eyJ".
func isJWS(s string) bool {
	header, _, _ := strings.Cut(s, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	return err == nil && len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// basicSecret decodes HTTP Basic credentials and returns the key ID of the
// client secret they hold, form-decoded first as RFC 6749 §2.3.1 encodes it.
func basicSecret(b64 string) (keyID string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	s := string(raw)
	if dec, err := url.QueryUnescape(s); err == nil {
		s = dec
	}
	m := secretPattern.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func hitAt(text string, start, end int, masked string) Hit {
	line := 1 + strings.Count(text[:start], "\n")
	col := start - strings.LastIndexByte(text[:start], '\n')
	return Hit{Start: start, End: end, Line: line, Column: col, Masked: masked}
}

// Redact returns text with every hit replaced by its masked form, fit to
// print in a test failure.
func Redact(text string) string {
	var b strings.Builder
	last := 0
	for _, h := range Find(text) {
		if h.Start < last {
			continue // inside a hit already masked
		}
		b.WriteString(text[last:h.Start])
		b.WriteString(h.Masked)
		last = h.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// maxReported bounds the errors of one Check: a leak in a loop repeats.
const maxReported = 5

// Check fails t with an error for each hit in text, which name describes
// ("server log"), giving its line and the line redacted, never the secret.
func Check(t testing.TB, name, text string) {
	t.Helper()
	hits := Find(text)
	for i, h := range hits {
		if i == maxReported {
			t.Errorf("%s: %d more secrets or tokens", name, len(hits)-maxReported)
			break
		}
		t.Errorf("%s, line %d, column %d: %s must never be logged; the line, redacted:\n%s",
			name, h.Line, h.Column, h.Masked, clip(Redact(lineAt(text, h.Start))))
	}
}

func lineAt(text string, at int) string {
	start := strings.LastIndexByte(text[:at], '\n') + 1
	end := strings.IndexByte(text[at:], '\n')
	if end < 0 {
		return text[start:]
	}
	return text[start : at+end]
}

func clip(s string) string {
	const limit = 1000
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// Recorder records what is written to it and passes it on to an optional
// writer. It is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	buf  strings.Builder
	next io.Writer
}

// New returns a Recorder passing writes on to next, if not nil, and checks
// what it recorded, with Check, when t and its subtests have finished.
// Create it before the servers that write to it, so that their own cleanups
// (shutting down, flushing) run first and their last words are checked too.
func New(t testing.TB, name string, next io.Writer) *Recorder {
	r := &Recorder{next: next}
	t.Cleanup(func() { Check(t, name, r.String()) })
	return r
}

// Write records p and writes it to the next writer.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.Write(p)
	if r.next != nil {
		return r.next.Write(p)
	}
	return len(p), nil
}

// String returns everything written so far.
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}
