package web_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// acctsRowIDs finds the client IDs of the rows of an accounts list.
var acctsRowIDs = regexp.MustCompile(`<tr data-account="([^"]+)"`)

// acctsNextLink finds the next page link of an accounts list.
var acctsNextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// acctsForms finds the post forms of a page and their actions.
var acctsForms = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// acctsWriteControls returns the write controls of a page: its post forms
// but the layout's language switch and sign-out, and its links marked
// data-write.
func acctsWriteControls(body []byte) []string {
	var out []string
	for _, m := range acctsForms.FindAllSubmatch(body, -1) {
		if a := string(m[1]); a != "/console/lang" && a != "/console/logout" {
			out = append(out, "form "+a)
		}
	}
	for range strings.Count(string(body), "data-write") {
		out = append(out, "data-write link")
	}
	return out
}

// acctsRows returns the client IDs a list page shows, and the URL of its
// next page ("" if none).
func acctsRows(t *testing.T, r *response) (ids []string, next string) {
	t.Helper()
	wantPage(t, r, http.StatusOK)
	for _, m := range acctsRowIDs.FindAllSubmatch(r.Body, -1) {
		ids = append(ids, html.UnescapeString(string(m[1])))
	}
	if m := acctsNextLink.FindSubmatch(r.Body); m != nil {
		next = html.UnescapeString(string(m[1]))
	}
	return ids, next
}

// acctsSignIn creates a console user holding role on the whole tree and
// signs them in.
func acctsSignIn(t *testing.T, f *fixture, name, role string) *visitor {
	t.Helper()
	f.consoleUser(t, name, goodPassword, false, role)
	v := f.visitor(t)
	v.login(t, name, goodPassword)
	return v
}

// acctsCreate creates an account as the system and returns its client ID.
func acctsCreate(t *testing.T, f *fixture, in accounts.NewAccount) string {
	t.Helper()
	a, err := f.accts.Create(context.Background(), rbac.System(initBy), in)
	if err != nil {
		t.Fatal(err)
	}
	return f.accts.ClientIDs().Of(a)
}

func TestConsoleAccountsListSearchFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "sales", "Sales", rootOrg); err != nil {
		t.Fatal(err)
	}
	owner := f.consoleUser(t, "olga", goodPassword, false, "")
	v := acctsSignIn(t, f, "acctadmin", rbac.RoleAdmin)

	archived, owned := map[string]bool{}, map[string]bool{}
	for i := range 120 {
		in := accounts.NewAccount{OrgID: rootOrg, Name: fmt.Sprintf("bot-%03d", i), DisplayName: fmt.Sprintf("Robot %d", i)}
		if i%2 == 1 {
			in.OrgID = "sales"
		}
		if i%10 == 0 {
			in.OwnerID = owner.ID
		}
		id := acctsCreate(t, f, in)
		if i%10 == 0 {
			owned[id] = true
		}
		if i%7 == 0 {
			if _, err := f.accts.Archive(ctx, sys, id); err != nil {
				t.Fatal(err)
			}
			archived[id] = true
		}
	}
	all, err := f.accts.List(ctx, sys, accounts.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 120 {
		t.Fatalf("%d accounts", len(all))
	}

	// list walks the pages from path and returns every row, checking that
	// none repeats and that no page shows more than 50.
	list := func(t *testing.T, path string) []string {
		t.Helper()
		var out []string
		seen := map[string]bool{}
		for n := 0; path != ""; n++ {
			r := v.get(t, path)
			ids, next := acctsRows(t, r)
			if len(ids) > 50 {
				t.Fatalf("%s: %d rows", path, len(ids))
			}
			if next != "" && len(ids) != 50 {
				t.Fatalf("%s: a next page after %d rows", path, len(ids))
			}
			if n > 0 && !strings.Contains(string(r.Body), ">First page<") {
				t.Errorf("%s: no first page link", path)
			}
			if n == 0 && strings.Contains(string(r.Body), ">First page<") {
				t.Errorf("%s: a first page link on the first page", path)
			}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("%s: %s shown twice", path, id)
				}
				seen[id] = true
			}
			out = append(out, ids...)
			path = next
			if n > 10 {
				t.Fatal("too many pages")
			}
		}
		return out
	}

	t.Run("every account once across pages", func(t *testing.T) {
		got := list(t, "/console/accounts")
		if len(got) != len(all) {
			t.Fatalf("%d accounts shown, want %d", len(got), len(all))
		}
		for i, a := range all {
			if want := f.accts.ClientIDs().Of(a); got[i] != want {
				t.Fatalf("row %d: %s, want %s", i, got[i], want)
			}
		}
	})
	t.Run("search", func(t *testing.T) {
		got := list(t, "/console/accounts?q=BOT-01")
		if len(got) != 10 {
			t.Fatalf("%d rows: %v", len(got), got)
		}
		for _, id := range got {
			if !strings.HasPrefix(id, "bot-01") {
				t.Errorf("%s does not match", id)
			}
		}
		// The display name matches too.
		if got := list(t, "/console/accounts?q=robot+7"); len(got) != 11 { // 7, 70-79
			t.Errorf("display name search: %v", got)
		}
	})
	t.Run("organization, with the filter kept on the next page", func(t *testing.T) {
		r := v.get(t, "/console/accounts?org=sales")
		_, next := acctsRows(t, r)
		if !strings.Contains(next, "org=sales") || !strings.Contains(next, "after=sales%2Fbot-") {
			t.Errorf("next page %q", next)
		}
		got := list(t, "/console/accounts?org=sales")
		if len(got) != 60 {
			t.Fatalf("%d rows", len(got))
		}
		for _, id := range got {
			if !strings.HasSuffix(id, "@sales.iam") {
				t.Errorf("%s is not of sales", id)
			}
		}
	})
	t.Run("status", func(t *testing.T) {
		got := list(t, "/console/accounts?status=archived")
		if len(got) != len(archived) {
			t.Fatalf("%d archived rows, want %d", len(got), len(archived))
		}
		for _, id := range got {
			if !archived[id] {
				t.Errorf("%s is not archived", id)
			}
		}
		active := list(t, "/console/accounts?status=active")
		if len(active) != len(all)-len(archived) {
			t.Errorf("%d active rows, want %d", len(active), len(all)-len(archived))
		}
		for _, id := range active {
			if archived[id] {
				t.Errorf("%s is archived", id)
			}
		}
		if got := list(t, "/console/accounts?status=all"); len(got) != len(all) {
			t.Errorf("status=all: %d rows", len(got))
		}
		wantPage(t, v.get(t, "/console/accounts?status=gone"), http.StatusBadRequest)
	})
	t.Run("owner, and the owner column", func(t *testing.T) {
		r := v.get(t, "/console/accounts?owner=olga&org=acme")
		body := string(r.Body)
		got, _ := acctsRows(t, r)
		if len(got) != len(owned) { // every tenth account, all in acme
			t.Fatalf("%d rows: %v", len(got), got)
		}
		for _, id := range got {
			if !owned[id] {
				t.Errorf("%s is not olga's", id)
			}
		}
		if n := strings.Count(body, "<td data-owner>olga</td>"); n != len(got) {
			t.Errorf("owner column shows olga %d times, want %d", n, len(got))
		}
		if all := list(t, "/console/accounts?owner=olga"); len(all) != len(owned) {
			t.Errorf("%d rows, want %d", len(all), len(owned))
		}
		r = v.get(t, "/console/accounts?owner=nobody")
		got, _ = acctsRows(t, r)
		if len(got) != 0 || !strings.Contains(string(r.Body), "There is no user of that name.") {
			t.Errorf("unknown owner: %v %s", got, r.Body)
		}
		// Accounts without an owner say so.
		r = v.get(t, "/console/accounts?q=bot-001")
		if !strings.Contains(string(r.Body), "<td data-owner>none</td>") {
			t.Errorf("no owner: %s", r.Body)
		}
	})
	t.Run("a search too long is refused in the page", func(t *testing.T) {
		r := v.get(t, "/console/accounts?q="+strings.Repeat("a", 101))
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `value="`+strings.Repeat("a", 101)+`"`) {
			t.Errorf("body %s", r.Body)
		}
	})
	t.Run("a malformed after is refused", func(t *testing.T) {
		wantPage(t, v.get(t, "/console/accounts?after=nothing"), http.StatusBadRequest)
	})
	t.Run("last used", func(t *testing.T) {
		r := v.get(t, "/console/accounts?q=bot-002")
		if !strings.Contains(string(r.Body), "<td>never</td>") {
			t.Errorf("an unused account: %s", r.Body)
		}
		used, err := f.accts.Get(ctx, sys, f.accts.ClientIDs().Format(rootOrg, "bot-004"))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
		if err := f.db.RecordUsage(ctx, []accounts.Usage{{AccountID: used.ID, At: at}}); err != nil {
			t.Fatal(err)
		}
		r = v.get(t, "/console/accounts?q=bot-004")
		if !strings.Contains(string(r.Body), "<td>2026-03-04 05:06 UTC</td>") {
			t.Errorf("a used account: %s", r.Body)
		}
	})
}

func TestConsoleAccountsCreateEditMoveArchiveDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "sales", "Sales", rootOrg); err != nil {
		t.Fatal(err)
	}
	owner := f.consoleUser(t, "olga", goodPassword, false, "")
	v := acctsSignIn(t, f, "acctadmin", rbac.RoleAdmin)
	token := v.csrf(t, "/console/accounts")
	ids := f.accts.ClientIDs()
	clientID := ids.Format(rootOrg, "deploy-bot")

	r := v.get(t, "/console/accounts")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `href="/console/accounts/new" data-write`) {
		t.Errorf("no New account link: %s", r.Body)
	}
	r = v.get(t, "/console/accounts/new?org=sales")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `<option value="sales" selected>`) {
		t.Errorf("the organization is not chosen: %s", r.Body)
	}

	t.Run("create", func(t *testing.T) {
		r := v.post(t, "/console/accounts", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"deploy-bot"},
			"display_name": {"Deploy bot"}, "description": {"Deploys things"}, "owner": {"olga"}})
		wantRedirect(t, r, "/console/accounts/"+clientID+"?flash=accounts.created")
		a, err := f.accts.Get(ctx, sys, clientID)
		if err != nil {
			t.Fatal(err)
		}
		if a.DisplayName != "Deploy bot" || a.Description != "Deploys things" || a.OwnerID != owner.ID {
			t.Errorf("created %+v", a)
		}
		r = v.get(t, "/console/accounts?q=deploy")
		got, _ := acctsRows(t, r)
		if len(got) != 1 || got[0] != clientID || !strings.Contains(string(r.Body), `href="/console/accounts/`+clientID+`"`) {
			t.Errorf("list: %v %s", got, r.Body)
		}
	})
	t.Run("bad input shows the form again", func(t *testing.T) {
		for name, form := range map[string]url.Values{
			"taken name":    {"org": {rootOrg}, "name": {"deploy-bot"}},
			"bad name":      {"org": {rootOrg}, "name": {"Not A Name"}},
			"unknown owner": {"org": {rootOrg}, "name": {"other-bot"}, "owner": {"nobody"}},
			"no org":        {"name": {"other-bot"}},
		} {
			form.Set("csrf", token)
			form.Set("display_name", "Kept "+name)
			r := v.post(t, "/console/accounts", form)
			wantPage(t, r, http.StatusUnprocessableEntity)
			if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `value="Kept `+name+`"`) {
				t.Errorf("%s: no message, or the form lost its fields: %s", name, r.Body)
			}
		}
		if _, err := f.accts.Get(ctx, sys, ids.Format(rootOrg, "other-bot")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a refused form created an account: %v", err)
		}
	})
	t.Run("edit", func(t *testing.T) {
		r := v.get(t, "/console/accounts/"+clientID+"/edit")
		wantPage(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `value="Deploy bot"`) || !strings.Contains(string(r.Body), `value="olga"`) {
			t.Errorf("edit form: %s", r.Body)
		}
		r = v.post(t, "/console/accounts/"+clientID, url.Values{"csrf": {token}, "display_name": {"Deployer"}, "description": {"New"}, "owner": {""}})
		wantRedirect(t, r, "/console/accounts/"+clientID+"?flash=accounts.updated")
		a, _ := f.accts.Get(ctx, sys, clientID)
		if a.DisplayName != "Deployer" || a.Description != "New" || a.OwnerID != "" {
			t.Errorf("updated %+v", a)
		}
		r = v.post(t, "/console/accounts/"+clientID, url.Values{"csrf": {token}, "display_name": {"Kept"}, "owner": {"nobody"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `value="Kept"`) {
			t.Errorf("edit refused: %s", r.Body)
		}
	})
	t.Run("archive and restore", func(t *testing.T) {
		wantRedirect(t, v.post(t, "/console/accounts/"+clientID+"/archive", url.Values{"csrf": {token}}), "/console/accounts/"+clientID+"?flash=accounts.archived")
		if a, _ := f.accts.Get(ctx, sys, clientID); a.Status() != accounts.StatusArchived {
			t.Errorf("status %s", a.Status())
		}
		wantRedirect(t, v.post(t, "/console/accounts/"+clientID+"/restore", url.Values{"csrf": {token}}), "/console/accounts/"+clientID+"?flash=accounts.restored")
		if a, _ := f.accts.Get(ctx, sys, clientID); a.Status() != accounts.StatusActive {
			t.Errorf("status %s", a.Status())
		}
	})
	moved := ids.Format("sales", "deploy-bot")
	t.Run("move shows the new client ID first", func(t *testing.T) {
		r := v.get(t, "/console/accounts/"+clientID+"/move")
		wantPage(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `<option value="sales"`) || strings.Contains(string(r.Body), `<option value="acme"`) {
			t.Errorf("move form, which must not offer the account's own organization: %s", r.Body)
		}
		r = v.post(t, "/console/accounts/"+clientID+"/move", url.Values{"csrf": {token}, "org": {"sales"}})
		wantPage(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `<code id="new-client-id">`+moved+`</code>`) || !strings.Contains(string(r.Body), `name="confirm" value="yes"`) {
			t.Errorf("preview: %s", r.Body)
		}
		if _, err := f.accts.Get(ctx, sys, clientID); err != nil {
			t.Fatalf("the preview moved the account: %v", err)
		}
		for _, org := range []string{rootOrg, "nowhere", ""} {
			r = v.post(t, "/console/accounts/"+clientID+"/move", url.Values{"csrf": {token}, "org": {org}})
			wantPage(t, r, http.StatusUnprocessableEntity)
			if strings.Contains(string(r.Body), `id="new-client-id"`) || !strings.Contains(string(r.Body), `role="alert"`) {
				t.Errorf("preview of a move to %q: %s", org, r.Body)
			}
		}
		r = v.post(t, "/console/accounts/"+clientID+"/move", url.Values{"csrf": {token}, "org": {rootOrg}, "confirm": {"yes"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		r = v.post(t, "/console/accounts/"+clientID+"/move", url.Values{"csrf": {token}, "org": {"sales"}, "confirm": {"yes"}})
		wantRedirect(t, r, "/console/accounts/"+moved+"?flash=accounts.moved")
		if _, err := f.accts.Get(ctx, sys, clientID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("old client ID: %v", err)
		}
	})
	t.Run("delete asks for the client ID", func(t *testing.T) {
		r := v.get(t, "/console/accounts/"+moved+"/delete")
		wantPage(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `data-confirm="`+moved+`"`) || !strings.Contains(string(r.Body), "data-confirm-input") {
			t.Errorf("delete page: %s", r.Body)
		}
		r = v.post(t, "/console/accounts/"+moved+"/delete", url.Values{"csrf": {token}, "confirm": {"deploy-bot"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) {
			t.Errorf("no message: %s", r.Body)
		}
		if _, err := f.accts.Get(ctx, sys, moved); err != nil {
			t.Fatalf("a wrong confirmation deleted: %v", err)
		}
		r = v.post(t, "/console/accounts/"+moved+"/delete", url.Values{"csrf": {token}, "confirm": {moved}})
		wantRedirect(t, r, "/console/accounts?flash=accounts.deleted")
		if _, err := f.accts.Get(ctx, sys, moved); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("not deleted: %v", err)
		}
		r = v.get(t, "/console/accounts?flash=accounts.deleted")
		if !strings.Contains(string(r.Body), "The service account has been deleted.") {
			t.Errorf("no flash: %s", r.Body)
		}
	})
}

func TestConsoleAccountsViewerIsOfferedNothingAndRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	clientID := acctsCreate(t, f, accounts.NewAccount{OrgID: rootOrg, Name: "watched-bot", DisplayName: "Watched"})
	viewer := acctsSignIn(t, f, "acctviewer", rbac.RoleViewer)
	token := viewer.csrf(t, "/console/accounts")

	r := viewer.get(t, "/console/accounts")
	got, _ := acctsRows(t, r)
	if len(got) == 0 {
		t.Fatalf("the viewer sees no account: %s", r.Body)
	}
	if w := acctsWriteControls(r.Body); len(w) > 0 {
		t.Errorf("the viewer is offered %v", w)
	}
	for _, path := range []string{"/console/accounts/new", "/console/accounts/" + clientID + "/edit",
		"/console/accounts/" + clientID + "/move", "/console/accounts/" + clientID + "/delete"} {
		wantPage(t, viewer.get(t, path), http.StatusForbidden)
	}
	for path, form := range map[string]url.Values{
		"/console/accounts":                          {"org": {rootOrg}, "name": {"forged-bot"}},
		"/console/accounts/" + clientID:              {"display_name": {"Forged"}},
		"/console/accounts/" + clientID + "/move":    {"org": {rootOrg}, "confirm": {"yes"}},
		"/console/accounts/" + clientID + "/archive": {},
		"/console/accounts/" + clientID + "/delete":  {"confirm": {clientID}},
	} {
		form.Set("csrf", token)
		if r := viewer.post(t, path, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s by a viewer: status %d", path, r.Status)
		}
	}
	a, err := f.accts.Get(ctx, sys, clientID)
	if err != nil || a.DisplayName != "Watched" || a.Status() != accounts.StatusActive {
		t.Errorf("the viewer changed the account: %+v %v", a, err)
	}
	if _, err := f.accts.Get(ctx, sys, f.accts.ClientIDs().Format(rootOrg, "forged-bot")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the viewer created an account: %v", err)
	}

	t.Run("a post without csrf is refused", func(t *testing.T) {
		admin := acctsSignIn(t, f, "acctadmin", rbac.RoleAdmin)
		r := admin.post(t, "/console/accounts", url.Values{"org": {rootOrg}, "name": {"nocsrf-bot"}})
		wantPage(t, r, http.StatusForbidden)
		r = admin.post(t, "/console/accounts/"+clientID+"/archive", url.Values{"csrf": {"wrong"}})
		wantPage(t, r, http.StatusForbidden)
		if _, err := f.accts.Get(ctx, sys, f.accts.ClientIDs().Format(rootOrg, "nocsrf-bot")); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("created without csrf: %v", err)
		}
		if a, _ := f.accts.Get(ctx, sys, clientID); a.Status() != accounts.StatusActive {
			t.Error("archived without csrf")
		}
	})
}

func TestBrowserAccountCreation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	say := map[string]map[string]string{
		"en": {"heading": "Service accounts", "new": "New service account"},
		"fr": {"heading": "Comptes de service", "new": "Nouveau compte de service"},
	}
	inBothLanguages(t, func(t *testing.T, lang string, _ map[string]string) {
		admin := "acctboss-" + lang
		f.consoleUser(t, admin, goodPassword, false, rbac.RoleAdmin)
		b := newTab(t, f, lang)
		b.open("/console/accounts", "session_login")
		b.login(admin, goodPassword)
		b.do(waitPage("accounts_list"))
		if got := b.text("h1"); got != say[lang]["heading"] {
			t.Errorf("heading %q", got)
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("list controls without a label: %v", ids)
		}
		b.do(chromedp.Click(chromedp.CSS(`a[href="/console/accounts/new"]`)), waitPage("accounts_new"))
		if got := b.text("h1"); got != say[lang]["new"] {
			t.Errorf("heading %q", got)
		}
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("form controls without a label: %v", ids)
		}
		if lang == "en" {
			b.screenshot("accounts-new")
		}
		name := "browser-bot-" + lang
		clientID := f.accts.ClientIDs().Format(rootOrg, name)
		b.do(
			chromedp.SetValue(chromedp.CSS("#name"), name),
			chromedp.SetValue(chromedp.CSS("#display_name"), "Browser "+lang),
			chromedp.SetValue(chromedp.CSS("#owner"), admin),
			chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
			// The account's page, whichever family draws it.
			chromedp.WaitVisible(chromedp.CSS(`body[data-page]:not([data-page="accounts_new"])`)),
		)
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil || loc != b.base+"/console/accounts/"+clientID+"?flash=accounts.created" {
			t.Errorf("landed on %q (%v)", loc, err)
		}
		b.open("/console/accounts?q="+name, "accounts_list")
		row := b.text(`tr[data-account="` + clientID + `"]`)
		if !strings.Contains(row, clientID) || !strings.Contains(row, admin) || !strings.Contains(row, "Browser "+lang) {
			t.Errorf("row %q", row)
		}
		b.open("/console/accounts", "accounts_list")
		if lang == "en" {
			b.screenshot("accounts-list")
		} else {
			b.screenshot("accounts-list-fr")
		}
	})
}

// A developer of one organization creates accounts there only, may not
// delete them, and is not told which users of other organizations exist.
func TestConsoleAccountsDeveloperOfOneOrganization(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "sales", "Sales", rootOrg); err != nil {
		t.Fatal(err)
	}
	f.consoleUser(t, "olga", goodPassword, false, "") // of acme, out of the developer's sight
	f.consoleUser(t, "dev", goodPassword, false, "")
	if err := f.users.AssignRole(ctx, sys, "dev", rootOrg+"/"+rbac.RoleDeveloper, []rbac.Scope{{OrgID: "sales", Subtree: true}}); err != nil {
		t.Fatal(err)
	}
	v := f.visitor(t)
	v.login(t, "dev", goodPassword)
	token := v.csrf(t, "/console/accounts")

	r := v.get(t, "/console/accounts/new")
	wantPage(t, r, http.StatusOK)
	if !strings.Contains(string(r.Body), `<option value="sales"`) || strings.Contains(string(r.Body), `<option value="acme"`) {
		t.Errorf("organizations offered: %s", r.Body)
	}
	// olga exists but the developer may not read her: the form says what
	// it says of a user who does not exist.
	hidden := v.post(t, "/console/accounts", url.Values{"csrf": {token}, "org": {"sales"}, "name": {"dev-bot"}, "owner": {"olga"}})
	wantPage(t, hidden, http.StatusUnprocessableEntity)
	missing := v.post(t, "/console/accounts", url.Values{"csrf": {token}, "org": {"sales"}, "name": {"dev-bot"}, "owner": {"nobody"}})
	wantPage(t, missing, http.StatusUnprocessableEntity)
	if a, b := acctsAlertText(hidden.Body), acctsAlertText(missing.Body); a == "" || strings.ReplaceAll(a, "olga", "nobody") != b {
		t.Errorf("a hidden user: %q, a missing one: %q", a, b)
	}
	if r := v.get(t, "/console/accounts?owner=olga"); !strings.Contains(string(r.Body), "There is no user of that name.") {
		t.Errorf("the owner filter tells olga exists: %s", r.Body)
	}

	r = v.post(t, "/console/accounts", url.Values{"csrf": {token}, "org": {"sales"}, "name": {"dev-bot"}})
	clientID := f.accts.ClientIDs().Format("sales", "dev-bot")
	wantRedirect(t, r, "/console/accounts/"+clientID+"?flash=accounts.created")
	r = v.post(t, "/console/accounts", url.Values{"csrf": {token}, "org": {rootOrg}, "name": {"root-bot"}})
	wantPage(t, r, http.StatusForbidden)

	// Nowhere else to move it; no deleting it.
	r = v.get(t, "/console/accounts/"+clientID+"/move")
	wantPage(t, r, http.StatusOK)
	if w := acctsWriteControls(r.Body); len(w) != 0 {
		t.Errorf("move offered with nowhere to go: %v", w)
	}
	wantPage(t, v.get(t, "/console/accounts/"+clientID+"/delete"), http.StatusForbidden)
	if r := v.post(t, "/console/accounts/"+clientID+"/delete", url.Values{"csrf": {token}, "confirm": {clientID}}); r.Status != http.StatusForbidden {
		t.Errorf("delete by a developer: status %d", r.Status)
	}
	wantRedirect(t, v.post(t, "/console/accounts/"+clientID+"/archive", url.Values{"csrf": {token}}), "/console/accounts/"+clientID+"?flash=accounts.archived")
}

var acctsAlert = regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)</p>`)

// acctsAlertText is the text of a page's alert, "" if none.
func acctsAlertText(body []byte) string {
	m := acctsAlert.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(string(m[1]))
}

// An owner the signed-in user may not read is named neither in the list
// nor on the edit form, and the form still saves, keeping the owner.
func TestConsoleAccountsOwnerTheEditorMayNotRead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := rbac.System(initBy)
	if _, err := f.orgs.CreateOrg(ctx, sys, "sales", "Sales", rootOrg); err != nil {
		t.Fatal(err)
	}
	olga := f.consoleUser(t, "olga", goodPassword, false, "") // of acme, out of the developer's sight
	clientID := acctsCreate(t, f, accounts.NewAccount{OrgID: "sales", Name: "owned-bot", Description: "Before", OwnerID: olga.ID})
	f.consoleUser(t, "dev", goodPassword, false, "")
	if err := f.users.AssignRole(ctx, sys, "dev", rootOrg+"/"+rbac.RoleDeveloper, []rbac.Scope{{OrgID: "sales", Subtree: true}}); err != nil {
		t.Fatal(err)
	}
	dev := f.visitor(t)
	dev.login(t, "dev", goodPassword)
	token := dev.csrf(t, "/console/accounts")
	admin := acctsSignIn(t, f, "acctadmin", rbac.RoleAdmin)

	owner := regexp.MustCompile(`<tr data-account="` + regexp.QuoteMeta(clientID) + `">(?s:.*?)<td data-owner>([^<]*)</td>`)
	ownerCell := func(v *visitor) string {
		r := v.get(t, "/console/accounts?q=owned-bot")
		wantPage(t, r, http.StatusOK)
		m := owner.FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no row of %s: %s", clientID, r.Body)
		}
		return html.UnescapeString(string(m[1]))
	}
	if got := ownerCell(admin); got != "olga" {
		t.Errorf("the admin's list shows the owner as %q", got)
	}
	if got := ownerCell(dev); got != "a user you may not see" {
		t.Errorf("the developer's list shows the owner as %q", got)
	}

	r := dev.get(t, "/console/accounts/"+clientID+"/edit")
	wantPage(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), "olga") || !strings.Contains(string(r.Body), `name="owner_hidden"`) {
		t.Errorf("the edit form names the owner, or does not keep it: %s", r.Body)
	}
	r = dev.post(t, "/console/accounts/"+clientID, url.Values{"csrf": {token}, "display_name": {"Owned"},
		"description": {"After"}, "owner": {""}, "owner_hidden": {"1"}})
	wantRedirect(t, r, "/console/accounts/"+clientID+"?flash=accounts.updated")
	a, err := f.accts.Get(ctx, sys, clientID)
	if err != nil || a.Description != "After" || a.OwnerID != olga.ID {
		t.Errorf("after the developer's edit: %+v %v", a, err)
	}
	// The flag only keeps: naming a user the developer may not read is
	// refused as before.
	r = dev.post(t, "/console/accounts/"+clientID, url.Values{"csrf": {token}, "display_name": {"Owned"}, "description": {"After"},
		"owner": {"acctadmin"}, "owner_hidden": {"1"}})
	wantPage(t, r, http.StatusUnprocessableEntity)
	if r.Status == http.StatusUnprocessableEntity && !strings.Contains(string(r.Body), `name="owner_hidden"`) {
		t.Errorf("the refused form forgets the owner is kept: %s", r.Body)
	}

	// The admin reads olga: the form names her, and saving it keeps her.
	r = admin.get(t, "/console/accounts/"+clientID+"/edit")
	if !strings.Contains(string(r.Body), `value="olga"`) || strings.Contains(string(r.Body), `name="owner_hidden"`) {
		t.Errorf("the admin's edit form: %s", r.Body)
	}

	// The typed confirmation of a delete is trimmed, as every field is.
	r = admin.post(t, "/console/accounts/"+clientID+"/delete", url.Values{"csrf": {admin.csrf(t, "/console/accounts")}, "confirm": {" " + clientID + " "}})
	wantRedirect(t, r, "/console/accounts?flash=accounts.deleted")
}
