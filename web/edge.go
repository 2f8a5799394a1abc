package web

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/iamd/iamd/oauth"
)

// Requests that fasthttp cannot read (a malformed header, headers over the
// buffer, a chunked body over the limit, a client too slow) never reach the
// routes. serverError answers them instead of fiber: in the shape of the
// endpoint they were sent to, logged like every other request, and without
// the request's bytes, which fasthttp's error text quotes, Authorization
// header included.

// edgeError is how a request that could not be read is answered.
type edgeError struct {
	status int
	// code is the management API's error code.
	code string
	// text is the message, in the management API's lowercase style; the
	// OAuth description is the same sentence capitalised.
	text string
}

// classify maps fasthttp's read errors to answers. Its text is never
// shown or logged: it quotes the request.
func classify(err error) edgeError {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return edgeError{http.StatusRequestHeaderFieldsTooLarge, "headers_too_large", "the request headers are too large"}
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return edgeError{http.StatusRequestEntityTooLarge, "payload_too_large", "the request body exceeds " + strconv.Itoa(bodyLimit) + " bytes"}
	case errors.Is(err, fasthttp.ErrTimeout), errors.As(err, &ne) && ne.Timeout(), strings.Contains(err.Error(), "timeout"):
		return edgeError{http.StatusRequestTimeout, "request_timeout", "the request was not received in time"}
	case errors.As(err, &ne):
		return edgeError{http.StatusBadRequest, "invalid_argument", "the connection failed while the request was read"}
	}
	return edgeError{http.StatusBadRequest, "invalid_argument", "the request is malformed HTTP"}
}

// serverError is fasthttp's ErrorHandler.
func (s *Server) serverError(fctx *fasthttp.RequestCtx, err error) {
	start := time.Now()
	method, path := s.reading.forget(&fctx.Request.Header)
	if path == "" {
		method, path = requestLine(err)
	}
	e := classify(err)
	c := s.app.AcquireCtx(fctx)
	defer s.app.ReleaseCtx(c)
	setSecureHeaders(c)
	if isOAuthPath(path) {
		desc := strings.ToUpper(e.text[:1]) + e.text[1:] + "."
		writeOAuthError(c, &oauth.Error{Code: oauth.CodeInvalidRequest, Status: e.status, Description: desc})
	} else {
		noStore(c)
		c.Status(e.status).JSON(ErrorBody{Error: e.code, Message: e.text})
	}
	peer, _ := fctx.RemoteAddr().(*net.TCPAddr)
	addr := ""
	if peer != nil {
		addr = peer.IP.String()
	}
	s.logRequest(c, slog.LevelInfo, method, path, e.status, time.Since(start), addr, slog.String("error", e.text))
}

// requestLine returns the method and path of a request whose header
// fasthttp could not parse. fasthttp forgets the request then, but its
// error quotes the start of the buffer ("... contents: \"POST /oauth2/token
// HTTP/1.1\r\n...\""), which holds the request line.
func requestLine(err error) (method, path string) {
	msg := err.Error()
	i := strings.Index(msg, "contents: ")
	if i < 0 {
		return "", ""
	}
	quoted, qerr := strconv.QuotedPrefix(msg[i+len("contents: "):])
	if qerr != nil {
		return "", ""
	}
	buf, qerr := strconv.Unquote(quoted)
	if qerr != nil {
		return "", ""
	}
	line, _, _ := strings.Cut(buf, "\n")
	method, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok || !validMethod(method) {
		return "", ""
	}
	target, _, _ := strings.Cut(rest, " ")
	return method, targetPath(target)
}

// targetPath returns the path of a request target, origin form (/a?b) or
// absolute form (http://host/a?b), or "" if it has none.
func targetPath(target string) string {
	if !strings.HasPrefix(target, "/") {
		u, err := url.Parse(target)
		if err != nil || !u.IsAbs() {
			return ""
		}
		target = u.EscapedPath()
	}
	path, _, _ := strings.Cut(target, "?")
	return truncate(path, maxLoggedPath)
}

// maxLoggedPath bounds the path logged for a request that could not be read.
const maxLoggedPath = 256

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}

// reading remembers the method and path of every request whose body is
// being read: when reading it fails, fasthttp resets the whole request
// before serverError sees it. Entries are keyed by the request's header,
// which fasthttp keeps for the life of a connection, and dropped once the
// request reaches the routes or serverError.
type reading struct {
	mu    sync.Mutex
	paths map[*fasthttp.RequestHeader]methodPath
}

type methodPath struct{ method, path string }

// maxReading bounds the table. Entries are dropped as requests go on, so
// this many bodies in flight means entries were left behind by connections
// that died mid-body without an error; clearing costs only the shape of
// the next few errors.
const maxReading = 16 << 10

// received is fasthttp's HeaderReceived hook.
func (r *reading) received(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	mp := methodPath{method: string(h.Method()), path: targetPath(string(h.RequestURI()))}
	r.mu.Lock()
	if r.paths == nil || len(r.paths) >= maxReading {
		r.paths = make(map[*fasthttp.RequestHeader]methodPath)
	}
	r.paths[h] = mp
	r.mu.Unlock()
	return fasthttp.RequestConfig{}
}

// forget drops h's entry and returns it.
func (r *reading) forget(h *fasthttp.RequestHeader) (method, path string) {
	r.mu.Lock()
	mp, ok := r.paths[h]
	if ok {
		delete(r.paths, h)
	}
	r.mu.Unlock()
	return mp.method, mp.path
}

// readDone is the first middleware: the request was read in full.
func (s *Server) readDone(c *fiber.Ctx) error {
	s.reading.forget(&c.Request().Header)
	return c.Next()
}
