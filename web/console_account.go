package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
)

// accountPages registers the page of one service account.
func (s *Server) accountPages(r fiber.Router) {
	r.Get("/accounts/:client_id", s.accountDetail)
}

// accountDetailPage shows a service account: its properties, the
// audiences of its tokens, its roles, groups and rights, its keys, and how
// to ask for a token.
type accountDetailPage struct {
	page
	Account  accounts.Account
	ClientID string
	// Owner is the name of the account's owner, shown only when the
	// signed-in user may read that user; HasOwner says there is one.
	Owner    string
	HasOwner bool
	// DefaultAudience is the audience of tokens asked for without one:
	// the account may ask for it and for its AllowedAudiences.
	DefaultAudience string
	// Curl is the example token request.
	Curl string
	// ShowKeys is set when the user may read the keys.
	ShowKeys bool
	Keys     []accountKeyRow
	// ShowRights is set when the user may read the assignments.
	ShowRights  bool
	Assignments []assignment
	Groups      []assignment
	Rights      []rbac.Effective
	CanEdit     bool
	CanMove     bool
	CanArchive  bool
	CanDelete   bool
	CanAssign   bool
	CanNewKey   bool
	CanAudit    bool
}

// accountKeyRow is a key as the account page lists it.
type accountKeyRow struct {
	accounts.Key
	Status string
}

func (s *Server) accountDetail(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	ctx := c.UserContext()
	a, keys, err := s.Accounts.GetWithKeys(ctx, actor, clientID)
	if err != nil {
		return err
	}
	p := &accountDetailPage{page: s.page(c), Account: a, ClientID: s.Accounts.ClientIDs().Of(a), DefaultAudience: s.OAuth.DefaultAudience(),
		ShowKeys: actor.Can(a.OrgID, readKeys), CanAudit: actor.Can(a.OrgID, readAudit)}
	p.Curl = "curl -u '" + p.ClientID + ":<secret>' -d grant_type=" + oauth.GrantClientCredentials + " " +
		strings.TrimRight(s.Issuer, "/") + oauth.TokenPath
	if !a.System {
		p.CanEdit = actor.Can(a.OrgID, writeAccounts)
		p.CanMove = p.CanEdit
		p.CanArchive = actor.Can(a.OrgID, archiveAccounts)
		p.CanDelete = actor.Can(a.OrgID, deleteAccounts)
	}
	p.CanNewKey = actor.Can(a.OrgID, writeKeys)
	// Assigning to an account needs the right on its organization.
	p.CanAssign = actor.Can(a.OrgID, writeAssignments)
	now := s.Now()
	p.Keys = make([]accountKeyRow, len(keys))
	for i, k := range keys {
		p.Keys[i] = accountKeyRow{Key: k, Status: k.Status(now)}
	}
	if p.Owner, err = s.accountOwner(ctx, actor, a); err != nil {
		return err
	}
	p.HasOwner = a.OwnerID != ""
	if actor.Can(a.OrgID, readAssignments) {
		_, r, err := s.Accounts.Rights(ctx, actor, clientID)
		if err != nil {
			return err
		}
		p.ShowRights = true
		p.Rights = r.Effective()
		p.Assignments, p.Groups = assignments(p.locale, actor, a.OrgID, r)
	}
	return s.render(c, http.StatusOK, "account_detail", p)
}

// accountOwner returns the name of a's owner if the actor may read that
// user, else "": as ownerID does for the API, a user the actor may not
// read is not named.
func (s *Server) accountOwner(ctx context.Context, actor rbac.Actor, a accounts.Account) (string, error) {
	if a.OwnerID == "" || s.Users == nil {
		return "", nil
	}
	names, err := s.Users.ReadableNames(ctx, actor, []string{a.OwnerID})
	return names[a.OwnerID], err
}

// SubjectPath is the account's page, under which its assignments are
// changed: the assignments template's links and forms.
func (p *accountDetailPage) SubjectPath() string { return acctsPath(p.ClientID) }
