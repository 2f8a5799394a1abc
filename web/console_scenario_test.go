package web_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// TestBrowserConsoleScenario is an admin's first day in the console, in
// a real browser, in English and in French: first sign-in, an organization
// and an account made through the forms, a secret shown once that gets a
// token until the key is deactivated, the account archived and restored,
// an assignment refused by rule 3; then a viewer who is offered no write
// and is refused one posted anyway, a cross-site form refused, sign-out.
func TestBrowserConsoleScenario(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.adminToken(t)
	// A role of the root organization whose perimeter is the root alone:
	// assigning it on any organization below breaks rule 3.
	f.createPermission(t, token, "shop.orders")
	f.createRole(t, token, web.CreateRoleRequest{Org: rootOrg, Name: "narrow", Rights: []string{"shop.orders:read"}, Perimeter: []string{rootOrg}})
	base := f.serve(t)

	// The forger's site, on localhost while the console is on 127.0.0.1:
	// another site. Its page posts an archive form to the console.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s%s"><input name="csrf" value="forged"></form><script>document.getElementById("f").submit()</script>`, base, r.URL.Query().Get("to"))
	}))
	t.Cleanup(evil.Close)
	_, port, _ := net.SplitHostPort(evil.Listener.Addr().String())
	evilBase := "http://localhost:" + port

	say := map[string]map[string]string{
		"en": {
			"archived": "archived", "active": "active",
			"rule3": "Rule 3 is not met",
		},
		"fr": {
			"archived": "archivé", "active": "actif",
			"rule3": "La règle 3 n’est pas respectée",
		},
	}
	inBothLanguages(t, func(t *testing.T, lang string, common map[string]string) {
		words := say[lang]
		admin, viewer, org := "admin-"+lang, "viewer-"+lang, "shop-"+lang
		f.consoleUser(t, admin, goodPassword, true, "admin")
		f.consoleUser(t, viewer, goodPassword, false, "viewer")
		// The admin grants shop.orders: nobody grants what they do not hold.
		f.createRole(t, token, web.CreateRoleRequest{Org: rootOrg, Name: "orders-" + lang, Rights: []string{"shop.orders:read"}})
		if r := f.call(t, http.MethodPost, "/api/v1/users/"+admin+"/assignments", token, web.AssignRequest{Role: rootOrg + "/orders-" + lang, On: []string{rootOrg + "/*"}}); r.Status != http.StatusNoContent {
			t.Fatalf("assign %s: %d %s", admin, r.Status, r.Body)
		}

		// First sign-in: the password comes first.
		b := newTab(t, f, lang)
		b.open("/console/", "session_login")
		b.login(admin, goodPassword)
		b.do(waitPage("session_password"),
			chromedp.SetValue(chromedp.CSS("#current"), goodPassword),
			chromedp.SetValue(chromedp.CSS("#new"), goodPassword+" "+lang),
			chromedp.SetValue(chromedp.CSS("#confirm"), goodPassword+" "+lang),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			waitPage("dashboard_index"),
		)
		if got := b.text(".flash"); got != common["changed"] {
			t.Errorf("flash %q", got)
		}

		// An organization, through its form.
		b.open("/console/orgs", "orgs_list")
		b.do(chromedp.Click(chromedp.CSS(`main a[data-write][href^="/console/orgs/new"]`)), waitPage("orgs_form"))
		b.noUnlabelled()
		b.do(
			chromedp.SetValue(chromedp.CSS("#org-id"), org),
			chromedp.SetValue(chromedp.CSS("#org-name"), "Shop "+lang),
			chromedp.Click(chromedp.CSS(`#org-form button[type="submit"]`)),
			waitPage("orgs_detail"),
		)
		if got := b.text("h1"); !strings.Contains(got, "Shop "+lang) {
			t.Errorf("organization page heading %q", got)
		}

		// An account in it, through its form.
		b.do(chromedp.Click(chromedp.CSS(`main a[data-write][href^="/console/accounts/new"]`)), waitPage("accounts_new"))
		b.noUnlabelled()
		b.do(
			chromedp.SetValue(chromedp.CSS("#name"), "billing-bot"),
			chromedp.SetValue(chromedp.CSS("#display_name"), "Billing bot"),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
			waitPage("account_detail"),
		)
		clientID := strings.TrimSpace(b.text("#client-id"))
		if want := f.accts.ClientIDs().Format(org, "billing-bot"); clientID != want {
			t.Fatalf("client ID %q, want %q", clientID, want)
		}
		detail := "/console/accounts/" + url.PathEscape(clientID)

		// A secret, shown once.
		b.do(chromedp.Click(chromedp.CSS(`main a[data-write][href$="/keys/new"]`)), waitPage("keys_new"),
			chromedp.SetValue(chromedp.CSS("#label"), "first"),
			chromedp.Click(chromedp.CSS(`form.keys-new button[type="submit"]`)),
			waitPage("keys_created"),
		)
		secret := strings.TrimSpace(b.text("#secret"))
		if !strings.HasPrefix(secret, accounts.SecretPrefix) {
			t.Fatalf("secret %q", secret)
		}
		b.do(chromedp.Reload(), waitPage("keys_created"))
		if gone, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("secret") === null && !document.body.innerText.includes(`+jsString(secret)+`)`)); err != nil || !gone {
			t.Errorf("the secret is shown again after a reload (%v)", err)
		}

		// It gets a token, until the key is deactivated in the page.
		auth := basicAuth(clientID, secret)
		decode[oauth.TokenResponse](t, postToken(t, nil, base, grant(), "Authorization", auth), http.StatusOK)
		b.open(detail, "account_detail")
		b.do(chromedp.Click(chromedp.CSS(`table#keys tr[data-key] a`)), waitPage("keys_show"))
		b.submit(`form.deactivate button[type="submit"]`, "keys_show")
		if r := postToken(t, nil, base, grant(), "Authorization", auth); r.Status != http.StatusUnauthorized {
			t.Errorf("the deactivated key: status %d", r.Status)
		}

		// Archived, then restored.
		b.open(detail, "account_detail")
		b.submit(`form[action$="/archive"] button[type="submit"]`, "account_detail")
		if got := b.text("#account-status"); !strings.Contains(got, words["archived"]) {
			t.Errorf("status after archiving %q", got)
		}
		b.submit(`form[action$="/restore"] button[type="submit"]`, "account_detail")
		if got := b.text("#account-status"); !strings.Contains(got, words["active"]) {
			t.Errorf("status after restoring %q", got)
		}

		// The admin is offered writes here: the viewer's empty list below
		// means something.
		if w := b.writeControls(); len(w) < 5 {
			t.Errorf("the admin's write controls on the account page: %v", w)
		}

		// An assignment that breaks rule 3, refused with the rule in words.
		b.do(chromedp.Click(chromedp.CSS(`main a[data-write][href$="/assign"]`)), waitPage("assign_form"),
			chromedp.SetValue(chromedp.CSS("#role"), rootOrg+"/narrow"),
			chromedp.SetValue(chromedp.CSS("#on"), org),
			chromedp.Click(chromedp.CSS(`#assign-role button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.error[role="alert"]`)),
		)
		if got := b.text(`.error[role="alert"]`); !strings.HasPrefix(got, words["rule3"]) || !strings.Contains(got, org) {
			t.Errorf("refusal %q", got)
		}

		// The viewer is offered no write anywhere.
		v := newTab(t, f, lang)
		v.open("/console/", "session_login")
		v.login(viewer, goodPassword)
		v.do(waitPage("dashboard_index"))
		for _, p := range []struct{ path, template string }{
			{"/console/", "dashboard_index"},
			{"/console/orgs", "orgs_list"},
			{"/console/orgs/" + org, "orgs_detail"},
			{"/console/accounts", "accounts_list"},
			{detail, "account_detail"},
			{"/console/roles", "roles_list"},
		} {
			v.open(p.path, p.template)
			if w := v.writeControls(); len(w) > 0 {
				t.Errorf("the viewer is offered writes on %s: %v", p.path, w)
			}
		}
		// A write posted anyway, with the viewer's own CSRF token, is refused.
		v.open(detail, "account_detail")
		v.do(chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("form");
			f.method = "post";
			f.action = location.pathname + "/archive";
			const c = document.createElement("input");
			c.type = "hidden"; c.name = "csrf"; c.value = document.querySelector("form.logout input[name=csrf]").value;
			f.appendChild(c);
			document.body.appendChild(f);
			f.submit();
		})()`), waitPage("error_page"))
		if got := v.text("h1"); got != common["refused"] {
			t.Errorf("the viewer's archive: heading %q", got)
		}

		// A form on another site, posted with the admin's session, is refused.
		b.do(chromedp.Navigate(evilBase+"/?to="+url.QueryEscape(detail+"/archive")), waitPage("error_page"))
		if got := b.text("h1"); got != common["refused"] {
			t.Errorf("the cross-site archive: heading %q", got)
		}
		if a, err := f.accts.Lookup(t.Context(), clientID); err != nil || a.Status() != accounts.StatusActive {
			t.Errorf("after the refused writes: %+v, %v", a, err)
		}

		// Every main page has a label on each control and fits a
		// 360-pixel screen.
		b.do(chromedp.EmulateViewport(360, 740))
		for _, p := range []struct{ path, template string }{
			{"/console/", "dashboard_index"},
			{"/console/orgs", "orgs_list"},
			{"/console/orgs/" + org, "orgs_detail"},
			{"/console/accounts", "accounts_list"},
			{"/console/accounts/new", "accounts_new"},
			{detail, "account_detail"},
			{detail + "/edit", "accounts_edit"},
			{detail + "/move", "accounts_move"},
			{detail + "/keys/new", "keys_new"},
			{detail + "/assign", "assign_form"},
			{"/console/roles", "roles_list"},
			{"/console/roles/new", "roles_form"},
			{"/console/groups", "groups_list"},
			{"/console/permissions", "permissions_list"},
			{"/console/users", "users_list"},
			{"/console/users/new", "users_new"},
			{"/console/audit", "audit_list"},
		} {
			b.open(p.path, p.template)
			b.noUnlabelled()
			fits, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= window.innerWidth"))
			if err != nil || !fits {
				wide, _ := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right))`))
				t.Errorf("%s is wider than 360 pixels (%v): %v", p.path, err, wide)
			}
		}
		b.do(chromedp.EmulateViewport(1280, 800))

		// Sign-out ends it: the console asks to sign in again.
		b.open("/console/", "dashboard_index")
		b.do(chromedp.Click(chromedp.CSS("form.logout button")), waitPage("session_login"))
		b.open(detail, "session_login")
	})
}

// submit clicks the submit button sel and waits for the page template
// that answers, which may be the template of the page it is on: the page
// it leaves is marked, so that only a new one satisfies the wait.
func (b *tab) submit(sel, template string) {
	b.t.Helper()
	b.do(
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.left = "1"`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-page="`+template+`"]:not([data-left])`)),
	)
}

// noUnlabelled fails the test if a control of the page has no label.
func (b *tab) noUnlabelled() {
	b.t.Helper()
	if ids := b.unlabelled(); len(ids) > 0 {
		b.t.Errorf("controls without a label: %v", ids)
	}
}

// writeControls returns the write controls of the page: forms posting
// (but the language switch and sign-out) and links to write forms.
func (b *tab) writeControls() []string {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('main form[method="post"], main a[data-write]'))
		.map(el => el.getAttribute("action") || el.getAttribute("href"))`))
	if err != nil {
		b.t.Fatal(err)
	}
	return got
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// The console works from the keyboard alone: the sign-in form is filled
// and sent with keys, the first Tab reaches the skip link, and focus is
// drawn.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.consoleUser(t, "kbd", goodPassword, false, "viewer")
	b := newTab(t, f, "en")
	b.open("/console/", "session_login")
	// #name has autofocus.
	b.do(
		chromedp.KeyEvent("kbd"),
		chromedp.KeyEvent("\t"),
		chromedp.KeyEvent(goodPassword),
		chromedp.KeyEvent("\r"),
		waitPage("dashboard_index"),
	)
	b.do(chromedp.KeyEvent("\t"))
	focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const el = document.activeElement, st = getComputedStyle(el);
		return [el.className, st.outlineStyle, st.outlineWidth];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(focused) != 3 || focused[0] != "skip" || focused[1] == "none" || focused[2] == "0px" {
		t.Errorf("after the first Tab: focus on %v, want the skip link with a visible outline", focused)
	}
	b.do(chromedp.KeyEvent("\r"))
	if id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); err != nil || id != "main" {
		t.Errorf("the skip link leads to %q (%v), want main", id, err)
	}
}
