package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// AccessTokenType is the JOSE "typ" of access tokens (RFC 9068 §2.1).
const AccessTokenType = "at+jwt"

// Claims are the claims of an iamd access token (RFC 9068 §2.2).
type Claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
	// Audience marshals as a string when it holds one value.
	Audience  jwt.Audience `json:"aud"`
	Expiry    int64        `json:"exp"`
	IssuedAt  int64        `json:"iat"`
	NotBefore int64        `json:"nbf"`
	ID        string       `json:"jti"`
	// Scope is the space-separated list of granted scopes, if any.
	Scope string `json:"scope,omitempty"`
	// Org is the ID of the organization the account belongs to.
	Org string `json:"org"`
}

// Scopes returns the granted scopes.
func (c *Claims) Scopes() []string {
	return strings.Fields(c.Scope)
}

// mint signs claims with the current key and returns the compact JWT.
func (ks *KeySet) mint(c *Claims) (string, error) {
	s, err := ks.signer()
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign with %s: %w", s.ID, err)
	}
	return jws.CompactSerialize()
}

// newClaims fills the registered claims of a token issued at now.
func newClaims(issuer, subject string, audience []string, scopes []string, org string, now time.Time, ttl time.Duration) *Claims {
	iat := now.Unix()
	return &Claims{
		Issuer: issuer, Subject: subject, ClientID: subject,
		Audience: audience, IssuedAt: iat, NotBefore: iat, Expiry: iat + int64(ttl/time.Second),
		ID: newJTI(), Scope: strings.Join(scopes, " "), Org: org,
	}
}

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
