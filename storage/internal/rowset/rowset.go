// Package rowset assembles authorization records from the rows of a single
// statement that returns rows of several kinds (a UNION ALL of one SELECT per
// kind), as both storage backends read roles, groups and grants: one
// statement is one round trip and one consistent snapshot, without the
// cross product a join of a role's rights and perimeter would be.
//
// Every kind fills the same columns: a kind name, six strings, a flag and
// two times; each backend scans them into a Row and the Set puts the records
// together, so both backends assemble them alike.
package rowset

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/iamd/iamd/rbac"
)

// Row kinds, and what each fills.
const (
	// Org: S = id, name, parent ID, path, created by; T1 created, T2
	// updated.
	Org = "org"
	// Grant: S = role ID, organization, group ID ("" if direct); Flag
	// subtree.
	Grant = "grant"
	// Role: S = id, organization, name, description, kind, created by;
	// T1 created, T2 updated.
	Role = "role"
	// Right: S = role ID, permission, operation.
	Right = "right"
	// Perimeter: S = role ID, organization; Flag subtree.
	Perimeter = "perimeter"
	// Group: S = id, organization, name, description, created by; T1
	// created, T2 updated.
	Group = "group"
	// Pair: S = group ID, role ID, organization; Flag subtree.
	Pair = "pair"
	// Path: S = organization, path.
	Path = "path"
)

// Row is one row as scanned.
type Row struct {
	Kind   string
	S      [6]string
	Flag   bool
	T1, T2 time.Time
}

// Set collects rows. The zero Set is empty and ready.
type Set struct {
	org       *rbac.Org
	grants    []rbac.Grant
	roles     map[string]*rbac.Role
	rights    map[string][]rbac.Right
	perimeter map[string][]rbac.Scope
	groups    map[string]*rbac.Group
	pairs     map[string][]rbac.Pair
	paths     map[string]string
}

// Add adds a row; an unknown kind is an error.
func (s *Set) Add(r Row) error {
	v := r.S
	switch r.Kind {
	case Org:
		s.org = &rbac.Org{ID: v[0], Name: v[1], ParentID: v[2], Path: v[3], CreatedBy: v[4], CreatedAt: r.T1, UpdatedAt: r.T2}
	case Grant:
		s.grants = append(s.grants, rbac.Grant{RoleID: v[0], On: rbac.Scope{OrgID: v[1], Subtree: r.Flag}, GroupID: v[2]})
	case Role:
		put(&s.roles, v[0], &rbac.Role{ID: v[0], OrgID: v[1], Name: v[2], Description: v[3], Kind: v[4], CreatedBy: v[5], CreatedAt: r.T1, UpdatedAt: r.T2})
	case Right:
		appendTo(&s.rights, v[0], rbac.Right{Permission: v[1], Operation: v[2]})
	case Perimeter:
		appendTo(&s.perimeter, v[0], rbac.Scope{OrgID: v[1], Subtree: r.Flag})
	case Group:
		put(&s.groups, v[0], &rbac.Group{ID: v[0], OrgID: v[1], Name: v[2], Description: v[3], CreatedBy: v[4], CreatedAt: r.T1, UpdatedAt: r.T2})
	case Pair:
		appendTo(&s.pairs, v[0], rbac.Pair{RoleID: v[1], On: rbac.Scope{OrgID: v[2], Subtree: r.Flag}})
	case Path:
		put(&s.paths, v[0], v[1])
	default:
		return fmt.Errorf("unknown row kind %q", r.Kind)
	}
	return nil
}

func put[V any](m *map[string]V, k string, v V) {
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[k] = v
}

func appendTo[V any](m *map[string][]V, k string, v V) {
	if *m == nil {
		*m = map[string][]V{}
	}
	(*m)[k] = append((*m)[k], v)
}

// Roles returns the roles, ordered by organization then name, each with its
// rights (sorted; All for the bootstrap role, which stores none) and its
// perimeter (sorted by organization).
func (s *Set) Roles() []rbac.Role {
	out := make([]rbac.Role, 0, len(s.roles))
	for _, r := range s.roles {
		out = append(out, s.role(r))
	}
	slices.SortFunc(out, func(a, b rbac.Role) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (s *Set) role(r *rbac.Role) rbac.Role {
	out := *r
	if out.Kind == rbac.KindBootstrap {
		out.Rights = []rbac.Right{rbac.All}
	} else {
		out.Rights = rbac.SortRights(append([]rbac.Right{}, s.rights[r.ID]...))
	}
	out.Perimeter = append([]rbac.Scope{}, s.perimeter[r.ID]...)
	slices.SortFunc(out.Perimeter, func(a, b rbac.Scope) int { return cmp.Compare(a.OrgID, b.OrgID) })
	return out
}

// Groups returns the groups, ordered by organization then name, each with
// its pairs sorted by role ID then organization.
func (s *Set) Groups() []rbac.Group {
	out := make([]rbac.Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, s.group(g))
	}
	slices.SortFunc(out, func(a, b rbac.Group) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (s *Set) group(g *rbac.Group) rbac.Group {
	out := *g
	out.Pairs = append([]rbac.Pair{}, s.pairs[g.ID]...)
	slices.SortFunc(out.Pairs, func(a, b rbac.Pair) int {
		return cmp.Or(cmp.Compare(a.RoleID, b.RoleID), cmp.Compare(a.On.OrgID, b.On.OrgID))
	})
	return out
}

// Grants returns the grants of a subject; ok is false without an Org row,
// which is how a statement says the subject does not exist. Grants are
// ordered direct ones first, then by group, role and organization; groups
// have no pairs.
func (s *Set) Grants() (g rbac.Grants, ok bool) {
	if s.org == nil {
		return rbac.Grants{}, false
	}
	g = rbac.Grants{
		Org:    *s.org,
		Grants: append([]rbac.Grant{}, s.grants...),
		Roles:  make(map[string]rbac.Role, len(s.roles)),
		Groups: make(map[string]rbac.Group, len(s.groups)),
		Paths:  maps.Clone(s.paths),
	}
	if g.Paths == nil {
		g.Paths = map[string]string{}
	}
	slices.SortFunc(g.Grants, func(a, b rbac.Grant) int {
		return cmp.Or(cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(a.RoleID, b.RoleID), cmp.Compare(a.On.OrgID, b.On.OrgID))
	})
	for id, r := range s.roles {
		g.Roles[id] = s.role(r)
	}
	for id, gr := range s.groups {
		g.Groups[id] = s.group(gr)
	}
	return g, true
}
