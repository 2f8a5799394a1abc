package accounts_test

import (
	"strings"
	"testing"

	"github.com/iamd/iamd/accounts"
)

func mustClientIDs(t *testing.T, domain string) accounts.ClientIDs {
	t.Helper()
	ids, err := accounts.NewClientIDs(domain)
	if err != nil {
		t.Fatalf("NewClientIDs(%q): %v", domain, err)
	}
	return ids
}

func TestClientIDsFormat(t *testing.T) {
	tests := []struct {
		name, domain, want string
	}{
		{"formats name@org.iam without a domain", "", "deployer@eng.iam"},
		{"appends the configured domain", "example.com", "deployer@eng.iam.example.com"},
		{"appends a single-label domain", "corp", "deployer@eng.iam.corp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := mustClientIDs(t, tt.domain)
			if got := ids.Format("eng", "deployer"); got != tt.want {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
			if got := ids.Of(accounts.Account{ID: "internal", OrgID: "eng", Name: "deployer"}); got != tt.want {
				t.Errorf("Of = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientIDsParse(t *testing.T) {
	tests := []struct {
		name, domain, clientID string
		wantOrg, wantName      string // empty when Parse must refuse
	}{
		{"parses name@org.iam", "", "deployer@eng.iam", "eng", "deployer"},
		{"parses ids with digits and hyphens", "", "ci-bot-2@team-7.iam", "team-7", "ci-bot-2"},
		{"parses the domain suffix when configured", "example.com", "deployer@eng.iam.example.com", "eng", "deployer"},
		{"refuses a one-letter name and org", "", "a@b", "", ""},
		{"refuses two-letter name and org", "", "ab@cd.iam", "", ""},
		{"refuses a two-letter name", "", "ab@eng.iam", "", ""},
		{"refuses a two-letter org", "", "deployer@cd.iam", "", ""},
		{"refuses a domain suffix when none is configured", "", "abc@def.iam.other.com", "", ""},
		{"refuses a missing suffix", "", "deployer@eng", "", ""},
		{"refuses the bare suffix when a domain is configured", "example.com", "deployer@eng.iam", "", ""},
		{"refuses another domain than the configured one", "example.com", "deployer@eng.iam.other.com", "", ""},
		{"refuses a domain that only ends like the configured one", "example.com", "deployer@eng.iam.myexample.com", "", ""},
		{"refuses an uppercase name", "", "Deployer@eng.iam", "", ""},
		{"refuses an uppercase org", "", "deployer@Eng.iam", "", ""},
		{"refuses an uppercase suffix", "", "deployer@eng.IAM", "", ""},
		{"refuses a missing at sign", "", "deployer.eng.iam", "", ""},
		{"refuses two at signs", "", "deployer@eng@ops.iam", "", ""},
		{"refuses an empty name", "", "@eng.iam", "", ""},
		{"refuses an empty org", "", "deployer@.iam", "", ""},
		{"refuses a dotted org", "", "deployer@eng.ops.iam", "", ""},
		{"refuses a name ending in a hyphen", "", "deployer-@eng.iam", "", ""},
		{"refuses a trailing newline", "", "deployer@eng.iam\n", "", ""},
		{"refuses surrounding spaces", "", " deployer@eng.iam", "", ""},
		{"refuses the empty string", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := mustClientIDs(t, tt.domain)
			org, name, ok := ids.Parse(tt.clientID)
			if tt.wantOrg == "" {
				if ok || org != "" || name != "" {
					t.Errorf("Parse(%q) = %q, %q, %v; want refused", tt.clientID, org, name, ok)
				}
				return
			}
			if !ok || org != tt.wantOrg || name != tt.wantName {
				t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q, true", tt.clientID, org, name, ok, tt.wantOrg, tt.wantName)
			}
			if back := ids.Format(org, name); back != tt.clientID {
				t.Errorf("Format(Parse(%q)) = %q", tt.clientID, back)
			}
		})
	}
}

func TestNewClientIDs(t *testing.T) {
	tests := []struct {
		name, domain string
		ok           bool
	}{
		{"accepts no domain", "", true},
		{"accepts a lowercase DNS name", "example.com", true},
		{"accepts digits and inner hyphens", "iam-1.example-2.com", true},
		{"accepts a 63-character label", strings.Repeat("a", 63) + ".com", true},
		{"refuses an uppercase domain", "Example.com", false},
		{"refuses an empty label", "example..com", false},
		{"refuses a leading dot", ".example.com", false},
		{"refuses a trailing dot", "example.com.", false},
		{"refuses a label starting with a hyphen", "-example.com", false},
		{"refuses a label ending with a hyphen", "example-.com", false},
		{"refuses a 64-character label", strings.Repeat("a", 64) + ".com", false},
		{"refuses an underscore", "ex_ample.com", false},
		{"refuses a space", "example .com", false},
		{"refuses an at sign", "me@example.com", false},
		{"refuses a domain over 200 characters", strings.Repeat(strings.Repeat("a", 49)+".", 4) + "comm", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := accounts.NewClientIDs(tt.domain)
			if tt.ok && err != nil {
				t.Errorf("NewClientIDs(%q) = %v, want success", tt.domain, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("NewClientIDs(%q) succeeded, want an error", tt.domain)
			}
		})
	}
}
