package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// assignPages registers the pages of role and group assignments of accounts and users.
func (s *Server) assignPages(r fiber.Router) {
	for _, sub := range []*assignSubject{s.accountSubject(), s.userSubject()} {
		sub := sub
		base := "/" + sub.kind + "/:" + sub.param
		r.Get(base+"/assign", func(c *fiber.Ctx) error { return s.assignForm(c, sub) })
		r.Post(base+"/assign", func(c *fiber.Ctx) error { return s.assignPost(c, sub) })
		r.Post(base+"/unassign", func(c *fiber.Ctx) error { return s.unassignPost(c, sub) })
	}
}

// assignSubject is what the assignment pages need of accounts or users:
// how to find one, and the calls of its service.
type assignSubject struct {
	// kind is the path segment, "accounts" or "users"; param names the
	// subject in the path.
	kind, param string
	// get returns the subject's organization and how pages name it; rights
	// its assignments.
	get          func(ctx context.Context, a rbac.Actor, name string) (org, label string, system bool, err error)
	rights       func(ctx context.Context, a rbac.Actor, name string) (*rbac.Rights, error)
	assignRole   assignRoleFunc
	unassignRole unassignRoleFunc
	join, leave  groupFunc
}

func (s *Server) accountSubject() *assignSubject {
	return &assignSubject{
		kind: "accounts", param: "client_id",
		get: func(ctx context.Context, a rbac.Actor, name string) (string, string, bool, error) {
			acc, err := s.Accounts.Get(ctx, a, name)
			if err != nil {
				return "", "", false, err
			}
			label := s.Accounts.ClientIDs().Of(acc)
			if acc.DisplayName != "" {
				label = acc.DisplayName + " (" + label + ")"
			}
			return acc.OrgID, label, acc.System, nil
		},
		rights: func(ctx context.Context, a rbac.Actor, name string) (*rbac.Rights, error) {
			_, r, err := s.Accounts.Rights(ctx, a, name)
			return r, err
		},
		assignRole: s.Accounts.AssignRole, unassignRole: s.Accounts.UnassignRole,
		join: s.Accounts.JoinGroup, leave: s.Accounts.LeaveGroup,
	}
}

func (s *Server) userSubject() *assignSubject {
	return &assignSubject{
		kind: "users", param: "name",
		get: func(ctx context.Context, a rbac.Actor, name string) (string, string, bool, error) {
			u, err := s.usersGet(ctx, a, name)
			if err != nil {
				return "", "", false, err
			}
			label := u.Name
			if u.DisplayName != "" {
				label = u.DisplayName + " (" + u.Name + ")"
			}
			return u.OrgID, label, false, nil
		},
		rights: func(ctx context.Context, a rbac.Actor, name string) (*rbac.Rights, error) {
			_, r, err := s.Users.Rights(ctx, a, name)
			return r, err
		},
		assignRole: s.Users.AssignRole, unassignRole: s.Users.UnassignRole,
		join: s.Users.JoinGroup, leave: s.Users.LeaveGroup,
	}
}

// assignPage is the form that gives a subject a role or a group, with the
// subject's current assignments.
type assignPage struct {
	page
	// Kind is "accounts" or "users"; Name the subject's client ID or user
	// name, as in its URL; Label how it is named; Org its organization.
	Kind, Name, Label, Org string
	// Back is the subject's detail page; Action the assign URL, Unassign
	// the unassign URL.
	Back, Action, Unassign string
	System                 bool
	Roles                  []roleChoice
	Groups                 []roleChoice
	Scopes                 []orgChoice
	Subtree                bool
	// Tab is the form the error is about: "role" or "group".
	Tab   string
	Error string
	// Current lists the subject's roles and groups, when the actor may
	// read them.
	CanRead bool
	Current []assignment
}

// roleChoice is a role or group offered in a <select>.
type roleChoice struct {
	Ref, Label string
	Selected   bool
}

// assignment is a role held on a scope, or a group, as the user, account
// and assign pages list them, with the fields its unassign form posts.
type assignment struct {
	// Kind is "role" or "group"; Ref the role or group, ORG/NAME.
	Kind, Ref string
	// On is a role's scope, "ORG" or "ORG/*", empty for a group; Org, for
	// a role, the scope's organization the unassign form names, for a
	// group the organization that owns it.
	On, Org string
	// Through names the groups a role comes through on that scope when it
	// is not also assigned directly: such a row is left by leaving the
	// group, not unassigned.
	Through string
	// Inactive says, in the page's language, why the role gives no right.
	Inactive    string
	CanUnassign bool
}

// assignments lists the roles, each once per scope, and the groups of a
// subject of organization subjectOrg with rights r. The rights' sources
// tell a role assigned directly (unassigned on its scope, which needs
// iam.assignments write there) from one held only through groups (left
// by leaving the group, which needs that right on the subject's
// organization); an inactive role that comes through a group is not
// listed: its group is, and is what to leave.
func assignments(l *locale, actor rbac.Actor, subjectOrg string, r *rbac.Rights) (roles, groups []assignment) {
	direct := map[string]bool{}
	through := map[string][]string{}
	for _, src := range r.Sources() {
		k := src.Role + "@" + src.On.String()
		if src.Group == "" {
			direct[k] = true
		} else if !slices.Contains(through[k], src.Group) {
			through[k] = append(through[k], src.Group)
		}
	}
	for _, held := range r.Roles {
		ref, scopes, _ := strings.Cut(held, "@")
		for _, on := range strings.Split(scopes, ",") {
			k := ref + "@" + on
			a := assignment{Kind: "role", Ref: ref, On: on, Org: strings.TrimSuffix(on, "/*")}
			if gs := through[k]; len(gs) > 0 && !direct[k] {
				a.Through = strings.Join(gs, ", ")
			} else {
				a.CanUnassign = actor.Can(a.Org, writeAssignments)
			}
			roles = append(roles, a)
		}
	}
	for _, in := range r.Inactive {
		if in.Source.Group != "" {
			continue
		}
		org := in.Source.On.OrgID
		roles = append(roles, assignment{Kind: "role", Ref: in.Source.Role, On: in.Source.On.String(), Org: org,
			Inactive: inactiveMessage(l, in), CanUnassign: actor.Can(org, writeAssignments)})
	}
	canLeave := actor.Can(subjectOrg, writeAssignments)
	for _, g := range r.Groups {
		org, _, _ := strings.Cut(g, "/")
		groups = append(groups, assignment{Kind: "group", Ref: g, Org: org, CanUnassign: canLeave})
	}
	return roles, groups
}

// inactiveMessage explains in the reader's language why a grant gives no
// right: the rule it breaks, as a refused assignment says it, or the
// subject's organization outside the role's perimeter.
func inactiveMessage(l *locale, in rbac.Inactive) string {
	if in.Err != nil {
		return ruleMessage(l, in.Err, "")
	}
	if in.Rule > 0 {
		return l.T("assign.current.rule", "rule", in.Rule)
	}
	return l.T("assign.current.outside")
}

// name returns the subject named in the path once the actor may read it:
// a POST about a subject the actor may not see is answered as one about
// a missing subject.
func (sub *assignSubject) name(c *fiber.Ctx) (string, error) {
	name, err := param(c, sub.param)
	if err != nil {
		return "", err
	}
	if _, _, _, err := sub.get(c.UserContext(), consoleActor(c), name); err != nil {
		return "", err
	}
	return name, nil
}

func (sub *assignSubject) paths(name string) (back, action, unassign string) {
	base := consolePrefix + "/" + sub.kind + "/" + url.PathEscape(name)
	return base, base + "/assign", base + "/unassign"
}

// assignContext loads the subject and fills the page with it, its choices
// and its assignments.
func (s *Server) assignContext(c *fiber.Ctx, sub *assignSubject) (*assignPage, error) {
	name, err := param(c, sub.param)
	if err != nil {
		return nil, err
	}
	actor := consoleActor(c)
	ctx := c.UserContext()
	org, label, system, err := sub.get(ctx, actor, name)
	if err != nil {
		return nil, err
	}
	p := &assignPage{page: s.page(c), Kind: sub.kind, Name: name, Label: label, Org: org, System: system, Tab: "role"}
	p.Back, p.Action, p.Unassign = sub.paths(name)
	if p.Scopes, err = s.orgChoices(c, writeAssignments, org); err != nil {
		return nil, err
	}
	if len(p.Scopes) == 0 {
		// Nowhere to assign anything: the form would only be refused.
		return nil, &rbac.MissingRight{Org: org, Right: writeAssignments}
	}
	roles, err := s.Orgs.ListRoles(ctx, actor, "")
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.Kind == rbac.KindBootstrap {
			continue
		}
		l := r.Ref()
		if r.Description != "" {
			l += " — " + r.Description
		}
		p.Roles = append(p.Roles, roleChoice{Ref: r.Ref(), Label: l})
	}
	groups, err := s.Orgs.ListGroups(ctx, actor, "")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		l := g.Ref()
		if g.Description != "" {
			l += " — " + g.Description
		}
		p.Groups = append(p.Groups, roleChoice{Ref: g.Ref(), Label: l})
	}
	if actor.Can(org, readAssignments) {
		rights, err := sub.rights(ctx, actor, name)
		if err != nil {
			return nil, err
		}
		p.CanRead = true
		roles, groups := assignments(p.locale, actor, org, rights)
		p.Current = append(groups, roles...)
	}
	return p, nil
}

func (s *Server) assignForm(c *fiber.Ctx, sub *assignSubject) error {
	p, err := s.assignContext(c, sub)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "assign_form", p)
}

func (s *Server) assignPost(c *fiber.Ctx, sub *assignSubject) error {
	name, err := sub.name(c)
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	kind := c.FormValue("kind")
	var ref string
	subtree := c.FormValue("subtree") != ""
	var group string
	// empty explains a field left empty: the browser asks for them, but
	// a form may come from elsewhere.
	var empty func(l *locale, ref string) string
	switch kind {
	case "group":
		ref, group = c.FormValue("group"), c.FormValue("group")
		if ref == "" {
			empty = func(l *locale, _ string) string { return l.T("assign.error.nogroup") }
			break
		}
		err = sub.join(c.UserContext(), actor, name, ref)
	case "role":
		ref = c.FormValue("role")
		var on []rbac.Scope
		for _, v := range c.Request().PostArgs().PeekMulti("on") {
			if id := strings.TrimSpace(string(v)); id != "" {
				on = append(on, rbac.Scope{OrgID: id, Subtree: subtree})
			}
		}
		switch {
		case ref == "":
			empty = func(l *locale, _ string) string { return l.T("assign.error.norole") }
		case len(on) == 0:
			empty = func(l *locale, _ string) string { return l.T("assign.error.noorg") }
		default:
			err = sub.assignRole(c.UserContext(), actor, name, ref, on)
		}
	default:
		return fiber.ErrBadRequest
	}
	if err == nil && empty == nil {
		back, _, _ := sub.paths(name)
		return c.Redirect(back+"?flash=assign.done", http.StatusSeeOther)
	}
	status, msg := http.StatusUnprocessableEntity, empty
	if empty == nil {
		var ok bool
		if status, msg, ok = assignRefusal(err, group); !ok {
			return err
		}
	}
	p, perr := s.assignContext(c, sub)
	if perr != nil {
		if errors.Is(perr, storage.ErrForbidden) && status == http.StatusForbidden {
			return err
		}
		return perr
	}
	p.Tab, p.Subtree = kind, subtree
	selectChoice(p.Roles, c.FormValue("role"))
	selectChoice(p.Groups, c.FormValue("group"))
	if kind == "role" {
		picked := map[string]bool{}
		for _, v := range c.Request().PostArgs().PeekMulti("on") {
			picked[string(v)] = true
		}
		for i := range p.Scopes {
			p.Scopes[i].Selected = picked[p.Scopes[i].ID]
		}
	}
	p.Error = msg(p.locale, ref)
	return s.render(c, status, "assign_form", p)
}

func selectChoice(cs []roleChoice, ref string) {
	for i := range cs {
		cs[i].Selected = cs[i].Ref == ref
	}
}

// assignRefusal returns the status and message of a refused assignment:
// a broken rule of seed 003 (by a pair of group, if not empty), a missing
// right, a taken assignment, or other input the domain refuses. ok is false for the errors the handler
// returns as they are.
func assignRefusal(err error, group string) (status int, msg func(l *locale, ref string) string, ok bool) {
	var re *rbac.RuleError
	var mr *rbac.MissingRight
	switch {
	case errors.As(err, &re):
		return http.StatusUnprocessableEntity, func(l *locale, ref string) string { return ruleMessage(l, re, group) }, true
	case errors.As(err, &mr):
		return http.StatusForbidden, func(l *locale, _ string) string { return missingMessage(l, mr) }, true
	case errors.Is(err, storage.ErrConflict):
		return http.StatusUnprocessableEntity, func(l *locale, ref string) string { return l.T("assign.error.exists", "ref", ref) }, true
	case errors.Is(err, storage.ErrForbidden):
		return http.StatusForbidden, func(l *locale, _ string) string { return l.T("assign.error.forbidden") }, true
	}
	if m, isForm := formMessage(err); isForm {
		return http.StatusUnprocessableEntity, func(*locale, string) string { return m }, true
	}
	return 0, nil, false
}

// ruleMessage explains in the reader's language which rule of seed 003 the
// assignment breaks; group, if not empty, is the group whose pair breaks
// it.
func ruleMessage(l *locale, re *rbac.RuleError, group string) string {
	var msg string
	switch re.Rule {
	case 1:
		msg = l.T("assign.rule.1", "role", re.Role, "owner", re.RoleOrg, "subject", re.SubjectOrg)
	case 2:
		msg = l.T("assign.rule.2", "target", re.TargetOrg, "subject", re.SubjectOrg)
	default:
		msg = l.T("assign.rule.3", "role", re.Role, "owner", re.RoleOrg, "target", re.TargetOrg, "perimeter", perimeterText(l, re.Perimeter))
	}
	if group != "" {
		msg = l.T("assign.rule.group", "group", group, "role", re.Role, "target", re.TargetOrg) + " " + msg
	}
	return msg
}

// perimeterText lists a perimeter in words.
func perimeterText(l *locale, perimeter []rbac.Scope) string {
	parts := make([]string, len(perimeter))
	for i, sc := range perimeter {
		if sc.Subtree {
			parts[i] = l.T("assign.scope.subtree", "org", sc.OrgID)
		} else {
			parts[i] = l.T("assign.scope.alone", "org", sc.OrgID)
		}
	}
	return strings.Join(parts, ", ")
}

// missingMessage says which right the actor lacks, and where.
func missingMessage(l *locale, mr *rbac.MissingRight) string {
	if mr.Subtree {
		return l.T("assign.error.missing.subtree", "right", mr.Right.String(), "org", mr.Org)
	}
	return l.T("assign.error.missing", "right", mr.Right.String(), "org", mr.Org)
}

func (s *Server) unassignPost(c *fiber.Ctx, sub *assignSubject) error {
	name, err := sub.name(c)
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	ref := c.FormValue("ref")
	switch c.FormValue("kind") {
	case "group":
		err = sub.leave(c.UserContext(), actor, name, ref)
	case "role":
		err = sub.unassignRole(c.UserContext(), actor, name, ref, c.FormValue("org"))
	default:
		return fiber.ErrBadRequest
	}
	if err != nil {
		if errors.Is(err, storage.ErrInvalid) {
			// A malformed reference: nothing a form of ours sends.
			return fiber.ErrBadRequest
		}
		return err
	}
	back, _, _ := sub.paths(name)
	return c.Redirect(back+"?flash=assign.removed", http.StatusSeeOther)
}
