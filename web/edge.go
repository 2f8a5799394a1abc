package web

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

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
	// quiet ones are logged at debug level: a connection reset before
	// anything was read is what load balancers' health checks look like.
	quiet bool
}

// classify maps fasthttp's read errors to answers. Its text is never
// shown or logged: it quotes the request.
func classify(err error) edgeError {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return edgeError{status: http.StatusRequestHeaderFieldsTooLarge, code: "headers_too_large", text: "the request headers are too large"}
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return edgeError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large", text: "the request body exceeds " + strconv.Itoa(bodyLimit) + " bytes"}
	case errors.Is(err, fasthttp.ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		// Not err.Error()'s text: it quotes the request, which may say
		// "timeout" anywhere.
		return edgeError{status: http.StatusRequestTimeout, code: "request_timeout", text: "the request was not received in time"}
	case errors.As(err, &ne):
		return edgeError{status: http.StatusBadRequest, code: "invalid_argument", text: "the connection failed while the request was read", quiet: true}
	}
	return edgeError{status: http.StatusBadRequest, code: "invalid_argument", text: "the request is malformed HTTP"}
}

// errUnknownMethod answers a method fiber does not route, which fiber
// would answer in plain text, unlogged.
var errUnknownMethod = edgeError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", text: "the request method is not supported"}

// serverError is fasthttp's ErrorHandler.
func (s *Server) serverError(fctx *fasthttp.RequestCtx, err error) {
	start := time.Now()
	// A header that could not be parsed was never received: its request
	// line is in err. A body that could not be read was: its entry is.
	method, path := s.reading.forget(&fctx.Request.Header)
	if m, p := requestLine(err); m != "" {
		method, path = m, p
	}
	s.answer(fctx, start, method, path, classify(err))
}

// handler wraps fiber's fasthttp handler, which every request read in full
// reaches: it drops the request's entry in the reading table, and answers
// methods fiber does not route.
func (s *Server) handler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(fctx *fasthttp.RequestCtx) {
		start := time.Now()
		_, path := s.reading.forget(&fctx.Request.Header)
		if !slices.Contains(fiber.DefaultMethods, string(fctx.Method())) {
			s.answer(fctx, start, truncate(string(fctx.Method()), 16), path, errUnknownMethod)
			return
		}
		next(fctx)
	}
}

// answer sends e for a request the routes never saw, and logs it.
func (s *Server) answer(fctx *fasthttp.RequestCtx, start time.Time, method, path string, e edgeError) {
	c := s.app.AcquireCtx(fctx)
	defer s.app.ReleaseCtx(c)
	setSecureHeaders(c)
	if isOAuthPath(path) {
		desc := strings.ToUpper(e.text[:1]) + e.text[1:] + "."
		writeOAuthError(c, &oauth.Error{Code: oauth.CodeInvalidRequest, Status: e.status, Description: desc})
	} else {
		if e.status == http.StatusMethodNotAllowed {
			c.Set(fiber.HeaderAllow, strings.Join(fiber.DefaultMethods, ", "))
		}
		noStore(c)
		c.Status(e.status).JSON(ErrorBody{Error: e.code, Message: e.text})
	}
	// The peer's address: X-Forwarded-For went with the rest of the
	// request.
	peer, _ := fctx.RemoteAddr().(*net.TCPAddr)
	addr := ""
	if peer != nil {
		addr = peer.IP.String()
	}
	level := slog.LevelInfo
	if e.quiet {
		level = slog.LevelDebug
	}
	s.logRequest(c, level, method, path, e.status, time.Since(start), addr, slog.String("error", e.text))
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
// before serverError sees it. Entries are keyed by the address of the
// request's header, which fasthttp keeps for the life of a connection, and
// dropped once the request reaches handler or serverError. The key is an
// address, not a pointer, so that an entry left behind (fasthttp drops a
// request without either, for one, when it cannot write 100 Continue) keeps
// nothing alive; it is overwritten when the header is used again.
type reading struct {
	mu    sync.Mutex
	paths map[uintptr]methodPath
}

type methodPath struct{ method, path string }

// maxReading bounds the table. Entries are dropped as requests go on, so
// this many means entries were left behind; clearing costs only the shape
// of the errors of bodies being read at that moment.
const maxReading = 4 << 10

func key(h *fasthttp.RequestHeader) uintptr { return uintptr(unsafe.Pointer(h)) }

// received is fasthttp's HeaderReceived hook.
func (r *reading) received(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	mp := methodPath{method: string(h.Method()), path: targetPath(string(h.RequestURI()))}
	r.mu.Lock()
	if r.paths == nil || len(r.paths) >= maxReading {
		r.paths = make(map[uintptr]methodPath)
	}
	r.paths[key(h)] = mp
	r.mu.Unlock()
	return fasthttp.RequestConfig{}
}

// forget drops h's entry and returns it.
func (r *reading) forget(h *fasthttp.RequestHeader) (method, path string) {
	r.mu.Lock()
	mp, ok := r.paths[key(h)]
	if ok {
		delete(r.paths, key(h))
	}
	r.mu.Unlock()
	return mp.method, mp.path
}
