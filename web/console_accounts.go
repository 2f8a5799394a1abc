package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// acctsPageSize is the number of accounts a list page shows.
const acctsPageSize = 50

// accountsPages registers the pages of service accounts: the list and the
// forms that change accounts. The detail page, /accounts/:client_id, is
// accountPages', registered after these, so that /accounts/new stays
// ours.
func (s *Server) accountsPages(r fiber.Router) {
	r.Get("/accounts", s.accountsList)
	r.Get("/accounts/new", s.accountsNew)
	r.Post("/accounts", s.accountsCreate)
	r.Get("/accounts/:client_id/edit", s.accountsEdit)
	r.Post("/accounts/:client_id", s.accountsUpdate)
	r.Get("/accounts/:client_id/move", s.accountsMoveForm)
	r.Post("/accounts/:client_id/move", s.accountsMove)
	r.Post("/accounts/:client_id/archive", s.accountsArchive)
	r.Post("/accounts/:client_id/restore", s.accountsRestore)
	r.Get("/accounts/:client_id/delete", s.accountsDeleteForm)
	r.Post("/accounts/:client_id/delete", s.accountsDelete)
}

// acctsPath is the path of an account's detail page.
func acctsPath(clientID string) string {
	return consolePrefix + "/accounts/" + url.PathEscape(clientID)
}

// acctsListPage lists accounts, a page at a time, by organization then
// name.
type acctsListPage struct {
	page
	Accounts []accounts.Account
	// ClientIDs and Owners, by account ID, are what the rows show.
	ClientIDs map[string]string
	Owners    map[string]string
	Orgs      []orgChoice
	Q         string
	Org       string
	Status    string
	Owner     string
	// Error says why the search was refused.
	Error string
	// Next is the URL of the next page, if there is one; First, of the
	// first, when this one is not.
	Next, First string
	CanCreate   bool
}

func (s *Server) accountsList(c *fiber.Ctx) error {
	actor := consoleActor(c)
	p := &acctsListPage{page: s.page(c), Q: strings.TrimSpace(c.Query("q")), Org: c.Query("org"),
		Status: c.Query("status"), Owner: strings.TrimSpace(c.Query("owner"))}
	opts := accounts.ListOptions{Search: p.Q, OrgID: p.Org, Limit: acctsPageSize + 1}
	switch p.Status {
	case "", "all":
		p.Status = ""
	case accounts.StatusActive, accounts.StatusArchived:
		opts.Status = p.Status
	default:
		return fiber.ErrBadRequest
	}
	if p.Org != "" && !rbac.ValidID(p.Org) {
		return fiber.ErrBadRequest
	}
	after := c.Query("after")
	if after != "" {
		var ok bool
		opts.AfterOrgID, opts.AfterName, ok = strings.Cut(after, "/")
		if !ok || !rbac.ValidID(opts.AfterOrgID) || !rbac.ValidID(opts.AfterName) {
			return fiber.ErrBadRequest
		}
	}
	var err error
	if p.Orgs, err = s.orgChoices(c, readAccounts, p.Org); err != nil {
		return err
	}
	p.CanCreate = actor.CanSomewhere(writeAccounts)

	var list []accounts.Account
	if p.Owner != "" {
		opts.OwnerID, err = s.ownerID(c.UserContext(), actor, p.Owner)
		if errors.Is(err, storage.ErrNotFound) {
			// Nobody of that name, or nobody the user may know of: no
			// account.
			p.Error = p.T("accounts.list.noowner")
			return s.render(c, http.StatusOK, "accounts_list", p)
		}
		if err != nil {
			return err
		}
	}
	list, err = s.Accounts.List(c.UserContext(), actor, opts)
	if msg, ok := formMessage(err); ok {
		p.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "accounts_list", p)
	}
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"q": p.Q, "org": p.Org, "status": p.Status, "owner": p.Owner} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(list) > acctsPageSize {
		list = list[:acctsPageSize]
		last := list[acctsPageSize-1]
		next := url.Values{"after": {last.OrgID + "/" + last.Name}}
		for k, v := range q {
			next[k] = v
		}
		p.Next = consolePrefix + "/accounts?" + next.Encode()
	}
	if after != "" {
		p.First = consolePrefix + "/accounts"
		if len(q) > 0 {
			p.First += "?" + q.Encode()
		}
	}
	p.Accounts = list
	if p.Owners, err = s.acctsOwners(c, list...); err != nil {
		return err
	}
	p.ClientIDs = make(map[string]string, len(list))
	for _, a := range list {
		p.ClientIDs[a.ID] = s.Accounts.ClientIDs().Of(a)
	}
	return s.render(c, http.StatusOK, "accounts_list", p)
}

// acctsOwners returns, in one query, the names of the owners of as that
// the signed-in user may read, by internal ID: an owner left out is
// shown as hidden, as the account's page does.
func (s *Server) acctsOwners(c *fiber.Ctx, as ...accounts.Account) (map[string]string, error) {
	var ids []string
	for _, a := range as {
		if a.OwnerID != "" {
			ids = append(ids, a.OwnerID)
		}
	}
	if len(ids) == 0 || s.Users == nil {
		return nil, nil
	}
	return s.Users.ReadableNames(c.UserContext(), consoleActor(c), ids)
}

// acctsFormPage is the form creating an account, or editing one
// (Account set).
type acctsFormPage struct {
	page
	// ClientID is the edited account's; "" on the creation form.
	ClientID    string
	Orgs        []orgChoice
	Name        string
	DisplayName string
	Description string
	Owner       string
	// OwnerHidden says the edited account has an owner the user may not
	// read: the owner field is left empty, and saving it empty keeps the
	// owner.
	OwnerHidden bool
	Error       string
}

func (s *Server) accountsNew(c *fiber.Ctx) error {
	p := &acctsFormPage{page: s.page(c)}
	var err error
	if p.Orgs, err = s.orgChoices(c, writeAccounts, c.Query("org")); err != nil {
		return err
	}
	if len(p.Orgs) == 0 {
		return storage.ErrForbidden
	}
	return s.render(c, http.StatusOK, "accounts_new", p)
}

// acctsOwner returns the internal ID of the owner a form names; a user
// that does not exist, or that the signed-in user may not read, is an
// error of the form (ok true), told in the same words.
func (s *Server) acctsOwner(c *fiber.Ctx, name string) (id, msg string, err error) {
	id, err = s.ownerID(c.UserContext(), consoleActor(c), name)
	if errors.Is(err, storage.ErrNotFound) {
		return "", err.Error(), nil
	}
	return id, "", err
}

func (s *Server) accountsCreate(c *fiber.Ctx) error {
	p := &acctsFormPage{page: s.page(c), Name: strings.TrimSpace(c.FormValue("name")),
		DisplayName: strings.TrimSpace(c.FormValue("display_name")), Description: strings.TrimSpace(c.FormValue("description")),
		Owner: strings.TrimSpace(c.FormValue("owner"))}
	org := c.FormValue("org")
	refuse := func(msg string) error {
		p.Error = msg
		var err error
		if p.Orgs, err = s.orgChoices(c, writeAccounts, org); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "accounts_new", p)
	}
	if org == "" {
		return refuse(p.T("accounts.form.noorg"))
	}
	owner, msg, err := s.acctsOwner(c, p.Owner)
	if err != nil {
		return err
	}
	if msg != "" {
		return refuse(msg)
	}
	a, err := s.Accounts.Create(c.UserContext(), consoleActor(c), accounts.NewAccount{
		OrgID: org, Name: p.Name, DisplayName: p.DisplayName, Description: p.Description, OwnerID: owner,
	})
	if msg, ok := formMessage(err); ok {
		return refuse(msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(acctsPath(s.Accounts.ClientIDs().Of(a))+"?flash=accounts.created", http.StatusSeeOther)
}

// acctsGet returns the account of the request's path, refused unless the
// signed-in user holds right on its organization.
func (s *Server) acctsGet(c *fiber.Ctx, right rbac.Right) (accounts.Account, string, error) {
	clientID, err := param(c, "client_id")
	if err != nil {
		return accounts.Account{}, "", err
	}
	a, err := s.Accounts.Get(c.UserContext(), consoleActor(c), clientID)
	if err != nil {
		return accounts.Account{}, "", err
	}
	if !consoleActor(c).Can(a.OrgID, right) {
		return accounts.Account{}, "", storage.ErrForbidden
	}
	return a, s.Accounts.ClientIDs().Of(a), nil
}

func (s *Server) accountsEdit(c *fiber.Ctx) error {
	a, clientID, err := s.acctsGet(c, writeAccounts)
	if err != nil {
		return err
	}
	owners, err := s.acctsOwners(c, a)
	if err != nil {
		return err
	}
	p := &acctsFormPage{page: s.page(c), ClientID: clientID, Name: a.Name, DisplayName: a.DisplayName,
		Description: a.Description, Owner: owners[a.OwnerID]}
	p.OwnerHidden = a.OwnerID != "" && p.Owner == ""
	return s.render(c, http.StatusOK, "accounts_edit", p)
}

func (s *Server) accountsUpdate(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	p := &acctsFormPage{page: s.page(c), ClientID: clientID,
		DisplayName: strings.TrimSpace(c.FormValue("display_name")), Description: strings.TrimSpace(c.FormValue("description")),
		Owner: strings.TrimSpace(c.FormValue("owner")), OwnerHidden: c.FormValue("owner_hidden") != ""}
	refuse := func(msg string) error {
		p.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "accounts_edit", p)
	}
	ch := accounts.Changes{DisplayName: &p.DisplayName, Description: &p.Description}
	// The form leaves empty an owner the user may not read: posted empty,
	// it means "keep the owner", a change of nothing, which grants no
	// right; any other value is checked as on creation.
	if !p.OwnerHidden || p.Owner != "" {
		owner, msg, err := s.acctsOwner(c, p.Owner)
		if err != nil {
			return err
		}
		if msg != "" {
			return refuse(msg)
		}
		ch.OwnerID = &owner
	}
	_, err = s.Accounts.Update(c.UserContext(), consoleActor(c), clientID, ch)
	if msg, ok := formMessage(err); ok {
		return refuse(msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(acctsPath(clientID)+"?flash=accounts.updated", http.StatusSeeOther)
}

// acctsMovePage chooses the organization to move an account to, then,
// with Preview, shows the client ID it will have and asks to confirm.
type acctsMovePage struct {
	page
	ClientID string
	Name     string
	Orgs     []orgChoice
	// Preview is set once an organization is chosen: To, and the account's
	// client ID there, NewClientID.
	Preview     bool
	To          string
	NewClientID string
	Error       string
}

func (s *Server) accountsMoveForm(c *fiber.Ctx) error {
	a, clientID, err := s.acctsGet(c, writeAccounts)
	if err != nil {
		return err
	}
	p := &acctsMovePage{page: s.page(c), ClientID: clientID, Name: a.Name}
	if p.Orgs, err = s.acctsMoveChoices(c, a.OrgID, ""); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "accounts_move", p)
}

// acctsMoveChoices returns the organizations an account of from may be
// moved to: those where the user may create accounts, but from.
func (s *Server) acctsMoveChoices(c *fiber.Ctx, from, selected string) ([]orgChoice, error) {
	orgs, err := s.orgChoices(c, writeAccounts, selected)
	if err != nil {
		return nil, err
	}
	out := orgs[:0]
	for _, o := range orgs {
		if o.ID != from {
			out = append(out, o)
		}
	}
	return out, nil
}

// accountsMove shows the new client ID the account will have in the
// chosen organization, and moves it once that is confirmed (confirm=yes):
// the old client ID stops working at once.
func (s *Server) accountsMove(c *fiber.Ctx) error {
	a, clientID, err := s.acctsGet(c, writeAccounts)
	if err != nil {
		return err
	}
	to := c.FormValue("org")
	p := &acctsMovePage{page: s.page(c), ClientID: clientID, Name: a.Name, To: to}
	refuse := func(msg string) error {
		p.Error = msg
		p.Preview = false
		var err error
		if p.Orgs, err = s.acctsMoveChoices(c, a.OrgID, to); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "accounts_move", p)
	}
	if !rbac.ValidID(to) {
		return refuse(p.T("accounts.form.noorg"))
	}
	if to == a.OrgID {
		return refuse(p.T("accounts.move.same"))
	}
	if c.FormValue("confirm") != "yes" {
		// The preview names only an organization the form offers; the
		// move itself is the service's to refuse.
		choices, err := s.acctsMoveChoices(c, a.OrgID, to)
		if err != nil {
			return err
		}
		offered := false
		for _, o := range choices {
			offered = offered || o.ID == to
		}
		if !offered {
			return refuse(p.T("accounts.form.noorg"))
		}
		p.Preview = true
		p.NewClientID = s.Accounts.ClientIDs().Format(to, a.Name)
		return s.render(c, http.StatusOK, "accounts_move", p)
	}
	moved, err := s.Accounts.Move(c.UserContext(), consoleActor(c), clientID, to)
	if msg, ok := formMessage(err); ok {
		return refuse(msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(acctsPath(s.Accounts.ClientIDs().Of(moved))+"?flash=accounts.moved", http.StatusSeeOther)
}

func (s *Server) accountsArchive(c *fiber.Ctx) error {
	return s.acctsChange(c, s.Accounts.Archive, "accounts.archived")
}

func (s *Server) accountsRestore(c *fiber.Ctx) error {
	return s.acctsChange(c, s.Accounts.Restore, "accounts.restored")
}

// acctsChange makes change to the account of the path and goes back to
// its page with flash.
func (s *Server) acctsChange(c *fiber.Ctx, change func(ctx context.Context, a rbac.Actor, clientID string) (accounts.Account, error), flash string) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	if _, err := change(c.UserContext(), consoleActor(c), clientID); err != nil {
		return err
	}
	return c.Redirect(acctsPath(clientID)+"?flash="+flash, http.StatusSeeOther)
}

// acctsDeletePage asks to type the client ID of the account to delete.
type acctsDeletePage struct {
	page
	ClientID string
	Error    string
}

func (s *Server) accountsDeleteForm(c *fiber.Ctx) error {
	_, clientID, err := s.acctsGet(c, deleteAccounts)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "accounts_delete", &acctsDeletePage{page: s.page(c), ClientID: clientID})
}

// accountsDelete deletes the account once its client ID is typed in the
// confirm field.
func (s *Server) accountsDelete(c *fiber.Ctx) error {
	_, clientID, err := s.acctsGet(c, deleteAccounts)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.FormValue("confirm")) != clientID {
		p := &acctsDeletePage{page: s.page(c), ClientID: clientID}
		p.Error = p.T("accounts.delete.mismatch")
		return s.render(c, http.StatusUnprocessableEntity, "accounts_delete", p)
	}
	err = s.Accounts.Delete(c.UserContext(), consoleActor(c), clientID)
	if msg, ok := formMessage(err); ok {
		p := &acctsDeletePage{page: s.page(c), ClientID: clientID, Error: msg}
		return s.render(c, http.StatusUnprocessableEntity, "accounts_delete", p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(consolePrefix+"/accounts?flash=accounts.deleted", http.StatusSeeOther)
}
