package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Limits on what admins may configure.
const (
	MaxDescriptionLen = 1000
	MaxLabelLen       = 100
	// MaxKeys is the most keys, of any status, an account may have.
	MaxKeys = 10
)

// Service applies the service-account rules on top of a Store.
type Service struct {
	store Store
	tx    storage.Transactor
	orgs  *rbac.Service
	ids   ClientIDs
	usage *UsageRecorder
	now   func() time.Time
}

// NewService returns a Service. usage may be nil, in which case successful
// authentications are not recorded.
func NewService(store Store, tx storage.Transactor, orgs *rbac.Service, ids ClientIDs, usage *UsageRecorder, now func() time.Time) *Service {
	return &Service{store: store, tx: tx, orgs: orgs, ids: ids, usage: usage, now: now}
}

// ClientIDs returns the client ID scheme in use.
func (s *Service) ClientIDs() ClientIDs { return s.ids }

// NewAccount describes an account to create.
type NewAccount struct {
	OrgID            string
	Name             string
	DisplayName      string
	Description      string
	AllowedAudiences []string
	// System marks an account created by iamd itself.
	System bool
}

// Create creates an account with no key.
func (s *Service) Create(ctx context.Context, in NewAccount, by string) (Account, error) {
	if !rbac.ValidID(in.Name) {
		return Account{}, storage.Errorf(storage.ErrInvalid, "account id %s: must be %s", storage.Quote(in.Name), rbac.IDRule)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Name
	}
	a := Account{
		ID: newID(), OrgID: in.OrgID, Name: in.Name, System: in.System,
		DisplayName: in.DisplayName, Description: in.Description,
		AllowedAudiences: orEmpty(in.AllowedAudiences),
		CreatedBy:        by,
	}
	if err := checkAccount(a); err != nil {
		return Account{}, err
	}
	if _, err := s.orgs.GetOrg(ctx, in.OrgID); err != nil {
		return Account{}, err
	}
	now := storage.Time(s.now())
	a.CreatedAt, a.UpdatedAt = now, now
	if err := s.store.CreateAccount(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return Account{}, storage.Errorf(storage.ErrConflict, "account %s already exists", storage.Quote(s.ids.Of(a)))
		}
		return Account{}, fmt.Errorf("create account %s: %w", storage.Quote(s.ids.Of(a)), err)
	}
	return a, nil
}

func checkAccount(a Account) error {
	if err := rbac.CheckName("display name", a.DisplayName); err != nil {
		return err
	}
	if err := rbac.CheckText("description", a.Description, MaxDescriptionLen, true); err != nil {
		return err
	}
	return CheckAudiences(a.AllowedAudiences)
}

// Get returns the account with that client ID.
func (s *Service) Get(ctx context.Context, clientID string) (Account, error) {
	orgID, name, ok := s.ids.Parse(clientID)
	if !ok {
		return Account{}, storage.Errorf(storage.ErrInvalid, "%s is not a client id (want <account>@<org>%s)", storage.Quote(clientID), s.ids.suffix)
	}
	a, err := s.store.GetAccountByName(ctx, orgID, name)
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", storage.Quote(clientID), err)
	}
	s.usage.overlayAccount(&a)
	return a, nil
}

// List returns a page of accounts.
func (s *Service) List(ctx context.Context, opts ListOptions) ([]Account, error) {
	switch opts.Status {
	case "", StatusActive, StatusArchived:
	default:
		return nil, storage.Errorf(storage.ErrInvalid, "status must be %q or %q", StatusActive, StatusArchived)
	}
	if opts.OrgID != "" {
		if _, err := s.orgs.GetOrg(ctx, opts.OrgID); err != nil {
			return nil, err
		}
	}
	if opts.Limit <= 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "page size must be positive")
	}
	as, err := s.store.ListAccounts(ctx, opts)
	if err != nil {
		return nil, err
	}
	for i := range as {
		s.usage.overlayAccount(&as[i])
	}
	return as, nil
}

// Changes lists the account fields to update; nil fields stay as they are.
type Changes struct {
	DisplayName      *string
	Description      *string
	AllowedAudiences *[]string
}

// Update changes an account's names, description or allowed audiences. The change applies to tokens requested afterwards, whatever key
// they use.
func (s *Service) Update(ctx context.Context, clientID string, ch Changes) (Account, error) {
	return s.update(ctx, clientID, func(a Account) (Account, error) {
		if ch.DisplayName != nil {
			a.DisplayName = *ch.DisplayName
		}
		if ch.Description != nil {
			a.Description = *ch.Description
		}
		if ch.AllowedAudiences != nil {
			a.AllowedAudiences = orEmpty(*ch.AllowedAudiences)
		}
		return a, checkAccount(a)
	})
}

// Archive archives an account: it can no longer obtain tokens, but keeps its
// keys and configuration until restored.
func (s *Service) Archive(ctx context.Context, clientID string) (Account, error) {
	return s.update(ctx, clientID, func(a Account) (Account, error) {
		if a.ArchivedAt.IsZero() {
			a.ArchivedAt = storage.Time(s.now())
		}
		return a, nil
	})
}

// Restore brings an archived account back.
func (s *Service) Restore(ctx context.Context, clientID string) (Account, error) {
	return s.update(ctx, clientID, func(a Account) (Account, error) {
		a.ArchivedAt = time.Time{}
		return a, nil
	})
}

func (s *Service) update(ctx context.Context, clientID string, fn func(Account) (Account, error)) (Account, error) {
	a, err := s.Get(ctx, clientID)
	if err != nil {
		return Account{}, err
	}
	var out Account
	var ruleErr error
	err = s.store.UpdateAccount(ctx, a.ID, func(a Account) (Account, error) {
		if a.System {
			ruleErr = storage.Errorf(storage.ErrForbidden, "%s is a system account and cannot be changed", storage.Quote(clientID))
			return a, ruleErr
		}
		if a, ruleErr = fn(a); ruleErr != nil {
			return a, ruleErr
		}
		a.UpdatedAt = storage.Time(s.now())
		out = a
		return a, nil
	})
	if ruleErr != nil {
		return Account{}, ruleErr
	}
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", storage.Quote(clientID), err)
	}
	s.usage.overlayAccount(&out)
	return out, nil
}

// Delete deletes an account and all its keys. It cannot be undone.
func (s *Service) Delete(ctx context.Context, clientID string) error {
	a, err := s.Get(ctx, clientID)
	if err != nil {
		return err
	}
	if a.System {
		return storage.Errorf(storage.ErrForbidden, "%s is a system account and cannot be deleted", storage.Quote(clientID))
	}
	if err := s.store.DeleteAccount(ctx, a.ID); err != nil {
		return fmt.Errorf("delete account %s: %w", storage.Quote(clientID), err)
	}
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
