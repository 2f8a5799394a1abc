package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/accounts"
)

// newSecretCookie carries a just created secret from the POST that made it
// to the one page that shows it, which clears it: so the secret is never
// in a URL (and so never in a log or the browser's history) and is shown
// once. It lives on that page's path only, for newSecretTTL.
const (
	newSecretCookie = "iamd_new_secret"
	newSecretTTL    = 2 * time.Minute
)

// maxGraceHours bounds a rotation's grace period, as the API does.
const maxGraceHours = maxGracePeriod / 3600

// keysPages registers the pages of an account's keys.
func (s *Server) keysPages(r fiber.Router) {
	r.Get("/accounts/:client_id/keys/new", s.keysNew)
	r.Post("/accounts/:client_id/keys", s.keysCreate)
	r.Get("/keys/:key_id", s.keysShow)
	r.Get("/keys/:key_id/created", s.keysCreated)
	r.Post("/keys/:key_id/deactivate", s.keysDeactivate)
	r.Post("/keys/:key_id/activate", s.keysActivate)
	r.Post("/keys/:key_id/rotate", s.keysRotate)
	r.Post("/keys/:key_id/delete", s.keysDelete)
}

// keysNewPage is the form creating a key.
type keysNewPage struct {
	page
	ClientID  string
	Kind      string
	Algorithm string
	Label     string
	Expires   string
	PublicKey string
	Error     string
}

func (s *Server) keysNew(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	a, err := s.Accounts.Get(c.UserContext(), consoleActor(c), clientID)
	if err != nil {
		return err
	}
	if !consoleActor(c).Can(a.OrgID, writeKeys) {
		return fiber.ErrForbidden
	}
	return s.render(c, http.StatusOK, "keys_new", &keysNewPage{page: s.page(c), ClientID: clientID, Kind: accounts.KindSecret})
}

// formExpiry reads a date field (YYYY-MM-DD): the key expires at the end
// of that day, UTC; empty is never.
func formExpiry(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(24*time.Hour - time.Second), true
}

func (s *Server) keysCreate(c *fiber.Ctx) error {
	clientID, err := param(c, "client_id")
	if err != nil {
		return err
	}
	p := &keysNewPage{
		ClientID: clientID, Kind: c.FormValue("kind"), Algorithm: c.FormValue("algorithm"),
		Label: strings.TrimSpace(c.FormValue("label")), Expires: c.FormValue("expires"), PublicKey: c.FormValue("public_key"),
	}
	refuse := func(msg string) error {
		p.page, p.Error = s.page(c), msg
		return s.render(c, http.StatusUnprocessableEntity, "keys_new", p)
	}
	exp, ok := formExpiry(p.Expires)
	if !ok {
		p.page = s.page(c)
		return refuse(p.T("keys.new.badexpiry"))
	}
	ctx, who := c.UserContext(), consoleActor(c)
	var k accounts.Key
	switch p.Kind {
	case "upload":
		k, err = s.Accounts.UploadPublicKey(ctx, who, clientID, accounts.NewUploadedKey{Label: p.Label, ExpiresAt: exp, PublicKey: []byte(p.PublicKey), Algorithm: p.Algorithm})
		if err == nil {
			return c.Redirect(consolePrefix+"/keys/"+k.ID+"?flash=keys.uploaded", http.StatusSeeOther)
		}
	case accounts.KindKeyPair:
		var file accounts.KeyFile
		k, file, err = s.Accounts.CreateKeyPair(ctx, who, clientID, accounts.NewKeyPair{Label: p.Label, ExpiresAt: exp, Algorithm: p.Algorithm})
		if err == nil {
			return s.sendKeyFile(c, &file)
		}
	default:
		var secret string
		k, secret, err = s.Accounts.CreateKey(ctx, who, clientID, accounts.NewKey{Label: p.Label, ExpiresAt: exp})
		if err == nil {
			return s.showSecretOnce(c, k.ID, secret)
		}
	}
	if msg, ok := formMessage(err); ok {
		return refuse(msg)
	}
	return err
}

// sendKeyFile answers with a generated key pair's key file as a download:
// its private key is in no page and nowhere else, once sent.
func (s *Server) sendKeyFile(c *fiber.Ctx, file *accounts.KeyFile) error {
	m := s.OAuth.Metadata()
	file.Issuer, file.TokenEndpoint = m.Issuer, m.TokenEndpoint
	body, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file.KeyID+`.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, consoleCSP)
	return c.Status(http.StatusOK).Send(append(body, '\n'))
}

// createdPath is the page that shows the new secret of key id.
func createdPath(id string) string { return consolePrefix + "/keys/" + id + "/created" }

// showSecretOnce sends the browser to the page showing the new secret,
// with the secret in a cookie only that page gets (see newSecretCookie).
func (s *Server) showSecretOnce(c *fiber.Ctx, keyID, secret string) error {
	c.Cookie(&fiber.Cookie{
		Name: newSecretCookie, Value: secret, Path: createdPath(keyID), MaxAge: int(newSecretTTL / time.Second),
		HTTPOnly: true, Secure: s.secureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	return c.Redirect(createdPath(keyID), http.StatusSeeOther)
}

// keysCreatedPage shows a new secret, once; Secret is empty after.
type keysCreatedPage struct {
	page
	KeyID         string
	ClientID      string
	Secret        string
	TokenEndpoint string
}

func (s *Server) keysCreated(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	k, a, err := s.Accounts.GetKey(c.UserContext(), consoleActor(c), id)
	if err != nil {
		return err
	}
	secret := c.Cookies(newSecretCookie)
	if secret != "" {
		c.Cookie(&fiber.Cookie{
			Name: newSecretCookie, Path: createdPath(k.ID), MaxAge: -1, Expires: time.Unix(1, 0),
			HTTPOnly: true, Secure: s.secureCookies, SameSite: fiber.CookieSameSiteStrictMode,
		})
	}
	// Only this key's own secret: a cookie set by anything else is not
	// shown.
	if !strings.HasPrefix(secret, accounts.SecretPrefix+k.ID+"_") {
		secret = ""
	}
	return s.render(c, http.StatusOK, "keys_created", &keysCreatedPage{
		page: s.page(c), KeyID: k.ID, ClientID: s.Accounts.ClientIDs().Of(a), Secret: secret,
		TokenEndpoint: s.OAuth.Metadata().TokenEndpoint,
	})
}

// keysShowPage is a key, with what may be done to it.
type keysShowPage struct {
	page
	Key       accounts.Key
	ClientID  string
	Status    string
	CanWrite  bool
	CanRotate bool
	CanDelete bool
	MaxGrace  int
	Error     string
}

func (s *Server) keysShow(c *fiber.Ctx) error { return s.keysShowWith(c, http.StatusOK, "") }

// keysShowWith renders the key's page with status and the message of a
// refused action, if any.
func (s *Server) keysShowWith(c *fiber.Ctx, status int, msg string) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	who := consoleActor(c)
	k, a, err := s.Accounts.GetKey(c.UserContext(), who, id)
	if err != nil {
		return err
	}
	p := &keysShowPage{
		page: s.page(c), Key: k, ClientID: s.Accounts.ClientIDs().Of(a), Status: k.Status(s.Now()),
		CanWrite: who.Can(a.OrgID, writeKeys), CanDelete: who.Can(a.OrgID, deleteKeys),
		MaxGrace: maxGraceHours, Error: msg,
	}
	p.CanRotate = p.CanWrite && !k.Uploaded
	return s.render(c, status, "keys_show", p)
}

// keyRefused re-renders the key's page with the message of err if it is a
// refusal of the input, else returns err.
func (s *Server) keyRefused(c *fiber.Ctx, err error) error {
	if msg, ok := formMessage(err); ok {
		return s.keysShowWith(c, http.StatusUnprocessableEntity, msg)
	}
	return err
}

func (s *Server) keysDeactivate(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	if _, _, err := s.Accounts.DeactivateKeyRevoking(c.UserContext(), consoleActor(c), id, c.FormValue("revoke") == "on"); err != nil {
		return s.keyRefused(c, err)
	}
	return c.Redirect(consolePrefix+"/keys/"+id+"?flash=keys.deactivated", http.StatusSeeOther)
}

func (s *Server) keysActivate(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	if _, _, err := s.Accounts.SetKeyActive(c.UserContext(), consoleActor(c), id, true); err != nil {
		return s.keyRefused(c, err)
	}
	return c.Redirect(consolePrefix+"/keys/"+id+"?flash=keys.activated", http.StatusSeeOther)
}

func (s *Server) keysRotate(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	loc := s.page(c).locale
	grace := 0
	if v := strings.TrimSpace(c.FormValue("grace")); v != "" {
		if grace, err = strconv.Atoi(v); err != nil || grace < 0 || grace > maxGraceHours {
			return s.keysShowWith(c, http.StatusUnprocessableEntity, loc.T("keys.show.badgrace", "max", strconv.Itoa(maxGraceHours)))
		}
	}
	r, err := s.Accounts.RotateKey(c.UserContext(), consoleActor(c), id, accounts.Rotation{Grace: time.Duration(grace) * time.Hour})
	if err != nil {
		return s.keyRefused(c, err)
	}
	if r.KeyFile != nil {
		return s.sendKeyFile(c, r.KeyFile)
	}
	return s.showSecretOnce(c, r.New.ID, r.Secret)
}

func (s *Server) keysDelete(c *fiber.Ctx) error {
	id, err := keyParam(c)
	if err != nil {
		return err
	}
	who := consoleActor(c)
	_, a, err := s.Accounts.GetKey(c.UserContext(), who, id)
	if err != nil {
		return err
	}
	if !who.Can(a.OrgID, deleteKeys) {
		return fiber.ErrForbidden
	}
	if strings.TrimSpace(c.FormValue("confirm")) != id {
		return s.keysShowWith(c, http.StatusUnprocessableEntity, s.page(c).T("keys.show.badconfirm"))
	}
	if err := s.Accounts.DeleteKey(c.UserContext(), who, id); err != nil {
		return s.keyRefused(c, err)
	}
	return c.Redirect(consolePrefix+"/accounts/"+s.Accounts.ClientIDs().Of(a)+"?flash=keys.deleted", http.StatusSeeOther)
}
