package resource

import (
	"context"
	"net/http"
	"strings"
)

// Error codes of RFC 6750 §3.1, in WWW-Authenticate.
const (
	ErrorInvalidRequest    = "invalid_request"
	ErrorInvalidToken      = "invalid_token"
	ErrorInsufficientScope = "insufficient_scope"
)

// maxDescription bounds the error_description of a challenge.
const maxDescription = 200

type claimsKey struct{}

// WithClaims returns ctx carrying c, for ClaimsFrom.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims Middleware verified for the request of ctx,
// or nil if there are none.
func ClaimsFrom(ctx context.Context) *Claims {
	c, _ := ctx.Value(claimsKey{}).(*Claims)
	return c
}

// Middleware serves next the requests with a valid bearer token for
// audience (any audience if empty) in their Authorization header (RFC 6750
// §2.1), with the token's claims in the request context (ClaimsFrom). It
// answers the others with a WWW-Authenticate challenge (RFC 6750 §3): 401
// without an error code when the request has no bearer token, 400
// invalid_request when the header is malformed or given twice (§3.1), as
// iamd's own management API does, and 401 invalid_token when the token does
// not verify.
func (v *Verifier) Middleware(audience string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, code, desc := bearerToken(r)
		if code == "" && token != "" {
			c, err := v.Verify(token, audience)
			if err == nil {
				next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
				return
			}
			code, desc = ErrorInvalidToken, strings.TrimPrefix(err.Error(), ErrInvalidToken.Error()+": ")
		}
		status := http.StatusUnauthorized
		if code == ErrorInvalidRequest {
			status = http.StatusBadRequest
		}
		Challenge(w, status, code, desc, "")
	})
}

// bearerToken returns the request's bearer token, or the error code and
// description to answer with; no token and no code means the request
// carries no bearer credentials.
func bearerToken(r *http.Request) (token, code, desc string) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", "", ""
	case len(values) > 1:
		return "", ErrorInvalidRequest, "more than one Authorization header"
	}
	scheme, rest, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if scheme == "" {
			return "", ErrorInvalidRequest, "an empty Authorization header"
		}
		// Credentials of another scheme are no bearer credentials.
		return "", "", ""
	}
	if !b64token(rest) {
		return "", ErrorInvalidRequest, "the Authorization header is not Bearer and one token"
	}
	return rest, "", ""
}

// b64token reports whether s is a b64token of RFC 6750 §2.1:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func b64token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

// Require serves next the requests whose claims (set by Middleware) allow
// operation on permission in org, and answers the others 403
// insufficient_scope (401 without claims: Require goes inside Middleware).
func Require(org, permission, operation string, next http.Handler) http.Handler {
	return RequireIn(func(*http.Request) string { return org }, permission, operation, next)
}

// RequireIn is Require for an organization that depends on the request,
// such as a path value or a query parameter: orgOf returns it. An empty
// organization is allowed nowhere.
func RequireIn(orgOf func(*http.Request) string, permission, operation string, next http.Handler) http.Handler {
	right := permission + ":" + operation
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := ClaimsFrom(r.Context())
		if c == nil {
			Challenge(w, http.StatusUnauthorized, "", "", "")
			return
		}
		org := orgOf(r)
		if org == "" || !c.Allows(org, permission, operation) {
			Challenge(w, http.StatusForbidden, ErrorInsufficientScope,
				"this requires the right "+right+" on organization "+org, right)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Challenge answers status with a Bearer WWW-Authenticate challenge (RFC
// 6750 §3) naming error code (none if empty), its description and the
// scope the request needs (if not empty). Characters a quoted
// error_description may not hold are replaced, so a description can
// quote the request.
func Challenge(w http.ResponseWriter, status int, code, description, scope string) {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	param := func(name, value string) {
		b.WriteString(sep + name + `="` + value + `"`)
		sep = ", "
	}
	if code != "" {
		param("error", code)
		if description != "" {
			param("error_description", headerSafe(description))
		}
	}
	if scope != "" {
		param("scope", headerSafe(scope))
	}
	h := w.Header()
	h.Set("WWW-Authenticate", b.String())
	h.Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// headerSafe keeps the characters RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E), replacing the others with '?', and cuts
// it to maxDescription bytes.
func headerSafe(s string) string {
	b := []byte(s)
	if len(b) > maxDescription {
		b = b[:maxDescription]
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	return string(b)
}
