package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

// Endpoint paths of introspection (RFC 7662) and revocation (RFC 7009),
// relative to the issuer URL.
const (
	IntrospectionPath = "/oauth2/introspect"
	RevocationPath    = "/oauth2/revoke"
)

// Error codes of introspection and revocation.
const (
	// CodeUnauthorizedClient answers a revocation of another account's
	// token by a client without the right to (RFC 7009 §2.1 refuses it
	// with an RFC 6749 §5.2 error; Ory Hydra answers the same).
	CodeUnauthorizedClient = "unauthorized_client"
	// CodeAccessDenied answers an introspection by a client holding no
	// right to introspect.
	CodeAccessDenied = "access_denied"
)

// Introspection is an introspection response (RFC 7662 §2.2). An inactive
// token gets {"active": false} and nothing else.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	ID        string   `json:"jti,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	// Org and Account are iamd's claims: the organization of the account
	// and its internal ID.
	Org     string `json:"org,omitempty"`
	Account string `json:"acct,omitempty"`
}

var (
	inactive        = &Introspection{}
	errIntrospector = &Error{Code: CodeAccessDenied, Status: http.StatusForbidden,
		Description: "Introspection requires the right iam.tokens:read on some organization."}
	errRevoker = &Error{Code: CodeUnauthorizedClient, Status: http.StatusBadRequest,
		Description: "Revoking another account's token requires the right iam.tokens:write on its organization."}
)

// Introspect answers an introspection request (RFC 7662 §2). The caller
// authenticates as at the token endpoint, under the same throttles, and
// must hold iam.tokens read somewhere. A token is active when this server
// issued it, it verifies now, it is not revoked, its account exists and
// is not archived, and the caller holds iam.tokens read on the account's
// organization: otherwise the answer is {"active": false}, whatever the
// reason, so that callers learn nothing of tokens they may not see.
// Errors are *Error values ready to be sent.
func (s *Server) Introspect(ctx context.Context, r TokenRequest) (*Introspection, error) {
	c, token, err := s.tokenCaller(ctx, r)
	if err != nil {
		return nil, err
	}
	actor := rbac.NewActor(c.id, c.rights)
	if !accounts.MayIntrospectAny(actor) {
		return nil, errIntrospector
	}
	s.accounts.Used(c.cred)
	claims, err := s.Verifier().Verify(token, "")
	// The verifier's leeway is for resource servers' clocks; here the
	// issuer's own clock says whether the token is still valid (RFC 7662
	// §2.2).
	if now := s.now().Unix(); err != nil || claims.Expiry <= now || claims.NotBefore > now {
		return inactive, nil
	}
	// The account that holds the token's client ID now, if it is the one
	// the token was issued to, as the management API requires: a token
	// outliving its account, or its account's move, is not another's.
	a, err := s.accounts.Lookup(ctx, claims.Subject)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) ||
		err == nil && (a.ID != claims.Account || !a.ArchivedAt.IsZero() || !accounts.MayIntrospect(actor, a.OrgID)) {
		return inactive, nil
	}
	if err != nil {
		return nil, s.fail(err)
	}
	revoked, err := s.accounts.TokenRevoked(ctx, tokenOf(claims))
	if err != nil {
		return nil, s.fail(err)
	}
	if revoked {
		return inactive, nil
	}
	return &Introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, Subject: claims.Subject,
		Audience: claims.Audience, Issuer: claims.Issuer, Expiry: claims.Expiry, IssuedAt: claims.IssuedAt,
		NotBefore: claims.NotBefore, ID: claims.ID, TokenType: "Bearer", Org: claims.Org, Account: claims.Account,
	}, nil
}

// Revoke answers a revocation request (RFC 7009 §2). The caller
// authenticates as at the token endpoint; it may revoke the tokens of its
// own account, and others' if it holds iam.tokens write on their
// organization (else unauthorized_client). A token this server cannot
// verify (malformed, expired, foreign) needs no revoking and is answered
// as revoked (§2.2), and so is one revoked already. Errors are *Error
// values ready to be sent.
func (s *Server) Revoke(ctx context.Context, r TokenRequest) error {
	c, token, err := s.tokenCaller(ctx, r)
	if err != nil {
		return err
	}
	s.accounts.Used(c.cred)
	claims, err := s.Verifier().Verify(token, "")
	if err != nil {
		return nil
	}
	err = s.accounts.RevokeToken(ctx, rbac.NewActor(c.id, c.rights), tokenOf(claims))
	var missing *rbac.MissingRight
	if errors.As(err, &missing) {
		s.log.Info("token revocation refused", "client_id", c.id, "jti", claims.ID, "reason", err.Error())
		return errRevoker
	}
	if err != nil {
		return s.fail(err)
	}
	s.log.Info("token revoked", "client_id", c.id, "jti", claims.ID, "owner", claims.Subject)
	return nil
}

// tokenCaller parses an introspection or revocation request, authenticates
// its client and returns it with the token parameter.
func (s *Server) tokenCaller(ctx context.Context, r TokenRequest) (*client, string, error) {
	form, err := parseForm(r)
	if err != nil {
		return nil, "", err
	}
	if len(form["token"]) > 1 {
		return nil, "", InvalidRequest("Parameter 'token' is included more than once.")
	}
	c, err := s.authenticate(ctx, r.Authorization, form, r.ClientAddr)
	if err != nil {
		return nil, "", s.fail(err)
	}
	token := form.Get("token")
	if token == "" {
		return nil, "", InvalidRequest("The token parameter is required.")
	}
	return c, token, nil
}

// tokenOf returns the verified token as the accounts service sees it.
func tokenOf(c *resource.Claims) accounts.Token {
	return accounts.Token{
		ID: c.ID, AccountID: c.Account, KeyID: c.Key, ClientID: c.Subject, OrgID: c.Org,
		IssuedAt: time.Unix(c.IssuedAt, 0), ExpiresAt: time.Unix(c.Expiry, 0),
	}
}

// RevokeAs revokes token for actor, a caller of the management API, under
// the rules of accounts.Service.RevokeToken, and returns it. Errors wrap
// resource.ErrInvalidToken when this server cannot verify the token now
// (malformed, foreign, expired): there is nothing to revoke.
func (s *Server) RevokeAs(ctx context.Context, actor rbac.Actor, token string) (accounts.Token, error) {
	claims, err := s.Verifier().Verify(token, "")
	if err != nil {
		return accounts.Token{}, err
	}
	t := tokenOf(claims)
	return t, s.accounts.RevokeToken(ctx, actor, t)
}
