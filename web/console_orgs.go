package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// orgsPages registers the pages of organizations: the tree and its forms.
func (s *Server) orgsPages(r fiber.Router) {
	r.Get("/orgs", s.orgsList)
	r.Get("/orgs/new", s.orgsNew)
	r.Post("/orgs", s.orgsCreate)
	r.Get("/orgs/:id", s.orgDetail)
	r.Get("/orgs/:id/edit", s.orgEdit)
	r.Post("/orgs/:id", s.orgUpdate)
	r.Post("/orgs/:id/delete", s.orgDelete)
}

// orgHref is the console page of an organization.
func orgHref(id string) string {
	return consolePrefix + "/orgs/" + url.PathEscape(id)
}

// orgsListPage shows the organizations the user may read as a tree.
type orgsListPage struct {
	page
	Tree      []*orgNode
	CanCreate bool
}

// orgNode is an organization of the tree with the ones under it that the
// user may read.
type orgNode struct {
	ID, Name, Href string
	Children       []*orgNode
}

// orgTree nests orgs, in tree order, under their nearest ancestor in orgs:
// an organization whose parent the user may not read hangs under the
// closest one they may, or at the top.
func orgTree(orgs []rbac.Org) []*orgNode {
	var top []*orgNode
	byID := make(map[string]*orgNode, len(orgs))
	for _, o := range orgs {
		n := &orgNode{ID: o.ID, Name: o.Name, Href: orgHref(o.ID)}
		byID[o.ID] = n
		ancestors := orgPath(o.Path)
		var parent *orgNode
		for i := len(ancestors) - 2; i >= 0 && parent == nil; i-- {
			parent = byID[ancestors[i]]
		}
		if parent == nil {
			top = append(top, n)
		} else {
			parent.Children = append(parent.Children, n)
		}
	}
	return top
}

func (s *Server) orgsList(c *fiber.Ctx) error {
	actor := consoleActor(c)
	orgs, err := s.Orgs.ListOrgs(c.UserContext(), actor, "")
	if err != nil {
		return err
	}
	p := &orgsListPage{page: s.page(c), Tree: orgTree(orgs), CanCreate: actor.CanSomewhere(writeOrgs)}
	return s.render(c, http.StatusOK, "orgs_list", p)
}

// orgFormPage creates an organization (New) or renames one.
type orgFormPage struct {
	page
	New      bool
	ID, Name string
	// Parents are the organizations a new one may go under.
	Parents []orgChoice
	Action  string
	Back    string
	Error   string
}

func (s *Server) orgsNew(c *fiber.Ctx) error {
	p := &orgFormPage{page: s.page(c), New: true, Action: consolePrefix + "/orgs", Back: consolePrefix + "/orgs"}
	var err error
	if p.Parents, err = s.orgChoices(c, writeOrgs, c.Query("parent")); err != nil {
		return err
	}
	if len(p.Parents) == 0 {
		return storage.Errorf(storage.ErrForbidden, "creating an organization requires %s on some organization", writeOrgs)
	}
	return s.render(c, http.StatusOK, "orgs_form", p)
}

func (s *Server) orgsCreate(c *fiber.Ctx) error {
	id, name, parent := strings.TrimSpace(c.FormValue("id")), strings.TrimSpace(c.FormValue("name")), c.FormValue("parent")
	o, err := s.Orgs.CreateOrg(c.UserContext(), consoleActor(c), id, name, parent)
	if err == nil {
		return c.Redirect(orgHref(o.ID)+"?flash=orgs.created", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p := &orgFormPage{page: s.page(c), New: true, ID: id, Name: name, Action: consolePrefix + "/orgs", Back: consolePrefix + "/orgs", Error: msg}
	if p.Parents, err = s.orgChoices(c, writeOrgs, parent); err != nil {
		return err
	}
	return s.render(c, http.StatusUnprocessableEntity, "orgs_form", p)
}

// orgDetailPage shows an organization, its children, and the controls the
// user may use on it.
type orgDetailPage struct {
	page
	Org      rbac.Org
	Href     string
	Children []orgNode
	// AccountsHref lists its accounts.
	AccountsHref      string
	CanEdit           bool
	CanDelete         bool
	CanCreateChild    bool
	CanCreateAccounts bool
	Error             string
}

// orgDetailOf reads the organization id with its subtree, in one call,
// and fills its page.
func (s *Server) orgDetailOf(c *fiber.Ctx, id string) (*orgDetailPage, error) {
	actor := consoleActor(c)
	orgs, err := s.Orgs.ListOrgs(c.UserContext(), actor, id)
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 || orgs[0].ID != id {
		return nil, storage.Errorf(storage.ErrNotFound, "organization %s", storage.Quote(id))
	}
	o := orgs[0]
	p := &orgDetailPage{page: s.page(c), Org: o, Href: orgHref(o.ID), AccountsHref: consolePrefix + "/accounts?org=" + url.QueryEscape(o.ID),
		CanEdit: actor.Can(o.ID, writeOrgs), CanCreateChild: actor.Can(o.ID, writeOrgs),
		CanDelete: o.ParentID != "" && actor.Can(o.ID, deleteOrgs), CanCreateAccounts: actor.Can(o.ID, writeAccounts)}
	for _, ch := range orgs[1:] {
		if ch.ParentID == o.ID {
			p.Children = append(p.Children, orgNode{ID: ch.ID, Name: ch.Name, Href: orgHref(ch.ID)})
		}
	}
	return p, nil
}

func (s *Server) orgDetail(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	p, err := s.orgDetailOf(c, id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "orgs_detail", p)
}

func (s *Server) orgEdit(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	o, err := s.Orgs.GetOrg(c.UserContext(), actor, id)
	if err != nil {
		return err
	}
	if err := actor.Need(o.ID, writeOrgs); err != nil {
		return err
	}
	href := orgHref(o.ID)
	return s.render(c, http.StatusOK, "orgs_form", &orgFormPage{page: s.page(c), ID: o.ID, Name: o.Name, Action: href, Back: href})
}

func (s *Server) orgUpdate(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	o, err := s.Orgs.RenameOrg(c.UserContext(), consoleActor(c), id, name)
	if err == nil {
		return c.Redirect(orgHref(o.ID)+"?flash=orgs.renamed", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	href := orgHref(id)
	return s.render(c, http.StatusUnprocessableEntity, "orgs_form", &orgFormPage{page: s.page(c), ID: id, Name: name, Action: href, Back: href, Error: msg})
}

func (s *Server) orgDelete(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	if strings.TrimSpace(c.FormValue("confirm")) != id {
		// The typed ID is checked here, not only in the browser; the
		// right first, so that a refusal tells no more than the page.
		if err := actor.Need(id, deleteOrgs); err != nil {
			return err
		}
		p, err := s.orgDetailOf(c, id)
		if err != nil {
			return err
		}
		p.Error = p.T("orgs.delete.mismatch", "id", id)
		return s.render(c, http.StatusUnprocessableEntity, "orgs_detail", p)
	}
	err = s.Orgs.DeleteOrg(c.UserContext(), actor, id)
	if err == nil {
		return c.Redirect(consolePrefix+"/orgs?flash=orgs.deleted", http.StatusSeeOther)
	}
	msg, ok := formMessage(err)
	if !ok {
		return err
	}
	p, perr := s.orgDetailOf(c, id)
	if perr != nil {
		return perr
	}
	p.Error = msg
	if errors.Is(err, storage.ErrConflict) && p.Org.ParentID != "" {
		p.Error = p.T("orgs.delete.notempty", "id", id)
	}
	return s.render(c, http.StatusUnprocessableEntity, "orgs_detail", p)
}
