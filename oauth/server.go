// Package oauth is the authorization server proper: the client credentials
// grant (RFC 6749 §4.4, read top to bottom in token.go), client
// authentication by secret or key pair, JWT access tokens (RFC 9068)
// signed with go-jose, signing keys and their rotation, the JWKS,
// verification and discovery metadata (RFC 8414).
//
// It takes parsed requests and returns responses or *Error values; the web
// package does the HTTP.
package oauth

import (
	"context"
	"log/slog"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
)

// Endpoint paths, relative to the issuer URL.
const (
	TokenPath = "/oauth2/token"
	JWKSPath  = "/.well-known/jwks.json"
)

// ManagementAudience is the audience of tokens accepted by the iamd
// management API.
const ManagementAudience = "urn:iamd:api"

// GrantClientCredentials is the only grant type iamd supports.
const GrantClientCredentials = "client_credentials"

// Config configures a Server.
type Config struct {
	// Issuer is the issuer identifier (RFC 8414 §2): the server's base URL.
	Issuer string
	// TokenTTL is the lifetime of access tokens.
	TokenTTL time.Duration
	// DefaultAudience is the audience of tokens requested without audience
	// or resource (RFC 9068 §3); the issuer if empty.
	DefaultAudience string
	// AssertionLifetime bounds how far ahead of now the exp of a client
	// assertion may be; accounts.DefaultAssertionLifetime if zero.
	AssertionLifetime time.Duration
	Throttle          ThrottleConfig
}

// Server issues access tokens.
type Server struct {
	cfg      Config
	accounts *accounts.Service
	orgs     *rbac.Service
	rights   rightsCache
	keys     *KeySet
	throttle *Throttle
	// assertionRules are what client assertions must satisfy.
	assertionRules accounts.AssertionRules
	verifier       *resource.Verifier
	feed           feed
	now            func() time.Time
	log            *slog.Logger
}

// NewServer returns a token server; orgs computes the rights its tokens
// carry.
func NewServer(cfg Config, accts *accounts.Service, orgs *rbac.Service, keys *KeySet, now func() time.Time, log *slog.Logger) *Server {
	if cfg.DefaultAudience == "" {
		cfg.DefaultAudience = cfg.Issuer
	}
	s := &Server{cfg: cfg, accounts: accts, orgs: orgs, keys: keys, throttle: NewThrottle(cfg.Throttle), now: now, log: log}
	// An assertion's aud is the issuer identifier or the token endpoint
	// URL (RFC 7523 §3): clients differ in which they send.
	s.assertionRules = accounts.AssertionRules{
		Audiences:   []string{cfg.Issuer, s.Metadata().TokenEndpoint},
		MaxLifetime: cfg.AssertionLifetime,
	}
	s.verifier = resource.NewVerifier(cfg.Issuer, func(kid string) (jose.JSONWebKey, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
		defer cancel()
		return s.keys.Lookup(ctx, kid)
	}, now)
	return s
}

// Keys returns the signing key set.
func (s *Server) Keys() *KeySet { return s.keys }

// DefaultAudience is the audience of tokens asked for without audience or
// resource; a client may ask for it and for its account's allowed
// audiences.
func (s *Server) DefaultAudience() string { return s.cfg.DefaultAudience }

// Verifier returns a verifier of this server's tokens, reading keys from
// its key set: the management API checks its callers with it. A token of a
// key that another instance rotated in makes the set reload (see
// KeySet.Lookup).
func (s *Server) Verifier() *resource.Verifier { return s.verifier }

// reloadTimeout bounds a reload of the signing keys made for a token.
const reloadTimeout = 5 * time.Second
