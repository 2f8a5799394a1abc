package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
)

// AssignRequest gives an account a role on one or more organizations
// ("ORG", or "ORG/*" with its descendants), or makes it a member of a
// group: role and on, or group alone.
type AssignRequest struct {
	Role  string   `json:"role"`
	On    []string `json:"on"`
	Group string   `json:"group"`
}

func (s *Server) assign(c *fiber.Ctx) error {
	return assignTo(c, "client_id", s.Accounts.AssignRole, s.Accounts.JoinGroup)
}

func (s *Server) unassign(c *fiber.Ctx) error {
	return unassignFrom(c, "client_id", s.Accounts.UnassignRole, s.Accounts.LeaveGroup)
}

// The assignment calls of the accounts and users services, which take the
// subject by its client ID or user name.
type (
	assignRoleFunc   func(ctx context.Context, a rbac.Actor, subject, role string, on []rbac.Scope) error
	unassignRoleFunc func(ctx context.Context, a rbac.Actor, subject, role, onOrg string) error
	groupFunc        func(ctx context.Context, a rbac.Actor, subject, group string) error
)

// assignTo gives the subject named by the path parameter a role or a
// group, as an AssignRequest says.
func assignTo(c *fiber.Ctx, name string, assignRole assignRoleFunc, join groupFunc) error {
	subject, err := param(c, name)
	if err != nil {
		return err
	}
	var in AssignRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	switch {
	case in.Group != "" && (in.Role != "" || in.On != nil):
		return badRequest("give role and on, or group, not both")
	case in.Group != "":
		err = join(c.UserContext(), actor(c), subject, in.Group)
	case in.Role == "" || len(in.On) == 0:
		return badRequest("give role and on (one or more organizations), or group")
	default:
		var on []rbac.Scope
		if on, err = parseScopes(in.On); err != nil {
			return err
		}
		err = assignRole(c.UserContext(), actor(c), subject, in.Role, on)
	}
	if err != nil {
		return err
	}
	return noContent(c)
}

// unassignFrom takes a role or a group, given in the query, away from the
// subject named by the path parameter.
func unassignFrom(c *fiber.Ctx, name string, unassignRole unassignRoleFunc, leave groupFunc) error {
	subject, err := param(c, name)
	if err != nil {
		return err
	}
	group := c.Query("group")
	switch {
	case group != "" && (c.Query("role") != "" || c.Query("on") != ""):
		return badRequest("give role and on, or group, not both")
	case group != "":
		err = leave(c.UserContext(), actor(c), subject, group)
	default:
		var role, on string
		if role, on, err = roleOnQuery(c); err != nil {
			return err
		}
		err = unassignRole(c.UserContext(), actor(c), subject, role, on)
	}
	if err != nil {
		return err
	}
	return noContent(c)
}

// AccountRights are an account's effective rights, with where each comes
// from, and the assignments that give none, with the reason.
type AccountRights struct {
	ClientID string `json:"client_id"`
	Org      string `json:"org"`
	// Roles are the active roles, each with the scopes it is held on,
	// "ORG/ROLE@SCOPE,SCOPE" as in "acme/viewer@billing,sales/*"; Groups
	// the account's groups, ORG/NAME.
	Roles    []string         `json:"roles"`
	Groups   []string         `json:"groups"`
	Rights   []EffectiveRight `json:"rights"`
	Inactive []InactiveGrant  `json:"inactive"`
}

// EffectiveRight is a right held on an organization ("*": every one) and
// the assignment it comes from.
type EffectiveRight struct {
	Org   string `json:"org"`
	Right string `json:"right"`
	Role  string `json:"role"`
	Group string `json:"group,omitempty"`
	On    string `json:"on"`
}

// InactiveGrant is an assignment that gives no right: the assignment rule
// it breaks (0 when the account's own organization is outside the role's
// perimeter) and why.
type InactiveGrant struct {
	Role   string `json:"role"`
	Group  string `json:"group,omitempty"`
	On     string `json:"on"`
	Rule   int    `json:"rule"`
	Reason string `json:"reason"`
}

func (s *Server) accountRights(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	a, r, err := s.Accounts.Rights(c.UserContext(), actor(c), clientID)
	if err != nil {
		return err
	}
	out := AccountRights{ClientID: s.Accounts.ClientIDs().Of(a), Org: a.OrgID, Roles: r.Roles, Groups: r.Groups}
	out.Rights, out.Inactive = newRights(r)
	return ok(c, out)
}

// newRights lists the effective rights and inactive grants of r.
func newRights(r *rbac.Rights) ([]EffectiveRight, []InactiveGrant) {
	effective := r.Effective()
	rights, inactive := make([]EffectiveRight, len(effective)), make([]InactiveGrant, len(r.Inactive))
	for i, e := range effective {
		rights[i] = EffectiveRight{Org: e.Org, Right: e.Right.String(), Role: e.Source.Role, Group: e.Source.Group, On: e.Source.On.String()}
	}
	for i, in := range r.Inactive {
		inactive[i] = InactiveGrant{Role: in.Source.Role, Group: in.Source.Group, On: in.Source.On.String(), Rule: in.Rule, Reason: in.Reason}
	}
	return rights, inactive
}
