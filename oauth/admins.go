package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

// Admins authenticates callers of the management API: they present an
// access token this server issued for ManagementAudience, checked exactly
// as a resource server checks one, and its account must be active and hold
// rbac.AdminRole. The account and role are read at every call, so archiving
// an admin locks it out at once rather than when its token expires.
type Admins struct {
	verifier *resource.Verifier
	accounts *accounts.Service
	orgs     *rbac.Service
}

// Admins returns the authenticator of management API callers.
func (s *Server) Admins(orgs *rbac.Service) *Admins {
	return &Admins{verifier: s.Verifier(), accounts: s.accounts, orgs: orgs}
}

// Authenticate returns the client ID of the admin holding token. Errors wrap
// resource.ErrInvalidToken when the token is not good for the management
// API, and storage.ErrForbidden when its account is not an admin.
func (a *Admins) Authenticate(ctx context.Context, token string) (string, error) {
	claims, err := a.verifier.Verify(token, ManagementAudience)
	if err != nil {
		return "", err
	}
	acct, err := a.accounts.Get(ctx, claims.Subject)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) || (err == nil && !acct.ArchivedAt.IsZero()) {
		return "", fmt.Errorf("%w: its account no longer exists or is archived", resource.ErrInvalidToken)
	}
	if err != nil {
		return "", err
	}
	admin, err := a.orgs.HasRole(ctx, acct.ID, rbac.AdminRole)
	if err != nil {
		return "", err
	}
	if !admin {
		return "", storage.Errorf(storage.ErrForbidden, "the management API requires the %s role", rbac.AdminRole)
	}
	return claims.Subject, nil
}
