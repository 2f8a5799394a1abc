package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
)

// mint signs claims with the current key and returns the compact JWT.
func (ks *KeySet) mint(c *resource.Claims) (string, error) {
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
func newClaims(issuer, subject string, audience []string, scopes []string, org string, now time.Time, ttl time.Duration) *resource.Claims {
	iat := now.Unix()
	return &resource.Claims{
		Issuer: issuer, Subject: subject, ClientID: subject,
		Audience: audience, IssuedAt: iat, NotBefore: iat, Expiry: iat + int64(ttl/time.Second),
		ID: newJTI(), Scope: strings.Join(scopes, " "), Org: org,
	}
}

// withRights adds to claims what the account's rights become under the
// granted scope: the rights claim, holding each granted right on every
// organization where the account holds it, and the account's active roles
// and groups (RFC 9068 §2.2.3.1). A granted right held through the
// bootstrap wildcard is written as held on its organizations.
func withRights(c *resource.Claims, r *rbac.Rights, granted []string) {
	c.Roles, c.Groups = r.Roles, r.Groups
	if len(c.Roles) == 0 {
		c.Roles = nil
	}
	if len(c.Groups) == 0 {
		c.Groups = nil
	}
	want := make([]rbac.Right, 0, len(granted))
	for _, g := range granted {
		if g == rbac.All.String() {
			want = append(want, rbac.All)
		} else if right, err := rbac.ParseRight(g); err == nil {
			want = append(want, right)
		}
	}
	var ts []resource.Triple
	for _, e := range r.Effective {
		for _, w := range want {
			if e.Right.Covers(w) {
				ts = append(ts, resource.Triple{Org: e.Org, Permission: w.Permission, Operation: w.Operation})
			}
		}
	}
	c.Rights = resource.Compact(ts)
}

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
