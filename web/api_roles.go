package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// Role is a role in the management API. Rights are "PERMISSION:OPERATION";
// perimeter entries "ORG", or "ORG/*" for the organization and its
// descendants.
type Role struct {
	Ref         string `json:"ref"`
	Org         string `json:"org"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Kind is "custom", "managed" (shipped by iamd: assignable, not
	// editable) or "bootstrap" (the system admin's: neither).
	Kind      string    `json:"kind"`
	Rights    []string  `json:"rights"`
	Perimeter []string  `json:"perimeter"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newRole(r rbac.Role) Role {
	out := Role{Ref: r.Ref(), Org: r.OrgID, Name: r.Name, Description: r.Description, Kind: r.Kind,
		Rights: make([]string, len(r.Rights)), Perimeter: make([]string, len(r.Perimeter)),
		CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, UpdatedAt: r.UpdatedAt}
	if out.Kind == rbac.KindCustom {
		out.Kind = "custom"
	}
	for i, x := range r.Rights {
		out.Rights[i] = x.String()
	}
	for i, p := range r.Perimeter {
		out.Perimeter[i] = p.String()
	}
	return out
}

// RoleList lists roles ordered by organization, then name.
type RoleList struct {
	Items []Role `json:"items"`
}

func (s *Server) listRoles(c *fiber.Ctx) error {
	roles, err := s.Orgs.ListRoles(c.UserContext(), actor(c), c.Query("org"))
	if err != nil {
		return err
	}
	out := RoleList{Items: make([]Role, len(roles))}
	for i, r := range roles {
		out.Items[i] = newRole(r)
	}
	return ok(c, out)
}

// CreateRoleRequest creates a role; without perimeter, it may be assigned
// on its organization and every descendant.
type CreateRoleRequest struct {
	Org         string   `json:"org"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rights      []string `json:"rights"`
	Perimeter   []string `json:"perimeter"`
}

func (s *Server) createRole(c *fiber.Ctx) error {
	var in CreateRoleRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Org == "" {
		return badRequest("org is required")
	}
	rights, err := parseRights(in.Rights)
	if err != nil {
		return err
	}
	perimeter, err := parseScopes(in.Perimeter)
	if err != nil {
		return err
	}
	r, err := s.Orgs.CreateRole(c.UserContext(), actor(c), rbac.NewRole{
		OrgID: in.Org, Name: in.Name, Description: in.Description, Rights: rights, Perimeter: perimeter,
	})
	if err != nil {
		return err
	}
	return created(c, newRole(r))
}

// ref returns the ORG/NAME reference of a role or group in the path.
func ref(c *fiber.Ctx) (string, error) {
	org, err := param(c, "org")
	if err != nil {
		return "", err
	}
	name, err := param(c, "name")
	if err != nil {
		return "", err
	}
	return org + "/" + name, nil
}

func (s *Server) getRole(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	r, err := s.Orgs.GetRole(c.UserContext(), actor(c), ref)
	if err != nil {
		return err
	}
	return ok(c, newRole(r))
}

// UpdateRoleRequest changes the fields it sets; a list given replaces the
// role's.
type UpdateRoleRequest struct {
	Description *string   `json:"description"`
	Rights      *[]string `json:"rights"`
	Perimeter   *[]string `json:"perimeter"`
}

func (s *Server) updateRole(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	var in UpdateRoleRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ch := rbac.RoleChanges{Description: in.Description}
	if in.Rights != nil {
		rights, err := parseRights(*in.Rights)
		if err != nil {
			return err
		}
		ch.Rights = &rights
	}
	if in.Perimeter != nil {
		perimeter, err := parseScopes(*in.Perimeter)
		if err != nil {
			return err
		}
		ch.Perimeter = &perimeter
	}
	r, err := s.Orgs.UpdateRole(c.UserContext(), actor(c), ref, ch)
	if err != nil {
		return err
	}
	return ok(c, newRole(r))
}

func (s *Server) deleteRole(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	force, err := boolQuery(c, "force")
	if err != nil {
		return err
	}
	if err := s.Orgs.DeleteRole(c.UserContext(), actor(c), ref, force); err != nil {
		return err
	}
	return noContent(c)
}

// boolQuery reads a query parameter "true" or "false"; absent is false.
func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	switch c.Query(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, badRequest(name + " must be true or false")
}

// parseRights reads "PERMISSION:OPERATION" strings.
func parseRights(ss []string) ([]rbac.Right, error) {
	out := make([]rbac.Right, 0, len(ss))
	for _, s := range ss {
		r, err := rbac.ParseRight(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// parseScopes reads "ORG" and "ORG/*" strings; nil stays nil, so that a
// default applies.
func parseScopes(ss []string) ([]rbac.Scope, error) {
	if ss == nil {
		return nil, nil
	}
	out := make([]rbac.Scope, 0, len(ss))
	for _, s := range ss {
		sc, err := rbac.ParseScope(s)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}
