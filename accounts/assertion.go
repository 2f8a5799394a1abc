package accounts

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/storage"
)

// AssertionType is the client_assertion_type of a client that
// authenticates with a JWT it signed with the private half of a key-pair
// key (private_key_jwt: RFC 7523 §2.2, RFC 7521 §4.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionRules say which client assertions are accepted.
type AssertionRules struct {
	// Audiences are the aud values naming this server: its issuer
	// identifier and its token endpoint URL. One must be in the
	// assertion's aud.
	Audiences []string
	// MaxLifetime bounds how far ahead of now an assertion's exp may be;
	// DefaultAssertionLifetime if zero.
	MaxLifetime time.Duration
}

const (
	// DefaultAssertionLifetime is the longest an assertion may be valid
	// for, unless configured otherwise: long enough for clock skew, short
	// enough that a stolen assertion is worth little.
	DefaultAssertionLifetime = 5 * time.Minute
	// AssertionSkew is how far in the future an assertion's nbf and iat
	// may be, and how long past its exp it is still taken: the clock skew
	// between clients and servers.
	AssertionSkew = 30 * time.Second
	// maxJTI bounds the jti of an assertion, which is stored until the
	// assertion expires.
	maxJTI = 256
	// maxClientID bounds the iss and sub of an assertion, logged before
	// anything is checked.
	maxClientID = 256
	// pruneEvery is how often an instance removes expired assertion IDs,
	// at most pruneBatch at a time, once they are pruneMargin past their
	// expiry: instances whose clocks differ by less never prune an ID that
	// another still accepts.
	pruneEvery  = time.Minute
	pruneBatch  = 1000
	pruneMargin = 10 * time.Minute
)

// assertionAlgs are the algorithms an assertion may be signed with: those
// of key-pair keys. none and HMAC are not among them, so such assertions
// are refused before anything else is looked at.
var assertionAlgs = func() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, 0, len(AssertionAlgorithms))
	for _, a := range AssertionAlgorithms {
		out = append(out, jose.SignatureAlgorithm(a))
	}
	return out
}()

// ed25519Alg is the name RFC 9864 gives EdDSA signatures with Ed25519 keys,
// which RFC 8037 called EdDSA; some clients (oauth4webapi) sign assertions
// under it. go-jose knows only EdDSA, so such assertions are verified here
// (see verify).
const ed25519Alg = "Ed25519"

// AssertionAlgorithms are the algorithms client assertions may be signed
// with: those of key-pair keys, and Ed25519 for EdDSA keys.
var AssertionAlgorithms = append(slices.Clip(Algorithms), ed25519Alg)

// fits reports whether an assertion signed with alg may be checked with a
// key of algorithm keyAlg.
func fits(alg, keyAlg string) bool {
	return alg == keyAlg || alg == ed25519Alg && keyAlg == "EdDSA"
}

// Assertion is a client assertion parsed, not yet checked.
type Assertion struct {
	// ClientID is the client the assertion claims to come from: its iss
	// and sub, which must be equal.
	ClientID string
	raw      string
	jws      *jose.JSONWebSignature
	claims   assertionClaims
}

type assertionClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  jwt.Audience `json:"aud"`
	Expiry    *numericDate `json:"exp"`
	NotBefore *numericDate `json:"nbf"`
	IssuedAt  *numericDate `json:"iat"`
	ID        string       `json:"jti"`
}

// numericDate is a JWT NumericDate (RFC 7519 §2) in whole seconds. Values
// that no clock will show, negative or past the year 9999, are refused
// rather than overflowing time arithmetic.
type numericDate int64

const maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return errors.New("date out of range")
	}
	*d = numericDate(f)
	return nil
}

func (d *numericDate) time() time.Time { return time.Unix(int64(*d), 0) }

// ParseAssertion parses a client assertion without checking its signature
// or claims, except that it is a JWS signed with an allowed algorithm and
// names a client. Errors wrap ErrAuthentication and ErrNoSuchKey: nothing
// is known about the client yet.
func ParseAssertion(assertion string) (*Assertion, error) {
	bad := func(why string) (*Assertion, error) {
		return nil, fmt.Errorf("%w: %w: assertion %s", ErrAuthentication, ErrNoSuchKey, why)
	}
	jws, err := jose.ParseSignedCompact(assertion, assertionAlgs)
	if err != nil {
		return bad("is not a compact JWS signed with " + fmt.Sprint(AssertionAlgorithms))
	}
	if len(jws.Signatures) != 1 {
		return bad("has more than one signature")
	}
	a := &Assertion{jws: jws, raw: assertion}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &a.claims); err != nil {
		return bad("claims are not valid JSON claims")
	}
	c := a.claims
	switch {
	case c.Issuer == "" || c.Issuer != c.Subject || len(c.Issuer) > maxClientID:
		return bad("iss and sub must both be the client ID")
	case c.ID == "" || len(c.ID) > maxJTI:
		return bad(fmt.Sprintf("jti is required, at most %d characters", maxJTI))
	case c.Expiry == nil:
		return bad("exp is required")
	}
	a.ClientID = c.Subject
	return a, nil
}

// AuthenticateAssertion checks a client assertion (private_key_jwt) and
// returns the key and account it authenticates. The assertion must be
// signed by an active key-pair key of the client it names: the key its
// header's kid names, or without a kid one of the client's active keys of
// the header's algorithm; the algorithm must be the key's. Its aud must
// name this server (rules.Audiences), its exp must be at most
// rules.MaxLifetime ahead, nbf and iat not in the future, all within
// AssertionSkew; and its jti must not have been presented by the client
// before, on any instance sharing the store. Errors wrap ErrAuthentication
// for every refusal, and ErrNoSuchKey too when the assertion names no key
// of a real client.
func (s *Service) AuthenticateAssertion(ctx context.Context, a *Assertion, rules AssertionRules) (Credential, error) {
	refuse := func(format string, args ...any) (Credential, error) {
		return Credential{}, fmt.Errorf("%w: assertion of %s: %s", ErrAuthentication, a.ClientID, fmt.Sprintf(format, args...))
	}
	guess := func(format string, args ...any) (Credential, error) {
		return Credential{}, fmt.Errorf("%w: %w: assertion of %s: %s", ErrAuthentication, ErrNoSuchKey, a.ClientID, fmt.Sprintf(format, args...))
	}
	// The claims first: checking them costs no lookup.
	now, c := s.now(), a.claims
	lifetime := rules.MaxLifetime
	if lifetime <= 0 {
		lifetime = DefaultAssertionLifetime
	}
	exp := c.Expiry.time()
	switch {
	case !now.Before(exp.Add(AssertionSkew)):
		return guess("expired at %s", exp.UTC().Format(time.RFC3339))
	case exp.After(now.Add(lifetime + AssertionSkew)):
		return guess("exp is more than %s ahead", lifetime)
	case c.NotBefore != nil && c.NotBefore.time().After(now.Add(AssertionSkew)):
		return guess("nbf is in the future")
	case c.IssuedAt != nil && c.IssuedAt.time().After(now.Add(AssertionSkew)):
		return guess("iat is in the future")
	case !slices.ContainsFunc(c.Audience, func(aud string) bool { return slices.Contains(rules.Audiences, aud) }):
		return guess("aud names neither the issuer nor the token endpoint")
	}
	orgID, name, ok := s.ids.Parse(a.ClientID)
	if !ok {
		return guess("not a client ID")
	}
	creds, err := s.store.GetKeyPairCredentials(ctx, orgID, name)
	if err != nil {
		return Credential{}, fmt.Errorf("load keys of %s: %w", a.ClientID, err)
	}
	h := a.jws.Signatures[0].Header
	var tried []Credential
	for _, cr := range creds {
		if h.KeyID != "" && cr.Key.KID == h.KeyID || h.KeyID == "" && cr.Key.Status(now) == StatusActive {
			tried = append(tried, cr)
		}
	}
	if len(tried) == 0 {
		return guess("no key-pair key with kid %q", h.KeyID)
	}
	var cred *Credential
	for i, cr := range tried {
		if !fits(h.Algorithm, cr.Key.Algorithm) {
			continue
		}
		pub, err := cr.Key.PublicKey()
		if err != nil {
			continue // unreadable keys are refused at creation; verify nothing
		}
		if a.verify(pub) {
			cred = &tried[i]
			break
		}
	}
	// Until the signature verifies, nothing says the request comes from
	// the client: a failure counts against the address alone, like one for
	// an unknown client, so neither the answer nor the throttle tells a
	// real client (or kid) from a made-up one.
	if cred == nil {
		return guess("signature (%s, kid %q) verifies with no key of the client", h.Algorithm, h.KeyID)
	}
	switch {
	case cred.Key.Status(now) != StatusActive:
		return refuse("key %s is %s", cred.Key.ID, cred.Key.Status(now))
	case !cred.Account.ArchivedAt.IsZero():
		return refuse("account is archived")
	}
	// Only now, with the signature checked, is the jti worth storing: a
	// forged assertion cannot use up another's jti or fill the table.
	err = s.store.UseAssertionID(ctx, cred.Account.ID, c.ID, storage.Time(exp.Add(AssertionSkew)))
	if errors.Is(err, storage.ErrConflict) {
		return refuse("jti %q was used before", c.ID)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("record assertion ID: %w", err)
	}
	s.pruneAssertionIDs(ctx, now)
	return *cred, nil
}

// pruneAssertionIDs removes expired assertion IDs, at most once every
// pruneEvery per instance. An assertion past its exp and the skew is
// refused before its jti is looked at, so dropping its ID loses nothing;
// pruneMargin covers the clocks of other instances running behind.
func (s *Service) pruneAssertionIDs(ctx context.Context, now time.Time) {
	last := s.pruned.Load()
	if now.UnixNano()-last < int64(pruneEvery) || !s.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	// A failure only leaves the rows for the next time.
	_, _ = s.store.PruneAssertionIDs(ctx, now.Add(-pruneMargin), pruneBatch)
}

// verify reports whether the assertion's signature verifies with pub. An
// Ed25519 one is checked here, as go-jose would check an EdDSA one, with
// a protected header holding nothing but alg, kid and typ: no crit, no
// b64, nothing verification would have to honour.
func (a *Assertion) verify(pub jose.JSONWebKey) bool {
	if a.jws.Signatures[0].Header.Algorithm != ed25519Alg {
		_, err := a.jws.Verify(pub)
		return err == nil
	}
	key, ok := pub.Key.(ed25519.PublicKey)
	parts := strings.Split(a.raw, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(header, &members) != nil {
		return false
	}
	for m := range members {
		if m != "alg" && m != "kid" && m != "typ" {
			return false
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	return err == nil && len(sig) == ed25519.SignatureSize && ed25519.Verify(key, []byte(parts[0]+"."+parts[1]), sig)
}
