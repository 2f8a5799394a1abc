package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// consoleUser creates a user of the root organization with password,
// which it must change at first sign-in if mustChange, holding role (a
// managed role: rbac.RoleAdmin...) on the whole tree unless role is "".
//
// It stores the user as users.Service.Create does but with the hash of
// the password computed once per test binary: argon2id takes most of a
// second here, and the browser tests create a dozen users.
func (f *fixture) consoleUser(t testing.TB, name, password string, mustChange bool, role string) users.User {
	t.Helper()
	ctx := context.Background()
	if err := users.CheckPassword(password, name); err != nil {
		t.Fatal(err)
	}
	hash, _ := hashes.LoadOrStore(password, sync.OnceValues(func() (string, error) { return users.HashPassword(password) }))
	h, err := hash.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	now := storage.Time(f.clock.Now())
	u := users.User{
		ID: "u" + hex.EncodeToString(id), OrgID: rootOrg, Name: name, DisplayName: "Test " + name,
		PasswordHash: h, MustChangePassword: mustChange,
		CreatedAt: now, CreatedBy: initBy, UpdatedAt: now, PasswordChangedAt: now,
	}
	if err := f.db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if role != "" {
		sys := rbac.System(initBy)
		if err := f.users.AssignRole(ctx, sys, name, rootOrg+"/"+role, []rbac.Scope{{OrgID: rootOrg, Subtree: true}}); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// hashes holds, by password, a func returning its hash.
var hashes sync.Map

// visitor is a browser without a browser: a cookie jar and a client that
// does not follow redirects, on the fixture's server.
type visitor struct {
	f    *fixture
	base string
	hc   *http.Client
	// header is sent with every request.
	header http.Header
}

func (f *fixture) visitor(t testing.TB) *visitor {
	t.Helper()
	base := f.serve(t)
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &visitor{f: f, base: base, header: http.Header{}, hc: &http.Client{
		Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (v *visitor) do(t testing.TB, req *http.Request) *response {
	t.Helper()
	for k, vs := range v.header {
		req.Header[k] = vs
	}
	res, err := v.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, res)
}

func (v *visitor) get(t testing.TB, path string) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, v.base+path, nil)
	return v.do(t, req)
}

// post posts form to path, with the csrf field of the page at from (GET
// first) unless form has one.
func (v *visitor) post(t testing.TB, path string, form url.Values) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(t, req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf returns the CSRF token of the page at path, or of the page it
// redirects to.
func (v *visitor) csrf(t testing.TB, path string) string {
	t.Helper()
	r := v.get(t, path)
	if r.Status == http.StatusSeeOther {
		r = v.get(t, r.Header.Get("Location"))
	}
	m := csrfField.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("GET %s: no csrf field; status %d, body %s", path, r.Status, r.Body)
	}
	return string(m[1])
}

// login signs in through the login form and checks it succeeded.
func (v *visitor) login(t testing.TB, name, password string) {
	t.Helper()
	r := v.post(t, "/console/login", url.Values{"csrf": {v.csrf(t, "/console/login")}, "name": {name}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login: status %d, body %s", r.Status, r.Body)
	}
}

// cookie returns the jar's cookie name for the console, or nil.
func (v *visitor) cookie(name string) *http.Cookie {
	u, _ := url.Parse(v.base + "/console/")
	for _, c := range v.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}
