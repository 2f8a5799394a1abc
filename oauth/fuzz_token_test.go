package oauth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/storage"
)

// unthrottled keeps the throttle out of the fuzzer's way: the clock never
// moves, so buckets never refill, and a throttled server would answer every
// input alike after a few dozen failures.
var unthrottled = oauth.ThrottleConfig{ClientBurst: math.MaxInt32, ClientEvery: time.Second, AddrBurst: math.MaxInt32, AddrEvery: time.Second}

// maxDescription is what "short" means for an error_description: the
// longest fixed one is under 150 characters.
const maxDescription = 256

// The fuzzed server's clients. Their keys have fixed secrets (fixedSecret),
// so that seed corpus files can hold real credentials.
const (
	fuzzClient   = "svc@acme.iam"
	fuzzOther    = "other@acme.iam"
	fuzzKey      = "fuzzsvcaaaaaaaaa"
	fuzzInactive = "fuzzsvcinactivea"
	fuzzOtherKey = "fuzzotheraaaaaaa"
)

var (
	fuzzSecret         = fixedSecret(fuzzKey, 0x11)
	fuzzInactiveSecret = fixedSecret(fuzzInactive, 0x22)
	fuzzOtherSecret    = fixedSecret(fuzzOtherKey, 0x33)
)

// fixedSecret returns a well-formed secret for keyID whose random part is
// fill repeated.
func fixedSecret(keyID string, fill byte) string {
	s := accounts.SecretPrefix + keyID + "_" + b32.EncodeToString(bytes.Repeat([]byte{fill}, 32))
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(s)))
	return s + b32.EncodeToString(sum[:])
}

// tokenFuzz is a token server over SQLite with known clients.
type tokenFuzz struct {
	e        *env
	srv      *oauth.Server
	verifier *resource.Verifier
	// valid holds the client ID and secret pairs that authenticate.
	valid map[[2]string]bool
	// secrets are every secret of the store, valid or not.
	secrets []string
	// scopes and audiences are what each client may be granted.
	scopes, audiences map[string][]string
}

func newTokenFuzz(f *testing.F) *tokenFuzz {
	e := newEnv(f, oauth.ES256)
	z := &tokenFuzz{
		e: e, srv: e.server(oauth.Config{Throttle: unthrottled}),
		valid:     map[[2]string]bool{{fuzzClient, fuzzSecret}: true, {fuzzOther, fuzzOtherSecret}: true},
		secrets:   []string{fuzzSecret, fuzzInactiveSecret, fuzzOtherSecret},
		scopes:    map[string][]string{fuzzClient: {"data.items:read", "data.items:write"}, fuzzOther: {}},
		audiences: map[string][]string{fuzzClient: {"https://api.example", "urn:x"}, fuzzOther: {}},
	}
	z.verifier = z.srv.Verifier()
	svc := z.fixedAccount("svc", fuzzClient)
	z.fixedKey(svc, fuzzKey, fuzzSecret, true)
	z.fixedKey(svc, fuzzInactive, fuzzInactiveSecret, false)
	z.fixedKey(z.fixedAccount("other", fuzzOther), fuzzOtherKey, fuzzOtherSecret, true)
	return z
}

func (z *tokenFuzz) fixedAccount(name, clientID string) accounts.Account {
	a, err := z.e.accts.Create(z.e.ctx, sys, accounts.NewAccount{OrgID: "acme", Name: name,
		AllowedAudiences: z.audiences[clientID]})
	if err != nil || z.e.ids.Of(a) != clientID {
		z.e.tb.Fatalf("account %s: %v, %v", clientID, z.e.ids.Of(a), err)
	}
	z.e.grant(clientID, "acme", z.scopes[clientID]...)
	return a
}

// fixedKey stores a key with a known secret straight into the store:
// accounts.Service only makes random ones.
func (z *tokenFuzz) fixedKey(a accounts.Account, keyID, secret string, active bool) {
	if id, ok := accounts.SecretKeyID(secret); !ok || id != keyID {
		z.e.tb.Fatalf("secret %q is not well-formed", secret)
	}
	err := z.e.store.CreateKey(z.e.ctx, accounts.Key{
		ID: keyID, AccountID: a.ID, Kind: accounts.KindSecret, Active: active,
		SecretHash: accounts.HashSecret(secret), CreatedAt: storage.Time(z.e.clock.Now()), CreatedBy: "test",
	})
	if err != nil {
		z.e.tb.Fatal(err)
	}
}

// FuzzToken sends arbitrary token requests to a real server and checks
// what RFC 6749 promises of every answer: errors are well-formed and keep
// secrets to themselves, and only the right credentials get a token.
func FuzzToken(f *testing.F) {
	z := newTokenFuzz(f)
	for _, s := range tokenSeeds() {
		f.Add(s.contentType, []byte(s.body), s.query, s.authorization, s.addr)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, query, authorization, addr string) {
		r := oauth.TokenRequest{ContentType: contentType, Body: body, Query: query, Authorization: authorization, ClientAddr: addr}
		resp, err := z.srv.Token(z.e.ctx, r)
		if err != nil {
			z.checkError(t, err)
			return
		}
		z.checkToken(t, r, resp)
	})
}

type tokenSeed struct{ contentType, body, query, authorization, addr string }

func tokenSeeds() []tokenSeed {
	const gt = "grant_type=client_credentials"
	post := gt + "&client_id=svc%40acme.iam&client_secret=" + fuzzSecret
	b := basic(fuzzClient, fuzzSecret)
	seeds := []tokenSeed{
		{formType, post, "", "", "192.0.2.1"},
		{formType, gt, "", b, "192.0.2.1"},
		{formType + "; charset=UTF-8", gt, "", b, "2001:db8::1"},
		{"APPLICATION/X-WWW-FORM-URLENCODED", gt, "", b, ""},
		{"application/json", gt, "", b, "192.0.2.1"},
		{"", gt, "", b, "192.0.2.1"},
		{formType + "; charset", gt, "", b, "192.0.2.1"},
		// Basic: the user and password are form-urlencoded (RFC 6749
		// §2.3.1); "@" may come raw or as %40, "+" is a space.
		{formType, gt, "", basicRaw(fuzzClient + ":" + fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basicRaw("svc%40acme%2Eiam:" + fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basicRaw("svc+acme.iam:" + fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basicRaw("svc%zzacme.iam:" + fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basicRaw("svc@acme.iam:" + fuzzSecret + "%"), "192.0.2.1"},
		{formType, gt, "", basicRaw(fuzzClient), "192.0.2.1"},
		{formType, gt, "", basicRaw(":" + fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basicRaw(fuzzClient + ":"), "192.0.2.1"},
		{formType, gt, "", "basic   " + strings.TrimPrefix(b, "Basic ") + " ", "192.0.2.1"},
		{formType, gt, "", "Basic " + strings.TrimRight(strings.TrimPrefix(b, "Basic "), "="), "192.0.2.1"},
		{formType, gt, "", "Basic !!!!", "192.0.2.1"},
		{formType, gt, "", "Basic", "192.0.2.1"},
		{formType, gt, "", "Bearer " + fuzzSecret, "192.0.2.1"},
		{formType, gt + "&client_secret=" + fuzzSecret, "", b, "192.0.2.1"},
		{formType, gt + "&client_id=other%40acme.iam", "", b, "192.0.2.1"},
		{formType, gt + "&client_id=svc%40acme.iam", "", b, "192.0.2.1"},
		// Wrong, inactive and other clients' secrets.
		{formType, gt, "", basic(fuzzClient, fuzzOtherSecret), "192.0.2.1"},
		{formType, gt, "", basic(fuzzClient, fuzzInactiveSecret), "192.0.2.1"},
		{formType, gt, "", basic(fuzzOther, fuzzSecret), "192.0.2.1"},
		{formType, gt, "", basic(fuzzOther, fuzzOtherSecret), "192.0.2.1"},
		{formType, gt, "", basic(fuzzClient, fuzzSecret[:len(fuzzSecret)-1]+"b"), "192.0.2.1"},
		{formType, gt, "", basic("nobody@acme.iam", fuzzSecret), "192.0.2.1"},
		{formType, gt + "&client_id=svc%40acme.iam", "", "", "192.0.2.1"},
		{formType, gt + "&client_secret=" + fuzzSecret, "", "", "192.0.2.1"},
		{formType, gt, "", "", "192.0.2.1"},
		// Parameters: repeated, missing, other grants (RFC 6749 §3.2).
		{formType, post + "&grant_type=client_credentials", "", "", "192.0.2.1"},
		{formType, post + "&client_secret=" + fuzzSecret, "", "", "192.0.2.1"},
		{formType, post + "&client_id=svc%40acme.iam", "", "", "192.0.2.1"},
		{formType, "client_id=svc%40acme.iam&client_secret=" + fuzzSecret, "", "", "192.0.2.1"},
		{formType, "grant_type=password&username=a&password=b", "", b, "192.0.2.1"},
		{formType, "grant_type=", "", b, "192.0.2.1"},
		{formType, "grant_type=client_credentials%00", "", b, "192.0.2.1"},
		{formType, gt + "&%zz", "", b, "192.0.2.1"},
		{formType, gt + ";scope=read", "", b, "192.0.2.1"},
		// The secret belongs in the body or the header, never the URI
		// (RFC 6749 §2.3.1).
		{formType, gt, "client_secret=" + fuzzSecret, b, "192.0.2.1"},
		{formType, post, "client_secret=", "", "192.0.2.1"},
		{formType, post, "scope=read&x=%zz", "", "192.0.2.1"},
		{formType, post, "client_id=other%40acme.iam", "", "192.0.2.1"},
		// Scope (RFC 6749 §3.3).
		{formType, post + "&scope=read", "", "", "192.0.2.1"},
		{formType, post + "&scope=read+write", "", "", "192.0.2.1"},
		{formType, post + "&scope=read%20%20write%09", "", "", "192.0.2.1"},
		{formType, post + "&scope=admin", "", "", "192.0.2.1"},
		{formType, post + "&scope=", "", "", "192.0.2.1"},
		{formType, post + "&scope=read&scope=write", "", "", "192.0.2.1"},
		{formType, post + "&scope=%22%5C%7F%C3%A9", "", "", "192.0.2.1"},
		{formType, post + "&scope=" + strings.Repeat("x", 2000), "", "", "192.0.2.1"},
		{formType, post + "&scope=" + fuzzSecret, "", "", "192.0.2.1"},
		// Audience and resource (RFC 8707) may repeat.
		{formType, post + "&audience=https%3A%2F%2Fapi.example", "", "", "192.0.2.1"},
		{formType, post + "&audience=https%3A%2F%2Fapi.example&audience=urn%3Ax", "", "", "192.0.2.1"},
		{formType, post + "&audience=https%3A%2F%2Fiamd.test", "", "", "192.0.2.1"},
		{formType, post + "&audience=https%3A%2F%2Fevil.example", "", "", "192.0.2.1"},
		{formType, post + "&resource=https%3A%2F%2Fapi.example&resource=urn%3Ax", "", "", "192.0.2.1"},
		{formType, post + "&resource=https%3A%2F%2Fapi.example%23frag", "", "", "192.0.2.1"},
		{formType, post + "&resource=%2Frelative", "", "", "192.0.2.1"},
		{formType, post + "&resource=%25zz", "", "", "192.0.2.1"},
		{formType, post + "&audience=" + strings.Repeat("y", 2000), "", "", "192.0.2.1"},
		{formType, post + "&audience=" + fuzzSecret, "", "", "192.0.2.1"},
		{formType, post + "&resource=urn%3A" + fuzzSecret, "", "", "192.0.2.1"},
		{formType, post + "&resource=" + url.QueryEscape("https://a.example/\"\\\x01é"), "", "", "192.0.2.1"},
	}
	return seeds
}

// tokenCodes are the error codes of RFC 6749 §5.2 and RFC 8707 §2, with
// the statuses each may come with; server_error is for internal failures.
var tokenCodes = map[string][]int{
	oauth.CodeInvalidRequest:       {http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge},
	oauth.CodeInvalidClient:        {http.StatusUnauthorized, http.StatusTooManyRequests},
	"invalid_grant":                {http.StatusBadRequest},
	"unauthorized_client":          {http.StatusBadRequest},
	oauth.CodeUnsupportedGrantType: {http.StatusBadRequest},
	oauth.CodeInvalidScope:         {http.StatusBadRequest},
	oauth.CodeInvalidTarget:        {http.StatusBadRequest},
	oauth.CodeServerError:          {http.StatusInternalServerError, http.StatusServiceUnavailable},
}

func (z *tokenFuzz) checkError(t *testing.T, err error) {
	e, ok := err.(*oauth.Error)
	if !ok {
		t.Fatalf("error %v is a %T, not an *oauth.Error", err, err)
	}
	if !slices.Contains(tokenCodes[e.Code], e.Status) {
		t.Errorf("error %q with status %d: not an RFC 6749 code and status", e.Code, e.Status)
	}
	// With a healthy store nothing is an internal failure: a 500 means
	// some input escaped the protocol checks.
	if e.Status >= 500 {
		t.Errorf("internal error %v", e)
	}
	if e.Status == http.StatusTooManyRequests && e.RetryAfter <= 0 {
		t.Errorf("429 without Retry-After")
	}
	if e.Description == "" || len(e.Description) > maxDescription {
		t.Errorf("error_description of %d bytes, want 1 to %d: %.300q", len(e.Description), maxDescription, e.Description)
	}
	// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
	for i := 0; i < len(e.Description); i++ {
		if c := e.Description[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			t.Errorf("error_description %.300q holds %q", e.Description, c)
			break
		}
	}
	for _, s := range z.secrets {
		if strings.Contains(e.Description+e.Error(), s) {
			t.Errorf("error %.300q reveals a secret", e.Error())
		}
	}
}

// checkToken checks a success against the rules it must have passed.
func (z *tokenFuzz) checkToken(t *testing.T, r oauth.TokenRequest, resp *oauth.TokenResponse) {
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("token issued for a body that is not form encoding: %v", err)
	}
	if q, err := url.ParseQuery(r.Query); err != nil || q.Has("client_secret") {
		t.Errorf("token issued with query %q", r.Query)
	}
	if ct, _, _ := strings.Cut(r.ContentType, ";"); !strings.EqualFold(strings.TrimSpace(ct), formType) {
		t.Errorf("token issued for Content-Type %q", r.ContentType)
	}
	if g := form["grant_type"]; len(g) != 1 || g[0] != oauth.GrantClientCredentials {
		t.Errorf("token issued for grant_type %q", g)
	}
	for _, p := range []string{"scope", "client_id", "client_secret"} {
		if len(form[p]) > 1 {
			t.Errorf("token issued with %d %s parameters", len(form[p]), p)
		}
	}
	id, secret := presented(r.Authorization, form)
	if !z.valid[[2]string{id, secret}] {
		t.Fatalf("token issued for client %q with secret %q, which do not authenticate", id, secret)
	}
	c, err := z.verifier.Verify(resp.AccessToken, "")
	if err != nil {
		t.Fatalf("issued token does not verify: %v", err)
	}
	if c.Subject != id || c.ClientID != id || resp.TokenType != "Bearer" || resp.Scope != c.Scope {
		t.Errorf("token for %q (scope %q) to %q: %+v, %+v", id, resp.Scope, c.Subject, c, resp)
	}
	for _, s := range c.Scopes() {
		if !slices.Contains(z.scopes[id], s) {
			t.Errorf("scope %q granted to %s", s, id)
		}
	}
	for _, a := range c.Audience {
		if a != testIssuer && !slices.Contains(z.audiences[id], a) {
			t.Errorf("audience %q granted to %s", a, id)
		}
	}
	for _, s := range z.secrets {
		if strings.Contains(resp.AccessToken+resp.Scope+strings.Join(c.Audience, " "), s) {
			t.Errorf("token response reveals a secret")
		}
	}
}

// presented returns the credentials a request carries, read as RFC 6749
// §2.3.1 says: HTTP Basic with both parts form-urlencoded, or else
// client_id and client_secret in the body.
func presented(authorization string, form url.Values) (id, secret string) {
	if authorization == "" {
		return form.Get("client_id"), form.Get("client_secret")
	}
	scheme, param, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", ""
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(param))
	if err != nil {
		return "", ""
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil {
		return "", ""
	}
	return id, secret
}
