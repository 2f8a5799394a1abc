package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

const (
	// groupsPerPage is how many groups a page of the list shows.
	groupsPerPage = 100
	// groupsMembersShown is how many members a group's page lists, so
	// that it stays fast for a group of thousands.
	groupsMembersShown = 100
)

// groupsPages registers the pages of groups, their pairs and members.
func (s *Server) groupsPages(r fiber.Router) {
	r.Get("/groups", s.groupsList)
	r.Get("/groups/new", s.groupsNew)
	r.Post("/groups", s.groupsCreate)
	r.Get("/groups/:org/:name", s.groupsDetail)
	r.Get("/groups/:org/:name/edit", s.groupsEdit)
	r.Post("/groups/:org/:name", s.groupsUpdate)
	r.Post("/groups/:org/:name/pairs", s.groupsAddPair)
	r.Post("/groups/:org/:name/pairs/remove", s.groupsRemovePair)
	r.Post("/groups/:org/:name/delete", s.groupsDeleteGroup)
}

// groupsPath is the detail page of the group org/name.
func groupsPath(org, name string) string {
	return consolePrefix + "/groups/" + url.PathEscape(org) + "/" + url.PathEscape(name)
}

// groupsRef is the reference (ORG/NAME) of the group a route names, its
// parts percent-decoded.
func groupsRef(c *fiber.Ctx) (org, name, ref string, err error) {
	if org, err = param(c, "org"); err != nil {
		return "", "", "", err
	}
	if name, err = param(c, "name"); err != nil {
		return "", "", "", err
	}
	return org, name, org + "/" + name, nil
}

// groupsListPage lists the groups the user may read, of one organization
// or all, a page at a time.
type groupsListPage struct {
	page
	Org       string
	Orgs      []orgChoice
	Groups    []groupsRow
	Next      string
	First     string
	CanCreate bool
}

type groupsRow struct {
	Org, Name, Description, Href string
	Pairs                        int
}

func (s *Server) groupsList(c *fiber.Ctx) error {
	org := c.Query("org")
	after := c.Query("after")
	actor := consoleActor(c)
	groups, err := s.Orgs.ListGroups(c.UserContext(), actor, org)
	if err != nil {
		return err
	}
	p := &groupsListPage{page: s.page(c), Org: org, CanCreate: actor.CanSomewhere(writeGroups)}
	if p.Orgs, err = s.orgChoices(c, readGroups, org); err != nil {
		return err
	}
	// Groups come ordered by organization, then name: a page starts
	// after the last group of the one before.
	afterOrg, afterName, _ := strings.Cut(after, "/")
	for _, g := range groups {
		if after != "" && (g.OrgID < afterOrg || (g.OrgID == afterOrg && g.Name <= afterName)) {
			continue
		}
		if len(p.Groups) == groupsPerPage {
			last := p.Groups[len(p.Groups)-1]
			p.Next = groupsListURL(org, last.Org+"/"+last.Name)
			break
		}
		p.Groups = append(p.Groups, groupsRow{Org: g.OrgID, Name: g.Name, Description: g.Description,
			Href: groupsPath(g.OrgID, g.Name), Pairs: len(g.Roles)})
	}
	if after != "" {
		p.First = groupsListURL(org, "")
	}
	return s.render(c, http.StatusOK, "groups_list", p)
}

func groupsListURL(org, after string) string {
	q := url.Values{}
	if org != "" {
		q.Set("org", org)
	}
	if after != "" {
		q.Set("after", after)
	}
	if len(q) == 0 {
		return consolePrefix + "/groups"
	}
	return consolePrefix + "/groups?" + q.Encode()
}

// groupsFormPage creates a group or edits its description.
type groupsFormPage struct {
	page
	New                    bool
	Org, Name, Description string
	Orgs                   []orgChoice
	Action, Back           string
	Error                  string
}

func (s *Server) groupsNew(c *fiber.Ctx) error {
	p := &groupsFormPage{page: s.page(c), New: true, Org: c.Query("org"), Action: consolePrefix + "/groups", Back: consolePrefix + "/groups"}
	return s.groupsNewForm(c, p, http.StatusOK)
}

func (s *Server) groupsNewForm(c *fiber.Ctx, p *groupsFormPage, status int) error {
	var err error
	if p.Orgs, err = s.orgChoices(c, writeGroups, p.Org); err != nil {
		return err
	}
	if len(p.Orgs) == 0 {
		return storage.Errorf(storage.ErrForbidden, "creating a group requires %s on some organization", writeGroups)
	}
	return s.render(c, status, "groups_form", p)
}

func (s *Server) groupsCreate(c *fiber.Ctx) error {
	org, name, description := c.FormValue("org"), strings.TrimSpace(c.FormValue("name")), c.FormValue("description")
	g, err := s.Orgs.CreateGroup(c.UserContext(), consoleActor(c), org, name, description)
	if err == nil {
		return c.Redirect(groupsPath(g.OrgID, g.Name)+"?flash=groups.created", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &groupsFormPage{page: s.page(c), New: true, Org: org, Name: name, Description: description,
		Action: consolePrefix + "/groups", Back: consolePrefix + "/groups", Error: msg}
	return s.groupsNewForm(c, p, http.StatusUnprocessableEntity)
}

func (s *Server) groupsEdit(c *fiber.Ctx) error {
	_, _, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	g, err := s.Orgs.GetGroup(c.UserContext(), actor, ref)
	if err != nil {
		return err
	}
	if err := actor.Need(g.OrgID, writeGroups); err != nil {
		return err
	}
	back := groupsPath(g.OrgID, g.Name)
	p := &groupsFormPage{page: s.page(c), Org: g.OrgID, Name: g.Name, Description: g.Description, Action: back, Back: back}
	return s.render(c, http.StatusOK, "groups_form", p)
}

func (s *Server) groupsUpdate(c *fiber.Ctx) error {
	org, name, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	description := c.FormValue("description")
	_, err = s.Orgs.DescribeGroup(c.UserContext(), consoleActor(c), ref, description)
	back := groupsPath(org, name)
	if err == nil {
		return c.Redirect(back+"?flash=groups.updated", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &groupsFormPage{page: s.page(c), Org: org, Name: name, Description: description, Action: back, Back: back, Error: msg}
	return s.render(c, http.StatusUnprocessableEntity, "groups_form", p)
}

// groupsDetailPage shows a group: its pairs, a form adding one, its
// members, and what the user may do with it.
type groupsDetailPage struct {
	page
	Group   rbac.GroupView
	Href    string
	Pairs   []groupsPair
	Members []groupsMember
	// MembersTotal counts the members the user may read, of which the page
	// shows the first groupsMembersShown; MembersHidden counts the others:
	// users of organizations where the user may not read users, accounts
	// where they may not read service accounts.
	MembersTotal  int
	MembersHidden int
	// Roles and ScopeOrgs are the choices of the add-pair form.
	Roles               []groupsRoleChoice
	ScopeOrgs           []orgChoice
	Subtree             bool
	CanEdit, CanDelete  bool
	PairError, DelError string
	Confirm             string
	OrgHref             string
}

type groupsPair struct {
	Role, RoleHref, On string
	Subtree            bool
}

type groupsMember struct {
	Kind, Name, DisplayName, Href string
	CreatedAt                     time.Time
	CreatedBy                     string
	User                          bool
}

type groupsRoleChoice struct {
	Ref      string
	Selected bool
}

// groupsDetailState is what a refused form of the detail page posted, to
// show it again.
type groupsDetailState struct {
	role, on        string
	subtree         bool
	pairErr, delErr string
	confirm         string
}

func (s *Server) groupsDetail(c *fiber.Ctx) error {
	return s.groupsShow(c, http.StatusOK, groupsDetailState{})
}

func (s *Server) groupsShow(c *fiber.Ctx, status int, st groupsDetailState) error {
	_, _, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	ctx, actor := c.UserContext(), consoleActor(c)
	g, err := s.Orgs.GetGroup(ctx, actor, ref)
	if err != nil {
		return err
	}
	ms, err := s.Accounts.GroupMembers(ctx, actor, ref)
	if err != nil {
		return err
	}
	p := &groupsDetailPage{page: s.page(c), Group: g, Href: groupsPath(g.OrgID, g.Name),
		CanEdit: actor.Can(g.OrgID, writeGroups), CanDelete: actor.Can(g.OrgID, deleteGroups),
		PairError: st.pairErr, DelError: st.delErr, Confirm: st.confirm, Subtree: st.subtree,
		OrgHref: consolePrefix + "/orgs/" + url.PathEscape(g.OrgID)}
	for _, pr := range g.Roles {
		rOrg, rName, _ := strings.Cut(pr.Role, "/")
		p.Pairs = append(p.Pairs, groupsPair{Role: pr.Role, RoleHref: consolePrefix + "/roles/" + url.PathEscape(rOrg) + "/" + url.PathEscape(rName),
			On: pr.On.OrgID, Subtree: pr.On.Subtree})
	}
	readable := ms[:0]
	for _, m := range ms {
		right := readAccounts
		if m.Kind == accounts.MemberUser {
			right = readUsers
		}
		if actor.Can(m.OrgID, right) {
			readable = append(readable, m)
		}
	}
	p.MembersTotal, p.MembersHidden = len(readable), len(ms)-len(readable)
	ms = readable
	if len(ms) > groupsMembersShown {
		ms = ms[:groupsMembersShown]
	}
	for _, m := range ms {
		row := groupsMember{Kind: m.Kind, Name: m.Name, DisplayName: m.DisplayName, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy}
		if m.Kind == accounts.MemberUser {
			row.User = true
			row.Href = consolePrefix + "/users/" + url.PathEscape(m.Name)
		} else {
			row.Href = consolePrefix + "/accounts/" + url.PathEscape(m.ClientID)
		}
		p.Members = append(p.Members, row)
	}
	if p.CanEdit {
		roles, err := s.Orgs.ListRoles(ctx, actor, "")
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.Kind == rbac.KindBootstrap {
				continue
			}
			p.Roles = append(p.Roles, groupsRoleChoice{Ref: r.Ref(), Selected: r.Ref() == st.role})
		}
		on := st.on
		if on == "" {
			on = g.OrgID
		}
		if p.ScopeOrgs, err = s.orgChoices(c, writeAssignments, on); err != nil {
			return err
		}
	}
	return s.render(c, status, "groups_detail", p)
}

func (s *Server) groupsAddPair(c *fiber.Ctx) error {
	org, name, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	st := groupsDetailState{role: c.FormValue("role"), on: c.FormValue("on"), subtree: c.FormValue("subtree") != ""}
	on, err := rbac.ParseScope(st.on)
	if err == nil {
		on.Subtree = on.Subtree || st.subtree
		_, err = s.Orgs.AddPair(c.UserContext(), consoleActor(c), ref, st.role, on)
	}
	if err == nil {
		return c.Redirect(groupsPath(org, name)+"?flash=groups.pairadded", http.StatusSeeOther)
	}
	l := s.page(c).locale
	if errors.Is(err, storage.ErrConflict) {
		st.pairErr = l.T("groups.pair.exists", "role", st.role, "org", on.OrgID)
		return s.groupsShow(c, http.StatusUnprocessableEntity, st)
	}
	// Refused as an assignment is: a missing right (403) or a broken rule
	// (422) in words, on the form.
	status, msg, ok := assignRefusal(err, "")
	if !ok {
		return err
	}
	st.pairErr = msg(l, st.role)
	return s.groupsShow(c, status, st)
}

func (s *Server) groupsRemovePair(c *fiber.Ctx) error {
	org, name, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	_, err = s.Orgs.RemovePair(c.UserContext(), consoleActor(c), ref, c.FormValue("role"), c.FormValue("on"))
	if err == nil {
		return c.Redirect(groupsPath(org, name)+"?flash=groups.pairremoved", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	return s.groupsShow(c, http.StatusUnprocessableEntity, groupsDetailState{pairErr: msg})
}

func (s *Server) groupsDeleteGroup(c *fiber.Ctx) error {
	org, name, ref, err := groupsRef(c)
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	confirm := strings.TrimSpace(c.FormValue("confirm"))
	if confirm != name {
		// Refuse a forged post before telling it anything about the
		// group.
		if err := actor.Need(org, deleteGroups); err != nil {
			return err
		}
		p := s.page(c)
		return s.groupsShow(c, http.StatusUnprocessableEntity, groupsDetailState{delErr: p.T("groups.delete.mismatch", "name", name), confirm: confirm})
	}
	if err := s.Orgs.DeleteGroup(c.UserContext(), actor, ref); err != nil {
		return err
	}
	return c.Redirect(consolePrefix+"/groups?flash=groups.deleted", http.StatusSeeOther)
}
