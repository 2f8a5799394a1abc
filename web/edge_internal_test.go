package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/iamd/iamd/oauth"
)

func TestRequestLine(t *testing.T) {
	long := strings.Repeat("x", 500)
	cases := []struct {
		name                 string
		err                  error
		wantMethod, wantPath string
	}{
		{"the request line of fasthttp's quoted buffer",
			errors.New(`error when reading request headers: cannot parse content-length. Buffer size=91, contents: "POST /oauth2/token?a=b HTTP/1.1\r\nHost: x\r\n\r\n"`),
			"POST", "/oauth2/token"},
		{"a buffer quoted in two parts",
			fmt.Errorf(`error when reading request headers: small read buffer. Buffer size=9000, contents: %q...%q`, "GET /api/v1/orgs HTTP/1.1\r\nX: "+long[:150], long[:200]),
			"GET", "/api/v1/orgs"},
		{"an absolute-form target", errors.New(`bad. Buffer size=1, contents: "POST http://iamd.test/oauth2/token HTTP/1.1\r\n"`), "POST", "/oauth2/token"},
		{"a long path is cut", errors.New(`bad. Buffer size=1, contents: "GET /` + long + ` HTTP/1.1\r\n"`), "GET", "/" + long[:maxLoggedPath-1]},
		{"an error without contents", errors.New("error when reading request headers: timeout"), "", ""},
		{"contents that are not quoted", errors.New("bad. contents: POST /oauth2/token"), "", ""},
		{"a request line without a method", errors.New(`bad. contents: "\x00\x01 /oauth2/token HTTP/1.1\r\n"`), "", ""},
		{"a target that is neither a path nor absolute", errors.New(`bad. contents: "OPTIONS * HTTP/1.1\r\n"`), "OPTIONS", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, p := requestLine(tc.err)
			if m != tc.wantMethod || p != tc.wantPath {
				t.Errorf("requestLine = %q, %q; want %q, %q", m, p, tc.wantMethod, tc.wantPath)
			}
		})
	}
}

func TestReadingForgetsEveryEntry(t *testing.T) {
	var r reading
	var h1, h2 fasthttp.RequestHeader
	h1.SetRequestURI("/oauth2/token?x=1")
	h1.SetMethod("POST")
	h2.SetRequestURI("/api/v1/orgs")
	r.received(&h1)
	r.received(&h2)
	if m, p := r.forget(&h1); m != "POST" || p != "/oauth2/token" {
		t.Errorf("forget = %q, %q", m, p)
	}
	if _, p := r.forget(&h1); p != "" {
		t.Errorf("a forgotten entry came back: %q", p)
	}
	if _, p := r.forget(&h2); p != "/api/v1/orgs" {
		t.Errorf("forget = %q", p)
	}
	if len(r.paths) != 0 {
		t.Errorf("%d entries left", len(r.paths))
	}
	hs := make([]fasthttp.RequestHeader, maxReading+1)
	for i := range hs {
		r.received(&hs[i])
	}
	if len(r.paths) > maxReading {
		t.Errorf("%d entries, want at most %d", len(r.paths), maxReading)
	}
}

// TestEveryRequestReadLeavesNoEntry: requests that fiber does not route
// (an unknown method) or that its routes refuse still drop their entry.
func TestEveryRequestReadLeavesNoEntry(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(Options{OAuth: oauth.NewServer(oauth.Config{Issuer: "http://iamd.test"}, nil, nil, nil, time.Now, log), Log: log})
	for i := range 200 {
		method := []string{"FOO", "GET", "BREW"}[i%3]
		res, err := s.app.Test(httptest.NewRequest(method, "/oauth2/token", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	s.reading.mu.Lock()
	n := len(s.reading.paths)
	s.reading.mu.Unlock()
	if n != 0 {
		t.Errorf("%d entries left behind by 200 requests", n)
	}
}
