package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// usersPageSize is the number of users a list page shows.
const usersPageSize = 50

// usersPages registers the pages of human admin users. /users/new comes
// before /users/:name, which would take it for a user's name.
func (s *Server) usersPages(r fiber.Router) {
	r.Get("/users", s.usersList)
	r.Get("/users/new", s.usersNew)
	r.Post("/users", s.usersCreate)
	r.Get("/users/:name", s.usersDetail)
	r.Get("/users/:name/edit", s.usersEdit)
	r.Post("/users/:name", s.usersUpdate)
	r.Post("/users/:name/disable", s.usersDisable)
	r.Post("/users/:name/enable", s.usersEnable)
	r.Post("/users/:name/password", s.usersResetPassword)
	r.Post("/users/:name/delete", s.usersDeleteUser)
}

// usersPath is the path of a user's detail page.
func usersPath(name string) string {
	return consolePrefix + "/users/" + url.PathEscape(name)
}

// usersGet returns the user name if the actor may read it. A user the
// actor may not read is answered as a missing one, so that the console
// does not tell who exists elsewhere in the tree.
func (s *Server) usersGet(ctx context.Context, actor rbac.Actor, name string) (users.User, error) {
	u, err := s.Users.Get(ctx, actor, name)
	if errors.Is(err, storage.ErrForbidden) {
		return users.User{}, storage.ErrNotFound
	}
	return u, err
}

// usersTarget returns the user named in the path of a /users/:name page,
// GET or POST, with usersGet.
func (s *Server) usersTarget(c *fiber.Ctx) (users.User, error) {
	name, err := param(c, "name")
	if err != nil {
		return users.User{}, err
	}
	return s.usersGet(c.UserContext(), consoleActor(c), name)
}

// usersListPage lists users, a page at a time, by name.
type usersListPage struct {
	page
	Users  []users.User
	Orgs   []orgChoice
	Org    string
	Status string
	// Next is the URL of the next page, if there is one; First, of the
	// first, when this one is not.
	Next, First string
	CanCreate   bool
}

func (s *Server) usersList(c *fiber.Ctx) error {
	p := &usersListPage{page: s.page(c), Org: c.Query("org"), Status: c.Query("status")}
	opts := users.ListOptions{OrgID: p.Org, Status: p.Status, AfterName: c.Query("after"), Limit: usersPageSize + 1}
	if opts.AfterName != "" && !rbac.ValidID(opts.AfterName) {
		return fiber.ErrBadRequest
	}
	if p.Status != "" && p.Status != users.StatusActive && p.Status != users.StatusDisabled {
		return fiber.ErrBadRequest
	}
	list, err := s.Users.List(c.UserContext(), consoleActor(c), opts)
	if err != nil {
		return err
	}
	if p.Orgs, err = s.orgChoices(c, readUsers, p.Org); err != nil {
		return err
	}
	q := url.Values{}
	if p.Org != "" {
		q.Set("org", p.Org)
	}
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	if len(list) > usersPageSize {
		list = list[:usersPageSize]
		next := url.Values{"after": {list[usersPageSize-1].Name}}
		for k, v := range q {
			next[k] = v
		}
		p.Next = consolePrefix + "/users?" + next.Encode()
	}
	if opts.AfterName != "" {
		p.First = consolePrefix + "/users"
		if len(q) > 0 {
			p.First += "?" + q.Encode()
		}
	}
	p.Users = list
	p.CanCreate = consoleActor(c).CanSomewhere(writeUsers)
	return s.render(c, http.StatusOK, "users_list", p)
}

// usersNewPage is the form creating a user.
type usersNewPage struct {
	page
	Orgs        []orgChoice
	Name        string
	DisplayName string
	Email       string
	Error       string
}

func (s *Server) usersNew(c *fiber.Ctx) error {
	p := &usersNewPage{page: s.page(c)}
	var err error
	if p.Orgs, err = s.orgChoices(c, writeUsers, c.Query("org")); err != nil {
		return err
	}
	if len(p.Orgs) == 0 {
		return storage.ErrForbidden
	}
	return s.render(c, http.StatusOK, "users_new", p)
}

// usersPasswordPage shows a password iamd generated, once: in the
// response to the request that set it, never at a URL one could reload.
type usersPasswordPage struct {
	page
	Target   users.User
	Password string
	// Created says the user is new, rather than given a new password.
	Created bool
}

// usersCreate creates a user. The password iamd generates when none is
// typed is shown in this response only; typed or generated, the user
// must change it at first sign-in (users.Service.Create).
func (s *Server) usersCreate(c *fiber.Ctx) error {
	p := &usersNewPage{page: s.page(c), Name: strings.TrimSpace(c.FormValue("name")),
		DisplayName: strings.TrimSpace(c.FormValue("display_name")), Email: strings.TrimSpace(c.FormValue("email"))}
	org := c.FormValue("org")
	u, generated, err := s.Users.Create(c.UserContext(), consoleActor(c), users.NewUser{
		OrgID: org, Name: p.Name, DisplayName: p.DisplayName, Email: p.Email, Password: c.FormValue("password"),
	})
	if msg, ok := formMessage(err); ok {
		p.Error = msg
		if p.Orgs, err = s.orgChoices(c, writeUsers, org); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "users_new", p)
	}
	if err != nil {
		return err
	}
	if generated == "" {
		return c.Redirect(usersPath(u.Name)+"?flash=users.created", http.StatusSeeOther)
	}
	return s.render(c, http.StatusOK, "users_password", &usersPasswordPage{page: s.page(c), Target: u, Password: generated, Created: true})
}

// usersDetailPage shows a user, its roles and groups and its rights.
type usersDetailPage struct {
	page
	Target users.User
	// Self is set on the signed-in user's own page: nobody disables or
	// deletes themselves.
	Self bool
	// ShowRights is set when the signed-in user may read the user's
	// assignments: Assignments, Groups and Rights are filled then.
	ShowRights  bool
	Assignments []assignment
	Groups      []assignment
	Rights      []rbac.Effective
	CanEdit     bool
	CanArchive  bool
	CanDelete   bool
	CanAssign   bool
	// CanAudit is set when the signed-in user may read the audit log of
	// the user's organization.
	CanAudit bool
	// Error says why the last action on the page was refused.
	Error string
}

// usersDetailData loads what the detail page shows.
func (s *Server) usersDetailData(c *fiber.Ctx, name string) (*usersDetailPage, error) {
	actor := consoleActor(c)
	u, err := s.usersGet(c.UserContext(), actor, name)
	if err != nil {
		return nil, err
	}
	p := &usersDetailPage{page: s.page(c), Target: u, Self: actor.ID == u.ActorID(),
		CanEdit: actor.Can(u.OrgID, writeUsers), CanArchive: actor.Can(u.OrgID, archiveUsers),
		CanDelete: actor.Can(u.OrgID, deleteUsers), CanAudit: actor.Can(u.OrgID, readAudit)}
	// Assigning to a user needs the right on the user's organization.
	p.CanAssign = actor.Can(u.OrgID, writeAssignments)
	if !actor.Can(u.OrgID, readAssignments) {
		return p, nil
	}
	_, r, err := s.Users.Rights(c.UserContext(), actor, name)
	if err != nil {
		return nil, err
	}
	p.ShowRights = true
	p.Assignments, p.Groups = assignments(p.locale, actor, u.OrgID, r)
	p.Rights = r.Effective()
	return p, nil
}

func (s *Server) usersDetail(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	p, err := s.usersDetailData(c, u.Name)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "users_detail", p)
}

// usersRefused shows the detail page again with msg, the reason an action
// on it was refused.
func (s *Server) usersRefused(c *fiber.Ctx, name string, status int, msg string) error {
	p, err := s.usersDetailData(c, name)
	if err != nil {
		return err
	}
	p.Error = msg
	return s.render(c, status, "users_detail", p)
}

// usersEditPage is the form changing a user's display name and email.
type usersEditPage struct {
	page
	Target      users.User
	DisplayName string
	Email       string
	Error       string
}

func (s *Server) usersEdit(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	if !actor.Can(u.OrgID, writeUsers) {
		return storage.ErrForbidden
	}
	return s.render(c, http.StatusOK, "users_edit", &usersEditPage{page: s.page(c), Target: u, DisplayName: u.DisplayName, Email: u.Email})
}

func (s *Server) usersUpdate(c *fiber.Ctx) error {
	target, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	p := &usersEditPage{page: s.page(c), Target: target, DisplayName: strings.TrimSpace(c.FormValue("display_name")), Email: strings.TrimSpace(c.FormValue("email"))}
	u, err := s.Users.Update(c.UserContext(), consoleActor(c), target.Name, users.Changes{DisplayName: &p.DisplayName, Email: &p.Email})
	if msg, ok := formMessage(err); ok {
		p.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "users_edit", p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(usersPath(u.Name)+"?flash=users.updated", http.StatusSeeOther)
}

// usersSelf reports whether name is the signed-in user's.
func usersSelf(c *fiber.Ctx, name string) bool {
	return consoleActor(c).ID == users.ActorPrefix+name
}

func (s *Server) usersDisable(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	name := u.Name
	_, err = s.Users.Disable(c.UserContext(), consoleActor(c), name)
	if errors.Is(err, storage.ErrForbidden) && usersSelf(c, name) {
		p := s.page(c)
		return s.usersRefused(c, name, http.StatusForbidden, p.T("users.error.disableself"))
	}
	if err != nil {
		return err
	}
	return c.Redirect(usersPath(name)+"?flash=users.disabled", http.StatusSeeOther)
}

func (s *Server) usersEnable(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	name := u.Name
	if _, err := s.Users.Enable(c.UserContext(), consoleActor(c), name); err != nil {
		return err
	}
	return c.Redirect(usersPath(name)+"?flash=users.enabled", http.StatusSeeOther)
}

// usersResetPassword gives the user a new generated password, shown in
// this response only; the user's sessions end and it must change the
// password at the next sign-in.
func (s *Server) usersResetPassword(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	name := u.Name
	u, generated, err := s.Users.SetPassword(c.UserContext(), consoleActor(c), name, "")
	if msg, ok := formMessage(err); ok {
		return s.usersRefused(c, name, http.StatusUnprocessableEntity, msg)
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "users_password", &usersPasswordPage{page: s.page(c), Target: u, Password: generated})
}

// usersDeleteUser deletes a user once its name is typed in confirmation:
// the server checks it, not only the page's script.
func (s *Server) usersDeleteUser(c *fiber.Ctx) error {
	u, err := s.usersTarget(c)
	if err != nil {
		return err
	}
	name := u.Name
	if !consoleActor(c).Can(u.OrgID, deleteUsers) {
		// Refused whatever was typed, as the service would.
		if usersSelf(c, name) {
			p := s.page(c)
			return s.usersRefused(c, name, http.StatusForbidden, p.T("users.error.deleteself"))
		}
		return storage.ErrForbidden
	}
	if strings.TrimSpace(c.FormValue("confirm")) != name {
		p := s.page(c)
		return s.usersRefused(c, name, http.StatusUnprocessableEntity, p.T("users.error.confirm"))
	}
	err = s.Users.Delete(c.UserContext(), consoleActor(c), name)
	if errors.Is(err, storage.ErrForbidden) && usersSelf(c, name) {
		p := s.page(c)
		return s.usersRefused(c, name, http.StatusForbidden, p.T("users.error.deleteself"))
	}
	if err != nil {
		return err
	}
	return c.Redirect(consolePrefix+"/users?flash=users.deleted", http.StatusSeeOther)
}

// SubjectPath is the user's page, under which its assignments are
// changed: the assignments template's links and forms.
func (p *usersDetailPage) SubjectPath() string { return usersPath(p.Target.Name) }
