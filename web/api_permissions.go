package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// Permission is an entry of the permission catalog.
type Permission struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Builtin     bool      `json:"builtin"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

func newPermission(p rbac.Permission) Permission {
	return Permission{Name: p.Name, Description: p.Description, Builtin: p.Builtin, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy}
}

// PermissionList is the catalog, ordered by name.
type PermissionList struct {
	Items []Permission `json:"items"`
}

func (s *Server) listPermissions(c *fiber.Ctx) error {
	ps, err := s.Orgs.ListPermissions(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	out := PermissionList{Items: make([]Permission, len(ps))}
	for i, p := range ps {
		out.Items[i] = newPermission(p)
	}
	return ok(c, out)
}

// CreatePermissionRequest registers a permission of the platform.
type CreatePermissionRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) createPermission(c *fiber.Ctx) error {
	var in CreatePermissionRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := s.Orgs.CreatePermission(c.UserContext(), actor(c), in.Name, in.Description)
	if err != nil {
		return err
	}
	return created(c, newPermission(p))
}

func (s *Server) getPermission(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	p, err := s.Orgs.GetPermission(c.UserContext(), actor(c), name)
	if err != nil {
		return err
	}
	return ok(c, newPermission(p))
}

// UpdatePermissionRequest changes a permission's description.
type UpdatePermissionRequest struct {
	Description *string `json:"description"`
}

func (s *Server) updatePermission(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var in UpdatePermissionRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Description == nil {
		return badRequest("description is required")
	}
	p, err := s.Orgs.DescribePermission(c.UserContext(), actor(c), name, *in.Description)
	if err != nil {
		return err
	}
	return ok(c, newPermission(p))
}

func (s *Server) deletePermission(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := s.Orgs.DeletePermission(c.UserContext(), actor(c), name); err != nil {
		return err
	}
	return noContent(c)
}
