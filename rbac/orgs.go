package rbac

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/storage"
)

// Rights on organizations.
var (
	readOrgs   = Right{PermOrganizations, OpRead}
	writeOrgs  = Right{PermOrganizations, OpWrite}
	deleteOrgs = Right{PermOrganizations, OpDelete}
)

// orgView is an organization as the audit log records it.
type orgView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
}

func viewOrg(o Org) orgView { return orgView{ID: o.ID, Name: o.Name, Parent: o.ParentID} }

// CreateRoot creates the root of the organization tree and the managed
// roles it owns. It returns storage.ErrConflict if a root already exists.
func (s *Service) CreateRoot(ctx context.Context, a Actor, id, name string) (Org, error) {
	if !a.system {
		return Org{}, storage.Errorf(storage.ErrForbidden, "only iamd init creates the root organization")
	}
	var o Org
	err := s.change(ctx, func(ctx context.Context) error {
		var err error
		if o, err = s.create(ctx, a, Org{ID: id, Name: name, Path: ChildPath("", id)}); err != nil {
			return err
		}
		return s.EnsureManagedRoles(ctx)
	})
	return o, err
}

// CreateOrg creates an organization under parentID, or under the root when
// parentID is empty. It requires iam.organizations write on the parent.
func (s *Service) CreateOrg(ctx context.Context, a Actor, id, name, parentID string) (Org, error) {
	var o Org
	err := s.change(ctx, func(ctx context.Context) error {
		parent, err := s.parent(ctx, parentID)
		if err != nil {
			return err
		}
		if err := a.Need(parent.ID, writeOrgs); err != nil {
			return err
		}
		if Depth(parent.Path) >= MaxDepth {
			return storage.Errorf(storage.ErrInvalid, "organization %s is at the maximum depth of %d: it cannot have children", storage.Quote(parent.ID), MaxDepth)
		}
		o, err = s.create(ctx, a, Org{ID: id, Name: name, ParentID: parent.ID, Path: ChildPath(parent.Path, id)})
		return err
	})
	return o, err
}

func (s *Service) parent(ctx context.Context, id string) (Org, error) {
	if id == "" {
		return s.Root(ctx)
	}
	p, err := s.store.GetOrg(ctx, id)
	if err != nil {
		return Org{}, fmt.Errorf("parent organization %s: %w", storage.Quote(id), err)
	}
	return p, nil
}

func (s *Service) create(ctx context.Context, a Actor, o Org) (Org, error) {
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
	o.CreatedAt, o.UpdatedAt, o.CreatedBy = now, now, a.ID
	if err := s.store.CreateOrg(ctx, o); err != nil {
		if errors.Is(err, storage.ErrConflict) && o.ParentID == "" {
			return Org{}, storage.Errorf(storage.ErrConflict, "the root organization already exists")
		}
		return Org{}, conflict(err, "create organization", "organization %s already exists", storage.Quote(o.ID))
	}
	auditOrg := o.ParentID
	if auditOrg == "" {
		auditOrg = o.ID
	}
	return o, s.record(ctx, a, "org.create", auditOrg, o.ID, nil, viewOrg(o))
}

// LookupOrg returns the organization with that ID, for other services;
// it checks no right.
func (s *Service) LookupOrg(ctx context.Context, id string) (Org, error) {
	o, err := s.store.GetOrg(ctx, id)
	if err != nil {
		return Org{}, notFound("organization "+storage.Quote(id), err)
	}
	return o, nil
}

// GetOrg returns the organization with that ID; it requires
// iam.organizations read on it.
func (s *Service) GetOrg(ctx context.Context, a Actor, id string) (Org, error) {
	if err := a.Need(id, readOrgs); err != nil {
		return Org{}, err
	}
	return s.LookupOrg(ctx, id)
}

// ListOrgs returns the organizations the actor may read, in tree order
// (parents before children, see OrgStore.ListOrgs); with under, that
// organization's subtree only, which requires iam.organizations read on
// under.
func (s *Service) ListOrgs(ctx context.Context, a Actor, under string) ([]Org, error) {
	// Checked first, so a refusal does not tell whether under exists.
	if under != "" {
		if err := a.Need(under, readOrgs); err != nil {
			return nil, err
		}
	}
	orgs, err := s.store.ListOrgs(ctx, under)
	if err != nil {
		return nil, notFound("organization "+storage.Quote(under), err)
	}
	out := orgs[:0]
	for _, o := range orgs {
		if a.Can(o.ID, readOrgs) {
			out = append(out, o)
		}
	}
	return out, nil
}

// Root returns the root organization; storage.ErrNotFound before init.
func (s *Service) Root(ctx context.Context) (Org, error) {
	orgs, err := s.store.ListOrgs(ctx, "")
	if err != nil {
		return Org{}, err
	}
	if len(orgs) == 0 || orgs[0].ParentID != "" {
		return Org{}, fmt.Errorf("root organization: %w (run iamd init)", storage.ErrNotFound)
	}
	return orgs[0], nil
}

// RenameOrg changes an organization's display name; it requires
// iam.organizations write on it.
func (s *Service) RenameOrg(ctx context.Context, a Actor, id, name string) (Org, error) {
	if err := a.Need(id, writeOrgs); err != nil {
		return Org{}, err
	}
	if err := CheckName("organization name", name); err != nil {
		return Org{}, err
	}
	var before, after Org
	err := s.change(ctx, func(ctx context.Context) error {
		err := s.store.UpdateOrg(ctx, id, func(o Org) (Org, error) {
			before = o
			o.Name = name
			o.UpdatedAt = storage.Time(s.now())
			after = o
			return o, nil
		})
		if err != nil {
			return notFound("organization "+storage.Quote(id), err)
		}
		return s.record(ctx, a, "org.rename", id, id, viewOrg(before), viewOrg(after))
	})
	return after, err
}

// OrgChanges lists what to change in an organization; nil fields stay.
type OrgChanges struct {
	Name   *string
	Parent *string
}

// UpdateOrg renames and moves an organization in one transaction: both or
// neither (see RenameOrg and MoveOrg for the rights each needs).
func (s *Service) UpdateOrg(ctx context.Context, a Actor, id string, ch OrgChanges) (Org, error) {
	var out Org
	err := s.change(ctx, func(ctx context.Context) error {
		var err error
		if ch.Parent != nil {
			if out, err = s.MoveOrg(ctx, a, id, *ch.Parent); err != nil {
				return err
			}
		}
		if ch.Name != nil {
			if out, err = s.RenameOrg(ctx, a, id, *ch.Name); err != nil {
				return err
			}
		}
		if ch.Parent == nil && ch.Name == nil {
			out, err = s.GetOrg(ctx, a, id)
		}
		return err
	})
	return out, err
}

// MoveOrg moves an organization, with its subtree, under a new parent. It
// requires iam.organizations write on the organization and on the new
// parent, and refuses to move the root, or an organization under itself or
// one of its descendants. Assignments whose rules no longer hold after the
// move become inactive (see Compute).
func (s *Service) MoveOrg(ctx context.Context, a Actor, id, parentID string) (Org, error) {
	if err := a.Need(id, writeOrgs); err != nil {
		return Org{}, err
	}
	if err := a.Need(parentID, writeOrgs); err != nil {
		return Org{}, err
	}
	var out Org
	err := s.change(ctx, func(ctx context.Context) error {
		o, err := s.LookupOrg(ctx, id)
		if err != nil {
			return err
		}
		parent, err := s.parent(ctx, parentID)
		if err != nil {
			return err
		}
		if err := checkMove(o, parent); err != nil {
			return err
		}
		// Moving takes the subtree from its parent: that changes it too.
		if err := a.Need(o.ParentID, writeOrgs); err != nil {
			return err
		}
		if err := checkMoveRights(a, o, parent); err != nil {
			return err
		}
		subtree, err := s.store.ListOrgs(ctx, id)
		if err != nil {
			return err
		}
		deepest := 0
		for _, d := range subtree {
			deepest = max(deepest, Depth(d.Path)-Depth(o.Path))
		}
		if Depth(parent.Path)+1+deepest > MaxDepth {
			return storage.Errorf(storage.ErrInvalid, "moving %s under %s would make the tree deeper than %d organizations", storage.Quote(id), storage.Quote(parent.ID), MaxDepth)
		}
		if err := s.store.MoveOrg(ctx, id, parent.ID, storage.Time(s.now())); err != nil {
			return fmt.Errorf("move organization %s: %w", storage.Quote(id), err)
		}
		if out, err = s.LookupOrg(ctx, id); err != nil {
			return err
		}
		// Both parents see the move in their audit log.
		if err := s.record(ctx, a, "org.move", o.ParentID, id, viewOrg(o), viewOrg(out)); err != nil {
			return err
		}
		return s.record(ctx, a, "org.move", parent.ID, id, viewOrg(o), viewOrg(out))
	})
	return out, err
}

// checkMoveRights refuses a move to anyone but who holds every right on
// the whole tree. Moving an organization changes what every role held
// above its new place covers, for every subject, through subtrees and
// perimeters alike: only one who holds everything everywhere can make such
// a change without granting what they do not hold.
func checkMoveRights(a Actor, o, parent Org) error {
	root := RootOf(parent.Path)
	if a.system || a.rights.AllowsSubtree(ChildPath("", root), All) {
		return nil
	}
	return fmt.Errorf("moving %s under %s changes what roles held above it cover: %w", o.ID, parent.ID,
		&MissingRight{Org: root, Right: All, Subtree: true})
}

func checkMove(o, parent Org) error {
	switch {
	case o.ParentID == "":
		return storage.Errorf(storage.ErrInvalid, "the root organization cannot be moved")
	case o.Contains(parent):
		return storage.Errorf(storage.ErrInvalid, "cannot move %s under %s: it is %s or one of its descendants", storage.Quote(o.ID), storage.Quote(parent.ID), o.ID)
	}
	return nil
}

// DeleteOrg deletes an organization that nothing refers to any more; it
// requires iam.organizations delete on it.
func (s *Service) DeleteOrg(ctx context.Context, a Actor, id string) error {
	if err := a.Need(id, deleteOrgs); err != nil {
		return err
	}
	return s.change(ctx, func(ctx context.Context) error {
		o, err := s.LookupOrg(ctx, id)
		if err != nil {
			return err
		}
		if o.ParentID == "" {
			return storage.Errorf(storage.ErrConflict, "the root organization cannot be deleted")
		}
		if err := s.store.DeleteOrg(ctx, id); err != nil {
			return conflict(err, "delete organization", "organization %s is not empty: it still has child organizations, accounts, roles, groups or assignments, or is in a role's perimeter", storage.Quote(id))
		}
		return s.record(ctx, a, "org.delete", o.ParentID, id, viewOrg(o), nil)
	})
}
