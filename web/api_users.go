package web

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

// User is a human admin in the management API. It never carries the
// password or its hash.
type User struct {
	Name               string    `json:"name"`
	Org                string    `json:"org"`
	DisplayName        string    `json:"display_name"`
	Email              string    `json:"email"`
	Status             string    `json:"status"`
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
	CreatedBy          string    `json:"created_by"`
	UpdatedAt          time.Time `json:"updated_at"`
	PasswordChangedAt  time.Time `json:"password_changed_at"`
	// DisabledAt is set while the user is disabled.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// LastLoginAt is null for a user who never signed in.
	LastLoginAt *time.Time `json:"last_login_at"`
	// Roles and Groups, when one user is shown to a caller holding
	// iam.assignments read on its organization, are as an Account's.
	Roles  []string `json:"roles,omitzero"`
	Groups []string `json:"groups,omitzero"`
}

func newUser(u users.User) User {
	return User{
		Name: u.Name, Org: u.OrgID, DisplayName: u.DisplayName, Email: u.Email, Status: u.Status(),
		MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, CreatedBy: u.CreatedBy,
		UpdatedAt: u.UpdatedAt, PasswordChangedAt: u.PasswordChangedAt,
		DisabledAt: timePtr(u.DisabledAt), LastLoginAt: timePtr(u.LastLoginAt),
	}
}

// NewUser is a user with the password iamd generated for it, if it did:
// shown this once, at creation or when a password is set.
type NewUser struct {
	User
	Password string `json:"password,omitempty"`
}

// UserList is a page of users.
type UserList struct {
	Items []User `json:"items"`
	// NextPageToken, if set, fetches the next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	opts := users.ListOptions{OrgID: c.Query("org"), Status: c.Query("status")}
	var err error
	if opts.Limit, err = pageSizeQuery(c); err != nil {
		return err
	}
	if tok := c.Query("page_token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !rbac.ValidID(string(b)) {
			return badRequest("malformed page_token")
		}
		opts.AfterName = string(b)
	}
	pageSize := opts.Limit
	opts.Limit++ // one more tells whether there is a next page
	us, err := s.Users.List(c.UserContext(), actor(c), opts)
	if err != nil {
		return err
	}
	var out UserList
	if len(us) > pageSize {
		us = us[:pageSize]
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(us[pageSize-1].Name))
	}
	out.Items = make([]User, len(us))
	for i, u := range us {
		out.Items[i] = newUser(u)
	}
	return ok(c, out)
}

// CreateUserRequest creates a user. Without a password, iamd generates
// one and answers it once; either way the user must change it at the
// first sign-in.
type CreateUserRequest struct {
	Name        string `json:"name"`
	Org         string `json:"org"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var in CreateUserRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Org == "" {
		return badRequest("org is required")
	}
	u, generated, err := s.Users.Create(c.UserContext(), actor(c), users.NewUser{
		OrgID: in.Org, Name: in.Name, DisplayName: in.DisplayName, Email: in.Email, Password: in.Password,
	})
	if err != nil {
		return err
	}
	return created(c, NewUser{User: newUser(u), Password: generated})
}

func (s *Server) getUser(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	u, err := s.Users.Get(c.UserContext(), actor(c), name)
	if err != nil {
		return err
	}
	out := newUser(u)
	if actor(c).Can(u.OrgID, readAssignments) {
		_, rights, err := s.Users.Rights(c.UserContext(), actor(c), name)
		if err != nil {
			return err
		}
		out.Roles, out.Groups = rights.Roles, rights.Groups
	}
	return ok(c, out)
}

// UpdateUserRequest changes the fields it sets.
type UpdateUserRequest struct {
	DisplayName *string `json:"display_name"`
	Email       *string `json:"email"`
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var in UpdateUserRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := s.Users.Update(c.UserContext(), actor(c), name, users.Changes{DisplayName: in.DisplayName, Email: in.Email})
	if err != nil {
		return err
	}
	return ok(c, newUser(u))
}

func (s *Server) disableUser(c *fiber.Ctx) error {
	return s.changeUser(c, s.Users.Disable)
}

func (s *Server) enableUser(c *fiber.Ctx) error {
	return s.changeUser(c, s.Users.Enable)
}

func (s *Server) changeUser(c *fiber.Ctx, change func(ctx context.Context, a rbac.Actor, name string) (users.User, error)) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	u, err := change(c.UserContext(), actor(c), name)
	if err != nil {
		return err
	}
	return ok(c, newUser(u))
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := s.Users.Delete(c.UserContext(), actor(c), name); err != nil {
		return err
	}
	return noContent(c)
}

// SetPasswordRequest sets a user's password; without one, iamd generates
// one and answers it once. The user must change it at the next sign-in.
type SetPasswordRequest struct {
	Password string `json:"password"`
}

func (s *Server) setUserPassword(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var in SetPasswordRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	u, generated, err := s.Users.SetPassword(c.UserContext(), actor(c), name, in.Password)
	if err != nil {
		return err
	}
	return ok(c, NewUser{User: newUser(u), Password: generated})
}

func (s *Server) assignUser(c *fiber.Ctx) error {
	return assignTo(c, "name", s.Users.AssignRole, s.Users.JoinGroup)
}

func (s *Server) unassignUser(c *fiber.Ctx) error {
	return unassignFrom(c, "name", s.Users.UnassignRole, s.Users.LeaveGroup)
}

// UserRights are a user's effective rights, as AccountRights are an
// account's.
type UserRights struct {
	Name     string           `json:"name"`
	Org      string           `json:"org"`
	Roles    []string         `json:"roles"`
	Groups   []string         `json:"groups"`
	Rights   []EffectiveRight `json:"rights"`
	Inactive []InactiveGrant  `json:"inactive"`
}

func (s *Server) userRights(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	u, r, err := s.Users.Rights(c.UserContext(), actor(c), name)
	if err != nil {
		return err
	}
	out := UserRights{Name: u.Name, Org: u.OrgID, Roles: r.Roles, Groups: r.Groups}
	out.Rights, out.Inactive = newRights(r)
	return ok(c, out)
}
