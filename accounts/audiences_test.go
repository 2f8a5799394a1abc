package accounts_test

import (
	"strings"
	"testing"

	"github.com/iamd/iamd/accounts"
)

func TestValidAudience(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"an https URL is an audience", "https://api.example.com", true},
		{"a URL with a path and query is an audience", "https://api.example.com/v1?x=1", true},
		{"a URN is an audience", "urn:iamd:api", true},
		{"a plain name is an audience", "billing-api", true},
		{"a name with a colon is read as an opaque URI", "billing:read", true},
		{"a URL with a fragment is not", "https://api.example.com#frag", false},
		{"a URL with an empty fragment is not", "https://api.example.com#", false},
		{"a URN with a fragment is not", "urn:iamd:api#x", false},
		{"a plain name with '#' is not", "billing#api", false},
		{"a URI that does not parse is not", "https://api.example.com/%zz", false},
		{"a name with a space is not", "billing api", false},
		{"a name with a control character is not", "billing\napi", false},
		{"a name with non-ASCII is not", "bïlling", false},
		{"the empty string is not", "", false},
		{"the longest allowed audience is", strings.Repeat("a", accounts.MaxAudienceLen), true},
		{"one character more is not", strings.Repeat("a", accounts.MaxAudienceLen+1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := accounts.ValidAudience(tc.in); got != tc.want {
				t.Errorf("ValidAudience(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
