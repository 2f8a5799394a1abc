// Package oauth is the authorization server proper: the client credentials
// grant (RFC 6749 §4.4) on top of fosite, JWT access tokens (RFC 9068)
// signed with go-jose, signing keys and their rotation, the JWKS,
// verification and discovery metadata (RFC 8414).
//
// It takes parsed requests and returns responses or *Error values; the web
// package does the HTTP.
package oauth

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"

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
	provider *fosite.Fosite
	// assertionRules are what client assertions must satisfy.
	assertionRules accounts.AssertionRules
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
	fc := &fosite.Config{
		AccessTokenLifespan:          cfg.TokenTTL,
		ScopeStrategy:                scopeStrategy,
		AudienceMatchingStrategy:     matchAudience,
		ClientAuthenticationStrategy: s.authenticateClient,
	}
	helper := &oauth2.HandleHelper{AccessTokenStrategy: jwtStrategy{s}, AccessTokenStorage: stateless{}, Config: fc}
	fc.TokenEndpointHandlers = fosite.TokenEndpointHandlers{
		checkRequest{},
		&oauth2.ClientCredentialsGrantHandler{HandleHelper: helper, Config: fc},
		grantRequested{s},
	}
	s.provider = fosite.NewOAuth2Provider(stateless{}, fc)
	return s
}

// Keys returns the signing key set.
func (s *Server) Keys() *KeySet { return s.keys }

// TokenRequest is a request to the token endpoint as received.
type TokenRequest struct {
	ContentType string
	Body        []byte
	// Query is the raw query string of the request URI.
	Query string
	// Authorization is the Authorization header, if any.
	Authorization string
	// ClientAddr is the client's network address, for throttling.
	ClientAddr string
}

// TokenResponse is a successful access token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// singleParams may appear at most once in a request (RFC 6749 §3.2);
// audience and resource may repeat.
var singleParams = []string{"grant_type", "scope", "client_id", "client_secret", "client_assertion", "client_assertion_type"}

// Token handles a token request. Errors are *Error values ready to be sent.
func (s *Server) Token(ctx context.Context, r TokenRequest) (*TokenResponse, error) {
	form, err := parseForm(r)
	if err != nil {
		return nil, err
	}
	// fosite authenticates the client before it looks for a handler of the
	// grant: refuse other grants first, without touching credentials.
	if gt := form.Get("grant_type"); gt != "" && gt != GrantClientCredentials {
		return nil, &Error{Code: CodeUnsupportedGrantType, Status: http.StatusBadRequest,
			Description: "Only the client_credentials grant type is supported."}
	}
	hr := &http.Request{
		Method: http.MethodPost, URL: &url.URL{Path: TokenPath},
		Header: http.Header{}, Form: form, PostForm: form,
	}
	if r.Authorization != "" {
		hr.Header.Set("Authorization", r.Authorization)
	}
	ctx = context.WithValue(ctx, clientAddrKey{}, r.ClientAddr)
	ar, err := s.provider.NewAccessRequest(ctx, hr, &fosite.DefaultSession{})
	if err != nil {
		return nil, s.fail(err)
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		return nil, s.fail(err)
	}
	if c, ok := ar.GetClient().(*client); ok {
		s.accounts.Used(c.cred)
	}
	return &TokenResponse{
		AccessToken: resp.GetAccessToken(),
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.TokenTTL / time.Second),
		Scope:       strings.Join(ar.GetGrantedScopes(), " "),
	}, nil
}

func parseForm(r TokenRequest) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.ContentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, InvalidRequest("The request body must be application/x-www-form-urlencoded (RFC 6749 section 3.2).")
	}
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return nil, InvalidRequest("The query string is not valid form encoding.")
	}
	if q.Has("client_secret") {
		return nil, InvalidRequest("Client credentials must not be sent in the request URI (RFC 6749 section 2.3.1).")
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return nil, InvalidRequest("The request body is not valid form encoding.")
	}
	for _, p := range singleParams {
		if len(form[p]) > 1 {
			return nil, InvalidRequest("Parameter '" + p + "' is included more than once.")
		}
	}
	return form, nil
}

// fail turns err into the *Error to send, logging internal errors.
func (s *Server) fail(err error) error {
	e, internal := toError(err)
	if internal {
		s.log.Error("token request", "err", err)
	}
	return e
}

// jwtStrategy mints access tokens as JWTs (RFC 9068) with go-jose v4.
type jwtStrategy struct{ s *Server }

func (j jwtStrategy) GenerateAccessToken(_ context.Context, ar fosite.Requester) (string, string, error) {
	c, ok := ar.GetClient().(*client)
	if !ok {
		return "", "", errors.New("token request without an authenticated account")
	}
	claims := newClaims(j.s.cfg.Issuer, c.id, ar.GetGrantedAudience(), ar.GetGrantedScopes(),
		c.cred.Account.OrgID, j.s.now(), j.s.cfg.TokenTTL)
	claims.Account, claims.Key = c.cred.Account.ID, c.cred.Key.ID
	withRights(claims, c.rights, ar.GetGrantedScopes())
	token, err := j.s.keys.mint(claims)
	if err != nil {
		return "", "", err
	}
	j.s.log.Debug("token issued", "client_id", c.id, "key", c.cred.Key.ID, "jti", claims.ID, "aud", []string(claims.Audience), "scope", claims.Scope)
	return token, claims.ID, nil
}

// AccessTokenSignature and ValidateAccessToken serve fosite's introspection
// and revocation handlers, which iamd does not register.
func (jwtStrategy) AccessTokenSignature(context.Context, string) string { return "" }
func (jwtStrategy) ValidateAccessToken(context.Context, fosite.Requester, string) error {
	return fosite.ErrRequestUnauthorized
}

// stateless stores nothing: access tokens are self-contained JWTs, so
// issuing one writes nothing to the database.
type stateless struct{}

func (stateless) CreateAccessTokenSession(context.Context, string, fosite.Requester) error {
	return nil
}
func (stateless) GetAccessTokenSession(context.Context, string, fosite.Session) (fosite.Requester, error) {
	return nil, fosite.ErrNotFound
}
func (stateless) DeleteAccessTokenSession(context.Context, string) error { return nil }

// Clients are authenticated by Server.authenticateClient, never looked up
// by fosite.
func (stateless) GetClient(context.Context, string) (fosite.Client, error) {
	return nil, fosite.ErrNotFound
}
func (stateless) ClientAssertionJWTValid(context.Context, string) error { return nil }
func (stateless) SetClientAssertionJWT(context.Context, string, time.Time) error {
	return nil
}

// Verifier returns a verifier of this server's tokens, reading keys from
// its key set: the management API checks its callers with it. A token of a
// key that another instance rotated in makes the set reload (see
// KeySet.Lookup).
func (s *Server) Verifier() *resource.Verifier {
	return resource.NewVerifier(s.cfg.Issuer, func(kid string) (jose.JSONWebKey, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
		defer cancel()
		return s.keys.Lookup(ctx, kid)
	}, s.now)
}

// reloadTimeout bounds a reload of the signing keys made for a token.
const reloadTimeout = 5 * time.Second
