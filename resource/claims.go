package resource

import (
	"strings"

	"github.com/go-jose/go-jose/v4/jwt"
)

// AccessTokenType is the JOSE "typ" of access tokens (RFC 9068 §2.1).
const AccessTokenType = "at+jwt"

// Claims are the claims of an iamd access token (RFC 9068 §2.2). The
// package documentation describes the authorization claims.
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
	// Account is an opaque ID of the account, kept when it moves and
	// never given to another: a client ID names whichever account holds
	// it now, this one account for good.
	Account string `json:"acct,omitempty"`
	// Key is the ID of the account's key the token was issued to, so
	// that revoking every token of one key (see Revocations) needs no
	// list of them.
	Key string `json:"key,omitempty"`
	// Roles are the account's active roles with the organizations they
	// are held on (RFC 9068 §2.2.3.1), compacted as CompactRoles says.
	Roles []RoleEntry `json:"roles,omitempty"`
	// Groups are the groups the account is a member of, "ORG/GROUP"
	// (RFC 9068 §2.2.3.1).
	Groups []string `json:"groups,omitempty"`
	// Rights say which rights hold in which organizations.
	Rights Rights `json:"rights,omitempty"`
}

// Scopes returns the granted scopes.
func (c *Claims) Scopes() []string {
	return strings.Fields(c.Scope)
}

// Allows reports whether the token's rights claim grants operation on
// permission in org. Only the rights claim counts: a token without one
// allows nothing, whatever its scope says.
func (c *Claims) Allows(org, permission, operation string) bool {
	return c != nil && c.Rights.Allows(org, permission, operation)
}

// Missing returns the requirements the token's rights claim does not
// grant, in the order given.
func (c *Claims) Missing(reqs []Requirement) []Requirement {
	if c == nil {
		return reqs
	}
	return c.Rights.Missing(reqs)
}
