package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/internal/logscan"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/resource"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
	"github.com/iamd/iamd/storage/storagetest"
	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// The fixture's fixed configuration.
const (
	issuer     = "http://iamd.test"
	tokenTTL   = time.Hour
	jwksMaxAge = 5 * time.Minute
	activation = 6 * time.Minute
	rootOrg    = "acme"
	adminID    = "admin@acme.iam"
	// initBy is the creator cmd/iamd/init.go records.
	initBy = "iamd init"
)

// clock runs with real time, so that the server's timestamps keep moving
// forward, and can be advanced to expire keys, tokens and throttles.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// creds are a client's credentials.
type creds struct {
	ClientID string
	KeyID    string
	Secret   string
}

// fixtureConfig varies a fixture; see the with* options.
type fixtureConfig struct {
	throttle       oauth.ThrottleConfig
	trustedProxies []string
	logOut         io.Writer
	logLevel       slog.Level
	noSigningKey   bool
	readTimeout    time.Duration
	store          store
	// webIssuer, if set, is the issuer the HTTP server is told, not the
	// OAuth server: what makes console cookies Secure.
	webIssuer string
}

// store is a storage backend as cmd/iamd/serve.go uses one.
type store interface {
	storagetest.Store
	Migrate(ctx context.Context) ([]string, error)
	Ping(ctx context.Context) error
	Close() error
}

type option func(*fixtureConfig)

// withThrottle replaces oauth.DefaultThrottle.
func withThrottle(c oauth.ThrottleConfig) option {
	return func(f *fixtureConfig) { f.throttle = c }
}

// withTrustedProxies sets web.Options.TrustedProxies.
func withTrustedProxies(p ...string) option {
	return func(f *fixtureConfig) { f.trustedProxies = p }
}

// withQuietLog logs warnings and errors only, to w as well as to the
// fixture's scanned log.
func withQuietLog(w io.Writer) option {
	return func(f *fixtureConfig) { f.logOut, f.logLevel = w, slog.LevelWarn }
}

// withReadTimeout sets web.Options.ReadTimeout.
func withReadTimeout(d time.Duration) option {
	return func(f *fixtureConfig) { f.readTimeout = d }
}

// withStore runs the fixture on s, which it migrates, instead of a fresh
// SQLite database. s must be empty.
func withStore(s store) option {
	return func(f *fixtureConfig) { f.store = s }
}

// withWebIssuer tells the HTTP server the issuer is u.
func withWebIssuer(u string) option {
	return func(f *fixtureConfig) { f.webIssuer = u }
}

// withoutSigningKey skips creating the first signing key.
func withoutSigningKey() option {
	return func(f *fixtureConfig) { f.noSigningKey = true }
}

// fixture is a complete iamd wired as cmd/iamd/serve.go wires it, on a
// fresh database (SQLite unless withStore) bootstrapped as cmd/iamd/init.go
// does.
type fixture struct {
	clock  *clock
	db     store
	keys   *oauth.KeySet
	orgs   *rbac.Service
	accts  *accounts.Service
	users  *users.Service
	tokens *oauth.Server
	srv    *web.Server
	// logs records the server log, which must hold no secret or token.
	logs *logscan.Recorder
	// admin holds the bootstrap admin's credentials.
	admin creds
	// base is the server's URL once serve started it; hc talks to it.
	// serveMu guards them: parallel subtests serve one fixture.
	serveMu sync.Mutex
	base    string
	hc      *http.Client
	// owner is the test that made the fixture: the server it serves
	// lives as long as it does, not as the subtest that started it.
	owner testing.TB
	// mk and log are what a twin instance shares with this one.
	mk  *oauth.MasterKey
	log *slog.Logger
	cfg fixtureConfig
}

func newFixture(t testing.TB, opts ...option) *fixture {
	t.Helper()
	cfg := fixtureConfig{throttle: oauth.DefaultThrottle, logLevel: slog.LevelDebug}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	f := &fixture{clock: &clock{}, owner: t}
	t.Cleanup(func() {
		if t.Failed() && cfg.logOut == nil {
			t.Logf("server log:\n%s", logscan.Redact(f.logs.String()))
		}
	})
	f.logs = logscan.New(t, "server log", cfg.logOut)
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: cfg.logLevel}))

	db := migrated(t, cfg.store)
	now := f.clock.Now
	raw := make([]byte, oauth.MasterKeySize)
	rand.Read(raw)
	mk, err := oauth.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	f.db, f.mk, f.log, f.cfg = db, mk, log, cfg
	f.keys = oauth.NewKeySet(db, mk, tokenTTL+resource.DefaultLeeway, now, log)
	if cfg.noSigningKey {
		// Loaded as a server loads it, with no key to find.
		err = f.keys.Refresh(ctx)
	} else {
		_, err = f.keys.Ensure(ctx, signing.ES256)
	}
	if err != nil {
		t.Fatal(err)
	}
	ids, err := accounts.NewClientIDs("")
	if err != nil {
		t.Fatal(err)
	}
	f.orgs = rbac.NewService(db, db, audit.NewLog(db, now), now)
	// As after every migration (see cmd/iamd): before init, it does nothing.
	if err := f.orgs.EnsureManagedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	f.admin = bootstrap(t, db, f.orgs, f.newServers(t, ids))
	return f
}

// newServers wires the accounts and users services and the OAuth and
// HTTP servers over the fixture's database and returns the accounts
// service.
func (f *fixture) newServers(t testing.TB, ids accounts.ClientIDs) *accounts.Service {
	db, now, log := f.db, f.clock.Now, f.log
	f.accts = accounts.NewService(db, db, f.orgs, ids, accounts.NewUsageRecorder(db, log), now)
	f.users = users.NewService(db, db, f.orgs, users.Config{}, now)
	f.tokens = oauth.NewServer(oauth.Config{Issuer: issuer, TokenTTL: tokenTTL, Throttle: f.cfg.throttle}, f.accts, f.orgs, f.keys, now, log)
	webIssuer := issuer
	if f.cfg.webIssuer != "" {
		webIssuer = f.cfg.webIssuer
	}
	f.srv = web.New(web.Options{
		OAuth: f.tokens, Accounts: f.accts, Orgs: f.orgs, Users: f.users, Issuer: webIssuer, Ready: db.Ping, Log: log,
		TrustedProxies: mustParseProxies(t, f.cfg.trustedProxies), JWKSMaxAge: jwksMaxAge, DefaultActivation: activation, ReadTimeout: f.cfg.readTimeout, Now: now,
	})
	return f.accts
}

// twin returns a second instance of the fixture's iamd: its own services,
// caches and HTTP server, on the same database, master key and clock, as
// a second process would be.
func (f *fixture) twin(t testing.TB) *fixture {
	t.Helper()
	g := &fixture{clock: f.clock, db: f.db, logs: f.logs, admin: f.admin, owner: f.owner, mk: f.mk, log: f.log, cfg: f.cfg}
	g.keys = oauth.NewKeySet(f.db, f.mk, tokenTTL+resource.DefaultLeeway, f.clock.Now, f.log)
	if err := g.keys.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.orgs = rbac.NewService(f.db, f.db, audit.NewLog(f.db, f.clock.Now), f.clock.Now)
	g.newServers(t, f.accts.ClientIDs())
	return g
}

// migrated migrates s, or a fresh SQLite database if s is nil, and returns
// it.
func migrated(t testing.TB, s store) store {
	t.Helper()
	if s == nil {
		db, err := sqlite.Open(context.Background(), sqlitetest.Path(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s = db
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// bootstrap creates the root organization, with the managed roles, and the
// system admin account holding the bootstrap role, with one key, exactly
// as cmd/iamd/init.go does.
func bootstrap(t testing.TB, db storage.Transactor, orgs *rbac.Service, accts *accounts.Service) creds {
	t.Helper()
	var c creds
	sys := rbac.System(initBy)
	err := db.InTx(context.Background(), func(ctx context.Context) error {
		root, err := orgs.CreateRoot(ctx, sys, rootOrg, "")
		if err != nil {
			return err
		}
		admin, err := accts.Create(ctx, sys, accounts.NewAccount{
			OrgID: rootOrg, Name: "admin", DisplayName: "Bootstrap admin",
			Description:      "Created by iamd init; holds the " + rbac.RoleBootstrap + " role.",
			AllowedAudiences: []string{oauth.ManagementAudience}, System: true,
		})
		if err != nil {
			return err
		}
		c.ClientID = accts.ClientIDs().Of(admin)
		err = orgs.GrantBootstrap(ctx, sys, rbac.Subject{ID: admin.ID, Kind: rbac.SubjectAccount, Name: c.ClientID, Org: root, System: true})
		if err != nil {
			return err
		}
		key, secret, err := accts.CreateKey(ctx, sys, c.ClientID, accounts.NewKey{Label: "bootstrap"})
		c.KeyID, c.Secret = key.ID, secret
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serve serves the fixture on a loopback listener until the test ends and
// returns its base URL; called again, it returns the same.
func (f *fixture) serve(t testing.TB) string {
	t.Helper()
	f.serveMu.Lock()
	defer f.serveMu.Unlock()
	if f.base != "" {
		return f.base
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ln) }()
	t = f.owner
	t.Cleanup(func() {
		if err := f.srv.Shutdown(5 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	f.base = "http://" + ln.Addr().String()
	// Its own connections, closed before the server shuts down (cleanups
	// run last first).
	f.hc = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(f.hc.CloseIdleConnections)
	return f.base
}

// response is a response read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends req through the fiber app in memory. A management API response
// is checked against the OpenAPI document.
func (f *fixture) do(t testing.TB, req *http.Request) *response {
	t.Helper()
	res, err := f.srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	r := readResponse(t, res)
	checkResponse(t, req, r)
	return r
}

func readResponse(t testing.TB, res *http.Response) *response {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// get sends a GET with the given request headers, name then value.
func (f *fixture) get(t testing.TB, path string, headers ...string) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return f.do(t, req)
}

// basicAuth is an Authorization header for client_secret_basic: both parts
// form-urlencoded, then base64 (RFC 6749 §2.3.1).
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// grant returns a client credentials token request form with the extra
// parameters given as name, value pairs.
func grant(params ...string) url.Values {
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Add(params[i], params[i+1])
	}
	return form
}

// tokenRequest is a token request authenticating c with HTTP Basic, or not
// at all if c is empty.
func tokenRequest(c creds, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, oauth.TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c != (creds{}) {
		req.Header.Set("Authorization", basicAuth(c.ClientID, c.Secret))
	}
	return req
}

// postToken posts form to the token endpoint at base over real HTTP, with
// client (http.DefaultClient if nil) and the request headers given as
// name, value pairs, Authorization among them.
func postToken(t testing.TB, client *http.Client, base string, form url.Values, headers ...string) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+oauth.TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, res)
}

// token posts a token request for c.
func (f *fixture) token(t testing.TB, c creds, form url.Values) *response {
	t.Helper()
	return f.do(t, tokenRequest(c, form))
}

// accessToken obtains an access token for c, failing the test otherwise.
func (f *fixture) accessToken(t testing.TB, c creds, params ...string) string {
	t.Helper()
	return decode[oauth.TokenResponse](t, f.token(t, c, grant(params...)), http.StatusOK).AccessToken
}

// adminToken obtains a management API token for the bootstrap admin.
func (f *fixture) adminToken(t testing.TB) string {
	t.Helper()
	return f.accessToken(t, f.admin, "resource", oauth.ManagementAudience)
}

// call sends a management API request with token as bearer, over HTTP on
// loopback, and checks the response against the OpenAPI document. A string
// body is sent as is, any other non-nil body as JSON; both as
// application/json.
func (f *fixture) call(t testing.TB, method, path, token string, body any) *response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.serve(t)+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp := readResponse(t, res)
	checkResponse(t, req, resp)
	return resp
}

// decode checks that r has status want and a JSON body, and decodes the
// body into a T, refusing fields T does not have.
func decode[T any](t testing.TB, r *response, want int) T {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	wantJSONType(t, r)
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T: %v; body: %s", v, err, r.Body)
	}
	return v
}

func wantJSONType(t testing.TB, r *response) {
	t.Helper()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Fatalf("Content-Type %q, want application/json; body: %s", r.Header.Get("Content-Type"), r.Body)
	}
}

func wantHeader(t testing.TB, r *response, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("%s: %q, want %q", name, got, want)
	}
}

// wantNoStore checks the cache headers RFC 6749 §5.1 requires.
func wantNoStore(t testing.TB, r *response) {
	t.Helper()
	wantHeader(t, r, "Cache-Control", "no-store")
	wantHeader(t, r, "Pragma", "no-cache")
}

// wantAPIError checks a management API error response.
func wantAPIError(t testing.TB, r *response, status int, code string) web.ErrorBody {
	t.Helper()
	e := decode[web.ErrorBody](t, r, status)
	if e.Error != code {
		t.Errorf("error %q, want %q (message %q)", e.Error, code, e.Message)
	}
	if e.Message == "" {
		t.Error("error message is empty")
	}
	wantNoStore(t, r)
	return e
}

// wantOAuthError checks an RFC 6749 §5.2 error response.
func wantOAuthError(t testing.TB, r *response, status int, code string) web.OAuthErrorBody {
	t.Helper()
	e := decode[web.OAuthErrorBody](t, r, status)
	if e.Error != code {
		t.Errorf("error %q, want %q (description %q)", e.Error, code, e.Description)
	}
	wantNoStore(t, r)
	return e
}

// wantNoSecret checks that no secret appears in the response, its headers
// included.
func wantNoSecret(t testing.TB, r *response, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("response body contains the secret %q: %s", s, r.Body)
		}
		for name, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, s) {
					t.Errorf("response header %s contains the secret %q", name, s)
				}
			}
		}
	}
}

// createOrg creates an organization under the root through the API.
func (f *fixture) createOrg(t testing.TB, token, id string) web.Org {
	t.Helper()
	return decode[web.Org](t, f.call(t, http.MethodPost, "/api/v1/orgs", token, web.CreateOrgRequest{ID: id}), http.StatusCreated)
}

// createPermission registers a permission through the API.
func (f *fixture) createPermission(t testing.TB, token, name string) web.Permission {
	t.Helper()
	return decode[web.Permission](t, f.call(t, http.MethodPost, "/api/v1/permissions", token, web.CreatePermissionRequest{Name: name}), http.StatusCreated)
}

// createRole creates a role through the API.
func (f *fixture) createRole(t testing.TB, token string, in web.CreateRoleRequest) web.Role {
	t.Helper()
	return decode[web.Role](t, f.call(t, http.MethodPost, "/api/v1/roles", token, in), http.StatusCreated)
}

// assign assigns a role or a group to clientID through the API.
func (f *fixture) assign(t testing.TB, token, clientID string, in web.AssignRequest) {
	t.Helper()
	if r := f.call(t, http.MethodPost, "/api/v1/accounts/"+clientID+"/assignments", token, in); r.Status != http.StatusNoContent {
		t.Fatalf("assign %+v to %s: status %d, want 204; body %s", in, clientID, r.Status, r.Body)
	}
}

// createAccount creates an account through the API.
func (f *fixture) createAccount(t testing.TB, token string, in web.CreateAccountRequest) web.Account {
	t.Helper()
	return decode[web.Account](t, f.call(t, http.MethodPost, "/api/v1/accounts", token, in), http.StatusCreated)
}

// createKey creates a key of clientID through the API.
func (f *fixture) createKey(t testing.TB, token, clientID string, in web.CreateKeyRequest) web.NewKey {
	t.Helper()
	return decode[web.NewKey](t, f.call(t, http.MethodPost, "/api/v1/accounts/"+clientID+"/keys", token, in), http.StatusCreated)
}

// client creates an account with one key through the API and returns its
// credentials.
func (f *fixture) client(t testing.TB, token string, in web.CreateAccountRequest) creds {
	t.Helper()
	a := f.createAccount(t, token, in)
	return credsOf(f.createKey(t, token, a.ClientID, web.CreateKeyRequest{}))
}

func credsOf(k web.NewKey) creds {
	return creds{ClientID: k.ClientID, KeyID: k.ID, Secret: k.Secret}
}

// jwtHeader returns the protected header of a compact JWT.
func jwtHeader(t testing.TB, token string) (h struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}) {
	t.Helper()
	first, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	return h
}

// step is one request of a scenario table. Steps run in order and may
// depend on the ones before.
type step struct {
	name   string
	method string
	path   string
	body   any // see fixture.call
	status int
	// code, if set, is the expected management API error code.
	code string
	// check, if set, makes further assertions on the response.
	check func(t *testing.T, r *response)
}

// runSteps runs steps as subtests with token as the caller's bearer token.
func (f *fixture) runSteps(t *testing.T, token string, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := f.call(t, s.method, s.path, token, s.body)
			switch {
			case s.code != "":
				wantAPIError(t, r, s.status, s.code)
			case r.Status != s.status:
				t.Fatalf("status %d, want %d; body %s", r.Status, s.status, r.Body)
			case s.status == http.StatusNoContent && len(r.Body) != 0:
				t.Errorf("204 with a body: %s", r.Body)
			}
			if s.check != nil {
				s.check(t, r)
			}
		})
	}
}

func mustParseProxies(t testing.TB, list []string) []netip.Prefix {
	t.Helper()
	p, err := web.ParseTrustedProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
