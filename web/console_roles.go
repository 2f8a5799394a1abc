package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// rolesPages registers the pages of roles and their perimeters.
func (s *Server) rolesPages(r fiber.Router) {
	r.Get("/roles", s.rolesList)
	r.Get("/roles/new", s.rolesNew)
	r.Post("/roles", s.rolesCreate)
	r.Get("/roles/:org/:name", s.roleDetail)
	r.Get("/roles/:org/:name/edit", s.roleEdit)
	r.Post("/roles/:org/:name", s.roleUpdate)
	r.Post("/roles/:org/:name/delete", s.roleDelete)
}

// rolePath is the detail page of a role.
func rolePath(org, name string) string {
	return consolePrefix + "/roles/" + url.PathEscape(org) + "/" + url.PathEscape(name)
}

// rolesListPage lists the roles the user may read, of one organization or
// all.
type rolesListPage struct {
	page
	Org       string
	Orgs      []orgChoice
	Roles     []roleRow
	CanCreate bool
}

type roleRow struct {
	Org, Name, Description, Href string
	Managed, All                 bool
	Rights                       int
}

func (s *Server) rolesList(c *fiber.Ctx) error {
	org := c.Query("org")
	actor := consoleActor(c)
	roles, err := s.Orgs.ListRoles(c.UserContext(), actor, org)
	if err != nil {
		return err
	}
	p := &rolesListPage{page: s.page(c), Org: org, CanCreate: actor.CanSomewhere(writeRoles)}
	if p.Orgs, err = s.orgChoices(c, readRoles, org); err != nil {
		return err
	}
	for _, r := range roles {
		p.Roles = append(p.Roles, roleRow{Org: r.OrgID, Name: r.Name, Description: r.Description, Href: rolePath(r.OrgID, r.Name),
			Managed: !r.Editable(), All: r.Kind == rbac.KindBootstrap, Rights: len(r.Rights)})
	}
	return s.render(c, http.StatusOK, "roles_list", p)
}

// roleFormPage creates or edits a role: its rights picked from the
// permission catalog, its perimeter as rows of an organization and a
// subtree flag.
type roleFormPage struct {
	page
	New                    bool
	Org, Name, Description string
	// Orgs are the organizations a new role may belong to.
	Orgs      []orgChoice
	Catalog   []permissionRow
	Perimeter []perimeterRow
	Action    string
	Back      string
	Error     string
}

type permissionRow struct {
	Name, Description string
	Ops               []opCell
}

type opCell struct {
	ID, Value, Op string
	Checked       bool
}

type perimeterRow struct {
	N       int
	Orgs    []orgChoice
	Subtree bool
}

// roleForm fills the form's catalog and perimeter rows with the role's
// rights and perimeter.
func (s *Server) roleForm(c *fiber.Ctx, p *roleFormPage, rights []rbac.Right, perimeter []rbac.Scope) error {
	perms, err := s.Orgs.ListPermissions(c.UserContext(), consoleActor(c))
	if err != nil {
		return err
	}
	held := map[rbac.Right]bool{}
	for _, r := range rights {
		held[r] = true
	}
	for i, perm := range perms {
		row := permissionRow{Name: perm.Name, Description: perm.Description}
		for _, op := range rbac.Operations {
			r := rbac.Right{Permission: perm.Name, Operation: op}
			row.Ops = append(row.Ops, opCell{ID: "right-" + strconv.Itoa(i) + "-" + op, Value: r.String(), Op: op, Checked: held[r]})
		}
		p.Catalog = append(p.Catalog, row)
	}
	orgs, err := s.orgChoices(c, rbac.Right{}, "")
	if err != nil {
		return err
	}
	rows := len(perimeter) + 2
	if rows < 3 {
		rows = 3
	}
	for i := range rows {
		row := perimeterRow{N: i + 1, Orgs: make([]orgChoice, len(orgs))}
		copy(row.Orgs, orgs)
		if i < len(perimeter) {
			row.Subtree = perimeter[i].Subtree
			for j := range row.Orgs {
				row.Orgs[j].Selected = row.Orgs[j].ID == perimeter[i].OrgID
			}
		}
		p.Perimeter = append(p.Perimeter, row)
	}
	return nil
}

// postedRole reads the rights and perimeter of a posted role form. The
// perimeter is nil when no row names an organization.
func postedRole(c *fiber.Ctx) ([]rbac.Right, []rbac.Scope, error) {
	args := c.Request().PostArgs()
	var rights []rbac.Right
	for _, v := range args.PeekMulti("rights") {
		r, err := rbac.ParseRight(string(v))
		if err != nil {
			return nil, nil, err
		}
		rights = append(rights, r)
	}
	subtree := map[string]bool{}
	for _, v := range args.PeekMulti("subtree") {
		subtree[string(v)] = true
	}
	var perimeter []rbac.Scope
	for i, v := range args.PeekMulti("perimeter") {
		if id := strings.TrimSpace(string(v)); id != "" {
			perimeter = append(perimeter, rbac.Scope{OrgID: id, Subtree: subtree[strconv.Itoa(i+1)]})
		}
	}
	return rights, perimeter, nil
}

func (s *Server) rolesNew(c *fiber.Ctx) error {
	p := &roleFormPage{page: s.page(c), New: true, Org: c.Query("org"), Action: consolePrefix + "/roles", Back: consolePrefix + "/roles"}
	var err error
	if p.Orgs, err = s.orgChoices(c, writeRoles, p.Org); err != nil {
		return err
	}
	if len(p.Orgs) == 0 {
		return storage.Errorf(storage.ErrForbidden, "creating a role requires %s on some organization", writeRoles)
	}
	if err := s.roleForm(c, p, nil, nil); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "roles_form", p)
}

func (s *Server) rolesCreate(c *fiber.Ctx) error {
	in := rbac.NewRole{OrgID: c.FormValue("org"), Name: strings.TrimSpace(c.FormValue("name")), Description: c.FormValue("description")}
	rights, perimeter, err := postedRole(c)
	if err == nil {
		in.Rights, in.Perimeter = rights, perimeter
		var r rbac.Role
		if r, err = s.Orgs.CreateRole(c.UserContext(), consoleActor(c), in); err == nil {
			return c.Redirect(rolePath(r.OrgID, r.Name)+"?flash=roles.created", http.StatusSeeOther)
		}
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &roleFormPage{page: s.page(c), New: true, Org: in.OrgID, Name: in.Name, Description: in.Description,
		Action: consolePrefix + "/roles", Back: consolePrefix + "/roles", Error: msg}
	if p.Orgs, err = s.orgChoices(c, writeRoles, in.OrgID); err != nil {
		return err
	}
	if err := s.roleForm(c, p, rights, perimeter); err != nil {
		return err
	}
	return s.render(c, http.StatusUnprocessableEntity, "roles_form", p)
}

// roleDetailPage shows a role: its rights, its perimeter, and the controls
// the user may use on it.
type roleDetailPage struct {
	page
	Role      rbac.Role
	Href      string
	Managed   bool
	All       bool
	Rights    []rightRow
	Perimeter []string
	// Groups are the groups the user may read that hold the role, with
	// the scope: "ORG/NAME on SCOPE".
	CanReadGroups bool
	Groups        []string
	CanEdit       bool
	CanDelete     bool
	Force         bool
	Error         string
}

// rightRow is a permission and the operations the role holds on it.
type rightRow struct {
	Permission string
	Ops        string
}

func (s *Server) roleDetailOf(c *fiber.Ctx, r rbac.Role) (*roleDetailPage, error) {
	actor := consoleActor(c)
	p := &roleDetailPage{page: s.page(c), Role: r, Href: rolePath(r.OrgID, r.Name), Managed: !r.Editable(), All: r.Kind == rbac.KindBootstrap}
	p.CanEdit = r.Editable() && actor.Can(r.OrgID, writeRoles)
	p.CanDelete = r.Editable() && actor.Can(r.OrgID, deleteRoles)
	if !p.All {
		for _, right := range r.Rights {
			if n := len(p.Rights); n > 0 && p.Rights[n-1].Permission == right.Permission {
				p.Rights[n-1].Ops += ", " + right.Operation
				continue
			}
			p.Rights = append(p.Rights, rightRow{Permission: right.Permission, Ops: right.Operation})
		}
	}
	for _, sc := range r.Perimeter {
		if sc.Subtree {
			p.Perimeter = append(p.Perimeter, p.T("roles.scope.subtree", "org", sc.OrgID))
		} else {
			p.Perimeter = append(p.Perimeter, p.T("roles.scope.alone", "org", sc.OrgID))
		}
	}
	// Where the role is used through groups; its direct assignments
	// are not listed: no service call gives them by role.
	if p.CanReadGroups = actor.CanSomewhere(readGroups); p.CanReadGroups {
		groups, err := s.Orgs.ListGroups(c.UserContext(), actor, "")
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			for _, pr := range g.Roles {
				if pr.Role == r.Ref() {
					p.Groups = append(p.Groups, p.T("roles.detail.groupon", "group", g.Ref(), "on", pr.On.String()))
				}
			}
		}
	}
	return p, nil
}

// roleParams returns the role's organization and name in the path.
func roleParams(c *fiber.Ctx) (org, name string, err error) {
	if org, err = param(c, "org"); err != nil {
		return "", "", err
	}
	if name, err = param(c, "name"); err != nil {
		return "", "", err
	}
	return org, name, nil
}

func (s *Server) roleDetail(c *fiber.Ctx) error {
	org, name, err := roleParams(c)
	if err != nil {
		return err
	}
	r, err := s.Orgs.GetRole(c.UserContext(), consoleActor(c), org+"/"+name)
	if err != nil {
		return err
	}
	p, err := s.roleDetailOf(c, r)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "roles_detail", p)
}

func (s *Server) roleEdit(c *fiber.Ctx) error {
	org, name, err := roleParams(c)
	if err != nil {
		return err
	}
	r, err := s.Orgs.GetRole(c.UserContext(), consoleActor(c), org+"/"+name)
	if err != nil {
		return err
	}
	if !r.Editable() {
		return storage.Errorf(storage.ErrForbidden, "role %s is managed by iamd and cannot be changed", storage.Quote(r.Ref()))
	}
	if err := consoleActor(c).Need(r.OrgID, writeRoles); err != nil {
		return err
	}
	p := s.roleEditPage(c, r)
	if err := s.roleForm(c, p, r.Rights, r.Perimeter); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "roles_form", p)
}

func (s *Server) roleEditPage(c *fiber.Ctx, r rbac.Role) *roleFormPage {
	href := rolePath(r.OrgID, r.Name)
	return &roleFormPage{page: s.page(c), Org: r.OrgID, Name: r.Name, Description: r.Description, Action: href, Back: href}
}

func (s *Server) roleUpdate(c *fiber.Ctx) error {
	org, name, err := roleParams(c)
	if err != nil {
		return err
	}
	ref := org + "/" + name
	description := c.FormValue("description")
	rights, perimeter, err := postedRole(c)
	if err == nil {
		if perimeter == nil {
			perimeter = []rbac.Scope{}
		}
		var r rbac.Role
		r, err = s.Orgs.UpdateRole(c.UserContext(), consoleActor(c), ref, rbac.RoleChanges{Description: &description, Rights: &rights, Perimeter: &perimeter})
		if err == nil {
			return c.Redirect(rolePath(r.OrgID, r.Name)+"?flash=roles.updated", http.StatusSeeOther)
		}
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := s.roleEditPage(c, rbac.Role{OrgID: org, Name: name, Description: description})
	p.Error = msg
	if err := s.roleForm(c, p, rights, perimeter); err != nil {
		return err
	}
	return s.render(c, http.StatusUnprocessableEntity, "roles_form", p)
}

func (s *Server) roleDelete(c *fiber.Ctx) error {
	org, name, err := roleParams(c)
	if err != nil {
		return err
	}
	ref := org + "/" + name
	actor := consoleActor(c)
	force := c.FormValue("force") != ""
	if strings.TrimSpace(c.FormValue("confirm")) != name {
		// The typed name is checked here, not only in the browser; the
		// role is read first, so a refusal tells no more than the page.
		var r rbac.Role
		if r, err = s.Orgs.GetRole(c.UserContext(), actor, ref); err != nil {
			return err
		}
		if !r.Editable() || !actor.Can(r.OrgID, deleteRoles) {
			return &rbac.MissingRight{Org: r.OrgID, Right: deleteRoles}
		}
		p, err := s.roleDetailOf(c, r)
		if err != nil {
			return err
		}
		p.Error, p.Force = p.T("roles.delete.mismatch", "name", name), force
		return s.render(c, http.StatusUnprocessableEntity, "roles_detail", p)
	}
	err = s.Orgs.DeleteRole(c.UserContext(), actor, ref, force)
	if err == nil {
		return c.Redirect(consolePrefix+"/roles?org="+url.QueryEscape(org)+"&flash=roles.deleted", http.StatusSeeOther)
	}
	if !errors.Is(err, storage.ErrConflict) {
		return err
	}
	r, gerr := s.Orgs.GetRole(c.UserContext(), actor, ref)
	if gerr != nil {
		return gerr
	}
	p, err := s.roleDetailOf(c, r)
	if err != nil {
		return err
	}
	p.Error, p.Force = p.T("roles.delete.inuse"), force
	return s.render(c, http.StatusUnprocessableEntity, "roles_detail", p)
}
