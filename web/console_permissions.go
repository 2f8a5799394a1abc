package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// permissionsPages registers the pages of the permission catalog.
func (s *Server) permissionsPages(r fiber.Router) {
	r.Get("/permissions", s.permissionsList)
	r.Get("/permissions/new", s.permissionsNew)
	r.Post("/permissions", s.permissionsCreate)
	r.Get("/permissions/:name", s.permissionsDetail)
	r.Get("/permissions/:name/edit", s.permissionsEdit)
	r.Post("/permissions/:name", s.permissionsUpdate)
	r.Post("/permissions/:name/delete", s.permissionsDeleteOne)
}

// permissionsPath is the page of the permission name.
func permissionsPath(name string) string {
	return consolePrefix + "/permissions/" + url.PathEscape(name)
}

// permissionsRights tells whether the actor may change and delete
// custom permissions: whether it holds those rights on the root.
func (s *Server) permissionsRights(c *fiber.Ctx) (canWrite, canDelete bool, err error) {
	root, err := s.Orgs.Root(c.UserContext())
	if err != nil {
		return false, false, err
	}
	actor := consoleActor(c)
	return actor.Can(root.ID, writeRoles), actor.Can(root.ID, deleteRoles), nil
}

// permissionsListPage is the catalog, built-in permissions and those
// admins registered.
type permissionsListPage struct {
	page
	Permissions []permissionsItem
	CanCreate   bool
}

type permissionsItem struct {
	Name, Description, Href string
	Builtin                 bool
}

func (s *Server) permissionsList(c *fiber.Ctx) error {
	ps, err := s.Orgs.ListPermissions(c.UserContext(), consoleActor(c))
	if err != nil {
		return err
	}
	p := &permissionsListPage{page: s.page(c)}
	if p.CanCreate, _, err = s.permissionsRights(c); err != nil {
		return err
	}
	for _, perm := range ps {
		p.Permissions = append(p.Permissions, permissionsItem{Name: perm.Name, Description: perm.Description, Href: permissionsPath(perm.Name), Builtin: perm.Builtin})
	}
	return s.render(c, http.StatusOK, "permissions_list", p)
}

// permissionsFormPage registers a permission or edits its description.
type permissionsFormPage struct {
	page
	New               bool
	Name, Description string
	Action, Back      string
	Error             string
}

func (s *Server) permissionsNew(c *fiber.Ctx) error {
	canWrite, _, err := s.permissionsRights(c)
	if err != nil {
		return err
	}
	if !canWrite {
		return fiber.ErrForbidden
	}
	p := &permissionsFormPage{page: s.page(c), New: true, Action: consolePrefix + "/permissions", Back: consolePrefix + "/permissions"}
	return s.render(c, http.StatusOK, "permissions_form", p)
}

func (s *Server) permissionsCreate(c *fiber.Ctx) error {
	name, description := strings.TrimSpace(c.FormValue("name")), c.FormValue("description")
	perm, err := s.Orgs.CreatePermission(c.UserContext(), consoleActor(c), name, description)
	if err == nil {
		return c.Redirect(permissionsPath(perm.Name)+"?flash=permissions.created", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &permissionsFormPage{page: s.page(c), New: true, Name: name, Description: description,
		Action: consolePrefix + "/permissions", Back: consolePrefix + "/permissions", Error: msg}
	return s.render(c, http.StatusUnprocessableEntity, "permissions_form", p)
}

func (s *Server) permissionsEdit(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	perm, err := s.Orgs.GetPermission(c.UserContext(), consoleActor(c), name)
	if err != nil {
		return err
	}
	canWrite, _, err := s.permissionsRights(c)
	if err != nil {
		return err
	}
	if !canWrite || perm.Builtin {
		return fiber.ErrForbidden
	}
	back := permissionsPath(perm.Name)
	p := &permissionsFormPage{page: s.page(c), Name: perm.Name, Description: perm.Description, Action: back, Back: back}
	return s.render(c, http.StatusOK, "permissions_form", p)
}

func (s *Server) permissionsUpdate(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	description := c.FormValue("description")
	_, err = s.Orgs.DescribePermission(c.UserContext(), consoleActor(c), name, description)
	back := permissionsPath(name)
	if err == nil {
		return c.Redirect(back+"?flash=permissions.updated", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &permissionsFormPage{page: s.page(c), Name: name, Description: description, Action: back, Back: back, Error: msg}
	return s.render(c, http.StatusUnprocessableEntity, "permissions_form", p)
}

// permissionsDetailPage shows a permission, with its edit and delete
// controls when it is custom and the user may change the catalog.
type permissionsDetailPage struct {
	page
	Permission         rbac.Permission
	Href               string
	CanEdit, CanDelete bool
	Confirm, Error     string
}

func (s *Server) permissionsDetail(c *fiber.Ctx) error {
	return s.permissionsShow(c, http.StatusOK, "", "")
}

func (s *Server) permissionsShow(c *fiber.Ctx, status int, confirm, msg string) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	perm, err := s.Orgs.GetPermission(c.UserContext(), consoleActor(c), name)
	if err != nil {
		return err
	}
	canWrite, canDelete, err := s.permissionsRights(c)
	if err != nil {
		return err
	}
	p := &permissionsDetailPage{page: s.page(c), Permission: perm, Href: permissionsPath(perm.Name),
		CanEdit: canWrite && !perm.Builtin, CanDelete: canDelete && !perm.Builtin, Confirm: confirm, Error: msg}
	return s.render(c, status, "permissions_detail", p)
}

func (s *Server) permissionsDeleteOne(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	confirm := strings.TrimSpace(c.FormValue("confirm"))
	if confirm != name {
		// Refused before any word about the permission to who may not
		// delete it.
		_, canDelete, err := s.permissionsRights(c)
		if err != nil {
			return err
		}
		if !canDelete {
			return fiber.ErrForbidden
		}
		p := s.page(c)
		return s.permissionsShow(c, http.StatusUnprocessableEntity, confirm, p.T("permissions.delete.mismatch", "name", name))
	}
	err = s.Orgs.DeletePermission(c.UserContext(), consoleActor(c), name)
	if err == nil {
		return c.Redirect(consolePrefix+"/permissions?flash=permissions.deleted", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	return s.permissionsShow(c, http.StatusUnprocessableEntity, confirm, msg)
}
