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
		{"a value of exactly 32 bytes is kept whole", strings.Repeat("a", 32), `"` + strings.Repeat("a", 32) + `"`},
		{"a longer value is cut to 32 bytes and says how long it was",
			strings.Repeat("a", 900000), `"` + strings.Repeat("a", 32) + `..." (900000 bytes)`},
		{"control characters are escaped, so the message stays one line", "a\nb\r\x00c", `"a\nb\r\x00c"`},
		{"quotes and backslashes are escaped", `a"b\c`, `"a\"b\\c"`},
		{"a cut never splits a character",
			strings.Repeat("a", 31) + "é" + strings.Repeat("b", 10), `"` + strings.Repeat("a", 31) + `..." (43 bytes)`},
		{"bytes that are not UTF-8 are escaped and cut at 32",
			strings.Repeat("\x80", 70), `"` + strings.Repeat(`\x80`, 32) + `..." (70 bytes)`},
		{"a secret pasted in the wrong place is not shown whole",
			"iamd_abcdefghijklmnop_" + strings.Repeat("q", 59), `"iamd_abcdefghijklmnop_qqqqqqqqqq..." (81 bytes)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := storage.Quote(tc.in); got != tc.want {
				t.Errorf("Quote = %s, want %s", got, tc.want)
			}
		})
	}
}
