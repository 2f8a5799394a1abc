package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// Org is an organization in the management API.
type Org struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
	// Path lists the IDs from the root down to the organization itself.
	Path      []string  `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newOrg(o rbac.Org) Org {
	return Org{ID: o.ID, Name: o.Name, Parent: o.ParentID, Path: orgPath(o.Path),
		CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, UpdatedAt: o.UpdatedAt}
}

// orgPath splits a materialized path, "/acme/billing/", into its IDs.
func orgPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// OrgList lists organizations in tree order: parents before children.
type OrgList struct {
	Items []Org `json:"items"`
}

func (s *Server) listOrgs(c *fiber.Ctx) error {
	orgs, err := s.Orgs.ListOrgs(c.UserContext(), actor(c), c.Query("under"))
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
	o, err := s.Orgs.CreateOrg(c.UserContext(), actor(c), in.ID, in.Name, in.Parent)
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
	o, err := s.Orgs.GetOrg(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, newOrg(o))
}

// UpdateOrgRequest renames an organization, moves it under another parent
// with its subtree, or both.
type UpdateOrgRequest struct {
	Name   *string `json:"name"`
	Parent *string `json:"parent"`
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
	switch {
	case in.Name == nil && in.Parent == nil:
		return badRequest("nothing to change: give name, parent or both")
	case in.Parent != nil && *in.Parent == "":
		return badRequest("parent must name an organization")
	}
	o, err := s.Orgs.UpdateOrg(c.UserContext(), actor(c), id, rbac.OrgChanges{Name: in.Name, Parent: in.Parent})
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
	if err := s.Orgs.DeleteOrg(c.UserContext(), actor(c), id); err != nil {
		return err
	}
	return noContent(c)
}
