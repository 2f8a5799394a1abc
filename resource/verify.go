package resource

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every verification failure.
var ErrInvalidToken = errors.New("invalid access token")

// ErrRevoked is wrapped, with ErrInvalidToken, by the failure of a token
// that verifies but is revoked (Verifier.WithRevocations).
var ErrRevoked = errors.New("the token is revoked")

// KeyLookup returns the published key with a key ID.
type KeyLookup func(kid string) (jose.JSONWebKey, bool)

// Verifier checks access tokens the way a resource server should
// (RFC 9068 §4): type, signature with a published key of the announced
// algorithm, issuer, audience and validity period.
type Verifier struct {
	issuer string
	keys   KeyLookup
	now    func() time.Time
	leeway time.Duration
	// revoked, if not nil, says whether a verified token is revoked.
	revoked func(*Claims) bool
}

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = time.Minute

// maxTokenLen bounds what Verify parses; iamd tokens are well under 2 KiB.
const maxTokenLen = 16 << 10

// NewVerifier returns a verifier for tokens of issuer signed with keys.
func NewVerifier(issuer string, keys KeyLookup, now func() time.Time) *Verifier {
	return &Verifier{issuer: issuer, keys: keys, now: now, leeway: DefaultLeeway}
}

// WithRevocations returns a copy of v that also refuses the tokens revoked
// reports revoked, such as RemoteRevocations.Revoked: only tokens that
// otherwise verify are asked about.
func (v *Verifier) WithRevocations(revoked func(*Claims) bool) *Verifier {
	w := *v
	w.revoked = revoked
	return &w
}

// Verify checks token and returns its claims. If audience is not empty, the
// token must be meant for it. Every failure wraps ErrInvalidToken.
func (v *Verifier) Verify(token, audience string) (*Claims, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrInvalidToken)
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, AccessTokenType) &&
		!strings.EqualFold(typ, "application/"+AccessTokenType) {
		return nil, fmt.Errorf("%w: typ %q is not %s", ErrInvalidToken, typ, AccessTokenType)
	}
	key, ok := v.keys(h.KeyID)
	if !ok {
		return nil, fmt.Errorf("%w: unknown signing key %q", ErrInvalidToken, h.KeyID)
	}
	if key.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("%w: key %s signs %s, not %s", ErrInvalidToken, h.KeyID, key.Algorithm, h.Algorithm)
	}
	var c Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if err := v.check(&c, audience); err != nil {
		return nil, err
	}
	if v.revoked != nil && v.revoked(&c) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrRevoked)
	}
	return &c, nil
}

func (v *Verifier) check(c *Claims, audience string) error {
	// Compared in whole seconds, the claims' own unit: time.Unix overflows
	// past the year 292277026596, which would put nbf = 2^63-1 in the past.
	// For a whole number of seconds exp, now < exp+leeway holds exactly when
	// now.Unix() < exp+leeway does.
	now, leeway := v.now().Unix(), int64(v.leeway/time.Second)
	switch {
	case c.Issuer != v.issuer:
		return fmt.Errorf("%w: issuer %q is not %q", ErrInvalidToken, c.Issuer, v.issuer)
	case c.Subject == "" || c.ClientID == "" || c.ID == "":
		return fmt.Errorf("%w: sub, client_id or jti missing", ErrInvalidToken)
	case c.Expiry == 0 || c.Expiry <= now-leeway:
		return fmt.Errorf("%w: expired at %s", ErrInvalidToken, time.Unix(c.Expiry, 0).UTC().Format(time.RFC3339))
	case c.NotBefore > now+leeway:
		return fmt.Errorf("%w: not valid before %s", ErrInvalidToken, time.Unix(c.NotBefore, 0).UTC().Format(time.RFC3339))
	case c.IssuedAt > now+leeway:
		return fmt.Errorf("%w: issued in the future", ErrInvalidToken)
	case audience != "" && !slices.Contains(c.Audience, audience):
		return fmt.Errorf("%w: audience %q not in %q", ErrInvalidToken, audience, []string(c.Audience))
	}
	return nil
}
