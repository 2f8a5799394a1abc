package rbac

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamd/iamd/storage"
)

// MaxNameLen bounds display names of organizations and accounts.
const MaxNameLen = 100

// Service applies the organization rules on top of a Store.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store; now is the clock.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// CreateRoot creates the root of the organization tree. It returns
// storage.ErrConflict if a root already exists.
func (s *Service) CreateRoot(ctx context.Context, id, name, by string) (Org, error) {
	return s.create(ctx, Org{ID: id, Name: name}, by)
}

// CreateOrg creates an organization under parentID, or under the root when
// parentID is empty.
func (s *Service) CreateOrg(ctx context.Context, id, name, parentID, by string) (Org, error) {
	if parentID == "" {
		root, err := s.Root(ctx)
		if err != nil {
			return Org{}, err
		}
		parentID = root.ID
	}
	if _, err := s.GetOrg(ctx, parentID); err != nil {
		return Org{}, fmt.Errorf("parent %w", err)
	}
	return s.create(ctx, Org{ID: id, Name: name, ParentID: parentID}, by)
}

func (s *Service) create(ctx context.Context, o Org, by string) (Org, error) {
	if !ValidID(o.ID) {
		return Org{}, storage.Errorf(storage.ErrInvalid, "organization id %s: must be %s", storage.Quote(o.ID), IDRule)
	}
	if o.Name == "" {
		o.Name = o.ID
	}
	if err := CheckName("organization name", o.Name); err != nil {
		return Org{}, err
	}
	now := storage.Time(s.now())
	o.CreatedAt, o.UpdatedAt, o.CreatedBy = now, now, by
	if err := s.store.CreateOrg(ctx, o); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			if o.ParentID == "" {
				return Org{}, storage.Errorf(storage.ErrConflict, "the root organization already exists")
			}
			return Org{}, storage.Errorf(storage.ErrConflict, "organization %s already exists", storage.Quote(o.ID))
		}
		return Org{}, fmt.Errorf("create organization %s: %w", storage.Quote(o.ID), err)
	}
	return o, nil
}

// GetOrg returns the organization with that ID.
func (s *Service) GetOrg(ctx context.Context, id string) (Org, error) {
	o, err := s.store.GetOrg(ctx, id)
	if err != nil {
		return Org{}, fmt.Errorf("organization %s: %w", storage.Quote(id), err)
	}
	return o, nil
}

// ListOrgs returns every organization ordered by ID.
func (s *Service) ListOrgs(ctx context.Context) ([]Org, error) {
	return s.store.ListOrgs(ctx, "")
}

// Root returns the root organization; storage.ErrNotFound before init.
func (s *Service) Root(ctx context.Context) (Org, error) {
	orgs, err := s.store.ListOrgs(ctx, "")
	if err != nil {
		return Org{}, err
	}
	for _, o := range orgs {
		if o.ParentID == "" {
			return o, nil
		}
	}
	return Org{}, fmt.Errorf("root organization: %w (run iamd init)", storage.ErrNotFound)
}

// RenameOrg changes an organization's display name.
func (s *Service) RenameOrg(ctx context.Context, id, name string) (Org, error) {
	if err := CheckName("organization name", name); err != nil {
		return Org{}, err
	}
	var out Org
	err := s.store.UpdateOrg(ctx, id, func(o Org) (Org, error) {
		o.Name = name
		o.UpdatedAt = storage.Time(s.now())
		out = o
		return o, nil
	})
	if err != nil {
		return Org{}, fmt.Errorf("organization %s: %w", storage.Quote(id), err)
	}
	return out, nil
}

// DeleteOrg deletes an organization that nothing refers to any more.
func (s *Service) DeleteOrg(ctx context.Context, id string) error {
	err := s.store.DeleteOrg(ctx, id)
	if errors.Is(err, storage.ErrConflict) {
		return storage.Errorf(storage.ErrConflict, "organization %s still has child organizations, accounts or role assignments", storage.Quote(id))
	}
	if err != nil {
		return fmt.Errorf("organization %s: %w", storage.Quote(id), err)
	}
	return nil
}

// Assign gives role to subjectID on orgID.
func (s *Service) Assign(ctx context.Context, subjectID, role, orgID, by string) error {
	return s.store.AddRoleAssignment(ctx, RoleAssignment{
		SubjectID: subjectID, RoleID: role, On: Scope{OrgID: orgID, Subtree: true},
		CreatedAt: storage.Time(s.now()), CreatedBy: by,
	})
}

// HasRole reports whether the subject holds role on any organization.
func (s *Service) HasRole(ctx context.Context, subjectID, role string) (bool, error) {
	as, err := s.store.ListRoleAssignments(ctx, subjectID)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.RoleID == role {
			return true, nil
		}
	}
	return false, nil
}

// CheckName returns a storage.ErrInvalid error unless name is a usable
// display name: 1 to MaxNameLen characters on one line.
func CheckName(field, name string) error {
	if name == "" {
		return storage.Errorf(storage.ErrInvalid, "%s must not be empty", field)
	}
	return CheckText(field, name, MaxNameLen, false)
}

// CheckText returns a storage.ErrInvalid error unless s is valid UTF-8 of at
// most max characters without control characters; multiline text may hold
// newlines and tabs.
func CheckText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return storage.Errorf(storage.ErrInvalid, "%s must be at most %d characters of UTF-8 text", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return storage.Errorf(storage.ErrInvalid, "%s must not contain control characters", field)
		}
	}
	return nil
}
