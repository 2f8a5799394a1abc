package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The console's tests in a real browser: Debian's Chromium, driven through
// the DevTools protocol. They skip where Chromium is missing, unless
// IAMD_REQUIRE_CHROMIUM=1 (as .ci/run sets), and save screenshots of the
// main pages in $IAMD_SCREENSHOTS if set.

const chromiumPath = "/usr/bin/chromium"

// browser is the one Chromium of the test binary; each test gets a fresh
// browser context of it, which shares no cookie or cache with the others.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// startBrowser returns the context of the running browser, starting it on
// first use.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("IAMD_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("IAMD_REQUIRE_CHROMIUM=1 but %s: %v", chromiumPath, err)
		}
		t.Skipf("no Chromium (%v): apt-get install chromium", err)
	}
	browser.once.Do(func() {
		// Not t.TempDir: the browser outlives the test that starts it.
		browser.dir, browser.err = os.MkdirTemp("", "iamd-chromium-")
		if browser.err != nil {
			return
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromiumPath),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			// Tests run in parallel tabs: none may be slowed as a
			// background one.
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.UserDataDir(browser.dir),
			chromedp.WindowSize(1280, 800),
		)
		bctx, bcancel := chromedp.NewContext(actx)
		browser.ctx, browser.cancel = bctx, func() { bcancel(); acancel() }
		// The first run starts the browser, which lives as long as bctx:
		// no timeout on it.
		browser.err = chromedp.Do(bctx)
	})
	if browser.err != nil {
		t.Fatalf("start Chromium: %v", browser.err)
	}
	return browser.ctx
}

// tab is a browser tab in a browser context of its own, as a fresh
// private window is. It records the pages it loads and the problems the
// browser reports (script errors, CSP violations).
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	pages    []*network.Response
	problems []string
}

// newTab opens a tab on the fixture's console, asking for pages in lang
// (Accept-Language).
func newTab(t *testing.T, f *fixture, lang string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(startBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, ctx: ctx, base: f.serve(t)}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			if e.Type == network.ResourceTypeDocument {
				b.pages = append(b.pages, e.Response)
			}
		case *cdplog.EventEntryAdded:
			// Network errors are the status codes the tests expect.
			if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *cdpruntime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+e.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	}))
	t.Cleanup(b.check)
	return b
}

// do runs steps, failing the test if one fails or takes too long.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%v (at %s)", err, loc)
	}
}

// text returns the visible text of the first element sel matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// open loads the console page at path and waits for its template.
func (b *tab) open(path, template string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), waitPage(template))
}

// waitPage waits until the page shown is the console page template.
func waitPage(template string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`body[data-page="` + template + `"]`))
}

// lang is the lang attribute of the page.
func (b *tab) lang() string {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if err != nil {
		b.t.Fatal(err)
	}
	return res.Value
}

// login fills and sends the login form, which must be on screen.
func (b *tab) login(name, password string) {
	b.t.Helper()
	b.do(
		chromedp.SetValue(chromedp.CSS("#name"), name),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
	)
}

// cookies returns the browser's cookies for the console.
func (b *tab) cookies() map[string]*network.Cookie {
	b.t.Helper()
	cs, err := chromedp.Run(b.ctx, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/console/"}})
		return r.Cookies, err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range cs {
		out[c.Name] = c
	}
	return out
}

// screenshot saves the page, whole, 1280 pixels wide, as
// $IAMD_SCREENSHOTS/name.png, if that is set.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("IAMD_SCREENSHOTS")
	if dir == "" {
		return
	}
	b.do(chromedp.EmulateViewport(1280, 800))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// unlabelled returns the ids (or names) of the page's controls that no
// <label> names.
func (b *tab) unlabelled() []string {
	b.t.Helper()
	ids, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
		.filter(el => el.labels.length === 0).map(el => el.id || el.name)`))
	if err != nil {
		b.t.Fatal(err)
	}
	return ids
}

// check runs when the test ends: every console page the tab loaded had
// the console's CSP, and the browser reported no script error or policy
// violation.
func (b *tab) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	seen := 0
	for _, r := range b.pages {
		if !strings.HasPrefix(r.URL, b.base+"/console") {
			continue
		}
		seen++
		if got := header(r.Headers, "Content-Security-Policy"); got != consoleCSP {
			b.t.Errorf("%s (%d): CSP %q", r.URL, r.Status, got)
		}
	}
	if seen == 0 && !b.t.Skipped() {
		b.t.Error("no console page seen: the response listener is broken")
	}
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
}

func header(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// inBothLanguages runs test in English and in French, with what each
// language's pages say, in parallel: most of the time goes to argon2 and
// to the browser, which overlap.
func inBothLanguages(t *testing.T, test func(t *testing.T, lang string, say map[string]string)) {
	t.Helper()
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			test(t, lang, texts[lang])
		})
	}
}

// texts are the console's words the tests look for, as a user reads them.
var texts = map[string]map[string]string{
	"en": {
		"login":     "Sign in",
		"bad login": "Wrong user name or password.",
		"forced":    "You must choose a new password before going on.",
		"changed":   "Your password has been changed.",
		"dashboard": "Dashboard",
		"refused":   "Not allowed",
		"logout":    "Sign out",
		"other":     "fr",
		"switch":    "Français",
	},
	"fr": {
		"login":     "Se connecter",
		"bad login": "Nom d’utilisateur ou mot de passe incorrect.",
		"forced":    "Vous devez choisir un nouveau mot de passe avant de continuer.",
		"changed":   "Votre mot de passe a été changé.",
		"dashboard": "Tableau de bord",
		"refused":   "Action refusée",
		"logout":    "Déconnexion",
		"other":     "en",
		"switch":    "English",
	},
}

func TestBrowserLoginRefusesAWrongPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.consoleUser(t, "alice", goodPassword, false, "admin")
	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		if got := b.lang(); got != lang {
			t.Errorf("lang %q", got)
		}
		if got := b.text("h1"); !strings.Contains(got, say["login"]) {
			t.Errorf("heading %q", got)
		}
		b.screenshot("login-" + lang)
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		b.login("alice", "not the password")
		b.do(chromedp.WaitVisible(chromedp.CSS(".error")))
		if got := b.text(".error"); got != say["bad login"] {
			t.Errorf("message %q, want %q", got, say["bad login"])
		}
		if _, ok := b.cookies()["iamd_session"]; ok {
			t.Error("a session cookie after a refused login")
		}
	})
}

func TestBrowserFirstLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		name := "first-" + lang
		f.consoleUser(t, name, goodPassword, true, "admin")
		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("session_password"))
		if got := b.text(".notice"); got != say["forced"] {
			t.Errorf("notice %q", got)
		}

		// The session cookie's flags, as the browser stored them.
		c := b.cookies()["iamd_session"]
		switch {
		case c == nil:
			t.Fatal("no session cookie")
		case !c.HTTPOnly, c.SameSite != network.CookieSameSiteLax, c.Path != "/console":
			t.Errorf("session cookie: HttpOnly %v, SameSite %q, Path %q", c.HTTPOnly, c.SameSite, c.Path)
		case c.Expires > float64(f.clock.Now().Add(12*time.Hour+time.Minute).Unix()):
			t.Errorf("the session cookie outlives the session: %v", time.Unix(int64(c.Expires), 0))
		}
		if c := b.cookies()["iamd_csrf"]; c == nil || c.SameSite != network.CookieSameSiteStrict || !c.HTTPOnly {
			t.Errorf("login CSRF cookie: %+v", c)
		}

		// Anywhere else, the password change comes first.
		b.open("/console/", "session_password")
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}

		weak := func(pw string) {
			b.do(
				chromedp.SetValue(chromedp.CSS("#current"), goodPassword),
				chromedp.SetValue(chromedp.CSS("#new"), pw),
				chromedp.SetValue(chromedp.CSS("#confirm"), pw),
				chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			)
		}
		weak("short")
		b.do(chromedp.WaitVisible(chromedp.CSS(".error")))
		if got := b.text(".error"); !strings.Contains(got, "12") {
			t.Errorf("weak password refused with %q", got)
		}
		weak(goodPassword + " " + lang)
		b.do(waitPage("dashboard_index"))
		if got := b.text(".flash"); got != say["changed"] {
			t.Errorf("flash %q", got)
		}
		if got := b.text("h1"); got != say["dashboard"] {
			t.Errorf("heading %q", got)
		}
		b.screenshot("dashboard-" + lang)

		// Nothing overflows a 360-pixel screen.
		b.do(chromedp.EmulateViewport(360, 740))
		b.open("/console/", "dashboard_index")
		fits, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
		if err != nil || !fits {
			t.Errorf("the dashboard is wider than 360 pixels (%v)", err)
		}
	})
}

func TestBrowserLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		name := "out-" + lang
		f.consoleUser(t, name, goodPassword, false, "viewer")
		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("dashboard_index"))
		old := b.cookies()["iamd_session"].Value
		if got := b.text("form.logout button"); got != say["logout"] {
			t.Errorf("logout button %q", got)
		}
		b.do(chromedp.Click(chromedp.CSS("form.logout button")), waitPage("session_login"))
		if _, ok := b.cookies()["iamd_session"]; ok {
			t.Error("the session cookie is still there")
		}
		b.open("/console/", "session_login")

		// The old cookie, replayed, is worth nothing.
		req, _ := http.NewRequest(http.MethodGet, b.base+"/console/", nil)
		req.AddCookie(&http.Cookie{Name: "iamd_session", Value: old})
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
			t.Errorf("the old session: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestBrowserRefusesForgedCrossSitePosts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.serve(t)
	// The forger's site: localhost, while the console is on 127.0.0.1,
	// so another site, not only another origin.
	forms := map[string]string{
		"logout":   `<input name="csrf" value="forged">`,
		"password": `<input name="csrf" value="forged"><input name="current" value="x"><input name="new" value="evil password 123"><input name="confirm" value="evil password 123">`,
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := strings.TrimPrefix(r.URL.Path, "/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/console/%s">%s</form><script>document.getElementById("f").submit()</script>`, base, target, forms[target])
	}))
	t.Cleanup(evil.Close)
	_, port, _ := net.SplitHostPort(evil.Listener.Addr().String())
	evilBase := "http://localhost:" + port

	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		name := "forged-" + lang
		f.consoleUser(t, name, goodPassword, false, "admin")
		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("dashboard_index"))
		for target := range forms {
			b.do(chromedp.Navigate(evilBase+"/"+target), waitPage("error_page"))
			if got := b.text("h1"); got != say["refused"] {
				t.Errorf("forged %s: heading %q", target, got)
			}
			b.open("/console/", "dashboard_index")
		}
		b.mu.Lock()
		for _, r := range b.pages {
			if strings.HasPrefix(r.URL, base+"/console/logout") || strings.HasPrefix(r.URL, base+"/console/password") {
				if r.Status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", r.URL, r.Status)
				}
			}
		}
		b.mu.Unlock()
	})
}

func TestBrowserLanguageSwitchSticks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inBothLanguages(t, func(t *testing.T, lang string, say map[string]string) {
		name := "switch-" + lang
		f.consoleUser(t, name, goodPassword, false, "admin")
		b := newTab(t, f, lang)
		other := say["other"]
		b.open("/console/login?next=%2Fconsole%2Fpassword", "session_login")
		if got := b.text(`form.lang button[value="` + other + `"]`); got != say["switch"] {
			t.Errorf("switch %q", got)
		}
		b.do(
			chromedp.Click(chromedp.CSS(`form.lang button[value="`+other+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+other+`"] body[data-page="session_login"]`)),
		)
		if got := b.text("h1"); !strings.Contains(got, texts[other]["login"]) {
			t.Errorf("login heading after the switch: %q", got)
		}
		b.login(name, goodPassword)
		b.do(waitPage("session_password"))
		if got := b.lang(); got != other {
			t.Errorf("after sign-in: lang %q, want %q", got, other)
		}
		b.open("/console/", "dashboard_index")
		if got := b.lang(); got != other {
			t.Errorf("on the dashboard: lang %q, want %q", got, other)
		}
		if c := b.cookies()["iamd_lang"]; c == nil || c.Value != other || c.SameSite != network.CookieSameSiteLax {
			t.Errorf("language cookie %+v", c)
		}
	})
}
