package oauth_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/internal/logscan"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
)

const (
	testIssuer = "https://iamd.test"
	testTTL    = time.Hour
	formType   = "application/x-www-form-urlencoded"
	// retention is what iamd serve uses: the token lifetime plus leeway.
	retention = testTTL + time.Minute
)

// generous never throttles in tests that are not about throttling.
var generous = oauth.ThrottleConfig{ClientBurst: 1000, ClientEvery: time.Second, AddrBurst: 1000, AddrEvery: time.Second}

// clock is a controllable, race-safe clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// env is a complete iamd core over a fresh SQLite database.
type env struct {
	tb    testing.TB
	ctx   context.Context
	clock *clock
	db    *sqlite.DB
	store *countingStore
	mk    *oauth.MasterKey
	keys  *oauth.KeySet
	orgs  *rbac.Service
	ids   accounts.ClientIDs
	usage *accounts.UsageRecorder
	accts *accounts.Service
	log   *slog.Logger
	// logs records log, at every level, which must hold no secret or token.
	logs *logscan.Recorder
}

// newEnv opens a migrated database with the root organization "acme" and,
// unless alg is empty, an active signing key for alg.
func newEnv(tb testing.TB, alg string) *env {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlitetest.Path(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, ctx: ctx, clock: newClock(), db: db, logs: logscan.New(tb, "server log", nil)}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.store = &countingStore{DB: db, calls: map[string]int{}}
	e.mk = newMasterKey(tb)
	e.keys = oauth.NewKeySet(e.store, e.mk, retention, e.clock.Now, e.log)
	if alg != "" {
		if created, err := e.keys.Ensure(ctx, alg); err != nil || !created {
			tb.Fatalf("Ensure(%s) = %v, %v; want a new key", alg, created, err)
		}
	}
	e.orgs = rbac.NewService(e.store, e.store, audit.NewLog(e.store, e.clock.Now), e.clock.Now)
	if _, err := e.orgs.CreateRoot(ctx, sys, "acme", ""); err != nil {
		tb.Fatal(err)
	}
	if e.ids, err = accounts.NewClientIDs(""); err != nil {
		tb.Fatal(err)
	}
	e.usage = accounts.NewUsageRecorder(e.store, e.log)
	e.accts = accounts.NewService(e.store, e.store, e.orgs, e.ids, e.usage, e.clock.Now)
	return e
}

func newMasterKey(tb testing.TB) *oauth.MasterKey {
	tb.Helper()
	raw := make([]byte, oauth.MasterKeySize)
	rand.Read(raw)
	mk, err := oauth.NewMasterKey(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return mk
}

// sys is the actor of the tests' setup.
var sys = rbac.System("test")

// account creates an account in acme with one key and returns its client
// ID, the key and the key's secret. rights ("PERMISSION:OPERATION") are
// given through a role of its own, held on acme.
func (e *env) account(name string, rights, audiences []string) (clientID string, key accounts.Key, secret string) {
	e.tb.Helper()
	a, err := e.accts.Create(e.ctx, sys, accounts.NewAccount{OrgID: "acme", Name: name, AllowedAudiences: audiences})
	if err != nil {
		e.tb.Fatal(err)
	}
	clientID = e.ids.Of(a)
	e.grant(clientID, "acme", rights...)
	key, secret = e.key(clientID, time.Time{})
	return clientID, key, secret
}

// grant gives the account a role of its own holding rights on org,
// registering the permissions it names.
func (e *env) grant(clientID, org string, rights ...string) {
	e.tb.Helper()
	if len(rights) == 0 {
		return
	}
	var rs []rbac.Right
	for _, s := range rights {
		r, err := rbac.ParseRight(s)
		if err != nil {
			e.tb.Fatal(err)
		}
		if strings.HasPrefix(r.Permission, rbac.BuiltinPrefix) {
			// built in
		} else if _, err := e.orgs.CreatePermission(e.ctx, sys, r.Permission, ""); err != nil && !errors.Is(err, storage.ErrConflict) {
			e.tb.Fatal(err)
		}
		rs = append(rs, r)
	}
	name, _, _ := strings.Cut(clientID, "@")
	role, err := e.orgs.CreateRole(e.ctx, sys, rbac.NewRole{OrgID: "acme", Name: name + "-" + org, Rights: rs})
	if err != nil {
		e.tb.Fatal(err)
	}
	if err := e.accts.AssignRole(e.ctx, sys, clientID, role.Ref(), []rbac.Scope{{OrgID: org}}); err != nil {
		e.tb.Fatal(err)
	}
}

// key adds a key to the account, expiring at expires unless zero.
func (e *env) key(clientID string, expires time.Time) (accounts.Key, string) {
	e.tb.Helper()
	k, secret, err := e.accts.CreateKey(e.ctx, sys, clientID, accounts.NewKey{Label: "ci", ExpiresAt: expires})
	if err != nil {
		e.tb.Fatal(err)
	}
	return k, secret
}

// server returns a token server; cfg's zero Issuer and TokenTTL become the
// test defaults.
func (e *env) server(cfg oauth.Config) *oauth.Server {
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = testTTL
	}
	return oauth.NewServer(cfg, e.accts, e.orgs, e.keys, e.clock.Now, e.log)
}

// jwks returns the key set's JWKS as go-jose parses it.
func (e *env) jwks() jose.JSONWebKeySet {
	e.tb.Helper()
	body, _ := e.keys.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		e.tb.Fatalf("JWKS %s: %v", body, err)
	}
	return set
}

func (e *env) jwksKIDs() []string {
	var kids []string
	for _, k := range e.jwks().Keys {
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

// token issues a token with Basic authentication and the given body
// parameters, failing the test on error.
func (e *env) token(srv *oauth.Server, clientID, secret string, params ...string) (*oauth.TokenResponse, string) {
	e.tb.Helper()
	resp, err := srv.Token(e.ctx, oauth.TokenRequest{
		ContentType: formType, Body: form(append([]string{"grant_type", "client_credentials"}, params...)...),
		Authorization: basic(clientID, secret), ClientAddr: "192.0.2.1",
	})
	if err != nil {
		e.tb.Fatalf("Token: %v", err)
	}
	return resp, resp.AccessToken
}

// form encodes key-value pairs in order, keeping duplicates.
func form(kv ...string) []byte {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return []byte(b.String())
}

// basic returns a client_secret_basic Authorization header, both parts
// form-urlencoded as RFC 6749 §2.3.1 requires.
func basic(id, secret string) string {
	return basicRaw(url.QueryEscape(id) + ":" + url.QueryEscape(secret))
}

func basicRaw(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// forgeSecret returns a well-formed secret (right shape and checksum) for
// keyID that is not the key's real secret.
func forgeSecret(tb testing.TB, keyID string) string {
	tb.Helper()
	random := make([]byte, 32)
	rand.Read(random)
	s := accounts.SecretPrefix + keyID + "_" + b32.EncodeToString(random)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(s)))
	s += b32.EncodeToString(sum[:])
	if got, ok := accounts.SecretKeyID(s); !ok || got != keyID {
		tb.Fatalf("forged secret %q is not well-formed", s)
	}
	return s
}

func randomKeyID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return b32.EncodeToString(b)
}

// minted is an access token as go-jose sees it, verified against the JWKS.
type minted struct {
	header jose.Header
	typ    string
	key    jose.JSONWebKey
	raw    map[string]any
	claims jwt.Claims
}

// inspect verifies token with go-jose against the published JWKS (not with
// resource.Verifier) and returns its header and claims.
func (e *env) inspect(token string) minted {
	e.tb.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		e.tb.Fatalf("parse token: %v", err)
	}
	if len(tok.Headers) != 1 {
		e.tb.Fatalf("token has %d signatures", len(tok.Headers))
	}
	var m minted
	m.header = tok.Headers[0]
	m.typ, _ = m.header.ExtraHeaders[jose.HeaderType].(string)
	set := e.jwks()
	found := set.Key(m.header.KeyID)
	if len(found) != 1 {
		e.tb.Fatalf("kid %q matches %d keys of the JWKS", m.header.KeyID, len(found))
	}
	m.key = found[0]
	if err := tok.Claims(m.key.Key, &m.raw, &m.claims); err != nil {
		e.tb.Fatalf("token signature does not verify with the JWKS key %s: %v", m.header.KeyID, err)
	}
	if err := m.claims.ValidateWithLeeway(jwt.Expected{Issuer: testIssuer, Time: e.clock.Now()}, 0); err != nil {
		e.tb.Fatalf("go-jose validation: %v", err)
	}
	return m
}

// wantError checks that err is an *oauth.Error with code and status whose
// description is fit to send and reveals none of the secrets.
func wantError(tb testing.TB, err error, code string, status int, secrets ...string) *oauth.Error {
	tb.Helper()
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		tb.Fatalf("error %v (%T), want *oauth.Error %s", err, err, code)
	}
	if oe.Code != code || oe.Status != status {
		tb.Fatalf("error %s %d (%q), want %s %d", oe.Code, oe.Status, oe.Description, code, status)
	}
	if oe.Description == "" {
		tb.Errorf("%s error without description", code)
	}
	for _, r := range oe.Description {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			tb.Errorf("description %q holds %q, not allowed by RFC 6749 §5.2", oe.Description, r)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(oe.Description+oe.Error(), s) {
			tb.Errorf("error %q reveals a secret", oe.Error())
		}
	}
	return oe
}

// countingStore is the SQLite store counting calls to every method of
// accounts.Store and signing.Store, and to the writes and token-path reads
// of rbac.Store and audit.Store. GetCredential fails with failCredential
// while it is set.
type countingStore struct {
	*sqlite.DB
	mu             sync.Mutex
	calls          map[string]int
	failCredential error
	// credentialDelay slows GetCredential down; inFlight and maxInFlight
	// count the lookups under way and the most seen at once.
	credentialDelay       time.Duration
	inFlight, maxInFlight int
}

var writeMethods = []string{
	"CreateAccount", "UpdateAccount", "DeleteAccount",
	"CreateKey", "UpdateKey", "DeleteKey", "RecordUsage",
	"CreateOrg", "UpdateOrg", "MoveOrg", "DeleteOrg",
	"CreatePermission", "UpdatePermission", "DeletePermission",
	"CreateRole", "UpdateRole", "DeleteRole",
	"CreateGroup", "UpdateGroup", "DeleteGroup",
	"AddRoleAssignment", "RemoveRoleAssignment", "RemoveRoleUses",
	"AddMembership", "RemoveMembership",
	"AddAuditEntry",
	"UpdateSigningKeys",
}

func (s *countingStore) count(m string) {
	s.mu.Lock()
	s.calls[m]++
	s.mu.Unlock()
}

// reset clears the counts.
func (s *countingStore) reset() {
	s.mu.Lock()
	clear(s.calls)
	s.mu.Unlock()
}

// snapshot returns the counts since the last reset.
func (s *countingStore) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

func (s *countingStore) writes() int {
	n := 0
	for m, c := range s.snapshot() {
		if slices.Contains(writeMethods, m) {
			n += c
		}
	}
	return n
}

// slowCredentials makes every lookup take d and resets maxInFlight.
func (s *countingStore) slowCredentials(d time.Duration) {
	s.mu.Lock()
	s.credentialDelay, s.maxInFlight = d, 0
	s.mu.Unlock()
}

// lookupsAtOnce returns the most lookups seen under way at once.
func (s *countingStore) lookupsAtOnce() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

func (s *countingStore) setFailCredential(err error) {
	s.mu.Lock()
	s.failCredential = err
	s.mu.Unlock()
}

// accounts.Store

func (s *countingStore) CreateAccount(ctx context.Context, a accounts.Account) error {
	s.count("CreateAccount")
	return s.DB.CreateAccount(ctx, a)
}
func (s *countingStore) GetAccount(ctx context.Context, id string) (accounts.Account, error) {
	s.count("GetAccount")
	return s.DB.GetAccount(ctx, id)
}
func (s *countingStore) GetAccountByName(ctx context.Context, orgID, name string) (accounts.Account, error) {
	s.count("GetAccountByName")
	return s.DB.GetAccountByName(ctx, orgID, name)
}
func (s *countingStore) ListAccounts(ctx context.Context, opts accounts.ListOptions) ([]accounts.Account, error) {
	s.count("ListAccounts")
	return s.DB.ListAccounts(ctx, opts)
}
func (s *countingStore) UpdateAccount(ctx context.Context, id string, fn func(accounts.Account) (accounts.Account, error)) error {
	s.count("UpdateAccount")
	return s.DB.UpdateAccount(ctx, id, fn)
}
func (s *countingStore) DeleteAccount(ctx context.Context, id string) error {
	s.count("DeleteAccount")
	return s.DB.DeleteAccount(ctx, id)
}
func (s *countingStore) CreateKey(ctx context.Context, k accounts.Key) error {
	s.count("CreateKey")
	return s.DB.CreateKey(ctx, k)
}
func (s *countingStore) GetKey(ctx context.Context, id string) (accounts.Key, error) {
	s.count("GetKey")
	return s.DB.GetKey(ctx, id)
}
func (s *countingStore) ListKeys(ctx context.Context, accountID string) ([]accounts.Key, error) {
	s.count("ListKeys")
	return s.DB.ListKeys(ctx, accountID)
}
func (s *countingStore) UpdateKey(ctx context.Context, id string, fn func(accounts.Key) (accounts.Key, error)) error {
	s.count("UpdateKey")
	return s.DB.UpdateKey(ctx, id, fn)
}
func (s *countingStore) DeleteKey(ctx context.Context, id string) error {
	s.count("DeleteKey")
	return s.DB.DeleteKey(ctx, id)
}
func (s *countingStore) GetCredential(ctx context.Context, keyID string) (accounts.Credential, error) {
	s.count("GetCredential")
	s.mu.Lock()
	fail, delay := s.failCredential, s.credentialDelay
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	time.Sleep(delay)
	if fail != nil {
		return accounts.Credential{}, fail
	}
	return s.DB.GetCredential(ctx, keyID)
}
func (s *countingStore) RecordUsage(ctx context.Context, uses []accounts.Usage) error {
	s.count("RecordUsage")
	return s.DB.RecordUsage(ctx, uses)
}

// rbac.Store

func (s *countingStore) CreateOrg(ctx context.Context, o rbac.Org) error {
	s.count("CreateOrg")
	return s.DB.CreateOrg(ctx, o)
}
func (s *countingStore) GetOrg(ctx context.Context, id string) (rbac.Org, error) {
	s.count("GetOrg")
	return s.DB.GetOrg(ctx, id)
}
func (s *countingStore) ListOrgs(ctx context.Context, under string) ([]rbac.Org, error) {
	s.count("ListOrgs")
	return s.DB.ListOrgs(ctx, under)
}
func (s *countingStore) UpdateOrg(ctx context.Context, id string, fn func(rbac.Org) (rbac.Org, error)) error {
	s.count("UpdateOrg")
	return s.DB.UpdateOrg(ctx, id, fn)
}
func (s *countingStore) DeleteOrg(ctx context.Context, id string) error {
	s.count("DeleteOrg")
	return s.DB.DeleteOrg(ctx, id)
}
func (s *countingStore) AddRoleAssignment(ctx context.Context, a rbac.RoleAssignment) error {
	s.count("AddRoleAssignment")
	return s.DB.AddRoleAssignment(ctx, a)
}
func (s *countingStore) ListRoleAssignments(ctx context.Context, subjectID string) ([]rbac.RoleAssignment, error) {
	s.count("ListRoleAssignments")
	return s.DB.ListRoleAssignments(ctx, subjectID)
}
func (s *countingStore) LoadGrants(ctx context.Context, subjectID string) (rbac.Grants, error) {
	s.count("LoadGrants")
	return s.DB.LoadGrants(ctx, subjectID)
}

func (s *countingStore) MoveOrg(ctx context.Context, id, parentID string, at time.Time) error {
	s.count("MoveOrg")
	return s.DB.MoveOrg(ctx, id, parentID, at)
}
func (s *countingStore) CreatePermission(ctx context.Context, p rbac.Permission) error {
	s.count("CreatePermission")
	return s.DB.CreatePermission(ctx, p)
}
func (s *countingStore) UpdatePermission(ctx context.Context, name string, fn func(rbac.Permission) (rbac.Permission, error)) error {
	s.count("UpdatePermission")
	return s.DB.UpdatePermission(ctx, name, fn)
}
func (s *countingStore) DeletePermission(ctx context.Context, name string) error {
	s.count("DeletePermission")
	return s.DB.DeletePermission(ctx, name)
}
func (s *countingStore) CreateRole(ctx context.Context, r rbac.Role) error {
	s.count("CreateRole")
	return s.DB.CreateRole(ctx, r)
}
func (s *countingStore) UpdateRole(ctx context.Context, id string, fn func(rbac.Role) (rbac.Role, error)) error {
	s.count("UpdateRole")
	return s.DB.UpdateRole(ctx, id, fn)
}
func (s *countingStore) DeleteRole(ctx context.Context, id string) error {
	s.count("DeleteRole")
	return s.DB.DeleteRole(ctx, id)
}
func (s *countingStore) CreateGroup(ctx context.Context, g rbac.Group) error {
	s.count("CreateGroup")
	return s.DB.CreateGroup(ctx, g)
}
func (s *countingStore) UpdateGroup(ctx context.Context, id string, fn func(rbac.Group) (rbac.Group, error)) error {
	s.count("UpdateGroup")
	return s.DB.UpdateGroup(ctx, id, fn)
}
func (s *countingStore) DeleteGroup(ctx context.Context, id string) error {
	s.count("DeleteGroup")
	return s.DB.DeleteGroup(ctx, id)
}
func (s *countingStore) RemoveRoleAssignment(ctx context.Context, subjectID, roleID, orgID string) error {
	s.count("RemoveRoleAssignment")
	return s.DB.RemoveRoleAssignment(ctx, subjectID, roleID, orgID)
}
func (s *countingStore) RemoveRoleUses(ctx context.Context, roleID string) (int, int, error) {
	s.count("RemoveRoleUses")
	return s.DB.RemoveRoleUses(ctx, roleID)
}
func (s *countingStore) AddMembership(ctx context.Context, m rbac.Membership) error {
	s.count("AddMembership")
	return s.DB.AddMembership(ctx, m)
}
func (s *countingStore) RemoveMembership(ctx context.Context, subjectID, groupID string) error {
	s.count("RemoveMembership")
	return s.DB.RemoveMembership(ctx, subjectID, groupID)
}

// audit.Store

func (s *countingStore) AddAuditEntry(ctx context.Context, e audit.Entry) error {
	s.count("AddAuditEntry")
	return s.DB.AddAuditEntry(ctx, e)
}

// signing.Store

func (s *countingStore) ListSigningKeys(ctx context.Context) ([]signing.Key, error) {
	s.count("ListSigningKeys")
	return s.DB.ListSigningKeys(ctx)
}
func (s *countingStore) UpdateSigningKeys(ctx context.Context, fn func([]signing.Key) ([]signing.Key, error)) error {
	s.count("UpdateSigningKeys")
	return s.DB.UpdateSigningKeys(ctx, fn)
}

var (
	_ accounts.Store = (*countingStore)(nil)
	_ rbac.Store     = (*countingStore)(nil)
	_ audit.Store    = (*countingStore)(nil)
	_ signing.Store  = (*countingStore)(nil)
)
