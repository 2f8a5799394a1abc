package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// keysFixture is a fixture with an admin and a viewer of the console and
// an account, billing-bot, without keys.
func keysFixture(t *testing.T) (f *fixture, admin, viewer *visitor, clientID string) {
	t.Helper()
	f = newFixture(t)
	f.consoleUser(t, "keyadmin", goodPassword, false, "admin")
	f.consoleUser(t, "keyviewer", goodPassword, false, "viewer")
	a := f.createAccount(t, f.adminToken(t), web.CreateAccountRequest{ID: "billing-bot", Org: rootOrg})
	admin, viewer = f.visitor(t), f.visitor(t)
	admin.login(t, "keyadmin", goodPassword)
	viewer.login(t, "keyviewer", goodPassword)
	return f, admin, viewer, a.ClientID
}

var secretElement = regexp.MustCompile(`<code id="secret">([^<]+)</code>`)

// createSecret creates a secret key of clientID through the form and
// returns its ID and the secret its created page showed.
func createSecret(t *testing.T, v *visitor, clientID string, form url.Values) (keyID, secret string) {
	t.Helper()
	form.Set("csrf", v.csrf(t, "/console/accounts/"+clientID+"/keys/new"))
	if form.Get("kind") == "" {
		form.Set("kind", "secret")
	}
	r := v.post(t, "/console/accounts/"+clientID+"/keys", form)
	return followCreated(t, v, r)
}

// followCreated reads the created page the response r redirects to.
func followCreated(t *testing.T, v *visitor, r *response) (keyID, secret string) {
	t.Helper()
	loc := r.Header.Get("Location")
	m := regexp.MustCompile(`^/console/keys/([^/]+)/created$`).FindStringSubmatch(loc)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("status %d to %q, want 303 to a created page; body %s", r.Status, loc, r.Body)
	}
	page := v.get(t, loc)
	wantPage(t, page, http.StatusOK)
	s := secretElement.FindSubmatch(page.Body)
	if s == nil {
		t.Fatalf("the created page shows no secret: %s", page.Body)
	}
	secret = string(s[1])
	// The secret travels in the cookie of the created page only, never
	// in the Location or the body.
	if strings.Contains(loc, secret) || strings.Contains(string(r.Body), secret) {
		t.Error("the secret is in the Location or the body of the redirect")
	}
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Value == secret && (ck.Path != loc || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.MaxAge <= 0 || ck.MaxAge > 300) {
			t.Errorf("the secret's cookie %+v", ck)
		}
	}
	return m[1], secret
}

func TestConsoleKeySecretIsShownOnce(t *testing.T) {
	f, admin, _, clientID := keysFixture(t)
	wantPage(t, admin.get(t, "/console/accounts/"+clientID+"/keys/new"), http.StatusOK)
	keyID, secret := createSecret(t, admin, clientID, url.Values{"label": {"ci"}})
	if !strings.HasPrefix(secret, accounts.SecretPrefix) {
		t.Fatalf("secret %q", secret)
	}
	again := admin.get(t, "/console/keys/"+keyID+"/created")
	wantPage(t, again, http.StatusOK)
	wantNoSecret(t, again, secret)
	if !strings.Contains(string(again.Body), `id="gone"`) {
		t.Errorf("the reloaded page does not say the secret is gone: %s", again.Body)
	}
	if strings.Contains(f.logs.String(), secret) {
		t.Error("the server log holds the secret")
	}
	c := creds{ClientID: clientID, KeyID: keyID, Secret: secret}
	f.wantToken(t, c, http.StatusOK)

	t.Run("the key page shows it, used", func(t *testing.T) {
		r := admin.get(t, "/console/keys/"+keyID)
		wantPage(t, r, http.StatusOK)
		wantNoSecret(t, r, secret)
		for _, want := range []string{"ci", "Client secret", "active", `href="/console/accounts/` + clientID + `"`, `action="/console/keys/` + keyID + `/deactivate"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("the key page lacks %q", want)
			}
		}
	})
	t.Run("deactivated, it is refused; activated, accepted", func(t *testing.T) {
		token := admin.csrf(t, "/console/keys/"+keyID)
		wantRedirect(t, admin.post(t, "/console/keys/"+keyID+"/deactivate", url.Values{"csrf": {token}}), "/console/keys/"+keyID+"?flash=keys.deactivated")
		f.wantToken(t, c, http.StatusUnauthorized)
		r := admin.get(t, "/console/keys/"+keyID+"?flash=keys.deactivated")
		if !strings.Contains(string(r.Body), "The key has been deactivated.") || !strings.Contains(string(r.Body), `/activate"`) {
			t.Errorf("the page after deactivating: %s", r.Body)
		}
		wantRedirect(t, admin.post(t, "/console/keys/"+keyID+"/activate", url.Values{"csrf": {token}}), "/console/keys/"+keyID+"?flash=keys.activated")
		f.wantToken(t, c, http.StatusOK)
	})
	t.Run("rotated with a grace period, both work, the new secret shown once", func(t *testing.T) {
		token := admin.csrf(t, "/console/keys/"+keyID)
		r := admin.post(t, "/console/keys/"+keyID+"/rotate", url.Values{"csrf": {token}, "grace": {"2"}})
		newID, newSecret := followCreated(t, admin, r)
		if newID == keyID || newSecret == secret {
			t.Fatal("the rotation made no new key")
		}
		wantNoSecret(t, admin.get(t, "/console/keys/"+newID+"/created"), newSecret)
		f.wantToken(t, creds{ClientID: clientID, KeyID: newID, Secret: newSecret}, http.StatusOK)
		f.wantToken(t, c, http.StatusOK)
		old := admin.get(t, "/console/keys/"+keyID)
		if strings.Contains(string(old.Body), "does not expire") {
			t.Error("the old key does not expire after a rotation with grace")
		}
		if strings.Contains(f.logs.String(), newSecret) {
			t.Error("the server log holds the rotated secret")
		}
	})
	t.Run("a grace period out of range is refused", func(t *testing.T) {
		token := admin.csrf(t, "/console/keys/"+keyID)
		r := admin.post(t, "/console/keys/"+keyID+"/rotate", url.Values{"csrf": {token}, "grace": {"-1"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), "The grace period must be") {
			t.Errorf("no message: %s", r.Body)
		}
	})
	t.Run("delete asks for the key ID", func(t *testing.T) {
		token := admin.csrf(t, "/console/keys/"+keyID)
		r := admin.post(t, "/console/keys/"+keyID+"/delete", url.Values{"csrf": {token}, "confirm": {"wrong"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), "does not match") {
			t.Errorf("no message: %s", r.Body)
		}
		f.wantToken(t, c, http.StatusOK)
		wantRedirect(t, admin.post(t, "/console/keys/"+keyID+"/delete", url.Values{"csrf": {token}, "confirm": {keyID}}), "/console/accounts/"+clientID+"?flash=keys.deleted")
		f.wantToken(t, c, http.StatusUnauthorized)
		wantPage(t, admin.get(t, "/console/keys/"+keyID), http.StatusNotFound)
	})
}

func TestConsoleKeyPairIsDownloadedOnce(t *testing.T) {
	f, admin, _, clientID := keysFixture(t)
	token := admin.csrf(t, "/console/accounts/"+clientID+"/keys/new")
	r := admin.post(t, "/console/accounts/"+clientID+"/keys", url.Values{"csrf": {token}, "kind": {"key-pair"}, "algorithm": {"ES256"}, "label": {"pair"}})
	if r.Status != http.StatusOK {
		t.Fatalf("status %d; body %s", r.Status, r.Body)
	}
	wantHeader(t, r, "Cache-Control", "no-store")
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition %q", cd)
	}
	var file accounts.KeyFile
	if err := json.Unmarshal(r.Body, &file); err != nil {
		t.Fatal(err)
	}
	if file.Type != accounts.KeyFileType || file.ClientID != clientID || file.PrivateKey.IsPublic() || file.TokenEndpoint == "" {
		t.Errorf("key file %+v", file)
	}
	page := admin.get(t, "/console/keys/"+file.KeyID)
	wantPage(t, page, http.StatusOK)
	if strings.Contains(string(page.Body), `"d"`) || !strings.Contains(string(page.Body), "ES256") {
		t.Errorf("the key page: %s", page.Body)
	}
	t.Run("rotated, the new key file is downloaded", func(t *testing.T) {
		token := admin.csrf(t, "/console/keys/"+file.KeyID)
		r := admin.post(t, "/console/keys/"+file.KeyID+"/rotate", url.Values{"csrf": {token}, "grace": {"0"}})
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("status %d, Content-Disposition %q", r.Status, r.Header.Get("Content-Disposition"))
		}
		wantHeader(t, r, "Cache-Control", "no-store")
		var next accounts.KeyFile
		if err := json.Unmarshal(r.Body, &next); err != nil || next.KeyID == file.KeyID || next.PrivateKey.IsPublic() {
			t.Errorf("rotated key file %+v (%v)", next, err)
		}
		if !strings.Contains(string(admin.get(t, "/console/keys/"+file.KeyID).Body), `id="status" class="badge off"`) {
			t.Error("the old key pair is still active after a rotation without grace")
		}
	})
	if strings.Contains(f.logs.String(), `"d":`) {
		t.Error("the log holds a private key")
	}
}

func TestConsoleKeyUpload(t *testing.T) {
	_, admin, _, clientID := keysFixture(t)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	token := admin.csrf(t, "/console/accounts/"+clientID+"/keys/new")
	t.Run("a malformed key re-renders the form", func(t *testing.T) {
		r := admin.post(t, "/console/accounts/"+clientID+"/keys", url.Values{"csrf": {token}, "kind": {"upload"}, "public_key": {"not a key"}, "label": {"kept"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `role="alert"`) || !strings.Contains(string(r.Body), `value="kept"`) {
			t.Errorf("the form: %s", r.Body)
		}
	})
	t.Run("a bad expiry re-renders the form", func(t *testing.T) {
		r := admin.post(t, "/console/accounts/"+clientID+"/keys", url.Values{"csrf": {token}, "kind": {"secret"}, "expires": {"tomorrow"}})
		wantPage(t, r, http.StatusUnprocessableEntity)
	})
	r := admin.post(t, "/console/accounts/"+clientID+"/keys", url.Values{"csrf": {token}, "kind": {"upload"}, "public_key": {pemKey}, "label": {"mine"}})
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/keys/") || !strings.HasSuffix(loc, "?flash=keys.uploaded") {
		t.Fatalf("status %d to %q; body %s", r.Status, loc, r.Body)
	}
	page := admin.get(t, loc)
	wantPage(t, page, http.StatusOK)
	for _, want := range []string{"The public key has been uploaded.", "Uploaded public key", "mine"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the key page lacks %q", want)
		}
	}
	if strings.Contains(string(page.Body), `/rotate"`) {
		t.Error("an uploaded key is offered a rotation iamd cannot make")
	}
}

func TestConsoleKeysViewerCannotWrite(t *testing.T) {
	f, admin, viewer, clientID := keysFixture(t)
	keyID, secret := createSecret(t, admin, clientID, url.Values{})
	r := viewer.get(t, "/console/keys/"+keyID)
	wantPage(t, r, http.StatusOK)
	wantNoSecret(t, r, secret)
	body := string(r.Body)
	body = regexp.MustCompile(`(?s)<form method="post" action="/console/(lang|logout)".*?</form>`).ReplaceAllString(body, "")
	if strings.Contains(body, `<form method="post"`) || strings.Contains(body, "data-write") {
		t.Errorf("a viewer sees write controls: %s", body)
	}
	wantPage(t, viewer.get(t, "/console/accounts/"+clientID+"/keys/new"), http.StatusForbidden)
	// A viewer reads the created page but never a secret from it.
	wantNoSecret(t, viewer.get(t, "/console/keys/"+keyID+"/created"), secret)
	token := viewer.csrf(t, "/console/keys/"+keyID)
	for _, action := range []string{"deactivate", "activate", "rotate", "delete"} {
		r := viewer.post(t, "/console/keys/"+keyID+"/"+action, url.Values{"csrf": {token}, "confirm": {keyID}})
		wantPage(t, r, http.StatusForbidden)
	}
	r = viewer.post(t, "/console/accounts/"+clientID+"/keys", url.Values{"csrf": {token}, "kind": {"secret"}})
	wantPage(t, r, http.StatusForbidden)
	t.Run("without the csrf token, the admin is refused", func(t *testing.T) {
		wantPage(t, admin.post(t, "/console/keys/"+keyID+"/deactivate", url.Values{}), http.StatusForbidden)
	})
	f.wantToken(t, creds{ClientID: clientID, KeyID: keyID, Secret: secret}, http.StatusOK)
}

func TestBrowserKeySecretShownOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	say := map[string]map[string]string{
		"en": {"warning": "it will not be shown again", "gone": "can no longer be shown", "deactivated": "The key has been deactivated."},
		"fr": {"warning": "il ne sera plus affiché", "gone": "ne peut plus l’être", "deactivated": "La clé a été désactivée."},
	}
	inBothLanguages(t, func(t *testing.T, lang string, _ map[string]string) {
		name := "keys-" + lang
		f.consoleUser(t, name, goodPassword, false, "admin")
		a := f.createAccount(t, f.adminToken(t), web.CreateAccountRequest{ID: "bot-" + lang, Org: rootOrg})
		b := newTab(t, f, lang)
		b.open("/console/accounts/"+a.ClientID+"/keys/new", "session_login")
		b.login(name, goodPassword)
		b.do(waitPage("keys_new"))
		b.screenshot("keys-new-" + lang)
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		b.do(
			chromedp.SetValue(chromedp.CSS("#label"), "browser"),
			chromedp.Click(chromedp.CSS(`form.keys-new button[type="submit"]`)),
			waitPage("keys_created"),
		)
		secret := strings.TrimSpace(b.text("#secret"))
		if !strings.HasPrefix(secret, accounts.SecretPrefix) {
			t.Fatalf("secret %q", secret)
		}
		if got := b.text(".secret .error"); !strings.Contains(got, say[lang]["warning"]) {
			t.Errorf("warning %q", got)
		}
		if got := b.text("#client-id"); got != a.ClientID {
			t.Errorf("client ID %q", got)
		}
		if b.text("#example") == "" || !strings.Contains(b.text("#example"), secret) {
			t.Error("no example request with the secret")
		}
		b.screenshot(map[string]string{"en": "key-created", "fr": "key-created-fr"}[lang])
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil || strings.Contains(loc, secret) {
			t.Errorf("location %q (%v)", loc, err)
		}

		// Reloaded, the page shows no secret.
		b.do(chromedp.Reload(), waitPage("keys_created"))
		gone, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("secret") === null`))
		if err != nil || !gone {
			t.Errorf("the secret is still shown after a reload (%v)", err)
		}
		if got := b.text("#gone"); !strings.Contains(got, say[lang]["gone"]) {
			t.Errorf("notice %q", got)
		}

		// The secret works at the token endpoint, over HTTP.
		auth := basicAuth(a.ClientID, secret)
		decode[oauth.TokenResponse](t, postToken(t, nil, b.base, grant(), "Authorization", auth), http.StatusOK)

		// Deactivated in the page, it is refused.
		keyID := strings.TrimSpace(b.text(`dl.props a code`))
		b.open("/console/keys/"+keyID, "keys_show")
		if ids := b.unlabelled(); len(ids) > 0 {
			t.Errorf("controls without a label: %v", ids)
		}
		b.do(chromedp.Click(chromedp.CSS(`form.deactivate button[type="submit"]`)), waitPage("keys_show"), chromedp.WaitVisible(chromedp.CSS(".flash")))
		b.screenshot("keys-show-" + lang)
		if got := b.text(".flash"); got != say[lang]["deactivated"] {
			t.Errorf("flash %q", got)
		}
		r := postToken(t, nil, b.base, grant(), "Authorization", auth)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("a deactivated secret: status %d", r.Status)
		}
	})
}
