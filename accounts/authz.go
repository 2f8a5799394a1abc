package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// subject returns the account as the assignment rules see it.
func (s *Service) subject(ctx context.Context, clientID string) (rbac.Subject, error) {
	a, err := s.Lookup(ctx, clientID)
	if err != nil {
		return rbac.Subject{}, err
	}
	org, err := s.orgs.LookupOrg(ctx, a.OrgID)
	if err != nil {
		return rbac.Subject{}, err
	}
	return rbac.Subject{ID: a.ID, Kind: rbac.SubjectAccount, Name: s.ids.Of(a), Org: org, System: a.System}, nil
}

// AssignRole gives the account a role (ORG/NAME) on each scope, under the
// rules of rbac.Service.AssignRole.
func (s *Service) AssignRole(ctx context.Context, actor rbac.Actor, clientID, role string, on []rbac.Scope) error {
	sub, err := s.subject(ctx, clientID)
	if err != nil {
		return err
	}
	return s.orgs.AssignRole(ctx, actor, sub, role, on)
}

// UnassignRole takes a role on an organization away from the account.
func (s *Service) UnassignRole(ctx context.Context, actor rbac.Actor, clientID, role, onOrg string) error {
	sub, err := s.subject(ctx, clientID)
	if err != nil {
		return err
	}
	return s.orgs.UnassignRole(ctx, actor, sub, role, onOrg)
}

// JoinGroup makes the account a member of a group (ORG/NAME).
func (s *Service) JoinGroup(ctx context.Context, actor rbac.Actor, clientID, group string) error {
	sub, err := s.subject(ctx, clientID)
	if err != nil {
		return err
	}
	return s.orgs.Join(ctx, actor, sub, group)
}

// LeaveGroup removes the account from a group.
func (s *Service) LeaveGroup(ctx context.Context, actor rbac.Actor, clientID, group string) error {
	sub, err := s.subject(ctx, clientID)
	if err != nil {
		return err
	}
	return s.orgs.Leave(ctx, actor, sub, group)
}

// Rights returns the account's effective rights, with where each comes from
// and the grants that are inactive, and why; it requires iam.assignments
// read on the account's organization.
func (s *Service) Rights(ctx context.Context, actor rbac.Actor, clientID string) (Account, *rbac.Rights, error) {
	a, err := s.Lookup(ctx, clientID)
	if err != nil {
		return Account{}, nil, err
	}
	sub, err := s.subject(ctx, clientID)
	if err != nil {
		return Account{}, nil, err
	}
	r, err := s.orgs.RightsOf(ctx, actor, sub)
	return a, r, err
}

// Move moves the account to another organization. Its client ID changes
// with it, so the old one stops working at once; its keys, assignments and
// groups stay, and its rights are computed afresh at its next token, the
// assignments whose rules no longer hold becoming inactive. It requires
// iam.service-accounts write on both organizations.
func (s *Service) Move(ctx context.Context, actor rbac.Actor, clientID, orgID string) (Account, error) {
	a, err := s.lookupFor(ctx, actor, clientID, writeAccounts)
	if err != nil {
		return Account{}, err
	}
	if err := actor.Need(orgID, writeAccounts); err != nil {
		return Account{}, err
	}
	if a.System {
		return Account{}, storage.Errorf(storage.ErrForbidden, "%s is a system account and cannot be moved", storage.Quote(clientID))
	}
	if a.OrgID == orgID {
		return Account{}, storage.Errorf(storage.ErrInvalid, "%s already belongs to %s", storage.Quote(clientID), storage.Quote(orgID))
	}
	var out Account
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		// The account's organization decides which of its assignments
		// hold: the move takes its turn with changes of the model.
		if err := s.orgs.LockAuthz(ctx); err != nil {
			return err
		}
		if _, err := s.orgs.LookupOrg(ctx, orgID); err != nil {
			return err
		}
		before, err := s.orgs.SubjectRights(ctx, a.ID)
		if err != nil {
			return err
		}
		err = s.store.UpdateAccount(ctx, a.ID, func(stored Account) (Account, error) {
			stored.OrgID = orgID
			stored.UpdatedAt = storage.Time(s.now())
			out = stored
			return stored, nil
		})
		if errors.Is(err, storage.ErrConflict) {
			return storage.Errorf(storage.ErrConflict, "account %s already exists", storage.Quote(s.ids.Of(out)))
		}
		if err != nil {
			return fmt.Errorf("move account %s: %w", storage.Quote(clientID), err)
		}
		// Its assignments are checked against its new organization: some
		// may wake up. Nobody grants what they do not hold, by a move
		// either.
		after, err := s.orgs.SubjectRights(ctx, a.ID)
		if err != nil {
			return err
		}
		if err := actor.NeedGains(before, after); err != nil {
			return fmt.Errorf("moving %s would give it rights: %w", storage.Quote(clientID), err)
		}
		// Under both organizations: auditors of either see the account
		// leave or arrive.
		for _, org := range []string{a.OrgID, orgID} {
			if err := s.audit.Record(ctx, actor.ID, "account.move", org, s.ids.Of(out), s.view(a), s.view(out)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	s.usage.overlayAccount(&out)
	return out, nil
}
