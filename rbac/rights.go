package rbac

import (
	"fmt"
	"slices"
	"strings"
)

// AnyOrg stands for every organization, present and future, in effective
// rights: a role held on the root with its subtree.
const AnyOrg = "*"

// Source says where an effective right, or an inactive grant, comes from.
type Source struct {
	// Role is the role's reference, ORG/NAME.
	Role string
	// Group is the group's reference if the role comes through one.
	Group string
	// On is the scope the role was assigned on.
	On Scope
}

func (s Source) String() string {
	out := s.Role + " on " + s.On.String()
	if s.Group != "" {
		out += " through group " + s.Group
	}
	return out
}

// Effective is an organization × permission × operation triple a subject
// holds, with its source. Org is AnyOrg for the whole tree.
type Effective struct {
	Org    string
	Right  Right
	Source Source
}

// Inactive is a grant that yields no right, and why.
type Inactive struct {
	Source Source
	// Rule is the seed-003 rule that fails: 1, 2 or 3, or 0 when the
	// subject's own organization is outside the role's perimeter.
	Rule   int
	Reason string
	// Err is the broken rule in full when Rule is not 0, for those who
	// explain it in words of their own.
	Err *RuleError
}

// Rights are a subject's effective rights. They are not changed once
// computed, so goroutines may share them.
type Rights struct {
	// Inactive lists the grants whose rules no longer hold.
	Inactive []Inactive
	// Roles are the active roles, each once with the scopes it is held
	// on, "ORG/ROLE@SCOPE,SCOPE" as in "acme/viewer@billing,sales/*", and
	// Groups the subject's groups (ORG/NAME), sorted: the roles and groups
	// claims of its tokens.
	Roles, Groups []string

	index  map[string][]Right  // by organization
	held   map[string][]string // the scopes each active role is held on
	active []activeGrant
}

// activeGrant is a grant that holds: its role's rights on its
// organizations, and on every organization, present or future, under the
// paths of subtrees.
type activeGrant struct {
	src      Source
	orgs     []string
	rights   []Right
	subtrees []string
}

// Effective lists every triple with its source, sorted by organization,
// right, then source. Tokens need only where each right holds (Allows,
// ByOrg): the list, thousands long for a big account, is built for those
// who show it.
func (r *Rights) Effective() []Effective {
	out := []Effective{}
	for _, g := range r.active {
		for _, org := range g.orgs {
			for _, right := range g.rights {
				out = append(out, Effective{Org: org, Right: right, Source: g.src})
			}
		}
	}
	slices.SortFunc(out, compareEffective)
	return out
}

// Sources returns where each active grant comes from, in the order of the
// grants: a role held on a scope both directly and through groups has one
// source for each. Unlike Effective's, they include the grants that give
// no right (a role without rights).
func (r *Rights) Sources() []Source {
	out := make([]Source, len(r.active))
	for i, g := range r.active {
		out[i] = g.src
	}
	return out
}

// ByOrg returns the rights held on each organization, AnyOrg included; the
// caller must not change it.
func (r *Rights) ByOrg() map[string][]Right { return r.index }

// Held returns the scopes ("ORG" or "ORG/*") each active role ("ORG/ROLE")
// is held on, sorted.
func (r *Rights) Held() map[string][]string { return r.held }

// Allows reports whether the rights hold right on org.
func (r *Rights) Allows(org string, right Right) bool {
	if r == nil {
		return false
	}
	for _, o := range []string{org, AnyOrg} {
		for _, have := range r.index[o] {
			if have.Covers(right) {
				return true
			}
		}
	}
	return false
}

// Distinct returns every right held somewhere, sorted: the scope a token
// carries when none is requested.
func (r *Rights) Distinct() []Right {
	var out []Right
	for _, rs := range r.index {
		out = append(out, rs...)
	}
	return SortRights(out)
}

// Orgs returns the organizations on which right is held; all is true when
// it is held on every organization.
func (r *Rights) Orgs(right Right) (ids []string, all bool) {
	for org, rs := range r.index {
		if !slices.ContainsFunc(rs, func(have Right) bool { return have.Covers(right) }) {
			continue
		}
		if org == AnyOrg {
			return nil, true
		}
		ids = append(ids, org)
	}
	slices.Sort(ids)
	return ids, false
}

// Compute derives effective rights from grants, checking the rules of seed
// 003 again for each grant, so that a grant that held when it was made but
// no longer does (the subject moved, a perimeter narrowed) is reported
// inactive rather than silently honoured:
//
//  1. the role is owned by the subject's organization or an ancestor;
//  2. the assigned organization is the subject's or a descendant;
//  3. the assigned organization is in the role's perimeter;
//
// and a role takes effect only if the subject's own organization is in its
// perimeter. A grant with Subtree covers the assigned organization and every
// descendant in the role's perimeter; on the root, with a perimeter holding
// the whole tree, it is written AnyOrg.
func Compute(g Grants) *Rights {
	r := &Rights{Inactive: []Inactive{}, Roles: []string{}, Groups: []string{}, index: map[string][]Right{}}
	subject := g.Org
	root := RootOf(subject.Path)
	roles := map[string][]string{}
	for _, gr := range g.Grants {
		role, ok := g.Roles[gr.RoleID]
		if !ok {
			continue
		}
		src := Source{Role: role.Ref(), On: gr.On}
		if grp, ok := g.Groups[gr.GroupID]; ok {
			src.Group = grp.Ref()
		}
		orgs, in := covered(subject, role, gr.On, root, g.Paths)
		if in != nil {
			in.Source = src
			r.Inactive = append(r.Inactive, *in)
			continue
		}
		if on := gr.On.String(); !slices.Contains(roles[role.Ref()], on) {
			roles[role.Ref()] = append(roles[role.Ref()], on)
		}
		r.active = append(r.active, activeGrant{src: src, orgs: orgs, rights: role.Rights,
			subtrees: subtrees(role, gr.On, g.Paths)})
		for _, org := range orgs {
			for _, right := range role.Rights {
				if !slices.Contains(r.index[org], right) {
					r.index[org] = append(r.index[org], right)
				}
			}
		}
	}
	for _, grp := range g.Groups {
		r.Groups = append(r.Groups, grp.Ref())
	}
	for ref, on := range roles {
		slices.Sort(on)
		r.Roles = append(r.Roles, ref+"@"+strings.Join(on, ","))
	}
	r.held = roles
	slices.Sort(r.Groups)
	slices.Sort(r.Roles)
	slices.SortFunc(r.Inactive, func(a, b Inactive) int { return compareSources(a.Source, b.Source) })
	return r
}

func compareEffective(a, b Effective) int {
	if c := strings.Compare(a.Org, b.Org); c != 0 {
		return c
	}
	if c := compareRights(a.Right, b.Right); c != 0 {
		return c
	}
	return compareSources(a.Source, b.Source)
}

func compareSources(a, b Source) int {
	if c := strings.Compare(a.Role, b.Role); c != 0 {
		return c
	}
	if c := strings.Compare(a.On.String(), b.On.String()); c != 0 {
		return c
	}
	return strings.Compare(a.Group, b.Group)
}

// covered returns the organizations a grant of role on scope reaches for
// subject, or why it reaches none.
func covered(subject Org, role Role, on Scope, root string, paths map[string]string) ([]string, *Inactive) {
	if err := CheckRules(subject, role, on.OrgID, paths); err != nil {
		return nil, &Inactive{Rule: err.Rule, Reason: err.Reason, Err: err}
	}
	if !inScope(subject.Path, role.Perimeter, paths) {
		return nil, &Inactive{Reason: fmt.Sprintf("the subject's organization %s is outside the perimeter of role %s", subject.ID, role.Ref())}
	}
	if !on.Subtree {
		return []string{on.OrgID}, nil
	}
	if on.OrgID == root && slices.Contains(role.Perimeter, Scope{OrgID: root, Subtree: true}) {
		// Every organization, those created later included, and the
		// perimeter holds them all: the root's subtree is in it.
		return []string{AnyOrg}, nil
	}
	base := paths[on.OrgID]
	var orgs []string
	for id, p := range paths {
		if Within(p, base) && inScope(p, role.Perimeter, paths) {
			orgs = append(orgs, id)
		}
	}
	slices.Sort(orgs)
	return orgs, nil
}

// subtrees returns the paths of the subtrees a grant of role on scope
// covers whole, organizations created there later included: the scope's
// own if the perimeter holds all of it, else those of the perimeter's
// subtree entries inside it.
func subtrees(role Role, on Scope, paths map[string]string) []string {
	if !on.Subtree {
		return nil
	}
	base := paths[on.OrgID]
	var out []string
	for _, p := range role.Perimeter {
		if !p.Subtree {
			continue
		}
		switch entry := paths[p.OrgID]; {
		case Within(base, entry):
			return []string{base}
		case Within(entry, base):
			out = append(out, entry)
		}
	}
	return out
}

// AllowsSubtree reports whether the rights hold right on the organization
// at path and on every descendant it has or will have.
func (r *Rights) AllowsSubtree(path string, right Right) bool {
	if r == nil {
		return false
	}
	for _, g := range r.active {
		if !slices.ContainsFunc(g.rights, func(have Right) bool { return have.Covers(right) }) {
			continue
		}
		for _, s := range g.subtrees {
			if Within(path, s) {
				return true
			}
		}
	}
	return false
}

// Subtrees calls fn for each right held on a whole subtree, with the
// subtree's path.
func (r *Rights) Subtrees(fn func(path string, right Right)) {
	for _, g := range r.active {
		for _, s := range g.subtrees {
			for _, right := range g.rights {
				fn(s, right)
			}
		}
	}
}

// Restrict returns the rights narrowed to those granted: what a token
// whose scope granted them may do. Held through the wildcard, a granted
// right is held as the wildcard was.
func (r *Rights) Restrict(granted []Right) *Rights {
	if slices.Contains(granted, All) {
		return r
	}
	out := &Rights{Inactive: r.Inactive, Roles: r.Roles, Groups: r.Groups, held: r.held, index: map[string][]Right{}}
	for _, g := range r.active {
		var kept []Right
		for _, want := range granted {
			if slices.ContainsFunc(g.rights, func(have Right) bool { return have.Covers(want) }) {
				kept = append(kept, want)
			}
		}
		if len(kept) == 0 {
			continue
		}
		g.rights = kept
		out.active = append(out.active, g)
		for _, org := range g.orgs {
			for _, right := range kept {
				if !slices.Contains(out.index[org], right) {
					out.index[org] = append(out.index[org], right)
				}
			}
		}
	}
	return out
}

// RuleError is a refused assignment: the rule of seed 003 that fails,
// with what a page needs to explain it in the reader's language.
type RuleError struct {
	// Rule is 1, 2 or 3.
	Rule   int
	Reason string
	// Role is the role's reference, ORG/NAME, and RoleOrg the
	// organization that owns it.
	Role, RoleOrg string
	// SubjectOrg is the subject's organization, TargetOrg the one the
	// role was to be assigned on.
	SubjectOrg, TargetOrg string
	// Perimeter is the role's perimeter.
	Perimeter []Scope
}

func (e *RuleError) Error() string { return fmt.Sprintf("rule %d: %s", e.Rule, e.Reason) }

// CheckRules checks the three assignment rules of seed 003 for giving role
// to a subject of organization subject on organization on; paths holds the
// paths of the role's owner, of on and of the perimeter entries.
func CheckRules(subject Org, role Role, on string, paths map[string]string) *RuleError {
	owner, onPath := paths[role.OrgID], paths[on]
	var rule int
	var reason string
	switch {
	case !Within(subject.Path, owner):
		rule, reason = 1, fmt.Sprintf("role %s is owned by %s, which is neither the subject's organization %s nor one of its ancestors", role.Ref(), role.OrgID, subject.ID)
	case !Within(onPath, subject.Path):
		rule, reason = 2, fmt.Sprintf("organization %s is neither the subject's organization %s nor one of its descendants", on, subject.ID)
	case !inScope(onPath, role.Perimeter, paths):
		rule, reason = 3, fmt.Sprintf("organization %s is outside the perimeter of role %s", on, role.Ref())
	default:
		// The token path checks every grant: nothing allocated when
		// the rules hold.
		return nil
	}
	return &RuleError{Rule: rule, Reason: reason, Role: role.Ref(), RoleOrg: role.OrgID,
		SubjectOrg: subject.ID, TargetOrg: on, Perimeter: slices.Clone(role.Perimeter)}
}
