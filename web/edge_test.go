package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/oauth"
)

// TestRequestsThatCannotBeReadAreAnsweredSafely sends, over raw TCP, requests
// that fasthttp refuses before routing. Each one carries credentials and a
// header a proxy could have added: none of it may come back or reach the log,
// the answer has the shape of the endpoint's errors, and it is logged.
func TestRequestsThatCannotBeReadAreAnsweredSafely(t *testing.T) {
	f, sync := tokenFixture(t, withReadTimeout(300*time.Millisecond))
	base := f.serve(t)
	addr := strings.TrimPrefix(base, "http://")
	tok := f.adminToken(t)
	const proxySecret = "proxy-added-9f8e7d6c5b4a"
	basic := basicAuth(sync.ClientID, sync.Secret)
	secrets := []string{sync.Secret, strings.TrimPrefix(basic, "Basic "), tok, proxySecret}

	// head is a request head for path, credentials included, with extra
	// header lines and no final blank line.
	head := func(path, auth string, extra ...string) string {
		h := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nX-Proxy-Token: %s\r\n", path, addr, auth, proxySecret)
		for _, e := range extra {
			h += e + "\r\n"
		}
		return h
	}
	api := "/api/v1/orgs"
	// A chunk announcing 2 MiB: refused on its size line, so only its start
	// is sent and the server closes a connection it has read in full.
	chunked := "Transfer-Encoding: chunked\r\n\r\n" + "200000\r\n" + strings.Repeat("a", 1<<10)
	huge := "X-Padding: " + strings.Repeat("p", 10<<10)
	cases := []struct {
		name   string
		path   string
		auth   string
		req    string // sent after head(path, auth)
		status int
		code   string // the management API's, for paths outside OAuth
		logs   string // the error the log line gives
	}{
		{"a negative Content-Length on the token endpoint", oauth.TokenPath, basic, "Content-Length: -1\r\n\r\n", 400, "", "malformed HTTP"},
		{"a hexadecimal Content-Length on the token endpoint", oauth.TokenPath, basic, "Content-Length: 0x1d\r\n\r\n", 400, "", "malformed HTTP"},
		{"a space before the colon on the token endpoint", oauth.TokenPath, basic, "Content-Length : 29\r\n\r\n", 400, "", "malformed HTTP"},
		{"a negative Content-Length on the management API", api, "Bearer " + tok, "Content-Length: -1\r\n\r\n", 400, "invalid_argument", "malformed HTTP"},
		{"a space before the colon on the management API", api, "Bearer " + tok, "Content-Length : 29\r\n\r\n", 400, "invalid_argument", "malformed HTTP"},
		{"headers over the buffer on the token endpoint", oauth.TokenPath, basic, huge + "\r\n\r\n", 431, "", "headers are too large"},
		{"headers over the buffer on the management API", api, "Bearer " + tok, huge + "\r\n\r\n", 431, "headers_too_large", "headers are too large"},
		{"a chunked body over the server limit on the token endpoint", oauth.TokenPath, basic, chunked, 413, "", "body exceeds"},
		{"a chunked body over the server limit on the management API", api, "Bearer " + tok, chunked, 413, "payload_too_large", "body exceeds"},
		{"an absolute-form target is recognised as the token endpoint", "http://" + addr + oauth.TokenPath + "?x=1", basic, "Content-Length: -1\r\n\r\n", 400, "", "malformed HTTP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawExchange(t, addr, head(tc.path, tc.auth)+tc.req)
			checkEdgeAnswer(t, f, r, tc.status, tc.code, secrets)
			wantLogged(t, f, tc.status, tc.logs, secrets)
		})
	}

	t.Run("a request whose headers are not sent in time", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{{oauth.TokenPath, ""}, {api, "request_timeout"}} {
			r := rawExchange(t, addr, head(c.path, basic))
			checkEdgeAnswer(t, f, r, http.StatusRequestTimeout, c.code, secrets)
			wantLogged(t, f, http.StatusRequestTimeout, "not received in time", secrets)
		}
	})
	t.Run("a request whose body is not sent in time", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{{oauth.TokenPath, ""}, {api, "request_timeout"}} {
			r := rawExchange(t, addr, head(c.path, basic, "Content-Type: application/x-www-form-urlencoded", "Content-Length: 100", "")+"grant_type=")
			checkEdgeAnswer(t, f, r, http.StatusRequestTimeout, c.code, secrets)
		}
	})
	t.Run("an unknown route does not quote its path", func(t *testing.T) {
		r := rawExchange(t, addr, "GET /nope/"+proxySecret+" HTTP/1.1\r\nHost: x\r\n\r\n")
		checkEdgeAnswer(t, f, r, http.StatusNotFound, "not_found", secrets)
	})
	t.Run("the server still serves tokens afterwards", func(t *testing.T) {
		decode[oauth.TokenResponse](t, rawExchange(t, addr, tokenRaw(addr, basic)), http.StatusOK)
	})
}

// checkEdgeAnswer checks an error answer: an OAuth error if code is empty,
// else the management API's, and none of secrets anywhere in it.
func checkEdgeAnswer(t *testing.T, f *fixture, r *response, status int, code string, secrets []string) {
	t.Helper()
	if code == "" {
		e := wantOAuthError(t, r, status, oauth.CodeInvalidRequest)
		if e.Description == "" {
			t.Error("no error_description")
		}
	} else {
		wantAPIError(t, r, status, code)
	}
	wantNoSecret(t, r, secrets...)
	for _, echo := range []string{"Authorization", "X-Proxy-Token", "Host:", "HTTP/1.1", "contents"} {
		if strings.Contains(string(r.Body), echo) {
			t.Errorf("the body quotes the request (%q): %s", echo, r.Body)
		}
	}
}

// wantLogged checks that the last request logged has status and the error
// text, and that the log holds none of secrets.
func wantLogged(t *testing.T, f *fixture, status int, errText string, secrets []string) {
	t.Helper()
	// The log line is written after the response: give it a moment.
	deadline := time.Now().Add(2 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
		last = lines[len(lines)-1]
		if strings.Contains(last, fmt.Sprintf("status=%d", status)) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(last, "msg=request") || !strings.Contains(last, fmt.Sprintf("status=%d", status)) || !strings.Contains(last, errText) {
		t.Errorf("last log line %q, want a request with status %d and %q", last, status, errText)
	}
	for _, s := range secrets {
		if strings.Contains(f.logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// tokenRaw is a well-formed token request with the Authorization auth.
func tokenRaw(addr, auth string) string {
	body := grant().Encode()
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		oauth.TokenPath, addr, auth, len(body), body)
}
