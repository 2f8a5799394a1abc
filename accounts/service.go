package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Limits on what admins may configure.
const (
	MaxDescriptionLen = 1000
	MaxLabelLen       = 100
	// MaxKeys is the most keys, of any status, an account may have.
	MaxKeys = 10
	// MaxSearchLen bounds ListOptions.Search, in characters.
	MaxSearchLen = 100
)

// Service applies the service-account rules on top of a Store. Every
// operation checks the actor's rights on the account's organization
// (iam.service-accounts, iam.keys, iam.assignments) and every change is
// recorded in the audit log, in the change's transaction.
type Service struct {
	store Store
	tx    storage.Transactor
	orgs  *rbac.Service
	ids   ClientIDs
	audit *audit.Log
	usage *UsageRecorder
	now   func() time.Time
	// pruned is when expired assertion IDs were last pruned, in Unix
	// nanoseconds.
	pruned atomic.Int64
}

// NewService returns a Service; changes are audited in the log of orgs.
// usage may be nil, in which case successful authentications are not
// recorded.
func NewService(store Store, tx storage.Transactor, orgs *rbac.Service, ids ClientIDs, usage *UsageRecorder, now func() time.Time) *Service {
	return &Service{store: store, tx: tx, orgs: orgs, ids: ids, audit: orgs.Audit(), usage: usage, now: now}
}

// Rights on accounts.
var (
	readAccounts    = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpRead}
	writeAccounts   = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpWrite}
	archiveAccounts = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpArchive}
	deleteAccounts  = rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpDelete}
	readKeys        = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpRead}
	writeKeys       = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpWrite}
	deleteKeys      = rbac.Right{Permission: rbac.PermKeys, Operation: rbac.OpDelete}
)

// accountView is an account as the audit log records it.
type accountView struct {
	ClientID         string   `json:"client_id"`
	Org              string   `json:"org"`
	DisplayName      string   `json:"display_name"`
	Description      string   `json:"description"`
	Status           string   `json:"status"`
	AllowedAudiences []string `json:"allowed_audiences"`
	// OwnerID is the owner's internal ID, not its name: names of deleted
	// users are taken again, so only the ID says who owned the account
	// when the record was written, and accounts need not look users up.
	OwnerID string `json:"owner_id,omitempty"`
}

func (s *Service) view(a Account) accountView {
	return accountView{ClientID: s.ids.Of(a), Org: a.OrgID, DisplayName: a.DisplayName,
		Description: a.Description, Status: a.Status(), AllowedAudiences: a.AllowedAudiences, OwnerID: a.OwnerID}
}

func (s *Service) record(ctx context.Context, actor rbac.Actor, action string, a Account, before, after any) error {
	return s.audit.Record(ctx, actor.ID, action, a.OrgID, s.ids.Of(a), before, after)
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
	// OwnerID is the internal ID of the user who owns the account, if
	// any (see users.Service.Lookup).
	OwnerID string
	// System marks an account created by iamd itself.
	System bool
}

// Create creates an account with no key and no role; it requires
// iam.service-accounts write on its organization.
func (s *Service) Create(ctx context.Context, actor rbac.Actor, in NewAccount) (Account, error) {
	if !rbac.ValidID(in.Name) {
		return Account{}, storage.Errorf(storage.ErrInvalid, "account id %s: must be %s", storage.Quote(in.Name), rbac.IDRule)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Name
	}
	a := Account{
		ID: newID(), OrgID: in.OrgID, Name: in.Name, System: in.System,
		DisplayName: in.DisplayName, Description: in.Description,
		AllowedAudiences: orEmpty(in.AllowedAudiences), OwnerID: in.OwnerID, CreatedBy: actor.ID,
	}
	if err := checkAccount(a); err != nil {
		return Account{}, err
	}
	if err := actor.Need(in.OrgID, writeAccounts); err != nil {
		return Account{}, err
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.orgs.LookupOrg(ctx, in.OrgID); err != nil {
			return err
		}
		now := storage.Time(s.now())
		a.CreatedAt, a.UpdatedAt = now, now
		if err := s.store.CreateAccount(ctx, a); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return storage.Errorf(storage.ErrConflict, "account %s already exists", storage.Quote(s.ids.Of(a)))
			}
			return fmt.Errorf("create account %s: %w", storage.Quote(s.ids.Of(a)), err)
		}
		return s.record(ctx, actor, "account.create", a, nil, s.view(a))
	})
	if err != nil {
		return Account{}, err
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

// Lookup returns the account with that client ID, checking no right: for
// authentication and other services.
func (s *Service) Lookup(ctx context.Context, clientID string) (Account, error) {
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

// Get returns the account with that client ID; it requires
// iam.service-accounts read on its organization. An account the actor may
// not read is reported forbidden only once it is known to exist.
func (s *Service) Get(ctx context.Context, actor rbac.Actor, clientID string) (Account, error) {
	return s.lookupFor(ctx, actor, clientID, readAccounts)
}

// lookupFor returns the account if actor holds right on its organization.
func (s *Service) lookupFor(ctx context.Context, actor rbac.Actor, clientID string, right rbac.Right) (Account, error) {
	a, err := s.Lookup(ctx, clientID)
	if err != nil {
		return Account{}, err
	}
	if err := actor.Need(a.OrgID, right); err != nil {
		return Account{}, err
	}
	return a, nil
}

// List returns a page of the accounts the actor may read (it holds
// iam.service-accounts read on their organization).
func (s *Service) List(ctx context.Context, actor rbac.Actor, opts ListOptions) ([]Account, error) {
	switch opts.Status {
	case "", StatusActive, StatusArchived:
	default:
		return nil, storage.Errorf(storage.ErrInvalid, "status must be %q or %q", StatusActive, StatusArchived)
	}
	if err := rbac.CheckText("search", opts.Search, MaxSearchLen, false); err != nil {
		return nil, err
	}
	if opts.OrgID != "" {
		if err := actor.Need(opts.OrgID, readAccounts); err != nil {
			return nil, err
		}
		if _, err := s.orgs.LookupOrg(ctx, opts.OrgID); err != nil {
			return nil, err
		}
	} else if ids, all := actor.Visible(readAccounts); !all {
		opts.OrgIDs = orEmpty(ids)
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
	// OwnerID gives the account to that user; "" leaves it without an
	// owner.
	OwnerID *string
}

// Update changes an account's names, description, allowed audiences or
// owner; it
// requires iam.service-accounts write. The change applies to tokens
// requested afterwards, whatever key they use.
func (s *Service) Update(ctx context.Context, actor rbac.Actor, clientID string, ch Changes) (Account, error) {
	return s.update(ctx, actor, clientID, writeAccounts, "account.update", func(_ context.Context, a Account) (Account, error) {
		if ch.DisplayName != nil {
			a.DisplayName = *ch.DisplayName
		}
		if ch.Description != nil {
			a.Description = *ch.Description
		}
		if ch.AllowedAudiences != nil {
			a.AllowedAudiences = orEmpty(*ch.AllowedAudiences)
		}
		if ch.OwnerID != nil {
			a.OwnerID = *ch.OwnerID
		}
		return a, checkAccount(a)
	})
}

// Archive archives an account: it can no longer obtain tokens, but keeps its
// keys and configuration until restored. It requires iam.service-accounts
// archive.
func (s *Service) Archive(ctx context.Context, actor rbac.Actor, clientID string) (Account, error) {
	return s.ArchiveRevoking(ctx, actor, clientID, false)
}

// ArchiveRevoking archives an account as Archive does and, if
// revokeTokens, revokes every token it was issued, in the same transaction
// (see RevokeTokensOf).
func (s *Service) ArchiveRevoking(ctx context.Context, actor rbac.Actor, clientID string, revokeTokens bool) (Account, error) {
	return s.update(ctx, actor, clientID, archiveAccounts, "account.archive", func(ctx context.Context, a Account) (Account, error) {
		if a.ArchivedAt.IsZero() {
			a.ArchivedAt = storage.Time(s.now())
		}
		if revokeTokens {
			if _, err := s.cutoff(ctx, actor, a, ""); err != nil {
				return a, err
			}
		}
		return a, nil
	})
}

// Restore brings an archived account back; it requires
// iam.service-accounts archive.
func (s *Service) Restore(ctx context.Context, actor rbac.Actor, clientID string) (Account, error) {
	return s.update(ctx, actor, clientID, archiveAccounts, "account.restore", func(_ context.Context, a Account) (Account, error) {
		a.ArchivedAt = time.Time{}
		return a, nil
	})
}

func (s *Service) update(ctx context.Context, actor rbac.Actor, clientID string, right rbac.Right, action string, fn func(context.Context, Account) (Account, error)) (Account, error) {
	a, err := s.lookupFor(ctx, actor, clientID, right)
	if err != nil {
		return Account{}, err
	}
	var out Account
	var ruleErr error
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		var before Account
		err := s.store.UpdateAccount(ctx, a.ID, func(a Account) (Account, error) {
			if a.System {
				ruleErr = storage.Errorf(storage.ErrForbidden, "%s is a system account and cannot be changed", storage.Quote(clientID))
				return a, ruleErr
			}
			before = a
			if a, ruleErr = fn(ctx, a); ruleErr != nil {
				return a, ruleErr
			}
			a.UpdatedAt = storage.Time(s.now())
			out = a
			return a, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, actor, action, out, s.view(before), s.view(out))
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

// Delete deletes an account, its keys and its assignments; it requires
// iam.service-accounts delete. It cannot be undone.
func (s *Service) Delete(ctx context.Context, actor rbac.Actor, clientID string) error {
	a, err := s.lookupFor(ctx, actor, clientID, deleteAccounts)
	if err != nil {
		return err
	}
	if a.System {
		return storage.Errorf(storage.ErrForbidden, "%s is a system account and cannot be deleted", storage.Quote(clientID))
	}
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.DeleteAccount(ctx, a.ID); err != nil {
			return fmt.Errorf("delete account %s: %w", storage.Quote(clientID), err)
		}
		// The account's tokens die with it, on resource servers too: once
		// it is gone nothing could name it for a cutoff, and its client ID
		// may soon name another.
		if _, err := s.addCutoff(ctx, a.ID, "", cutoffTime(s.now()), actor.ID); err != nil {
			return err
		}
		return s.record(ctx, actor, "account.delete", a, s.view(a), nil)
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
