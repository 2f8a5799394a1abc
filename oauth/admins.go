package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

// Admins authenticates callers of the management API: they present an
// access token this server issued for ManagementAudience, checked exactly
// as a resource server checks one. The caller's account and rights are read
// at every call, not taken from the token: archiving an account, or taking
// a role away from it, takes effect at once rather than when its token
// expires.
type Admins struct {
	s *Server
}

// Admins returns the authenticator of management API callers.
func (s *Server) Admins() *Admins { return &Admins{s: s} }

// Authenticate returns the caller holding token, with its effective
// rights as of now, narrowed to those the token's scope grants. Errors
// wrap resource.ErrInvalidToken when the token is not good for the
// management API: not this server's, expired, revoked, or its account gone
// or archived.
func (a *Admins) Authenticate(ctx context.Context, token string) (rbac.Actor, error) {
	claims, err := a.s.Verifier().Verify(token, ManagementAudience)
	if err != nil {
		return rbac.Actor{}, err
	}
	acct, err := a.s.accounts.Lookup(ctx, claims.Subject)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) || (err == nil && !acct.ArchivedAt.IsZero()) {
		return rbac.Actor{}, fmt.Errorf("%w: its account no longer exists or is archived", resource.ErrInvalidToken)
	}
	if err != nil {
		return rbac.Actor{}, err
	}
	// A token outliving its account must not act as another that holds
	// the client ID now, created or moved there since.
	if claims.Account != acct.ID {
		return rbac.Actor{}, fmt.Errorf("%w: issued to another account of that client ID", resource.ErrInvalidToken)
	}
	// One indexed query: the jti, and the cutoffs of its account and key.
	revoked, err := a.s.accounts.TokenRevoked(ctx, tokenOf(claims))
	if err != nil {
		return rbac.Actor{}, err
	}
	if revoked {
		return rbac.Actor{}, fmt.Errorf("%w: revoked", resource.ErrInvalidToken)
	}
	rights, err := a.s.orgs.SubjectRights(ctx, acct.ID)
	if err != nil {
		return rbac.Actor{}, err
	}
	// A token asked for with a narrow scope is as narrow on the API.
	var granted []rbac.Right
	for _, sc := range claims.Scopes() {
		if sc == rbac.All.String() {
			granted = append(granted, rbac.All)
		} else if r, err := rbac.ParseRight(sc); err == nil {
			granted = append(granted, r)
		}
	}
	return rbac.NewActor(claims.Subject, rights.Restrict(granted)), nil
}
