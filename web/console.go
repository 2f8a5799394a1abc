package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// consoleFS holds the console's templates, static files and catalogs, so
// that the binary is all there is to deploy.
//
//go:embed console/templates/*.html console/static/* console/i18n/*/*.json
var consoleFS embed.FS

// consolePrefix is where the console lives.
const consolePrefix = "/console"

// consoleCSP is the policy of console pages: their scripts and styles
// come from the console's own static files only, never inline, so that
// injected markup cannot run. Other responses keep secureHeaders'
// stricter default.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// console is what the console reads once at start: parsed templates,
// static files with their content hashes, catalogs.
type console struct {
	pages   map[string]*template.Template
	static  map[string]staticFile
	locales map[string]*locale
}

// staticFile is an embedded static file; hash, a prefix of its SHA-256,
// is its ETag and the version in its URL.
type staticFile struct {
	body  []byte
	ctype string
	hash  string
}

// newConsole parses the embedded templates and reads the static files and
// catalogs. It panics on a defect of those, which ship in the binary.
func newConsole() *console {
	con := &console{static: map[string]staticFile{}, locales: loadLocales()}
	files, err := fs.Glob(consoleFS, "console/static/*")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		body, _ := consoleFS.ReadFile(f)
		sum := sha256.Sum256(body)
		name := path.Base(f)
		con.static[name] = staticFile{body: body, ctype: mime.TypeByExtension(path.Ext(name)), hash: hex.EncodeToString(sum[:6])}
	}
	funcs := template.FuncMap{
		// asset is the URL of a static file, versioned by its content
		// so that it may be cached for a year.
		"asset": func(name string) string {
			f, ok := con.static[name]
			if !ok {
				panic("web: no console static file " + name)
			}
			return consolePrefix + "/static/" + name + "?v=" + f.hash
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(consoleFS, "console/templates/layout.html", "console/templates/partials.html"))
	pages, err := fs.Glob(consoleFS, "console/templates/*_*.html")
	if err != nil {
		panic(err)
	}
	con.pages = make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		con.pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(consoleFS, p))
	}
	return con
}

// consoleRoutes registers the console. Each page family registers its
// routes from its own web/console_<family>.go; the ones before
// requireSession are open to visitors who have not signed in.
//
// Adding a page family (accounts, say):
//
//   - web/console_accounts.go holds `func (s *Server) accountsPages(r
//     fiber.Router)`, which registers its routes relative to /console
//     (r.Get("/accounts", s.accountsList)), called below after
//     requireSession; its handlers; and a struct per page embedding page
//     (type accountsListPage struct { page; Accounts []accountRow;
//     CanCreate bool }), filled with s.page(c).
//   - web/console/templates/accounts_list.html defines "title" and
//     "content" (layout.html draws the rest); s.render(c, 200,
//     "accounts_list", p) renders it. Text comes from {{.T "key"}}, or
//     {{$.T "key" "name" .Value}} inside range, with a <label> for
//     every control, no inline script or style, and in every form
//     <input type="hidden" name="csrf" value="{{$.CSRF}}">.
//     What pages of several families show alike is a template of
//     partials.html, parsed with the layout: {{template "rights" .}}.
//   - Keys, prefixed by family and page ("accounts.list.title"), go in
//     the family's file of each language, web/console/i18n/en/accounts.json
//     and fr/accounts.json (its flash messages too:
//     "flash.accounts.created"); Go code translates
//     with p.T("accounts.list.empty") (a literal, so that the test finds
//     it).
//   - Handlers make one domain call with consoleActor(c), the signed-in
//     user with their rights, and return its error: consolePages turns
//     ErrForbidden, ErrNotFound and the rest into pages. Forms re-render
//     with formMessage's message (422) on ErrInvalid and ErrConflict,
//     and redirect with 303 when they succeed, ?flash=KEY naming a
//     "flash.KEY" message. Controls the user cannot use are left out by
//     asking consoleActor(c).Can(org, right) in the handler and setting
//     a field of the page; the services refuse anyway.
func (s *Server) consoleRoutes() {
	con := s.app.Group(consolePrefix, s.consolePages)
	con.Get("/static/:name", s.consoleStatic)
	s.sessionPages(con)
	con.Use(s.requireSession)
	s.dashboardPages(con)
	s.orgsPages(con)
	s.accountsPages(con)
	// After accountsPages, whose /accounts/new its /accounts/:client_id
	// would take.
	s.accountPages(con)
	s.keysPages(con)
	s.assignPages(con)
	s.rolesPages(con)
	s.groupsPages(con)
	s.permissionsPages(con)
	s.usersPages(con)
	s.auditPages(con)
	s.signingPages(con)
}

// consoleStatic serves a static file: for a year when asked for by its
// versioned URL, else revalidated with its ETag.
func (s *Server) consoleStatic(c *fiber.Ctx) error {
	f, ok := s.con.static[c.Params("name")]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + f.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == f.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(http.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(f.body)
}

// page is what every console page shows: embed it in the page's own
// struct and fill it with Server.page.
type page struct {
	// loc translates: {{.T "family.key"}} in templates.
	*locale
	// User is the signed-in user; nil on the login and error pages of
	// visitors.
	User *users.User
	// CSRF is the token every form posts in its csrf field.
	CSRF string
	Nav  []navEntry
	// Flash is a message about what the previous request did.
	Flash string
	// Path is the page's own path and query, where the language switch
	// comes back to.
	Path string
	// Template names the page's template, on <body data-page>, for
	// tests and style.
	Template string
}

// UserLabel is how the page names the signed-in user.
func (p *page) UserLabel() string {
	if p.User == nil {
		return ""
	}
	if p.User.DisplayName != "" {
		return p.User.DisplayName
	}
	return p.User.Name
}

// base returns the page itself: how render reaches the embedded page of
// any page struct.
func (p *page) base() *page { return p }

// pageData is a page struct: one embedding page.
type pageData interface{ base() *page }

// navEntry is a link of the navigation bar.
type navEntry struct {
	Label   string
	Href    string
	Current bool
}

// render writes the page template name (a file of console/templates
// without .html) with data, with the headers of console pages.
func (s *Server) render(c *fiber.Ctx, status int, name string, data pageData) error {
	t, ok := s.con.pages[name]
	if !ok {
		return errors.New("web: no console template " + name)
	}
	data.base().Template = name
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, consoleCSP)
	// Not secureHeaders' no-referrer: under it, browsers send "Origin:
	// null" with the page's own forms, which sameOrigin refuses.
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	return c.Status(status).Send(buf.Bytes())
}

// errorPage is the page of a refused or failed request.
type errorPage struct {
	page
	Status int
	Title  string
	Detail string
}

// consolePages turns the errors of console handlers into pages, as
// errorHandler does into JSON for the API. ErrInvalid and ErrConflict
// never get here: form handlers re-render their form with the message.
//
// It also refuses, before any handler runs, a state-changing request that
// does not come from the console itself (see sameOrigin).
func (s *Server) consolePages(c *fiber.Ctx) error {
	var err error
	if !safeMethod(c) && !s.sameOrigin(c) {
		err = fiber.ErrForbidden
	} else {
		err = c.Next()
	}
	if err == nil {
		return nil
	}
	var fe *fiber.Error
	var te *users.ThrottledError
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &fe) && fe.Code < 500:
		status = fe.Code
	case errors.Is(err, storage.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, storage.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, storage.ErrInvalid):
		// A malformed ID in the path, or a form refused by a handler
		// that has no form to show it on.
		status = http.StatusBadRequest
	case errors.Is(err, storage.ErrConflict):
		status = http.StatusConflict
	case errors.As(err, &te):
		status = http.StatusTooManyRequests
	case errors.Is(err, storage.ErrUnavailable):
		status = http.StatusServiceUnavailable
		s.Log.Error("console request failed: database unavailable", "method", c.Method(), "path", loggedPath(c.Path()), "err", err)
	default:
		// Internal error text never reaches the client.
		s.Log.Error("console request failed", "method", c.Method(), "path", loggedPath(c.Path()), "err", err)
	}
	p := &errorPage{page: s.page(c), Status: status}
	p.Title = p.T(errorKey(status, "title"))
	p.Detail = p.T(errorKey(status, "detail"))
	if err := s.render(c, status, "error_page", p); err != nil {
		s.Log.Error("console error page", "err", err)
		return c.SendStatus(status)
	}
	return nil
}

// formMessage returns what a form shows for err, the error of the
// domain call behind it, if it is a refusal of the input
// (storage.ErrInvalid, storage.ErrConflict): the domain's message, in
// English for now. ok is false for any other error, which the handler
// returns.
func formMessage(err error) (msg string, ok bool) {
	if errors.Is(err, storage.ErrInvalid) || errors.Is(err, storage.ErrConflict) {
		return err.Error(), true
	}
	return "", false
}

// errorKey is the catalog key of a part ("title", "detail") of the error
// page for status.
func errorKey(status int, part string) string {
	name := "internal"
	switch status {
	case http.StatusBadRequest:
		name = "invalid"
	case http.StatusForbidden:
		name = "forbidden"
	case http.StatusConflict:
		name = "conflict"
	case http.StatusNotFound:
		name = "notfound"
	case http.StatusMethodNotAllowed:
		name = "method"
	case http.StatusTooManyRequests:
		name = "throttled"
	case http.StatusServiceUnavailable:
		name = "unavailable"
	}
	return "error." + name + "." + part
}

// page returns the common part of a page for the request: its language,
// the signed-in user and navigation if any, its CSRF token.
func (s *Server) page(c *fiber.Ctx) page {
	p := page{locale: s.con.locales[pickLang(c)], Path: c.OriginalURL()}
	if !safeMethod(c) {
		// A page rendered in answer to a form: the switch goes back to
		// the page of the form, where the browser came from, not to the
		// form's action, which answers POST only.
		p.Path = refererPath(c.Get(fiber.HeaderReferer), s.issuerOrigin, string(c.Request().Host()))
	}
	if !isConsolePath(p.Path) {
		p.Path = consolePrefix + "/"
	}
	if sess, ok := consoleSessionOf(c); ok {
		u := sess.user
		p.User = &u
		p.CSRF = users.CSRFToken(sess.token)
		p.Nav = s.nav(c, p.locale, sess)
	} else {
		p.CSRF = s.loginCSRF(c)
	}
	// A flash says what the previous request did: it is shown only on
	// the page a console form led to, not on one a link from elsewhere
	// names, which could claim anything (Sec-Fetch-Site is the
	// browser's; clients that send none are not browsers).
	if f := c.Query("flash"); f != "" && p.has("flash."+f) && (c.Get("Sec-Fetch-Site") == "" || c.Get("Sec-Fetch-Site") == "same-origin") {
		p.Flash = p.T("flash." + f)
	}
	return p
}

// isConsolePath reports whether target, a path with an optional query, is
// a console path of this server: what redirects after sign-in and the
// language switch may go to, and nowhere else.
func isConsolePath(target string) bool {
	if strings.ContainsAny(target, "\\\r\n\t") || strings.HasPrefix(target, "//") {
		return false
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	p := path.Clean(u.Path)
	return u.Path == consolePrefix || u.Path == consolePrefix+"/" || (strings.HasPrefix(u.Path, consolePrefix+"/") && strings.HasPrefix(p, consolePrefix+"/"))
}

// When formats t for pages: {{$.When .CreatedAt}}. Times are shown in UTC,
// to the minute, the same in every language; the zero time is "never".
func (l *locale) When(t time.Time) string {
	if t.IsZero() {
		return l.T("common.never")
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

// orgChoice is an organization offered in a <select>: Label indents it
// under its parent, so that the list reads as the tree.
type orgChoice struct {
	ID       string
	Label    string
	Selected bool
}

// orgChoices returns the organizations the signed-in user may read, in
// tree order, keeping those where they hold right unless right is the
// zero Right; selected marks one. Forms offer these (create an account in,
// move to, filter by) and the services check the right anyway.
func (s *Server) orgChoices(c *fiber.Ctx, right rbac.Right, selected string) ([]orgChoice, error) {
	actor := consoleActor(c)
	orgs, err := s.Orgs.ListOrgs(c.UserContext(), actor, "")
	if err != nil {
		return nil, err
	}
	out := make([]orgChoice, 0, len(orgs))
	for _, o := range orgs {
		if right != (rbac.Right{}) && !actor.Can(o.ID, right) {
			continue
		}
		depth := strings.Count(o.Path, "/") - 2
		out = append(out, orgChoice{ID: o.ID, Label: strings.Repeat("\u00a0\u00a0", depth) + o.Name + " (" + o.ID + ")", Selected: o.ID == selected})
	}
	return out, nil
}

// refererPath returns the path and query of referer if it is a page of
// this server (the issuer's origin, or the host asked for), else "".
// Console pages send Referer to their own origin only (Referrer-Policy
// same-origin).
func refererPath(referer, issuerOrigin, host string) string {
	u, err := url.Parse(referer)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Scheme+"://"+u.Host != issuerOrigin && u.Host != host {
		return ""
	}
	return u.RequestURI()
}
