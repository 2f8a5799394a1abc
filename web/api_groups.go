package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
)

// Group is a group in the management API: roles held on organizations,
// which every member receives.
type Group struct {
	Ref         string      `json:"ref"`
	Org         string      `json:"org"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Roles       []GroupRole `json:"roles"`
	CreatedAt   time.Time   `json:"created_at"`
	CreatedBy   string      `json:"created_by"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// GroupRole is a role of a group: the role (ORG/NAME) held on an
// organization ("ORG", or "ORG/*" with its descendants).
type GroupRole struct {
	Role string `json:"role"`
	On   string `json:"on"`
}

func newGroup(g rbac.GroupView) Group {
	out := Group{Ref: g.Ref(), Org: g.OrgID, Name: g.Name, Description: g.Description,
		Roles: make([]GroupRole, len(g.Roles)), CreatedAt: g.CreatedAt, CreatedBy: g.CreatedBy, UpdatedAt: g.UpdatedAt}
	for i, p := range g.Roles {
		out.Roles[i] = GroupRole{Role: p.Role, On: p.On.String()}
	}
	return out
}

// GroupList lists groups ordered by organization, then name.
type GroupList struct {
	Items []Group `json:"items"`
}

func (s *Server) listGroups(c *fiber.Ctx) error {
	groups, err := s.Orgs.ListGroups(c.UserContext(), actor(c), c.Query("org"))
	if err != nil {
		return err
	}
	out := GroupList{Items: make([]Group, len(groups))}
	for i, g := range groups {
		out.Items[i] = newGroup(g)
	}
	return ok(c, out)
}

// CreateGroupRequest creates an empty group.
type CreateGroupRequest struct {
	Org         string `json:"org"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) createGroup(c *fiber.Ctx) error {
	var in CreateGroupRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Org == "" {
		return badRequest("org is required")
	}
	g, err := s.Orgs.CreateGroup(c.UserContext(), actor(c), in.Org, in.Name, in.Description)
	if err != nil {
		return err
	}
	return created(c, newGroup(g))
}

func (s *Server) getGroup(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	g, err := s.Orgs.GetGroup(c.UserContext(), actor(c), ref)
	if err != nil {
		return err
	}
	return ok(c, newGroup(g))
}

// UpdateGroupRequest changes a group's description.
type UpdateGroupRequest struct {
	Description *string `json:"description"`
}

func (s *Server) updateGroup(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	var in UpdateGroupRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Description == nil {
		return badRequest("description is required")
	}
	g, err := s.Orgs.DescribeGroup(c.UserContext(), actor(c), ref, *in.Description)
	if err != nil {
		return err
	}
	return ok(c, newGroup(g))
}

func (s *Server) deleteGroup(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	if err := s.Orgs.DeleteGroup(c.UserContext(), actor(c), ref); err != nil {
		return err
	}
	return noContent(c)
}

func (s *Server) addGroupRole(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	var in GroupRole
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Role == "" || in.On == "" {
		return badRequest("role and on are required")
	}
	on, err := rbac.ParseScope(in.On)
	if err != nil {
		return err
	}
	g, err := s.Orgs.AddPair(c.UserContext(), actor(c), ref, in.Role, on)
	if err != nil {
		return err
	}
	return ok(c, newGroup(g))
}

func (s *Server) removeGroupRole(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	role, on, err := roleOnQuery(c)
	if err != nil {
		return err
	}
	g, err := s.Orgs.RemovePair(c.UserContext(), actor(c), ref, role, on)
	if err != nil {
		return err
	}
	return ok(c, newGroup(g))
}

// roleOnQuery reads ?role=ORG/ROLE&on=ORG, the role held on an
// organization that a request takes away. "ORG/*" names the same
// organization as "ORG": a role is held on it once, with or without its
// descendants.
func roleOnQuery(c *fiber.Ctx) (role, onOrg string, err error) {
	role, on := c.Query("role"), c.Query("on")
	if role == "" || on == "" {
		return "", "", badRequest("role and on are required")
	}
	sc, err := rbac.ParseScope(on)
	if err != nil {
		return "", "", err
	}
	return role, sc.OrgID, nil
}

// Member is a member of a group.
type Member struct {
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// MemberList lists the members of a group.
type MemberList struct {
	Items []Member `json:"items"`
}

func (s *Server) listGroupMembers(c *fiber.Ctx) error {
	ref, err := ref(c)
	if err != nil {
		return err
	}
	ms, err := s.Accounts.GroupMembers(c.UserContext(), actor(c), ref)
	if err != nil {
		return err
	}
	// The API names members by client ID, so it lists accounts only, as
	// it always has; the console lists users too.
	out := MemberList{Items: []Member{}}
	for _, m := range ms {
		if m.Kind == accounts.MemberAccount {
			out.Items = append(out.Items, newMember(m))
		}
	}
	return ok(c, out)
}

func newMember(m accounts.Member) Member {
	return Member{ClientID: m.ClientID, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy}
}
