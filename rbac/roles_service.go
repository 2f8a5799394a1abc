package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/storage"
)

// Limits on roles.
const (
	MaxRights    = 200
	MaxPerimeter = 100
)

type roleView struct {
	Ref         string   `json:"role"`
	Description string   `json:"description"`
	Rights      []string `json:"rights"`
	Perimeter   []string `json:"perimeter"`
}

func viewRole(r Role) roleView {
	v := roleView{Ref: r.Ref(), Description: r.Description, Rights: []string{}, Perimeter: []string{}}
	for _, x := range r.Rights {
		v.Rights = append(v.Rights, x.String())
	}
	for _, p := range r.Perimeter {
		v.Perimeter = append(v.Perimeter, p.String())
	}
	return v
}

// NewRole describes a role to create.
type NewRole struct {
	OrgID, Name, Description string
	Rights                   []Right
	// Perimeter defaults to the owner's subtree.
	Perimeter []Scope
}

// EnsureManagedRoles creates the roles iamd ships under the root, or brings
// their rights and descriptions up to date: a release may refine them. It
// runs at init and whenever the database is migrated.
func (s *Service) EnsureManagedRoles(ctx context.Context) error {
	return s.change(ctx, func(ctx context.Context) error {
		root, err := s.Root(ctx)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, want := range ManagedRoles(root.ID, storage.Time(s.now())) {
			err := s.store.UpdateRole(ctx, want.ID, func(r Role) (Role, error) {
				r.Description, r.Rights, r.Perimeter = want.Description, want.Rights, want.Perimeter
				return r, nil
			})
			if errors.Is(err, storage.ErrNotFound) {
				err = s.store.CreateRole(ctx, want)
			}
			if err != nil {
				return fmt.Errorf("managed role %s: %w", want.Name, err)
			}
		}
		return nil
	})
}

// CreateRole creates a role; it requires iam.roles write on the owner.
// Every right must name a catalogued permission, and every perimeter entry
// the owner or one of its descendants: a role can only be assigned there.
func (s *Service) CreateRole(ctx context.Context, a Actor, in NewRole) (Role, error) {
	if !ValidID(in.Name) {
		return Role{}, storage.Errorf(storage.ErrInvalid, "role name %s: must be %s", storage.Quote(in.Name), IDRule)
	}
	if err := CheckText("description", in.Description, MaxDescriptionLen, true); err != nil {
		return Role{}, err
	}
	if err := a.Need(in.OrgID, writeRoles); err != nil {
		return Role{}, err
	}
	var r Role
	err := s.change(ctx, func(ctx context.Context) error {
		owner, err := s.LookupOrg(ctx, in.OrgID)
		if err != nil {
			return err
		}
		if in.Perimeter == nil {
			in.Perimeter = []Scope{{OrgID: owner.ID, Subtree: true}}
		}
		now := storage.Time(s.now())
		r = Role{ID: newID(), OrgID: owner.ID, Name: in.Name, Description: in.Description,
			CreatedAt: now, CreatedBy: a.ID, UpdatedAt: now}
		if r.Rights, err = s.checkRights(ctx, in.Rights); err != nil {
			return err
		}
		if r.Perimeter, err = s.checkPerimeter(ctx, owner, in.Perimeter); err != nil {
			return err
		}
		if err := s.store.CreateRole(ctx, r); err != nil {
			return conflict(err, "create role", "role %s already exists", storage.Quote(r.Ref()))
		}
		return s.record(ctx, a, "role.create", owner.ID, r.Ref(), nil, viewRole(r))
	})
	return r, err
}

func (s *Service) checkRights(ctx context.Context, rights []Right) ([]Right, error) {
	if len(rights) > MaxRights {
		return nil, storage.Errorf(storage.ErrInvalid, "a role holds at most %d rights", MaxRights)
	}
	out := slices.Clone(rights)
	for _, r := range out {
		if !ValidPermission(r.Permission) || !ValidOperation(r.Operation) {
			return nil, storage.Errorf(storage.ErrInvalid, "right %s: want PERMISSION:OPERATION with an operation among %s", storage.Quote(r.String()), strings.Join(Operations, ", "))
		}
		if _, err := s.store.GetPermission(ctx, r.Permission); errors.Is(err, storage.ErrNotFound) {
			return nil, storage.Errorf(storage.ErrInvalid, "permission %s is not in the catalog: register it with iamd permissions create", storage.Quote(r.Permission))
		} else if err != nil {
			return nil, err
		}
	}
	return SortRights(out), nil
}

func (s *Service) checkPerimeter(ctx context.Context, owner Org, perimeter []Scope) ([]Scope, error) {
	if len(perimeter) == 0 || len(perimeter) > MaxPerimeter {
		return nil, storage.Errorf(storage.ErrInvalid, "a perimeter lists 1 to %d organizations", MaxPerimeter)
	}
	out := slices.Clone(perimeter)
	slices.SortFunc(out, func(a, b Scope) int { return strings.Compare(a.OrgID, b.OrgID) })
	for i, p := range out {
		if i > 0 && out[i-1].OrgID == p.OrgID {
			return nil, storage.Errorf(storage.ErrInvalid, "organization %s is listed twice in the perimeter", storage.Quote(p.OrgID))
		}
		o, err := s.LookupOrg(ctx, p.OrgID)
		if err != nil {
			return nil, fmt.Errorf("perimeter: %w", err)
		}
		if !owner.Contains(o) {
			return nil, storage.Errorf(storage.ErrInvalid, "perimeter: %s is neither the role's organization %s nor one of its descendants, so the role could never be assigned there", storage.Quote(o.ID), owner.ID)
		}
	}
	return out, nil
}

// roleFor returns the role ORG/NAME names once the actor holds right on
// ORG: checked first, so a refusal does not tell whether the role exists.
func (s *Service) roleFor(ctx context.Context, a Actor, ref string, right Right) (Role, error) {
	orgID, _, err := ParseRef("role", ref)
	if err != nil {
		return Role{}, err
	}
	if err := a.Need(orgID, right); err != nil {
		return Role{}, err
	}
	return s.roleByRef(ctx, ref)
}

// roleByRef returns the role ORG/NAME names.
func (s *Service) roleByRef(ctx context.Context, ref string) (Role, error) {
	orgID, name, err := ParseRef("role", ref)
	if err != nil {
		return Role{}, err
	}
	r, err := s.store.GetRoleByName(ctx, orgID, name)
	if err != nil {
		return Role{}, notFound("role "+storage.Quote(ref), err)
	}
	return r, nil
}

// GetRole returns the role ORG/NAME names; it requires iam.roles read on
// its owner.
func (s *Service) GetRole(ctx context.Context, a Actor, ref string) (Role, error) {
	return s.roleFor(ctx, a, ref, readRoles)
}

// ListRoles returns the roles owned by orgID, or every role the actor may
// read if orgID is empty.
func (s *Service) ListRoles(ctx context.Context, a Actor, orgID string) ([]Role, error) {
	if orgID != "" {
		if err := a.Need(orgID, readRoles); err != nil {
			return nil, err
		}
		if _, err := s.LookupOrg(ctx, orgID); err != nil {
			return nil, err
		}
	}
	roles, err := s.store.ListRoles(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := roles[:0]
	for _, r := range roles {
		if a.Can(r.OrgID, readRoles) {
			out = append(out, r)
		}
	}
	return out, nil
}

// RoleChanges lists what to change in a role; nil fields stay.
type RoleChanges struct {
	Description *string
	Rights      *[]Right
	Perimeter   *[]Scope
}

// UpdateRole changes a role; it requires iam.roles write on its owner, and
// refuses managed roles. Nobody can grant what they do not hold: when the
// change gives the role new rights, or widens its perimeter, the actor must
// hold every right the role will give on every organization it is assigned
// on, directly or through a group.
func (s *Service) UpdateRole(ctx context.Context, a Actor, ref string, ch RoleChanges) (Role, error) {
	var out Role
	err := s.change(ctx, func(ctx context.Context) error {
		r, err := s.roleFor(ctx, a, ref, writeRoles)
		if err != nil {
			return err
		}
		if !r.Editable() {
			return storage.Errorf(storage.ErrForbidden, "role %s is managed by iamd and cannot be changed", storage.Quote(ref))
		}
		next := r
		if ch.Description != nil {
			if err := CheckText("description", *ch.Description, MaxDescriptionLen, true); err != nil {
				return err
			}
			next.Description = *ch.Description
		}
		if ch.Rights != nil {
			if next.Rights, err = s.checkRights(ctx, *ch.Rights); err != nil {
				return err
			}
		}
		if ch.Perimeter != nil {
			owner, err := s.LookupOrg(ctx, r.OrgID)
			if err != nil {
				return err
			}
			if next.Perimeter, err = s.checkPerimeter(ctx, owner, *ch.Perimeter); err != nil {
				return err
			}
		}
		if err := s.checkGrowth(ctx, a, r, next); err != nil {
			return err
		}
		err = s.store.UpdateRole(ctx, r.ID, func(Role) (Role, error) {
			next.UpdatedAt = storage.Time(s.now())
			return next, nil
		})
		if err != nil {
			return fmt.Errorf("update role %s: %w", storage.Quote(ref), err)
		}
		out = next
		return s.record(ctx, a, "role.update", r.OrgID, r.Ref(), viewRole(r), viewRole(next))
	})
	return out, err
}

// checkGrowth refuses a change that would let the role give, where it is
// used, a right the actor does not hold there.
func (s *Service) checkGrowth(ctx context.Context, a Actor, before, after Role) error {
	widened := slices.ContainsFunc(after.Perimeter, func(p Scope) bool { return !slices.Contains(before.Perimeter, p) })
	var added []Right
	for _, r := range after.Rights {
		if widened || !slices.Contains(before.Rights, r) {
			added = append(added, r)
		}
	}
	if len(added) == 0 {
		return nil
	}
	assignments, groups, err := s.store.RoleUses(ctx, before.ID)
	if err != nil {
		return err
	}
	var scopes []Scope
	for _, as := range assignments {
		scopes = append(scopes, as.On)
	}
	for _, g := range groups {
		for _, p := range g.Pairs {
			if p.RoleID == before.ID {
				scopes = append(scopes, p.On)
			}
		}
	}
	for _, sc := range scopes {
		if err := s.holds(ctx, a, sc, added); err != nil {
			return fmt.Errorf("role %s is assigned on %s: %w", before.Ref(), sc, err)
		}
	}
	return nil
}

// holds returns a MissingRight error unless the actor holds every right on
// the scope: on its organization, or with Subtree on it and on every
// descendant it has or will have, since such a grant reaches organizations
// created later.
func (s *Service) holds(ctx context.Context, a Actor, sc Scope, rights []Right) error {
	var org Org
	if sc.Subtree {
		var err error
		if org, err = s.LookupOrg(ctx, sc.OrgID); err != nil {
			return err
		}
	}
	for _, r := range rights {
		err := a.Need(sc.OrgID, r)
		if sc.Subtree {
			err = a.NeedSubtree(org, r)
		}
		if err != nil {
			return fmt.Errorf("nobody can grant what they do not hold: %w", err)
		}
	}
	return nil
}

// DeleteRole deletes a role; it requires iam.roles delete on its owner and
// refuses managed roles. A role still assigned, or part of a group, is
// deleted only with force, which removes those assignments and pairs too.
func (s *Service) DeleteRole(ctx context.Context, a Actor, ref string, force bool) error {
	return s.change(ctx, func(ctx context.Context) error {
		r, err := s.roleFor(ctx, a, ref, deleteRoles)
		if err != nil {
			return err
		}
		if !r.Editable() {
			return storage.Errorf(storage.ErrForbidden, "role %s is managed by iamd and cannot be deleted", storage.Quote(ref))
		}
		var removed *removedUses
		if force {
			if removed, err = s.removeUses(ctx, a, r); err != nil {
				return err
			}
		}
		if err := s.store.DeleteRole(ctx, r.ID); err != nil {
			return conflict(err, "delete role", "role %s is still assigned or part of a group: unassign it first, or delete with --force to remove those assignments too", storage.Quote(ref))
		}
		type deleted struct {
			roleView
			Removed *removedUses `json:"removed,omitempty"`
		}
		return s.record(ctx, a, "role.delete", r.OrgID, r.Ref(), deleted{viewRole(r), removed}, nil)
	})
}

// removedUses is what a forced DeleteRole removed, as its audit entry
// records it: auditors see which subjects lost the role where, and which
// groups stopped giving it, not just how many.
type removedUses struct {
	Assignments []removedAssignment `json:"assignments"`
	GroupPairs  []removedPair       `json:"group_pairs"`
}

type removedAssignment struct {
	// SubjectID is the internal ID of the subject (its client ID is
	// known to the accounts service only).
	SubjectID string `json:"subject_id"`
	On        string `json:"on"`
}

type removedPair struct {
	Group string `json:"group"`
	On    string `json:"on"`
}

// removeUses removes every assignment and group pair of the role and
// returns them.
func (s *Service) removeUses(ctx context.Context, a Actor, r Role) (*removedUses, error) {
	assignments, groups, err := s.store.RoleUses(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	// Removing them is unassigning: it needs the rights unassigning would.
	out := &removedUses{Assignments: []removedAssignment{}, GroupPairs: []removedPair{}}
	for _, as := range assignments {
		if err := a.Need(as.On.OrgID, assignRight); err != nil {
			return nil, err
		}
		out.Assignments = append(out.Assignments, removedAssignment{SubjectID: as.SubjectID, On: as.On.String()})
	}
	for _, g := range groups {
		if err := a.Need(g.OrgID, writeGroups); err != nil {
			return nil, err
		}
		for _, p := range g.Pairs {
			if p.RoleID == r.ID {
				out.GroupPairs = append(out.GroupPairs, removedPair{Group: g.Ref(), On: p.On.String()})
			}
		}
	}
	if _, _, err := s.store.RemoveRoleUses(ctx, r.ID); err != nil {
		return nil, err
	}
	return out, nil
}
