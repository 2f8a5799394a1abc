package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// goodPassword passes users.CheckPassword.
const goodPassword = "correct horse battery staple"

func wantPage(t *testing.T, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	wantHeader(t, r, "Content-Type", "text/html; charset=utf-8")
	wantHeader(t, r, "Cache-Control", "no-store")
	wantHeader(t, r, "Content-Security-Policy", consoleCSP)
}

func wantRedirect(t *testing.T, r *response, to string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Fatalf("status %d to %q, want 303 to %q; body %s", r.Status, r.Header.Get("Location"), to, r.Body)
	}
}

func TestConsoleSendsVisitorsToTheLoginPage(t *testing.T) {
	f := newFixture(t)
	v := f.visitor(t)
	wantRedirect(t, v.get(t, "/console/"), "/console/login?next=%2Fconsole%2F")
	wantRedirect(t, v.get(t, "/console/accounts?q=x"), "/console/login?next=%2Fconsole%2Faccounts%3Fq%3Dx")
	r := v.get(t, "/console/login?next=%2Fconsole%2Faccounts")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `name="next" value="/console/accounts"`) {
		t.Errorf("the login form does not carry next: %s", r.Body)
	}
}

func TestLoginGoesOnlyToConsolePages(t *testing.T) {
	f := newFixture(t)
	v := f.visitor(t)
	for _, next := range []string{"//evil.example/", "https://evil.example/console/", "/console/../api/v1/orgs", "/\\evil.example", "javascript:alert(1)", "/api/v1/orgs"} {
		r := v.get(t, "/console/login?next="+url.QueryEscape(next))
		if !strings.Contains(string(r.Body), `name="next" value="/console/"`) {
			t.Errorf("next=%q: the form goes elsewhere than the dashboard", next)
		}
	}
}

func TestLoginRefusals(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	t.Run("a wrong password shows the form again with one message", func(t *testing.T) {
		v := f.visitor(t)
		r := v.post(t, "/console/login", url.Values{"csrf": {v.csrf(t, "/console/login")}, "name": {"alice"}, "password": {"wrong password!"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), "Wrong user name or password.") {
			t.Errorf("no message: %s", r.Body)
		}
		if v.cookie("iamd_session") != nil {
			t.Error("a session cookie after a failed login")
		}
	})
	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		v := f.visitor(t)
		v.csrf(t, "/console/login")
		r := v.post(t, "/console/login", url.Values{"name": {"alice"}, "password": {goodPassword}})
		wantPage(t, r, http.StatusForbidden)
	})
	t.Run("after five failures the form says how long to wait", func(t *testing.T) {
		v := f.visitor(t)
		token := v.csrf(t, "/console/login")
		for range 5 {
			v.post(t, "/console/login", url.Values{"csrf": {token}, "name": {"alice"}, "password": {"wrong password!"}})
		}
		// Even the right password: it is not verified.
		r := v.post(t, "/console/login", url.Values{"csrf": {token}, "name": {"alice"}, "password": {goodPassword}})
		wantPage(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "Try again in") {
			t.Errorf("Retry-After %q; body %s", r.Header.Get("Retry-After"), r.Body)
		}
		f.clock.Advance(time.Minute)
	})
	t.Run("a form from another origin is refused", func(t *testing.T) {
		v := f.visitor(t)
		token := v.csrf(t, "/console/login")
		v.header.Set("Origin", "http://evil.example")
		r := v.post(t, "/console/login", url.Values{"csrf": {token}, "name": {"alice"}, "password": {goodPassword}})
		wantPage(t, r, http.StatusForbidden)
	})
	t.Run("a cross-site form is refused", func(t *testing.T) {
		v := f.visitor(t)
		token := v.csrf(t, "/console/login")
		v.header.Set("Sec-Fetch-Site", "cross-site")
		r := v.post(t, "/console/login", url.Values{"csrf": {token}, "name": {"alice"}, "password": {goodPassword}})
		wantPage(t, r, http.StatusForbidden)
	})
}

func TestSession(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	v := f.visitor(t)
	v.header.Set("Origin", v.base)
	v.login(t, "alice", goodPassword)
	first := v.cookie("iamd_session").Value
	r := v.get(t, "/console/")
	wantPage(t, r, http.StatusOK)
	for _, want := range []string{"Dashboard", `href="/console/accounts"`, `href="/console/users"`, "Test alice"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	t.Run("signing in again replaces the session", func(t *testing.T) {
		v.login(t, "alice", goodPassword)
		if v.cookie("iamd_session").Value == first {
			t.Fatal("the same session token")
		}
		stale := f.visitor(t)
		u, _ := url.Parse(v.base + "/console/")
		stale.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "iamd_session", Value: first}})
		wantRedirect(t, stale.get(t, "/console/"), "/console/login?next=%2Fconsole%2F")
	})
	t.Run("a form without the session's CSRF token is refused", func(t *testing.T) {
		r := v.post(t, "/console/logout", url.Values{"csrf": {"nope"}})
		wantPage(t, r, http.StatusForbidden)
		wantPage(t, v.get(t, "/console/"), http.StatusOK)
	})
	t.Run("an unknown console page is a 404 page", func(t *testing.T) {
		wantPage(t, v.get(t, "/console/no-such-page"), http.StatusNotFound)
	})
	t.Run("logout ends the session", func(t *testing.T) {
		token := v.csrf(t, "/console/")
		wantRedirect(t, v.post(t, "/console/logout", url.Values{"csrf": {token}}), "/console/login?flash=signedout")
		wantRedirect(t, v.get(t, "/console/"), "/console/login?next=%2Fconsole%2F")
	})
}

func TestMustChangePasswordComesFirst(t *testing.T) {
	f := newFixture(t)
	f.consoleUser(t, "bob", goodPassword, true, "viewer")
	v := f.visitor(t)
	v.login(t, "bob", goodPassword)
	wantRedirect(t, v.get(t, "/console/"), "/console/password")
	token := v.csrf(t, "/console/password")
	r := v.post(t, "/console/password", url.Values{"csrf": {token}, "current": {goodPassword}, "new": {"short"}, "confirm": {"short"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "characters") {
		t.Errorf("no reason given: %s", r.Body)
	}
	r = v.post(t, "/console/password", url.Values{"csrf": {token}, "current": {goodPassword}, "new": {goodPassword + "!"}, "confirm": {goodPassword + "?"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	r = v.post(t, "/console/password", url.Values{"csrf": {token}, "current": {goodPassword}, "new": {goodPassword + "!"}, "confirm": {goodPassword + "!"}})
	wantRedirect(t, r, "/console/?flash=password")
	wantPage(t, v.get(t, "/console/"), http.StatusOK)
}

func TestConsoleLanguage(t *testing.T) {
	f := newFixture(t)
	v := f.visitor(t)
	for _, tc := range []struct{ accept, want string }{
		{"", `lang="en"`},
		{"fr-CA,fr;q=0.9,en;q=0.8", `lang="fr"`},
		{"en;q=0.5, fr;q=0.8", `lang="fr"`},
		{"de, en;q=0.1", `lang="en"`},
	} {
		v.header.Set("Accept-Language", tc.accept)
		r := v.get(t, "/console/login")
		if !strings.Contains(string(r.Body), "<html "+tc.want) {
			t.Errorf("Accept-Language %q: want %s", tc.accept, tc.want)
		}
	}
	v.header.Set("Accept-Language", "en")
	token := v.csrf(t, "/console/login")
	wantRedirect(t, v.post(t, "/console/lang", url.Values{"csrf": {token}, "lang": {"fr"}, "back": {"/console/login?next=%2Fconsole%2F"}}), "/console/login?next=%2Fconsole%2F")
	if r := v.get(t, "/console/login"); !strings.Contains(string(r.Body), "Se connecter") {
		t.Errorf("the switch did not stick: %s", r.Body)
	}
	wantRedirect(t, v.post(t, "/console/lang", url.Values{"csrf": {token}, "lang": {"en"}, "back": {"https://evil.example/"}}), "/console/")
}

func TestConsoleStaticFiles(t *testing.T) {
	f := newFixture(t)
	v := f.visitor(t)
	page := string(v.get(t, "/console/login").Body)
	i := strings.Index(page, "/console/static/console.css?v=")
	if i < 0 {
		t.Fatalf("no versioned stylesheet: %s", page)
	}
	href := page[i : i+strings.IndexByte(page[i:], '"')]
	r := v.get(t, href)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("%s: status %d, type %q", href, r.Status, r.Header.Get("Content-Type"))
	}
	wantHeader(t, r, "Cache-Control", "public, max-age=31536000, immutable")
	req, _ := http.NewRequest(http.MethodGet, v.base+"/console/static/console.css", nil)
	req.Header.Set("If-None-Match", r.Header.Get("ETag"))
	if r := v.do(t, req); r.Status != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", r.Status)
	}
	// Other routes keep the stricter default policy.
	wantHeader(t, v.get(t, "/healthz"), "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}

func TestConsoleCookiesAreSecureOnAnHTTPSIssuer(t *testing.T) {
	f := newFixture(t, withWebIssuer("https://iamd.example"))
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	v := f.visitor(t)
	r := v.get(t, "/console/login")
	token := csrfField.FindSubmatch(r.Body)
	if token == nil {
		t.Fatalf("no csrf field: %s", r.Body)
	}
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "iamd_csrf=") && !strings.Contains(c, "; secure") {
			t.Errorf("not Secure: %s", c)
		}
	}
	// The jar does not send Secure cookies over http: send it by hand.
	req, _ := http.NewRequest(http.MethodPost, v.base+"/console/login", strings.NewReader(url.Values{"csrf": {string(token[1])}, "name": {"alice"}, "password": {goodPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "iamd_csrf", Value: string(token[1])})
	r = v.do(t, req)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login: status %d; body %s", r.Status, r.Body)
	}
	var session string
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "iamd_session=") {
			session = c
		}
	}
	for _, want := range []string{"; secure", "; httponly", "; path=/console", "; samesite=lax", "; expires="} {
		if !strings.Contains(strings.ToLower(session), want) {
			t.Errorf("session cookie %q lacks %q", session, want)
		}
	}
	// A page of the https origin may post; one of http may not.
	req, _ = http.NewRequest(http.MethodPost, v.base+"/console/lang", strings.NewReader("lang=fr&csrf="+string(token[1])))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://iamd.example")
	req.AddCookie(&http.Cookie{Name: "iamd_csrf", Value: string(token[1])})
	wantPage(t, v.do(t, req), http.StatusForbidden)
	req.Header.Set("Origin", "https://iamd.example")
	req.Body, _ = req.GetBody()
	if r := v.do(t, req); r.Status != http.StatusSeeOther {
		t.Errorf("from the issuer's origin: status %d", r.Status)
	}
}

// A malformed ID in a console path is the visitor's mistake, not the
// server's: a 400 page, and nothing in the error log.
func TestConsoleMalformedPathIsABadRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	v := f.visitor(t)
	v.login(t, "alice", goodPassword)
	for _, path := range []string{"/console/groups/Bad!/x", "/console/roles/Bad!/x"} {
		r := v.get(t, path)
		wantPage(t, r, http.StatusBadRequest)
	}
	if strings.Contains(f.logs.String(), "console request failed") {
		t.Errorf("logged as a failure:\n%s", f.logs.String())
	}
}

// On a page rendered in answer to a form, the language switch goes back
// to the page of the form, not to the form's action.
func TestLanguageSwitchOfAFormAnswerGoesBackToTheForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := f.visitor(t)
	csrf := v.csrf(t, "/console/login")
	for referer, want := range map[string]string{
		v.base + "/console/login?next=%2Fconsole%2Faccounts": "/console/login?next=%2Fconsole%2Faccounts",
		"http://elsewhere.example/console/accounts":          "/console/",
		"": "/console/",
	} {
		req, _ := http.NewRequest(http.MethodPost, v.base+"/console/login", strings.NewReader(url.Values{"csrf": {csrf}, "name": {"nobody"}, "password": {"wrong password 1"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		r := v.do(t, req)
		wantPage(t, r, http.StatusUnprocessableEntity)
		if got := regexp.MustCompile(`name="back" value="([^"]*)"`).FindSubmatch(r.Body); got == nil || string(got[1]) != want {
			t.Errorf("Referer %q: back %q, want %q", referer, got, want)
		}
	}
}

// A flash message shows on the page a console form led to, not on one a
// link from another site names.
func TestFlashOnlyAfterTheConsole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	v := f.visitor(t)
	v.login(t, "alice", goodPassword)
	for site, shown := range map[string]bool{"same-origin": true, "cross-site": false, "same-site": false, "none": false} {
		v.header.Set("Sec-Fetch-Site", site)
		r := v.get(t, "/console/?flash=password")
		wantPage(t, r, http.StatusOK)
		if got := strings.Contains(string(r.Body), `class="flash"`); got != shown {
			t.Errorf("Sec-Fetch-Site %s: flash shown %v, want %v", site, got, shown)
		}
	}
}
