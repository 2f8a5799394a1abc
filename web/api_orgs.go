package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// Org is an organization in the management API.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newOrg(o rbac.Org) Org {
	return Org{ID: o.ID, Name: o.Name, Parent: o.ParentID, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, UpdatedAt: o.UpdatedAt}
}

// OrgList lists every organization.
type OrgList struct {
	Items []Org `json:"items"`
}

func (s *Server) listOrgs(c *fiber.Ctx) error {
	orgs, err := s.Orgs.ListOrgs(c.UserContext())
	if err != nil {
		return err
	}
	out := OrgList{Items: make([]Org, len(orgs))}
	for i, o := range orgs {
		out.Items[i] = newOrg(o)
	}
	return ok(c, out)
}

// CreateOrgRequest creates an organization; without parent, under the root.
type CreateOrgRequest struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

func (s *Server) createOrg(c *fiber.Ctx) error {
	var in CreateOrgRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	o, err := s.Orgs.CreateOrg(c.UserContext(), in.ID, in.Name, in.Parent, principal(c))
	if err != nil {
		return err
	}
	return created(c, newOrg(o))
}

func (s *Server) getOrg(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	o, err := s.Orgs.GetOrg(c.UserContext(), id)
	if err != nil {
		return err
	}
	return ok(c, newOrg(o))
}

// UpdateOrgRequest renames an organization.
type UpdateOrgRequest struct {
	Name string `json:"name"`
}

func (s *Server) updateOrg(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var in UpdateOrgRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	o, err := s.Orgs.RenameOrg(c.UserContext(), id, in.Name)
	if err != nil {
		return err
	}
	return ok(c, newOrg(o))
}

func (s *Server) deleteOrg(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := s.Orgs.DeleteOrg(c.UserContext(), id); err != nil {
		return err
	}
	return noContent(c)
}
