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
	c.Roles, c.Groups = resource.CompactRoles(r.Held()), r.Groups
	if len(c.Groups) == 0 {
		c.Groups = nil
	}
	want := make(map[rbac.Right]bool, len(granted))
	for _, g := range granted {
		if g == rbac.All.String() {
			want[rbac.All] = true
		} else if right, err := rbac.ParseRight(g); err == nil {
			want[right] = true
		}
	}
	var ts []resource.Triple
	for org, rights := range r.ByOrg() {
		for _, have := range rights {
			if have != rbac.All {
				if want[have] || want[rbac.All] {
					ts = append(ts, resource.Triple{Org: org, Permission: have.Permission, Operation: have.Operation})
				}
				continue
			}
			for w := range want { // the wildcard covers each granted right
				ts = append(ts, resource.Triple{Org: org, Permission: w.Permission, Operation: w.Operation})
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
