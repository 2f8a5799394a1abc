package resource

import (
	"strings"

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
