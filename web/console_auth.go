package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/users"
)

// Console cookies. Both are HttpOnly and scoped to the console's path.
const (
	// sessionCookie carries the session token; the server stores only
	// its hash.
	sessionCookie = "iamd_session"
	// csrfCookie carries the login form's CSRF token, which has no
	// session to derive it from: double submit, with the same value in
	// the form.
	csrfCookie = "iamd_csrf"
)

// sessionKey is the Locals key of the request's consoleSession.
const sessionKey = "iamd.console.session"

// consoleSession is the signed-in user of a console request.
type consoleSession struct {
	token string
	sess  users.Session
	user  users.User
	// actor holds the user's rights as of this request, once hasActor is
	// set: on the routes behind requireSession only.
	actor    rbac.Actor
	hasActor bool
}

// consoleSessionOf returns the session loadSession found, if any.
func consoleSessionOf(c *fiber.Ctx) (*consoleSession, bool) {
	cs, ok := c.Locals(sessionKey).(*consoleSession)
	return cs, ok
}

// loadSession looks up the session of the request's cookie, once per
// request. A missing, unknown or ended session is no error: the request
// is a visitor's.
func (s *Server) loadSession(c *fiber.Ctx) (*consoleSession, error) {
	if cs, ok := consoleSessionOf(c); ok {
		return cs, nil
	}
	token := c.Cookies(sessionCookie)
	if token == "" {
		return nil, nil
	}
	token = strings.Clone(token)
	sess, u, err := s.Users.Session(c.UserContext(), token)
	if errors.Is(err, users.ErrNoSession) {
		s.clearCookie(c, sessionCookie)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cs := &consoleSession{token: token, sess: sess, user: u}
	c.Locals(sessionKey, cs)
	return cs, nil
}

// requireSession guards every console route registered after it: a
// visitor is sent to the login page, which brings them back; a form
// posted without the session's CSRF token is refused; a user who must
// change their password is sent to do so first.
func (s *Server) requireSession(c *fiber.Ctx) error {
	cs, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if cs == nil {
		target := consolePrefix + "/login"
		if c.Method() == fiber.MethodGet {
			target += "?next=" + url.QueryEscape(c.OriginalURL())
		}
		return c.Redirect(target, http.StatusSeeOther)
	}
	if !safeMethod(c) && !users.CheckCSRF(cs.token, c.FormValue("csrf")) {
		return fiber.ErrForbidden
	}
	if cs.user.MustChangePassword && c.Path() != passwordPath && c.Path() != logoutPath {
		return c.Redirect(passwordPath, http.StatusSeeOther)
	}
	if cs.actor, err = s.Users.Actor(c.UserContext(), cs.user); err != nil {
		return err
	}
	cs.hasActor = true
	return c.Next()
}

// consoleActor returns the signed-in user as the domain services' actor,
// with the rights it holds as of this request: what console handlers pass
// to the services, and what pages ask (Can, Visible) to leave out the
// controls the user cannot use. On routes before requireSession, it is an
// actor holding no right.
func consoleActor(c *fiber.Ctx) rbac.Actor {
	cs, _ := consoleSessionOf(c)
	if cs == nil || !cs.hasActor {
		// Not the zero Actor, whose nil rights Visible cannot read.
		return rbac.NewActor("", &rbac.Rights{})
	}
	return cs.actor
}

func safeMethod(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
}

// sameOrigin reports whether a state-changing request comes from the
// console itself: not cross-site as the browser sees it (Sec-Fetch-Site)
// and, when the browser names its origin, from this server's. Browsers
// send Origin with every POST, so a forged form from another site fails
// here even before its missing CSRF token would.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	if origin == s.issuerOrigin {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false
	}
	// The host the browser asked for; not X-Forwarded-Host, which anyone
	// may send.
	if u.Host != string(c.Request().Host()) {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && !s.secureCookies)
}

// loginCSRF returns the visitor's double-submit token, setting its cookie
// if the visitor has none yet.
func (s *Server) loginCSRF(c *fiber.Ctx) string {
	if v := c.Cookies(csrfCookie); len(v) == 43 {
		return strings.Clone(v)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	v := base64.RawURLEncoding.EncodeToString(raw)
	s.setCookie(c, csrfCookie, v, time.Time{}, fiber.CookieSameSiteStrictMode)
	return v
}

// checkVisitorCSRF checks the CSRF token of a form that visitors post too
// (login, language): the session's if signed in, else the double-submit
// cookie's.
func (s *Server) checkVisitorCSRF(c *fiber.Ctx, cs *consoleSession) error {
	got := c.FormValue("csrf")
	if cs != nil && users.CheckCSRF(cs.token, got) {
		return nil
	}
	want := c.Cookies(csrfCookie)
	if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1 {
		return nil
	}
	return fiber.ErrForbidden
}

// setCookie sets a console cookie: HttpOnly, on the console's path, Secure
// when the server is reached over https. A zero expires makes a cookie
// that ends with the browser session.
func (s *Server) setCookie(c *fiber.Ctx, name, value string, expires time.Time, sameSite string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: consolePrefix, Expires: expires,
		HTTPOnly: true, Secure: s.secureCookies, SameSite: sameSite,
	})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Path: consolePrefix, MaxAge: -1, Expires: time.Unix(1, 0),
		HTTPOnly: true, Secure: s.secureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// navSection is a console section with the right that makes it visible.
type navSection struct {
	key   string
	href  string
	right rbac.Right
}

// navSections are the nav bar's sections but the dashboard, each shown to
// whoever holds its read right somewhere (roles' for the permission
// catalog, as rbac reads it).
var navSections = []navSection{
	{"nav.orgs", "/orgs", rbac.Right{Permission: rbac.PermOrganizations, Operation: rbac.OpRead}},
	{"nav.accounts", "/accounts", rbac.Right{Permission: rbac.PermServiceAccounts, Operation: rbac.OpRead}},
	{"nav.roles", "/roles", rbac.Right{Permission: rbac.PermRoles, Operation: rbac.OpRead}},
	{"nav.groups", "/groups", rbac.Right{Permission: rbac.PermGroups, Operation: rbac.OpRead}},
	{"nav.permissions", "/permissions", rbac.Right{Permission: rbac.PermRoles, Operation: rbac.OpRead}},
	{"nav.audit", "/audit", rbac.Right{Permission: rbac.PermAudit, Operation: rbac.OpRead}},
	{"nav.signingkeys", "/signing-keys", rbac.Right{Permission: rbac.PermSigningKeys, Operation: rbac.OpRead}},
	{"nav.users", "/users", rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpRead}},
}

// nav returns the navigation of a signed-in user: none while they must
// change their password, which is all they may do, nor on the pages of
// routes that do not load their rights.
func (s *Server) nav(c *fiber.Ctx, loc *locale, cs *consoleSession) []navEntry {
	if cs.user.MustChangePassword || !cs.hasActor {
		return nil
	}
	actor := consoleActor(c)
	here := c.Path()
	nav := []navEntry{{Label: loc.T("nav.dashboard"), Href: consolePrefix + "/", Current: here == consolePrefix+"/" || here == consolePrefix}}
	for _, sec := range navSections {
		if ids, all := actor.Visible(sec.right); all || len(ids) > 0 {
			href := consolePrefix + sec.href
			nav = append(nav, navEntry{Label: loc.T(sec.key), Href: href, Current: here == href || strings.HasPrefix(here, href+"/")})
		}
	}
	return nav
}
