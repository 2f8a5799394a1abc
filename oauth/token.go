package oauth

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

// TokenRequest is a request to the token, introspection or revocation
// endpoint as received.
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

// Token handles a request for the client credentials grant (RFC 6749
// §4.4), from the form to the signed token. Errors are *Error values ready
// to be sent, or internal errors, logged and answered server_error.
func (s *Server) Token(ctx context.Context, r TokenRequest) (*TokenResponse, error) {
	resp, err := s.token(ctx, r)
	if err != nil {
		return nil, s.fail(err)
	}
	return resp, nil
}

func (s *Server) token(ctx context.Context, r TokenRequest) (*TokenResponse, error) {
	form, err := parseForm(r)
	if err != nil {
		return nil, err
	}
	// The grant first: another grant type is refused without touching
	// credentials.
	switch gt := form.Get("grant_type"); gt {
	case GrantClientCredentials:
	case "":
		return nil, InvalidRequest("Request parameter 'grant_type' is missing.")
	default:
		return nil, &Error{Code: CodeUnsupportedGrantType, Status: http.StatusBadRequest,
			Description: "Only the client_credentials grant type is supported."}
	}
	c, err := s.authenticate(ctx, r.Authorization, form, r.ClientAddr)
	if err != nil {
		return nil, err
	}
	scopes, err := c.grantScopes(spaceList(form.Get("scope")))
	if err != nil {
		return nil, err
	}
	audience, err := s.grantAudience(c, form)
	if err != nil {
		return nil, err
	}

	claims := newClaims(s.cfg.Issuer, c.id, audience, scopes, c.cred.Account.OrgID, s.now(), s.cfg.TokenTTL)
	claims.Account, claims.Key = c.cred.Account.ID, c.cred.Key.ID
	withRights(claims, c.rights, scopes)
	token, err := s.keys.mint(claims)
	if err != nil {
		return nil, err
	}
	s.log.Debug("token issued", "client_id", c.id, "key", c.cred.Key.ID, "jti", claims.ID, "aud", []string(claims.Audience), "scope", claims.Scope)
	s.accounts.Used(c.cred)
	return &TokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.TokenTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
	}, nil
}

// parseForm reads the form of a token request (RFC 6749 §3.2): the body,
// form-encoded, each of singleParams at most once; the query string must
// hold no credentials.
func parseForm(r TokenRequest) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.ContentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, InvalidRequest("The request body must be application/x-www-form-urlencoded (RFC 6749 section 3.2).")
	}
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return nil, InvalidRequest("The query string is not valid form encoding.")
	}
	if q.Has("client_secret") || q.Has("client_assertion") {
		return nil, InvalidRequest("Client credentials must not be sent in the request URI (RFC 6749 section 2.3.1).")
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return nil, InvalidRequest("The request body is not valid form encoding.")
	}
	if len(form) == 0 {
		return nil, InvalidRequest("The POST body can not be empty.")
	}
	for _, p := range singleParams {
		if len(form[p]) > 1 {
			return nil, InvalidRequest("Parameter '" + p + "' is included more than once.")
		}
	}
	return form, nil
}

// grantScopes returns the scopes a token for c gets when requested: each
// must be a right c holds somewhere (RFC 6749 §3.3), else invalid_scope.
// Without a request, c gets every right it holds (§3.3 lets the server
// pick a default).
func (c *client) grantScopes(requested []string) ([]string, error) {
	held := []string{}
	for _, r := range c.rights.Distinct() {
		held = append(held, r.String())
	}
	if len(requested) == 0 {
		return held, nil
	}
	var granted []string
	for _, sc := range requested {
		if !holdsScope(held, sc) {
			return nil, &Error{Code: CodeInvalidScope, Status: http.StatusBadRequest,
				Description: fmt.Sprintf("The scope '%s' is not a right this client holds.", echo(sc))}
		}
		if !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	return granted, nil
}

// holdsScope reports whether a scope is granted to a client holding the
// scopes held: a scope is a right, PERMISSION:OPERATION, held on some
// organization; the bootstrap admin's wildcard "*" holds every right.
func holdsScope(held []string, want string) bool {
	if slices.Contains(held, want) {
		return true
	}
	_, err := rbac.ParseRight(want)
	return err == nil && slices.Contains(held, rbac.All.String())
}

// grantAudience returns the audience of a token for c: the audience
// parameters (repeated, or one space-separated) and the RFC 8707 resource
// parameters (each an absolute URI without fragment), each of which must
// be one of c's audiences or the default audience, else invalid_target.
// Without any, the default audience (RFC 9068 §3).
func (s *Server) grantAudience(c *client, form url.Values) ([]string, error) {
	var requested []string
	if a := form["audience"]; len(a) == 1 {
		requested = spaceList(a[0])
	} else {
		for _, v := range a {
			if v = strings.TrimSpace(v); v != "" {
				requested = append(requested, v)
			}
		}
	}
	for _, r := range form["resource"] {
		if u, err := url.Parse(r); err != nil || !u.IsAbs() || !accounts.ValidAudience(r) {
			return nil, invalidTarget(fmt.Sprintf("The resource '%s' is not an absolute URI without a fragment.", echo(r)))
		}
	}
	var granted []string
	for _, a := range append(requested, form["resource"]...) {
		switch {
		case a == "" || slices.Contains(granted, a):
			continue
		case !accounts.ValidAudience(a):
			return nil, invalidTarget(fmt.Sprintf("The audience '%s' is not valid: a URI must be absolute, without a fragment (RFC 8707 section 2).", echo(a)))
		case a != s.cfg.DefaultAudience && !slices.Contains(c.cred.Account.AllowedAudiences, a):
			return nil, invalidTarget(fmt.Sprintf("The audience or resource '%s' is not allowed for this client.", echo(a)))
		}
		granted = append(granted, a)
	}
	if len(granted) == 0 {
		granted = []string{s.cfg.DefaultAudience}
	}
	return granted, nil
}

// spaceList splits a space-delimited parameter (RFC 6749 §3.3) into its
// values, trimmed, without empty ones.
func spaceList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, " ") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// fail turns err into the *Error to send, logging internal errors.
func (s *Server) fail(err error) error {
	e, internal := toError(err)
	if internal {
		s.log.Error("token request", "err", err)
	}
	return e
}
