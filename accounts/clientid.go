package accounts

import (
	"fmt"
	"strings"

	"github.com/iamd/iamd/rbac"
)

// ClientIDs formats and parses client IDs, `<account>@<org>.iam` followed by
// the configured domain suffix, if any (`<account>@<org>.iam.example.com`).
type ClientIDs struct {
	suffix string // ".iam" or ".iam.<domain>"
}

// NewClientIDs returns the client ID scheme for domain, which may be empty.
// It returns an error unless domain is a lowercase DNS name.
func NewClientIDs(domain string) (ClientIDs, error) {
	if domain == "" {
		return ClientIDs{suffix: ".iam"}, nil
	}
	if len(domain) > 200 {
		return ClientIDs{}, fmt.Errorf("domain suffix %q is too long", domain)
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return ClientIDs{}, fmt.Errorf("domain suffix %q is not a lowercase DNS name", domain)
		}
	}
	return ClientIDs{suffix: ".iam." + domain}, nil
}

// Format returns the client ID of the account name in orgID.
func (c ClientIDs) Format(orgID, name string) string {
	return name + "@" + orgID + c.suffix
}

// Of returns the client ID of a.
func (c ClientIDs) Of(a Account) string {
	return c.Format(a.OrgID, a.Name)
}

// Parse splits a client ID into organization and account name. It reports
// false for anything that is not a well-formed client ID of this scheme.
func (c ClientIDs) Parse(clientID string) (orgID, name string, ok bool) {
	name, host, found := strings.Cut(clientID, "@")
	if !found {
		return "", "", false
	}
	orgID, found = strings.CutSuffix(host, c.suffix)
	if !found || !rbac.ValidID(orgID) || !rbac.ValidID(name) {
		return "", "", false
	}
	return orgID, name, true
}
