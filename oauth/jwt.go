package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

func newJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
