package logscan_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/internal/logscan"
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return b32.EncodeToString(b)
}

// secret has the shape of an iamd client secret, for the key "keyid".
func secret(keyID string) string { return "iamd_" + keyID + "_" + random(32) + random(4) }

// accessToken is a real compact JWS, signed as iamd signs access tokens.
func accessToken(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: "sync@acme.iam", Issuer: "https://iamd.test"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestFind(t *testing.T) {
	keyID := random(10)
	s, tok := secret(keyID), accessToken(t)
	header, rest, _ := strings.Cut(tok, ".")
	payload, _, _ := strings.Cut(rest, ".")
	tests := []struct {
		name   string
		text   string
		masked []string // the hits, in order
	}{
		{"a client secret in a log attribute is found", "level=INFO msg=auth secret=" + s + " status=401\n", []string{"[client secret iamd_" + keyID + "_…]"}},
		{"a client secret quoted in JSON is found", `{"msg":"auth","secret":"` + s + `"}`, []string{"[client secret iamd_" + keyID + "_…]"}},
		{"a client secret with one character changed is found", "secret=" + s[:len(s)-1] + flip(s[len(s)-1]), []string{"[client secret iamd_" + keyID + "_…]"}},
		{"an access token is found", "token=" + tok, []string{fmt.Sprintf("[access token, %d bytes]", len(tok))}},
		{"a bearer token in an Authorization header is found", `authorization="Bearer ` + tok + `"`, []string{fmt.Sprintf("[access token, %d bytes]", len(tok))}},
		{"HTTP Basic credentials holding a client secret are found", "authorization=\"" + basic("sync@acme.iam", s) + "\"", []string{"[Basic credentials with client secret iamd_" + keyID + "_…]"}},
		{"a secret and a token on two lines are both found", "a=" + tok + "\nb=" + s + "\n", []string{fmt.Sprintf("[access token, %d bytes]", len(tok)), "[client secret iamd_" + keyID + "_…]"}},

		{"a private JWK in JSON is found", `{"kty":"EC","crv":"P-256","x":"abc","y":"def","d":"` + random(43) + `"}`, []string{"[private JWK member d]"}},
		{"a private JWK escaped in a logged string is found", `msg="key file {\"kty\":\"OKP\",\"d\":\"` + random(43) + `\"}"`, []string{"[private JWK member d]"}},
		{"a public JWK passes", `{"kty":"EC","crv":"P-256","x":"` + random(43) + `","y":"` + random(43) + `"}`, nil},
		{"a log without credentials passes", "level=INFO msg=request method=POST path=/oauth2/token status=200\n", nil},
		{"a key ID passes", "msg=\"authentication failed\" key_id=" + keyID + " client_id=sync@acme.iam", nil},
		{"a key ID with the secret prefix passes", "iamd_" + keyID + "_", nil},
		{"a made-up short secret passes", "secret=iamd_nope", nil},
		{"a secret one character short passes", "secret=" + s[:len(s)-1], nil},
		{"a secret with a character outside base32 passes", "secret=" + s[:30] + "1" + s[31:], nil},
		{"a secret in upper case passes", "secret=" + strings.ToUpper(s), nil},
		{"a JWS header and payload without signature pass", "jws=" + header + "." + payload, nil},
		{"a JWT header alone passes", "header=" + header, nil},
		{"a host name starting with eyJ passes", "host=eyJump.example.com", nil},
		{"HTTP Basic credentials holding a password pass", basic("alice", "correct horse battery staple"), nil},
		{"the word basic in prose passes", "msg=\"basic authentication failed\" scheme=basic", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range logscan.Find(tt.text) {
				got = append(got, h.Masked)
			}
			if strings.Join(got, "\n") != strings.Join(tt.masked, "\n") {
				t.Errorf("Find(%q) = %q, want %q", tt.text, got, tt.masked)
			}
			if red := logscan.Redact(tt.text); (len(tt.masked) == 0) != (red == tt.text) || strings.Contains(red, s) || strings.Contains(red, tok) {
				t.Errorf("Redact(%q) = %q", tt.text, red)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

// failT is the real test with Errorf and Cleanup caught, to watch Check and
// Recorder fail a test.
type failT struct {
	*testing.T
	errors   []string
	cleanups []func()
}

func (f *failT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *failT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *failT) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestCheckSaysWhereWithoutTheSecret(t *testing.T) {
	keyID := random(10)
	s, tok := secret(keyID), accessToken(t)
	ft := &failT{T: t}
	logscan.Check(ft, "server log", "level=INFO msg=start\nlevel=WARN msg=auth secret="+s+"\nlevel=INFO token="+tok+"\n")
	if len(ft.errors) != 2 {
		t.Fatalf("Check reported %d errors, want 2: %q", len(ft.errors), ft.errors)
	}
	for i, want := range []string{"server log, line 2, column 28: [client secret iamd_" + keyID + "_…]", "server log, line 3, column 18: [access token"} {
		if !strings.HasPrefix(ft.errors[i], want) {
			t.Errorf("error %q, want it to start %q", ft.errors[i], want)
		}
		if !strings.Contains(ft.errors[i], "\nlevel=") {
			t.Errorf("error %q does not show the redacted line", ft.errors[i])
		}
	}
	for _, e := range ft.errors {
		if strings.Contains(e, s) || strings.Contains(e, tok) || strings.Contains(e, s[len(s)-20:]) {
			t.Errorf("the report gives the secret away: %q", e)
		}
	}
}

func TestRecorderChecksWhenTheTestEnds(t *testing.T) {
	s := secret(random(10))
	tests := []struct {
		name   string
		writes []string
		errors int
	}{
		{"a clean log passes", []string{"level=INFO msg=request status=200\n"}, 0},
		{"a secret in a log fails the test", []string{"level=INFO msg=start\n", "level=INFO secret=" + s + "\n"}, 1},
		{"a secret split across writes fails the test", []string{"level=INFO secret=" + s[:20], s[20:] + "\n"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &failT{T: t}
			var next strings.Builder
			r := logscan.New(ft, "server log", &next)
			for _, w := range tt.writes {
				if _, err := r.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if len(ft.errors) != 0 {
				t.Fatal("the recorder checked before the test ended")
			}
			ft.finish()
			if len(ft.errors) != tt.errors {
				t.Errorf("%d errors at the end of the test, want %d: %q", len(ft.errors), tt.errors, ft.errors)
			}
			if all := strings.Join(tt.writes, ""); next.String() != all || r.String() != all {
				t.Errorf("recorded %q and passed on %q, want %q both", r.String(), next.String(), all)
			}
		})
	}
}
