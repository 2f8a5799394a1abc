package storage_test

import (
	"strings"
	"testing"

	"github.com/iamd/iamd/storage"
)

func TestQuote(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a short value is quoted as %q quotes it", "billing", `"billing"`},
		{"an empty value is an empty quote", "", `""`},
		{"a value of exactly 64 bytes is kept whole", strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		{"a longer value is cut to 64 bytes and says how long it was",
			strings.Repeat("a", 900000), `"` + strings.Repeat("a", 64) + `..." (900000 bytes)`},
		{"control characters are escaped, so the message stays one line", "a\nb\r\x00c", `"a\nb\r\x00c"`},
		{"quotes and backslashes are escaped", `a"b\c`, `"a\"b\\c"`},
		{"a cut never splits a character",
			strings.Repeat("a", 63) + "é" + strings.Repeat("b", 10), `"` + strings.Repeat("a", 63) + `..." (75 bytes)`},
		{"bytes that are not UTF-8 are escaped and cut at 64",
			strings.Repeat("\x80", 70), `"` + strings.Repeat(`\x80`, 64) + `..." (70 bytes)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := storage.Quote(tc.in); got != tc.want {
				t.Errorf("Quote = %s, want %s", got, tc.want)
			}
		})
	}
}
