package rbac_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"accepts three lowercase letters", "abc", true},
		{"accepts letters digits and inner hyphens", "team-42-ops", true},
		{"accepts a trailing digit", "a1b2", true},
		{"accepts consecutive inner hyphens", "a--b", true},
		{"accepts 63 characters", "a" + strings.Repeat("b", 62), true},
		{"rejects the empty string", "", false},
		{"rejects a single letter", "a", false},
		{"rejects two characters", "ab", false},
		{"rejects 64 characters", "a" + strings.Repeat("b", 63), false},
		{"rejects an uppercase letter", "Abc", false},
		{"rejects an uppercase letter inside", "aBc", false},
		{"rejects a leading digit", "1abc", false},
		{"rejects a leading hyphen", "-abc", false},
		{"rejects a trailing hyphen", "abc-", false},
		{"rejects an underscore", "ab_c", false},
		{"rejects a dot", "ab.c", false},
		{"rejects an at sign", "ab@c", false},
		{"rejects a space", "ab c", false},
		{"rejects a non-ASCII letter", "abé", false},
		{"rejects a two-letter id whose non-ASCII letter makes it three bytes long", "a\u00e9", false},
		{"rejects a non-ASCII first letter", "ébc", false},
		{"rejects a NUL byte", "ab\x00", false},
		{"rejects invalid UTF-8", "ab\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rbac.ValidID(tt.id); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name      string
		s         string
		max       int
		multiline bool
		wantErr   string // substring of the error; empty for success
	}{
		{"accepts plain text", "Payments service", 100, false, ""},
		{"accepts the empty string", "", 100, false, ""},
		{"accepts text of exactly max characters", strings.Repeat("x", 10), 10, false, ""},
		{"counts characters, not bytes", strings.Repeat("é", 10), 10, false, ""},
		{"rejects text one character over max", strings.Repeat("x", 11), 10, false, "at most 10 characters"},
		{"rejects multibyte text one character over max", strings.Repeat("é", 11), 10, false, "at most 10 characters"},
		{"rejects invalid UTF-8", "ab\xffcd", 100, false, "UTF-8"},
		{"rejects a newline on one line", "a\nb", 100, false, "control characters"},
		{"accepts a newline in multiline text", "a\nb", 100, true, ""},
		{"rejects a tab on one line", "a\tb", 100, false, "control characters"},
		{"accepts a tab in multiline text", "a\tb", 100, true, ""},
		{"rejects a carriage return even in multiline text", "a\r\nb", 100, true, "control characters"},
		{"rejects a NUL byte", "a\x00b", 100, true, "control characters"},
		{"rejects an escape character", "a\x1b[31mb", 100, true, "control characters"},
		{"rejects DEL", "a\x7fb", 100, true, "control characters"},
		{"rejects a C1 control character", "a\u0085b", 100, true, "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rbac.CheckText("the field", tt.s, tt.max, tt.multiline)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tt.s, err)
				}
				return
			}
			if !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("CheckText(%q) = %v, want an error wrapping storage.ErrInvalid", tt.s, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "the field ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("CheckText(%q) error %q, want it to name the field and contain %q", tt.s, msg, tt.wantErr)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		wantErr string
	}{
		{"accepts a short name", "Acme", ""},
		{"accepts a name of MaxNameLen characters", strings.Repeat("n", rbac.MaxNameLen), ""},
		{"rejects the empty name", "", "must not be empty"},
		{"rejects a name over MaxNameLen characters", strings.Repeat("n", rbac.MaxNameLen+1), "at most 100 characters"},
		{"rejects a name on two lines", "Acme\nCorp", "control characters"},
		{"rejects a name with a tab", "Acme\tCorp", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rbac.CheckName("display name", tt.s)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckName(%q) = %v, want nil", tt.s, err)
				}
				return
			}
			if !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("CheckName(%q) = %v, want an error wrapping storage.ErrInvalid", tt.s, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "display name") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("CheckName(%q) error %q, want it to name the field and contain %q", tt.s, msg, tt.wantErr)
			}
		})
	}
}
