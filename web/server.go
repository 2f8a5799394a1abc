// Package web is iamd's HTTP server: the public OAuth endpoints (token,
// discovery, JWKS), health checks and the management API. It is the only
// package that imports fiber.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

// Options configure a Server.
type Options struct {
	OAuth    *oauth.Server
	Accounts *accounts.Service
	Orgs     *rbac.Service
	// Users manages human admins: the users API, and the console under
	// /console, where they sign in (not served if Users is nil).
	Users *users.Service
	// Issuer is the server's public URL (the OAuth issuer). The console's
	// cookies are Secure when it is https, and its forms are accepted
	// from its origin (as from the Host the browser asked for).
	Issuer string
	// Ready reports whether the server can serve: the database answers.
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// gives the client address (see ParseTrustedProxies).
	TrustedProxies []netip.Prefix
	// JWKSMaxAge is how long clients may cache the JWKS and metadata.
	JWKSMaxAge time.Duration
	// FeedMaxAge is how long clients may cache the revocation feed, so
	// how late a resource server polling it may learn of a revocation;
	// 30 seconds if zero.
	FeedMaxAge time.Duration
	// DefaultActivation is how long a rotated signing key waits before it
	// signs: at least JWKSMaxAge plus the key refresh interval, so every
	// verifier has seen it in the JWKS.
	DefaultActivation time.Duration
	// MinActivation is the shortest activation delay a rotation may ask
	// for without forcing it: the JWKS cache lifetime plus the key refresh
	// interval, so that no instance serves a JWKS without the key for
	// longer; JWKSMaxAge if zero.
	MinActivation time.Duration
	// ReadTimeout bounds how long a client may take to send a request;
	// 15 seconds if zero.
	ReadTimeout time.Duration
	// Now is the clock.
	Now func() time.Time
}

// Limits on request sizes.
const (
	// bodyLimit bounds every request body.
	bodyLimit = 1 << 20
	// tokenBodyLimit bounds token requests, which are a few hundred bytes.
	tokenBodyLimit = 16 << 10
)

// Server serves iamd over HTTP.
type Server struct {
	Options
	app     *fiber.App
	admins  *oauth.Admins
	reading reading
	// con is the console's parsed templates and files, if Users is set.
	con *console
	// secureCookies says the issuer is https, so cookies are Secure.
	secureCookies bool
	// issuerOrigin is the issuer's scheme://host[:port].
	issuerOrigin string
}

// New returns a server with its routes.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinActivation == 0 {
		o.MinActivation = o.JWKSMaxAge
	}
	if o.FeedMaxAge == 0 {
		o.FeedMaxAge = 30 * time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 15 * time.Second
	}
	s := &Server{Options: o, admins: o.OAuth.Admins()}
	if o.Users != nil {
		s.con = newConsole()
	}
	if u, err := url.Parse(o.Issuer); err == nil && u.Host != "" {
		s.secureCookies = u.Scheme == "https"
		s.issuerOrigin = u.Scheme + "://" + u.Host
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "iamd",
		BodyLimit:             bodyLimit,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        8 << 10,
		CaseSensitive:         true,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
	})
	// fiber answers requests fasthttp could not read with fasthttp's
	// error text, which quotes the request; serverError does not.
	srv := s.app.Server()
	srv.ErrorHandler = s.serverError
	srv.HeaderReceived = s.reading.received
	srv.Handler = s.handler(srv.Handler)
	s.routes()
	return s
}

// App returns the fiber application, for tests.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits up to timeout for
// requests in flight.
func (s *Server) Shutdown(timeout time.Duration) error {
	return s.app.ShutdownWithTimeout(timeout)
}
