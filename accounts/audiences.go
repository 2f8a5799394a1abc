package accounts

import (
	"net/url"

	"github.com/iamd/iamd/storage"
)

// Limits on the allowed audiences of an account.
const (
	MaxAudiences   = 20
	MaxAudienceLen = 500
)

// ValidAudience reports whether s can be an audience: visible ASCII, no
// spaces, since the audience request parameter is space-delimited, and no
// fragment. An audience that is a URI (it starts with a scheme, as in
// https://api.example.com or urn:iamd:api) must parse as one; being a
// resource indicator, it is absolute and has no fragment (RFC 8707 §2). A
// plain name (billing-api) may not hold '#' either, so that one rule serves
// the audience and resource parameters alike.
func ValidAudience(s string) bool {
	if s == "" || len(s) > MaxAudienceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == '#' {
			return false
		}
	}
	if hasScheme(s) {
		u, err := url.Parse(s)
		return err == nil && u.IsAbs()
	}
	return true
}

// hasScheme reports whether s starts with a URI scheme and a colon
// (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// CheckAudiences returns a storage.ErrInvalid error unless audiences is a
// valid, duplicate-free list of allowed audiences.
func CheckAudiences(audiences []string) error {
	if len(audiences) > MaxAudiences {
		return storage.Errorf(storage.ErrInvalid, "at most %d allowed audiences", MaxAudiences)
	}
	seen := make(map[string]bool, len(audiences))
	for _, a := range audiences {
		if !ValidAudience(a) {
			return storage.Errorf(storage.ErrInvalid, "audience %s: must be 1 to %d visible ASCII characters without spaces or '#'; a URI must be absolute, without a fragment (RFC 8707 section 2)", storage.Quote(a), MaxAudienceLen)
		}
		if seen[a] {
			return storage.Errorf(storage.ErrInvalid, "audience %s listed twice", storage.Quote(a))
		}
		seen[a] = true
	}
	return nil
}
