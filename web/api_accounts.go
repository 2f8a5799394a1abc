package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Account is a service account in the management API.
type Account struct {
	ClientID         string     `json:"client_id"`
	ID               string     `json:"id"`
	Org              string     `json:"org"`
	DisplayName      string     `json:"display_name"`
	Description      string     `json:"description"`
	Status           string     `json:"status"`
	System           bool       `json:"system"`
	AllowedAudiences []string   `json:"allowed_audiences"`
	CreatedAt        time.Time  `json:"created_at"`
	CreatedBy        string     `json:"created_by"`
	UpdatedAt        time.Time  `json:"updated_at"`
	ArchivedAt       *time.Time `json:"archived_at,omitempty"`
	// LastUsedAt is null for an account never used.
	LastUsedAt *time.Time `json:"last_used_at"`
	// Owner is the name of the user who owns the account; null if none.
	Owner *string `json:"owner"`
	// Keys are listed when one account is shown.
	Keys []Key `json:"keys,omitempty"`
	// Roles and Groups, when one account is shown to a caller holding
	// iam.assignments read on its organization, are its active roles,
	// each with the scopes it is held on ("acme/viewer@billing,sales/*"),
	// and its groups.
	Roles  []string `json:"roles,omitzero"`
	Groups []string `json:"groups,omitzero"`
}

// newAccount shows a; owners are the names of owners by internal ID (see
// ownerNames).
func (s *Server) newAccount(a accounts.Account, owners map[string]string) Account {
	var owner *string
	if name, ok := owners[a.OwnerID]; ok && a.OwnerID != "" {
		owner = &name
	}
	return Account{
		Owner:    owner,
		ClientID: s.Accounts.ClientIDs().Of(a), ID: a.Name, Org: a.OrgID,
		DisplayName: a.DisplayName, Description: a.Description, Status: a.Status(), System: a.System,
		AllowedAudiences: a.AllowedAudiences, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, UpdatedAt: a.UpdatedAt,
		ArchivedAt: timePtr(a.ArchivedAt), LastUsedAt: timePtr(a.LastUsedAt),
	}
}

// ownerNames returns the names of the owners of as, in one query.
func (s *Server) ownerNames(ctx context.Context, as ...accounts.Account) (map[string]string, error) {
	var ids []string
	for _, a := range as {
		if a.OwnerID != "" {
			ids = append(ids, a.OwnerID)
		}
	}
	if len(ids) == 0 || s.Users == nil {
		return nil, nil
	}
	return s.Users.Names(ctx, ids)
}

// account shows one account, with its owner's name.
func (s *Server) account(ctx context.Context, a accounts.Account) (Account, error) {
	owners, err := s.ownerNames(ctx, a)
	if err != nil {
		return Account{}, err
	}
	return s.newAccount(a, owners), nil
}

// ownerID returns the internal ID of the user named name, the owner a
// request gives an account; "" for "". A user the caller may not read
// (iam.users read) is reported as missing, so that the owner field does
// not tell who exists.
func (s *Server) ownerID(ctx context.Context, a rbac.Actor, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if s.Users == nil {
		return "", badRequest("this server has no users to own accounts")
	}
	u, err := s.Users.Get(ctx, a, name)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrForbidden) {
		return "", storage.Errorf(storage.ErrNotFound, "owner %s: there is no user of that name", storage.Quote(name))
	}
	return u.ID, err
}

// AccountList is a page of accounts.
type AccountList struct {
	Items []Account `json:"items"`
	// NextPageToken, if set, fetches the next page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

// Page sizes of lists: of accounts, users and audit entries.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageSizeQuery reads the page_size query parameter: defaultPageSize if
// absent, a 400 unless 1 to maxPageSize.
func pageSizeQuery(c *fiber.Ctx) (int, error) {
	v := c.Query("page_size")
	if v == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, badRequest(fmt.Sprintf("page_size must be 1 to %d", maxPageSize))
	}
	return n, nil
}

func (s *Server) listAccounts(c *fiber.Ctx) error {
	opts := accounts.ListOptions{OrgID: c.Query("org"), Status: c.Query("status")}
	if owner := c.Query("owner"); owner != "" {
		var err error
		if opts.OwnerID, err = s.ownerID(c.UserContext(), actor(c), owner); err != nil {
			return err
		}
	}
	var err error
	if opts.Limit, err = pageSizeQuery(c); err != nil {
		return err
	}
	if tok := c.Query("page_token"); tok != "" {
		var ok bool
		if opts.AfterOrgID, opts.AfterName, ok = parsePageToken(tok); !ok {
			return badRequest("malformed page_token")
		}
	}
	pageSize := opts.Limit
	opts.Limit++ // one more tells whether there is a next page
	as, err := s.Accounts.List(c.UserContext(), actor(c), opts)
	if err != nil {
		return err
	}
	var out AccountList
	if len(as) > pageSize {
		as = as[:pageSize]
		last := as[pageSize-1]
		out.NextPageToken = pageToken(last.OrgID, last.Name)
	}
	owners, err := s.ownerNames(c.UserContext(), as...)
	if err != nil {
		return err
	}
	out.Items = make([]Account, len(as))
	for i, a := range as {
		out.Items[i] = s.newAccount(a, owners)
	}
	return ok(c, out)
}

func pageToken(orgID, name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(orgID + "/" + name))
}

func parsePageToken(tok string) (orgID, name string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", "", false
	}
	orgID, name, ok = strings.Cut(string(b), "/")
	return orgID, name, ok && rbac.ValidID(orgID) && rbac.ValidID(name)
}

// CreateAccountRequest creates an account.
type CreateAccountRequest struct {
	ID               string   `json:"id"`
	Org              string   `json:"org"`
	DisplayName      string   `json:"display_name"`
	Description      string   `json:"description"`
	AllowedAudiences []string `json:"allowed_audiences"`
	// Owner is the name of the user who owns the account, if any.
	Owner string `json:"owner"`
}

func (s *Server) createAccount(c *fiber.Ctx) error {
	var in CreateAccountRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Org == "" {
		return badRequest("org is required")
	}
	owner, err := s.ownerID(c.UserContext(), actor(c), in.Owner)
	if err != nil {
		return err
	}
	a, err := s.Accounts.Create(c.UserContext(), actor(c), accounts.NewAccount{
		OrgID: in.Org, Name: in.ID, DisplayName: in.DisplayName, Description: in.Description,
		AllowedAudiences: in.AllowedAudiences, OwnerID: owner,
	})
	if err != nil {
		return err
	}
	out, err := s.account(c.UserContext(), a)
	if err != nil {
		return err
	}
	return created(c, out)
}

func (s *Server) getAccount(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	a, keys, err := s.Accounts.GetWithKeys(c.UserContext(), actor(c), clientID)
	if err != nil {
		return err
	}
	out, err := s.account(c.UserContext(), a)
	if err != nil {
		return err
	}
	out.Keys = s.newKeys(keys, out.ClientID)
	if actor(c).Can(a.OrgID, readAssignments) {
		_, rights, err := s.Accounts.Rights(c.UserContext(), actor(c), clientID)
		if err != nil {
			return err
		}
		out.Roles, out.Groups = rights.Roles, rights.Groups
	}
	return ok(c, out)
}

// UpdateAccountRequest changes the fields it sets.
type UpdateAccountRequest struct {
	DisplayName      *string   `json:"display_name"`
	Description      *string   `json:"description"`
	AllowedAudiences *[]string `json:"allowed_audiences"`
	// Owner gives the account to the user of that name; "" leaves it
	// without an owner.
	Owner *string `json:"owner"`
}

func (s *Server) updateAccount(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	var in UpdateAccountRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ch := accounts.Changes{DisplayName: in.DisplayName, Description: in.Description, AllowedAudiences: in.AllowedAudiences}
	if in.Owner != nil {
		owner, err := s.ownerID(c.UserContext(), actor(c), *in.Owner)
		if err != nil {
			return err
		}
		ch.OwnerID = &owner
	}
	a, err := s.Accounts.Update(c.UserContext(), actor(c), clientID, ch)
	if err != nil {
		return err
	}
	return s.okAccount(c, a)
}

func (s *Server) archiveAccount(c *fiber.Ctx) error {
	var in RetireRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	return s.changeAccount(c, func(ctx context.Context, a rbac.Actor, clientID string) (accounts.Account, error) {
		return s.Accounts.ArchiveRevoking(ctx, a, clientID, in.RevokeTokens)
	})
}

func (s *Server) restoreAccount(c *fiber.Ctx) error {
	return s.changeAccount(c, s.Accounts.Restore)
}

func (s *Server) changeAccount(c *fiber.Ctx, change func(ctx context.Context, a rbac.Actor, clientID string) (accounts.Account, error)) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	a, err := change(c.UserContext(), actor(c), clientID)
	if err != nil {
		return err
	}
	return s.okAccount(c, a)
}

func (s *Server) deleteAccount(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	if err := s.Accounts.Delete(c.UserContext(), actor(c), clientID); err != nil {
		return err
	}
	return noContent(c)
}

// MoveAccountRequest moves an account to another organization. Its client
// ID changes with it and the old one stops working at once, so the move
// must be confirmed.
type MoveAccountRequest struct {
	Org     string `json:"org"`
	Confirm bool   `json:"confirm"`
}

func (s *Server) moveAccount(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	var in MoveAccountRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Org == "" {
		return badRequest("org is required")
	}
	if !in.Confirm {
		return badRequest("moving an account changes its client id, and the old one stops working at once: set confirm to true")
	}
	a, err := s.Accounts.Move(c.UserContext(), actor(c), clientID, in.Org)
	if err != nil {
		return err
	}
	return s.okAccount(c, a)
}

// okAccount sends 200 with a.
func (s *Server) okAccount(c *fiber.Ctx, a accounts.Account) error {
	out, err := s.account(c.UserContext(), a)
	if err != nil {
		return err
	}
	return ok(c, out)
}
