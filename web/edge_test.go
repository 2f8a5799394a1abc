package web_test

import (
	"bufio"
	"fmt"
	"net"
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
		logged string // the path it gives
	}{
		{"a negative Content-Length on the token endpoint", oauth.TokenPath, basic, "Content-Length: -1\r\n\r\n", 400, "", "malformed HTTP", oauth.TokenPath},
		{"a hexadecimal Content-Length on the token endpoint", oauth.TokenPath, basic, "Content-Length: 0x1d\r\n\r\n", 400, "", "malformed HTTP", oauth.TokenPath},
		{"a space before the colon on the token endpoint", oauth.TokenPath, basic, "Content-Length : 29\r\n\r\n", 400, "", "malformed HTTP", oauth.TokenPath},
		{"a negative Content-Length on the management API", api, "Bearer " + tok, "Content-Length: -1\r\n\r\n", 400, "invalid_argument", "malformed HTTP", api},
		{"a space before the colon on the management API", api, "Bearer " + tok, "Content-Length : 29\r\n\r\n", 400, "invalid_argument", "malformed HTTP", api},
		{"headers over the buffer on the token endpoint", oauth.TokenPath, basic, huge + "\r\n\r\n", 431, "", "headers are too large", oauth.TokenPath},
		{"headers over the buffer on the management API", api, "Bearer " + tok, huge + "\r\n\r\n", 431, "headers_too_large", "headers are too large", api},
		{"a chunked body over the server limit on the token endpoint", oauth.TokenPath, basic, chunked, 413, "", "body exceeds", oauth.TokenPath},
		{"a chunked body over the server limit on the management API", api, "Bearer " + tok, chunked, 413, "payload_too_large", "body exceeds", api},
		{"an absolute-form target is recognised as the token endpoint", "http://" + addr + oauth.TokenPath + "?x=1", basic, "Content-Length: -1\r\n\r\n", 400, "", "malformed HTTP", oauth.TokenPath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mark := logMark(f)
			r := rawExchange(t, addr, head(tc.path, tc.auth)+tc.req)
			checkEdgeAnswer(t, f, r, tc.status, tc.code, secrets)
			wantLogged(t, f, mark, tc.status, tc.logged, tc.logs, secrets)
		})
	}

	t.Run("a request whose headers are not sent in time", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{{oauth.TokenPath, ""}, {api, "request_timeout"}} {
			mark := logMark(f)
			r := rawExchange(t, addr, head(c.path, basic))
			checkEdgeAnswer(t, f, r, http.StatusRequestTimeout, c.code, secrets)
			wantLogged(t, f, mark, http.StatusRequestTimeout, c.path, "not received in time", secrets)
		}
	})
	t.Run("a request whose body is not sent in time", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{{oauth.TokenPath, ""}, {api, "request_timeout"}} {
			mark := logMark(f)
			r := rawExchange(t, addr, head(c.path, basic, "Content-Type: application/x-www-form-urlencoded", "Content-Length: 100", "")+"grant_type=")
			checkEdgeAnswer(t, f, r, http.StatusRequestTimeout, c.code, secrets)
			wantLogged(t, f, mark, http.StatusRequestTimeout, c.path, "not received in time", secrets)
		}
	})
	t.Run("a malformed request saying timeout is not a timeout", func(t *testing.T) {
		r := rawExchange(t, addr, head(oauth.TokenPath, basic, "X-Note: timeout")+"Content-Length: -1\r\n\r\n")
		checkEdgeAnswer(t, f, r, http.StatusBadRequest, "", secrets)
	})
	t.Run("an unknown method is answered in its endpoint's shape and logged", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{{oauth.TokenPath, ""}, {api, "method_not_allowed"}} {
			mark := logMark(f)
			r := rawExchange(t, addr, strings.Replace(head(c.path, basic), "POST", "FOO", 1)+"\r\n")
			checkEdgeAnswer(t, f, r, http.StatusMethodNotAllowed, c.code, secrets)
			wantHeader(t, r, "X-Content-Type-Options", "nosniff")
			wantLogged(t, f, mark, http.StatusMethodNotAllowed, c.path, "method is not supported", secrets)
		}
	})
	t.Run("a request after an unknown method on one connection is not taken for it", func(t *testing.T) {
		res := pipelined(t, addr, strings.Replace(head(oauth.TokenPath, basic), "POST", "FOO", 1)+"\r\n",
			head(api, "Bearer "+tok)+"Content-Length: -1\r\n\r\n")
		checkEdgeAnswer(t, f, res[0], http.StatusMethodNotAllowed, "", secrets)
		checkEdgeAnswer(t, f, res[1], http.StatusBadRequest, "invalid_argument", secrets)
	})
	t.Run("a secret pasted into a path is not logged", func(t *testing.T) {
		mark := logMark(f)
		keyID, _, _ := strings.Cut(strings.TrimPrefix(sync.Secret, "iamd_"), "_")
		r := rawExchange(t, addr, "GET /api/v1/keys/"+sync.Secret+" HTTP/1.1\r\nHost: x\r\n\r\n")
		wantAPIError(t, r, http.StatusUnauthorized, "unauthenticated")
		wantLogged(t, f, mark, http.StatusUnauthorized, "/api/v1/keys/iamd_"+keyID+"_...", "", secrets)
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

// logMark returns how many lines the log holds, for wantLogged.
func logMark(f *fixture) int {
	return strings.Count(f.logs.String(), "\n")
}

// wantLogged checks that a request line was logged after mark, with
// status, path and the error text, and that the log holds none of secrets.
func wantLogged(t *testing.T, f *fixture, mark, status int, path, errText string, secrets []string) {
	t.Helper()
	// The log line is written after the response: give it a moment.
	deadline := time.Now().Add(2 * time.Second)
	var added []string
	for time.Now().Before(deadline) {
		lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
		if len(lines) > mark {
			added = lines[mark:]
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := []string{"msg=request", fmt.Sprintf("status=%d", status), "path=" + path + " ", errText}
	found := false
	for _, line := range added {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(line, w)
		}
		found = found || ok
	}
	if !found {
		t.Errorf("no log line with %q among the new ones: %q", want, added)
	}
	for _, s := range secrets {
		if strings.Contains(f.logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// pipelined writes reqs on one connection and reads as many responses.
func pipelined(t *testing.T, addr string, reqs ...string) []*response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(strings.Join(reqs, ""))); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var out []*response
	for range reqs {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response %d: %v", len(out)+1, err)
		}
		out = append(out, readResponse(t, res))
	}
	return out
}

// tokenRaw is a well-formed token request with the Authorization auth.
func tokenRaw(addr, auth string) string {
	body := grant().Encode()
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		oauth.TokenPath, addr, auth, len(body), body)
}
