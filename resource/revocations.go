package resource

// Revocations is the revocation feed iamd publishes at RevocationsPath
// under its issuer: every token revoked before its expiry, as long as it
// could still be presented. A resource server that verifies tokens offline
// polls it (with If-None-Match: the feed carries an ETag) and refuses the
// tokens it lists.
type Revocations struct {
	Issuer string `json:"issuer"`
	// Tokens are revoked one by one, by jti, until they expire.
	Tokens []RevokedToken `json:"tokens"`
	// Cutoffs revoke every token of an account, or of one of its keys,
	// issued before a time: what deactivating a key, deleting it or
	// archiving the account with "revoke tokens" does.
	Cutoffs []Cutoff `json:"cutoffs"`
}

// RevocationsPath is where iamd serves its revocation feed, relative to
// the issuer URL.
const RevocationsPath = "/oauth2/revocations"

// RevokedToken is one revoked token.
type RevokedToken struct {
	ID string `json:"jti"`
	// Expiry is the token's exp: the entry leaves the feed two minutes
	// (twice DefaultLeeway) after it.
	Expiry int64 `json:"exp"`
}

// Cutoff revokes the tokens of Account, or of Account's Key if Key is set,
// whose iat is before IssuedBefore (Unix seconds). Expiry is when every
// token it revokes has expired; the entry leaves the feed two minutes
// (twice DefaultLeeway) after it.
type Cutoff struct {
	Account      string `json:"acct"`
	Key          string `json:"key,omitempty"`
	IssuedBefore int64  `json:"issued_before"`
	Expiry       int64  `json:"exp"`
}

// Revoked reports whether the feed revokes the token with claims c.
func (r *Revocations) Revoked(c *Claims) bool {
	if r == nil || c == nil {
		return false
	}
	for _, t := range r.Tokens {
		if t.ID == c.ID {
			return true
		}
	}
	for _, k := range r.Cutoffs {
		if k.revokes(c) {
			return true
		}
	}
	return false
}

// revokes reports whether the cutoff revokes the token with claims c.
func (k Cutoff) revokes(c *Claims) bool {
	return k.Account == c.Account && (k.Key == "" || k.Key == c.Key) && c.IssuedAt < k.IssuedBefore
}
