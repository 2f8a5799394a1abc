package rbac

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/storage"
)

// MaxPairs bounds the pairs of a group.
const MaxPairs = 200

var (
	readGroups   = Right{PermGroups, OpRead}
	writeGroups  = Right{PermGroups, OpWrite}
	deleteGroups = Right{PermGroups, OpDelete}
)

type groupView struct {
	Ref         string   `json:"group"`
	Description string   `json:"description"`
	Roles       []string `json:"roles"`
}

// PairRef is a group pair as users name it: ORG/ROLE on a scope.
type PairRef struct {
	Role string
	On   Scope
}

func (p PairRef) String() string { return p.Role + "@" + p.On.String() }

// GroupView is a group with its pairs named by role reference.
type GroupView struct {
	Group
	Roles []PairRef
}

func (s *Service) viewGroup(ctx context.Context, g Group) (GroupView, error) {
	v := GroupView{Group: g, Roles: []PairRef{}}
	for _, p := range g.Pairs {
		r, err := s.store.GetRole(ctx, p.RoleID)
		if err != nil {
			return GroupView{}, fmt.Errorf("group %s: role %s: %w", g.Ref(), p.RoleID, err)
		}
		v.Roles = append(v.Roles, PairRef{Role: r.Ref(), On: p.On})
	}
	slices.SortFunc(v.Roles, func(a, b PairRef) int { return strings.Compare(a.String(), b.String()) })
	return v, nil
}

func auditGroup(v GroupView) groupView {
	out := groupView{Ref: v.Ref(), Description: v.Description, Roles: []string{}}
	for _, p := range v.Roles {
		out.Roles = append(out.Roles, p.String())
	}
	return out
}

// CreateGroup creates an empty group; it requires iam.groups write on its
// organization.
func (s *Service) CreateGroup(ctx context.Context, a Actor, orgID, name, description string) (GroupView, error) {
	if !ValidID(name) {
		return GroupView{}, storage.Errorf(storage.ErrInvalid, "group name %s: must be %s", storage.Quote(name), IDRule)
	}
	if err := CheckText("description", description, MaxDescriptionLen, true); err != nil {
		return GroupView{}, err
	}
	if err := a.Need(orgID, writeGroups); err != nil {
		return GroupView{}, err
	}
	var v GroupView
	err := s.change(ctx, func(ctx context.Context) error {
		if _, err := s.LookupOrg(ctx, orgID); err != nil {
			return err
		}
		now := storage.Time(s.now())
		g := Group{ID: newID(), OrgID: orgID, Name: name, Description: description, Pairs: []Pair{},
			CreatedAt: now, CreatedBy: a.ID, UpdatedAt: now}
		if err := s.store.CreateGroup(ctx, g); err != nil {
			return conflict(err, "create group", "group %s already exists", storage.Quote(g.Ref()))
		}
		v = GroupView{Group: g, Roles: []PairRef{}}
		return s.record(ctx, a, "group.create", orgID, g.Ref(), nil, auditGroup(v))
	})
	return v, err
}

// groupFor returns the group ORG/NAME names once the actor holds right on
// ORG: checked first, so a refusal does not tell whether the group exists.
func (s *Service) groupFor(ctx context.Context, a Actor, ref string, right Right) (Group, error) {
	orgID, _, err := ParseRef("group", ref)
	if err != nil {
		return Group{}, err
	}
	if err := a.Need(orgID, right); err != nil {
		return Group{}, err
	}
	return s.groupByRef(ctx, ref)
}

func (s *Service) groupByRef(ctx context.Context, ref string) (Group, error) {
	orgID, name, err := ParseRef("group", ref)
	if err != nil {
		return Group{}, err
	}
	g, err := s.store.GetGroupByName(ctx, orgID, name)
	if err != nil {
		return Group{}, notFound("group "+storage.Quote(ref), err)
	}
	return g, nil
}

// GetGroup returns a group; it requires iam.groups read on its
// organization.
func (s *Service) GetGroup(ctx context.Context, a Actor, ref string) (GroupView, error) {
	g, err := s.groupFor(ctx, a, ref, readGroups)
	if err != nil {
		return GroupView{}, err
	}
	return s.viewGroup(ctx, g)
}

// ListGroups returns the groups of orgID, or every group the actor may
// read if orgID is empty.
func (s *Service) ListGroups(ctx context.Context, a Actor, orgID string) ([]GroupView, error) {
	if orgID != "" {
		if err := a.Need(orgID, readGroups); err != nil {
			return nil, err
		}
		if _, err := s.LookupOrg(ctx, orgID); err != nil {
			return nil, err
		}
	}
	groups, err := s.store.ListGroups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []GroupView{}
	for _, g := range groups {
		if !a.Can(g.OrgID, readGroups) {
			continue
		}
		v, err := s.viewGroup(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// DescribeGroup changes a group's description; it requires iam.groups
// write on its organization.
func (s *Service) DescribeGroup(ctx context.Context, a Actor, ref, description string) (GroupView, error) {
	if err := CheckText("description", description, MaxDescriptionLen, true); err != nil {
		return GroupView{}, err
	}
	return s.updateGroup(ctx, a, ref, "group.update", func(g *Group) error {
		g.Description = description
		return nil
	})
}

// AddPair adds a role on a scope to a group; it requires iam.groups write
// on the group's organization. The pair must satisfy the assignment rules
// with the group's organization in the subject's place, as it would for a
// member of that organization; and since every member gains it, the actor
// must hold iam.assignments write and every right of the role on the
// scope.
func (s *Service) AddPair(ctx context.Context, a Actor, ref, roleRef string, on Scope) (GroupView, error) {
	var role Role
	return s.updateGroup(ctx, a, ref, "group.add_role", func(g *Group) error {
		var err error
		if role, err = s.assignable(ctx, roleRef); err != nil {
			return err
		}
		owner, err := s.LookupOrg(ctx, g.OrgID)
		if err != nil {
			return err
		}
		if err := s.checkRules(ctx, owner, role, on.OrgID); err != nil {
			return fmt.Errorf("group %s: %w", g.Ref(), err)
		}
		if err := s.holds(ctx, a, on, append([]Right{assignRight}, role.Rights...)); err != nil {
			return err
		}
		p := Pair{RoleID: role.ID, On: on}
		if slices.ContainsFunc(g.Pairs, func(q Pair) bool { return q.RoleID == p.RoleID && q.On.OrgID == on.OrgID }) {
			return storage.Errorf(storage.ErrConflict, "group %s already holds %s on %s", storage.Quote(g.Ref()), role.Ref(), on.OrgID)
		}
		if len(g.Pairs) >= MaxPairs {
			return storage.Errorf(storage.ErrInvalid, "a group holds at most %d roles", MaxPairs)
		}
		g.Pairs = append(g.Pairs, p)
		return nil
	})
}

// RemovePair removes a role on an organization from a group; it requires
// iam.groups write on the group's organization.
func (s *Service) RemovePair(ctx context.Context, a Actor, ref, roleRef, onOrg string) (GroupView, error) {
	return s.updateGroup(ctx, a, ref, "group.remove_role", func(g *Group) error {
		role, err := s.roleByRef(ctx, roleRef)
		if err != nil {
			return err
		}
		n := len(g.Pairs)
		g.Pairs = slices.DeleteFunc(g.Pairs, func(p Pair) bool { return p.RoleID == role.ID && p.On.OrgID == onOrg })
		if len(g.Pairs) == n {
			return storage.Errorf(storage.ErrNotFound, "group %s does not hold %s on %s", storage.Quote(g.Ref()), role.Ref(), storage.Quote(onOrg))
		}
		return nil
	})
}

func (s *Service) updateGroup(ctx context.Context, a Actor, ref, action string, fn func(*Group) error) (GroupView, error) {
	var out GroupView
	err := s.change(ctx, func(ctx context.Context) error {
		g, err := s.groupFor(ctx, a, ref, writeGroups)
		if err != nil {
			return err
		}
		before, err := s.viewGroup(ctx, g)
		if err != nil {
			return err
		}
		next := g
		next.Pairs = slices.Clone(g.Pairs)
		if err := fn(&next); err != nil {
			return err
		}
		next.UpdatedAt = storage.Time(s.now())
		if err := s.store.UpdateGroup(ctx, g.ID, func(Group) (Group, error) { return next, nil }); err != nil {
			return fmt.Errorf("update group %s: %w", storage.Quote(ref), err)
		}
		if out, err = s.viewGroup(ctx, next); err != nil {
			return err
		}
		return s.record(ctx, a, action, g.OrgID, g.Ref(), auditGroup(before), auditGroup(out))
	})
	return out, err
}

// DeleteGroup deletes a group and its memberships; it requires iam.groups
// delete on its organization.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, ref string) error {
	return s.change(ctx, func(ctx context.Context) error {
		g, err := s.groupFor(ctx, a, ref, deleteGroups)
		if err != nil {
			return err
		}
		v, err := s.viewGroup(ctx, g)
		if err != nil {
			return err
		}
		if err := s.store.DeleteGroup(ctx, g.ID); err != nil {
			return fmt.Errorf("delete group %s: %w", storage.Quote(ref), err)
		}
		return s.record(ctx, a, "group.delete", g.OrgID, g.Ref(), auditGroup(v), nil)
	})
}

// Members returns the memberships of a group; it requires iam.groups read
// on its organization.
func (s *Service) Members(ctx context.Context, a Actor, ref string) ([]Membership, error) {
	g, err := s.groupFor(ctx, a, ref, readGroups)
	if err != nil {
		return nil, err
	}
	return s.store.ListMembers(ctx, g.ID)
}
