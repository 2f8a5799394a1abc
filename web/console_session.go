package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/users"
)

// Paths of the session pages.
const (
	loginPath    = consolePrefix + "/login"
	logoutPath   = consolePrefix + "/logout"
	passwordPath = consolePrefix + "/password"
	langPath     = consolePrefix + "/lang"
)

// sessionPages registers sign-in, sign-out, the password change and the
// language switch. Those before requireSession are open to visitors.
func (s *Server) sessionPages(r fiber.Router) {
	r.Get("/login", s.loginForm)
	r.Post("/login", s.login)
	r.Post("/lang", s.switchLang)
	r.Post("/logout", s.requireSession, s.logout)
	r.Get("/password", s.requireSession, s.passwordForm)
	r.Post("/password", s.requireSession, s.changePassword)
}

// loginPage is the sign-in form.
type loginPage struct {
	page
	Name string
	// Next is where to go once signed in.
	Next  string
	Error string
}

// loginForm shows the sign-in form, or sends a signed-in user on.
func (s *Server) loginForm(c *fiber.Ctx) error {
	cs, err := s.loadSession(c)
	if err != nil {
		return err
	}
	next := nextPath(c.Query("next"))
	if cs != nil {
		return c.Redirect(next, http.StatusSeeOther)
	}
	return s.render(c, http.StatusOK, "session_login", &loginPage{page: s.page(c), Next: next})
}

// nextPath is where to go after signing in: target if it is a console
// path, so that the login page redirects nowhere else, else the dashboard.
func nextPath(target string) string {
	if target != "" && isConsolePath(target) {
		return target
	}
	return consolePrefix + "/"
}

// login signs a user in. Any session the browser had is ended first, so
// that a session token planted before sign-in is worth nothing after.
// Every refusal gives the same message, whatever was wrong.
func (s *Server) login(c *fiber.Ctx) error {
	cs, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.checkVisitorCSRF(c, cs); err != nil {
		return err
	}
	if old := c.Cookies(sessionCookie); old != "" {
		if err := s.Users.Logout(c.UserContext(), old); err != nil && !errors.Is(err, users.ErrNoSession) {
			return err
		}
		s.clearCookie(c, sessionCookie)
		c.Locals(sessionKey, nil)
	}
	p := &loginPage{Name: c.FormValue("name"), Next: nextPath(c.FormValue("next"))}
	in, err := s.Users.Login(c.UserContext(), p.Name, c.FormValue("password"), s.addr(c))
	var te *users.ThrottledError
	switch {
	case errors.Is(err, users.ErrBadLogin):
		p.page = s.page(c)
		p.Error = p.T("login.error.bad")
		return s.render(c, http.StatusUnprocessableEntity, "session_login", p)
	case errors.As(err, &te):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retrySeconds(te.RetryAfter)))
		p.page = s.page(c)
		p.Error = p.T("login.error.throttled", "seconds", retrySeconds(te.RetryAfter))
		return s.render(c, http.StatusTooManyRequests, "session_login", p)
	case err != nil:
		return err
	}
	s.startSession(c, in)
	return c.Redirect(p.Next, http.StatusSeeOther)
}

// retrySeconds is d in whole seconds, rounded up, at least one.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// startSession sets the session cookie of a new session: it lasts no
// longer than the session can.
func (s *Server) startSession(c *fiber.Ctx, in users.LoggedIn) {
	s.setCookie(c, sessionCookie, in.Token, in.Session.ExpiresAt, fiber.CookieSameSiteLaxMode)
}

// logout ends the session.
func (s *Server) logout(c *fiber.Ctx) error {
	cs, _ := consoleSessionOf(c)
	if err := s.Users.Logout(c.UserContext(), cs.token); err != nil && !errors.Is(err, users.ErrNoSession) {
		return err
	}
	s.clearCookie(c, sessionCookie)
	return c.Redirect(loginPath+"?flash=signedout", http.StatusSeeOther)
}

// passwordPage is the password change form.
type passwordPage struct {
	page
	// Forced says the user must change the password before anything else.
	Forced bool
	Error  string
}

func (s *Server) passwordForm(c *fiber.Ctx) error {
	p := &passwordPage{page: s.page(c)}
	p.Forced = p.User.MustChangePassword
	return s.render(c, http.StatusOK, "session_password", p)
}

// changePassword changes the user's password; the session is replaced by
// a new one, as at sign-in.
func (s *Server) changePassword(c *fiber.Ctx) error {
	cs, _ := consoleSessionOf(c)
	p := &passwordPage{page: s.page(c), Forced: cs.user.MustChangePassword}
	next := c.FormValue("new")
	if next != c.FormValue("confirm") {
		p.Error = p.T("password.error.mismatch")
		return s.render(c, http.StatusUnprocessableEntity, "session_password", p)
	}
	in, err := s.Users.ChangePassword(c.UserContext(), cs.token, c.FormValue("current"), next, s.addr(c))
	if msg, ok := formMessage(err); ok {
		p.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "session_password", p)
	}
	var te *users.ThrottledError
	switch {
	case errors.Is(err, users.ErrBadLogin):
		p.Error = p.T("password.error.current")
		return s.render(c, http.StatusUnprocessableEntity, "session_password", p)
	case errors.As(err, &te):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retrySeconds(te.RetryAfter)))
		p.Error = p.T("login.error.throttled", "seconds", retrySeconds(te.RetryAfter))
		return s.render(c, http.StatusTooManyRequests, "session_password", p)
	case errors.Is(err, users.ErrNoSession):
		s.clearCookie(c, sessionCookie)
		return c.Redirect(loginPath, http.StatusSeeOther)
	case err != nil:
		return err
	}
	s.startSession(c, in)
	return c.Redirect(consolePrefix+"/?flash=password", http.StatusSeeOther)
}

// switchLang sets the language cookie and goes back to the page the
// switch was on. A form, not a link: GET requests change nothing.
func (s *Server) switchLang(c *fiber.Ctx) error {
	cs, err := s.loadSession(c)
	if err != nil {
		return err
	}
	if err := s.checkVisitorCSRF(c, cs); err != nil {
		return err
	}
	lang := c.FormValue("lang")
	if !supportedLang(lang) {
		return fiber.ErrBadRequest
	}
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: lang, Path: consolePrefix, MaxAge: 365 * 24 * 3600,
		HTTPOnly: true, Secure: s.secureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(nextPath(c.FormValue("back")), http.StatusSeeOther)
}
