package rbac

import (
	"context"
	"errors"
	"fmt"

	"github.com/iamd/iamd/storage"
)

var (
	readAssignments = Right{PermAssignments, OpRead}
	assignRight     = Right{PermAssignments, OpWrite}
)

// Unwrap makes a refused assignment a storage.ErrInvalid error: the
// request broke a rule and is not worth retrying as it is.
func (e *RuleError) Unwrap() error { return storage.ErrInvalid }

type assignmentView struct {
	Role  string `json:"role,omitempty"`
	Group string `json:"group,omitempty"`
	On    string `json:"on,omitempty"`
}

// assignable returns the role ORG/NAME names if it may be assigned: the
// bootstrap role may not.
func (s *Service) assignable(ctx context.Context, ref string) (Role, error) {
	r, err := s.roleByRef(ctx, ref)
	if err != nil {
		return Role{}, err
	}
	if r.Kind == KindBootstrap {
		return Role{}, storage.Errorf(storage.ErrForbidden, "role %s belongs to the system admin and cannot be assigned", storage.Quote(ref))
	}
	return r, nil
}

// checkRules checks the three rules of seed 003 for giving role on onOrg to
// a subject of organization subject.
func (s *Service) checkRules(ctx context.Context, subject Org, role Role, onOrg string) error {
	paths := map[string]string{subject.ID: subject.Path}
	ids := []string{role.OrgID, onOrg}
	for _, p := range role.Perimeter {
		ids = append(ids, p.OrgID)
	}
	for _, id := range ids {
		if _, ok := paths[id]; ok {
			continue
		}
		o, err := s.LookupOrg(ctx, id)
		if err != nil {
			return err
		}
		paths[id] = o.Path
	}
	if err := CheckRules(subject, role, onOrg, paths); err != nil {
		return err
	}
	return nil
}

func checkSubject(sub Subject) error {
	if sub.System {
		return storage.Errorf(storage.ErrForbidden, "%s is a system account: it cannot be assigned roles or groups", storage.Quote(sub.Name))
	}
	return nil
}

// AssignRole gives a role to a subject on each scope, all or none. Each
// must satisfy the three rules of seed 003 (a refusal is a *RuleError
// naming the rule), and nobody can grant what they do not hold: the actor
// needs iam.assignments write and every right of the role on the scope.
func (s *Service) AssignRole(ctx context.Context, a Actor, sub Subject, roleRef string, on []Scope) error {
	if err := checkSubject(sub); err != nil {
		return err
	}
	if len(on) == 0 {
		return storage.Errorf(storage.ErrInvalid, "name at least one organization to assign the role on")
	}
	// Checked before the role is looked up, so a refusal does not tell
	// whether it exists.
	for _, sc := range on {
		if err := a.Need(sc.OrgID, assignRight); err != nil {
			return err
		}
	}
	return s.change(ctx, func(ctx context.Context) error {
		role, err := s.assignable(ctx, roleRef)
		if err != nil {
			return err
		}
		for _, sc := range on {
			if err := s.checkRules(ctx, sub.Org, role, sc.OrgID); err != nil {
				return err
			}
			if err := s.holds(ctx, a, sc, append([]Right{assignRight}, role.Rights...)); err != nil {
				return err
			}
			err := s.store.AddRoleAssignment(ctx, RoleAssignment{
				SubjectID: sub.ID, RoleID: role.ID, On: sc,
				CreatedAt: storage.Time(s.now()), CreatedBy: a.ID,
			})
			if err != nil {
				return conflict(err, "assign role", "%s already holds %s on %s", sub.Name, role.Ref(), sc.OrgID)
			}
			after := assignmentView{Role: role.Ref(), On: sc.String()}
			if err := s.record(ctx, a, "assignment.add", sc.OrgID, sub.Name, nil, after); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnassignRole takes a role on an organization away from a subject; it
// requires iam.assignments write there.
func (s *Service) UnassignRole(ctx context.Context, a Actor, sub Subject, roleRef, onOrg string) error {
	if err := checkSubject(sub); err != nil {
		return err
	}
	if err := a.Need(onOrg, assignRight); err != nil {
		return err
	}
	return s.change(ctx, func(ctx context.Context) error {
		role, err := s.roleByRef(ctx, roleRef)
		if err != nil {
			return err
		}
		if err := s.store.RemoveRoleAssignment(ctx, sub.ID, role.ID, onOrg); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return storage.Errorf(storage.ErrNotFound, "%s does not hold %s on %s", sub.Name, role.Ref(), storage.Quote(onOrg))
			}
			return err
		}
		return s.record(ctx, a, "assignment.remove", onOrg, sub.Name, assignmentView{Role: role.Ref(), On: onOrg}, nil)
	})
}

// Join makes a subject a member of a group. Each pair of the group must
// satisfy the three rules for the subject, and the actor must hold
// iam.assignments write and every right of each pair's role on its scope.
func (s *Service) Join(ctx context.Context, a Actor, sub Subject, groupRef string) error {
	if err := checkSubject(sub); err != nil {
		return err
	}
	if err := a.Need(sub.Org.ID, assignRight); err != nil {
		return err
	}
	return s.change(ctx, func(ctx context.Context) error {
		g, err := s.groupByRef(ctx, groupRef)
		if err != nil {
			return err
		}
		for _, p := range g.Pairs {
			role, err := s.store.GetRole(ctx, p.RoleID)
			if err != nil {
				return err
			}
			if err := s.checkRules(ctx, sub.Org, role, p.On.OrgID); err != nil {
				return fmt.Errorf("group %s holds %s on %s: %w", g.Ref(), role.Ref(), p.On, err)
			}
			if err := s.holds(ctx, a, p.On, append([]Right{assignRight}, role.Rights...)); err != nil {
				return fmt.Errorf("group %s holds %s on %s: %w", g.Ref(), role.Ref(), p.On, err)
			}
		}
		err = s.store.AddMembership(ctx, Membership{SubjectID: sub.ID, GroupID: g.ID, CreatedAt: storage.Time(s.now()), CreatedBy: a.ID})
		if err != nil {
			return conflict(err, "join group", "%s is already a member of %s", sub.Name, g.Ref())
		}
		return s.record(ctx, a, "assignment.add", sub.Org.ID, sub.Name, nil, assignmentView{Group: g.Ref()})
	})
}

// Leave removes a subject from a group; it requires iam.assignments write
// on the subject's organization.
func (s *Service) Leave(ctx context.Context, a Actor, sub Subject, groupRef string) error {
	if err := checkSubject(sub); err != nil {
		return err
	}
	if err := a.Need(sub.Org.ID, assignRight); err != nil {
		return err
	}
	return s.change(ctx, func(ctx context.Context) error {
		g, err := s.groupByRef(ctx, groupRef)
		if err != nil {
			return err
		}
		if err := s.store.RemoveMembership(ctx, sub.ID, g.ID); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return storage.Errorf(storage.ErrNotFound, "%s is not a member of %s", sub.Name, g.Ref())
			}
			return err
		}
		return s.record(ctx, a, "assignment.remove", sub.Org.ID, sub.Name, assignmentView{Group: g.Ref()}, nil)
	})
}

// GrantBootstrap gives the bootstrap role, on the whole tree, to a subject
// `iamd init` creates: its system admin account, or the first human admin.
// Only the system actor may, to a subject marked System.
func (s *Service) GrantBootstrap(ctx context.Context, a Actor, sub Subject) error {
	if !a.system || !sub.System {
		return storage.Errorf(storage.ErrForbidden, "the bootstrap role is given by iamd init alone, to its system admin")
	}
	return s.change(ctx, func(ctx context.Context) error {
		root, err := s.Root(ctx)
		if err != nil {
			return err
		}
		on := Scope{OrgID: root.ID, Subtree: true}
		err = s.store.AddRoleAssignment(ctx, RoleAssignment{SubjectID: sub.ID, RoleID: ManagedRoleID(RoleBootstrap), On: on,
			CreatedAt: storage.Time(s.now()), CreatedBy: a.ID})
		if err != nil {
			return fmt.Errorf("grant the bootstrap role: %w", err)
		}
		return s.record(ctx, a, "assignment.add", root.ID, sub.Name, nil, assignmentView{Role: root.ID + "/" + RoleBootstrap, On: on.String()})
	})
}

// SubjectRights computes a subject's effective rights: one store query
// (see Store.LoadGrants) and Compute. It checks no right of its own: the
// token endpoint calls it for the authenticated account.
func (s *Service) SubjectRights(ctx context.Context, subjectID string) (*Rights, error) {
	g, err := s.store.LoadGrants(ctx, subjectID)
	if err != nil {
		return nil, fmt.Errorf("grants of %s: %w", subjectID, err)
	}
	return Compute(g), nil
}

// RightsOf returns a subject's effective rights for an actor, who needs
// iam.assignments read on the subject's organization.
func (s *Service) RightsOf(ctx context.Context, a Actor, sub Subject) (*Rights, error) {
	if err := a.Need(sub.Org.ID, readAssignments); err != nil {
		return nil, err
	}
	return s.SubjectRights(ctx, sub.ID)
}
