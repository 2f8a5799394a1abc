package accounts_test

import (
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/internal/logscan"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// sys is the actor of the tests, holding every right.
var sys = rbac.System("test")

// start is on a millisecond boundary so that expiry arithmetic in the tests
// is exact; TestCreateAccount checks rounding from a finer clock separately.
var start = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// hookStore is the real SQLite store with a hook run just before
// RecordUsage writes, to interleave work with a flush deterministically.
type hookStore struct {
	*sqlite.DB
	beforeRecord func()
}

func (h *hookStore) RecordUsage(ctx context.Context, uses []accounts.Usage) error {
	if h.beforeRecord != nil {
		h.beforeRecord()
	}
	return h.DB.RecordUsage(ctx, uses)
}

type env struct {
	ctx   context.Context
	dir   string
	db    *sqlite.DB
	store *hookStore
	clock *fakeClock
	orgs  *rbac.Service
	ids   accounts.ClientIDs
	usage *accounts.UsageRecorder
	svc   *accounts.Service
}

// newEnv opens a fresh database with the root organization "acme" and the
// organization "eng" under it.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	path := sqlitetest.With(t, "acme and eng", func(ctx context.Context, db *sqlite.DB) error {
		orgs, _ := newServices(db, &fakeClock{t: start}, nil)
		if _, err := orgs.CreateRoot(ctx, sys, "acme", "Acme"); err != nil {
			return err
		}
		_, err := orgs.CreateOrg(ctx, sys, "eng", "Engineering", "")
		return err
	})
	dir := filepath.Dir(path)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: start}
	store := &hookStore{DB: db}
	usage := accounts.NewUsageRecorder(store, scannedLog(t))
	orgs, svc := newServices(db, clock, usage)
	return &env{
		ctx: ctx, dir: dir, db: db, store: store, clock: clock, orgs: orgs, ids: svc.ClientIDs(), usage: usage, svc: svc,
	}
}

// servicesStore is what the services need of a backend.
type servicesStore interface {
	accounts.Store
	rbac.Store
	audit.Store
	storage.Transactor
}

// newServices wires the services over st as iamd does, on clock; usage
// may be nil.
func newServices(st servicesStore, clock *fakeClock, usage *accounts.UsageRecorder) (*rbac.Service, *accounts.Service) {
	ids, err := accounts.NewClientIDs("")
	if err != nil {
		panic(err)
	}
	orgs := rbac.NewService(st, st, audit.NewLog(st, clock.Now), clock.Now)
	return orgs, accounts.NewService(st, st, orgs, ids, usage, clock.Now)
}

// scannedLog is a debug-level logger whose output must hold no secret or
// token by the end of the test.
func scannedLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logscan.New(t, "usage log", nil), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (e *env) create(t *testing.T, in accounts.NewAccount) accounts.Account {
	t.Helper()
	a, err := e.svc.Create(e.ctx, sys, in)
	if err != nil {
		t.Fatalf("Create(%+v): %v", in, err)
	}
	return a
}

// account creates a plain account name@eng.iam and returns its client ID.
func (e *env) account(t *testing.T, name string) string {
	t.Helper()
	a := e.create(t, accounts.NewAccount{OrgID: "eng", Name: name})
	return e.ids.Of(a)
}

func (e *env) key(t *testing.T, clientID string, in accounts.NewKey) (accounts.Key, string) {
	t.Helper()
	k, secret, err := e.svc.CreateKey(e.ctx, sys, clientID, in)
	if err != nil {
		t.Fatalf("CreateKey(%s): %v", clientID, err)
	}
	return k, secret
}

// authOK asserts that the credentials authenticate as keyID.
func (e *env) authOK(t *testing.T, clientID, secret, keyID string) accounts.Credential {
	t.Helper()
	c, err := e.svc.Authenticate(e.ctx, clientID, secret)
	if err != nil {
		t.Fatalf("Authenticate(%s) = %v, want success", clientID, err)
	}
	if c.Key.ID != keyID {
		t.Fatalf("Authenticate(%s) used key %s, want %s", clientID, c.Key.ID, keyID)
	}
	return c
}

// use authenticates as keyID and records the use, as the token endpoint
// does once it has issued a token.
func (e *env) use(t *testing.T, clientID, secret, keyID string) {
	t.Helper()
	e.svc.Used(e.authOK(t, clientID, secret, keyID))
}

// authRefused asserts that the credentials are refused as an authentication
// failure.
func (e *env) authRefused(t *testing.T, clientID, secret string) {
	t.Helper()
	c, err := e.svc.Authenticate(e.ctx, clientID, secret)
	if !errors.Is(err, accounts.ErrAuthentication) {
		t.Fatalf("Authenticate(%q, %q) = %+v, %v; want an error wrapping ErrAuthentication", clientID, secret, c, err)
	}
	if c.Key.ID != "" || c.Account.ID != "" {
		t.Fatalf("refused Authenticate returned a credential: %+v", c)
	}
}

func (e *env) keyIDs(t *testing.T, clientID string) []string {
	t.Helper()
	keys, err := e.svc.ListKeys(e.ctx, sys, clientID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func wantErr(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one wrapping %v", err, kind)
	}
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// forge builds a secret for keyID around random with a correct checksum, as
// someone who knows the format but not the secret could.
func forge(keyID, random string) string {
	s := accounts.SecretPrefix + keyID + "_" + random
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(s)))
	return s + b32.EncodeToString(sum[:])
}

// sameTime compares instants; want is rounded as the store keeps times.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(storage.Time(want)) {
		t.Errorf("%s = %v, want %v", what, got, storage.Time(want))
	}
}
