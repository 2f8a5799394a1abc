package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/storage"
)

func TestToError(t *testing.T) {
	ours := invalidTarget("The audience 'x' is not allowed for this client.")
	cases := []struct {
		name     string
		err      error
		want     Error
		internal bool
	}{
		{"our own error passes unchanged", ours, *ours, false},
		{"our own error is found when wrapped", fmt.Errorf("handler: %w", ours), *ours, false},
		{"a plain error is internal", errors.New("sqlite: database is locked"), *errServer, true},
		{"a wrapped plain error is internal", fmt.Errorf("sign: %w", ErrNoSigningKey), *errServer, true},
		{"an unavailable database is temporarily_unavailable, and internal",
			fmt.Errorf("load key k1: %w: %w", storage.ErrUnavailable, errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")),
			Error{Code: "temporarily_unavailable", Description: "The server's database is unavailable; retry in a few seconds.", Status: 503, RetryAfter: 5 * time.Second}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, internal := toError(tc.err)
			if got == nil || *got != tc.want || internal != tc.internal {
				t.Errorf("toError = %+v, internal %v; want %+v, internal %v", got, internal, tc.want, tc.internal)
			}
		})
	}
	t.Run("the server error says nothing of the cause", func(t *testing.T) {
		e, _ := toError(errors.New("disk full at /var/lib/iamd"))
		if e.Code != CodeServerError || e.Status != http.StatusInternalServerError || e.Description != "The server could not issue a token; try again later." {
			t.Errorf("server error %+v", e)
		}
	})
}

func TestDescription(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain ASCII is kept", "Scope 'read' is not allowed!", "Scope 'read' is not allowed!"},
		{"the full allowed range is kept", " !#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}~", " !#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}~"},
		{"double quotes become single quotes", `say "hi"`, "say 'hi'"},
		{"backslashes are replaced", `a\b`, "a?b"},
		{"control characters are replaced", "a\x00b\tc\nd\re\x1f", "a?b?c?d?e?"},
		{"DEL is replaced", "a\x7fb", "a?b"},
		{"each non-ASCII character becomes one replacement", "naïve 日本", "na?ve ??"},
		{"invalid UTF-8 is replaced", "a\xffb", "a?b"},
		{"empty stays empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := description(tc.in)
			if got != tc.want {
				t.Errorf("description(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, r := range got {
				if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
					t.Errorf("output %q holds %q", got, r)
				}
			}
		})
	}
}

func TestEcho(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a short value is kept", "https://api.example", "https://api.example"},
		{"a value of the limit is kept", strings.Repeat("a", 32), strings.Repeat("a", 32)},
		{"a longer value is cut with an ellipsis", strings.Repeat("a", 33), strings.Repeat("a", 32) + "..."},
		{"characters are sanitized before counting", strings.Repeat("é", 40), strings.Repeat("?", 32) + "..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := echo(tc.in); got != tc.want {
				t.Errorf("echo(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestErrorConstructors(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		want Error
	}{
		{"InvalidRequest is a 400", InvalidRequest("d"), Error{Code: "invalid_request", Description: "d", Status: 400}},
		{"InvalidClient is a 401", InvalidClient("d"), Error{Code: "invalid_client", Description: "d", Status: 401}},
		{"invalidTarget is a 400", invalidTarget("d"), Error{Code: "invalid_target", Description: "d", Status: 400}},
		{"throttled is a 429 with whole seconds rounded up", throttled(1500 * time.Millisecond), Error{Code: "invalid_client", Description: "Too many failed client authentications; retry in 2 seconds.", Status: 429, RetryAfter: 2 * time.Second}},
		{"throttled by a nanosecond still asks for a second", throttled(time.Nanosecond), Error{Code: "invalid_client", Description: "Too many failed client authentications; retry in 1 second.", Status: 429, RetryAfter: time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if *tc.err != tc.want {
				t.Errorf("%+v, want %+v", *tc.err, tc.want)
			}
			if got, want := tc.err.Error(), tc.want.Code+": "+tc.want.Description; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}
