package rbac_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
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

// start is deliberately not on a millisecond boundary, so the tests also see
// that the service stores times as storage.Time does.
var start = time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 2*3600))

// store is what both backends implement.
type store interface {
	rbac.Store
	accounts.Store
	audit.Store
	storage.Transactor
}

// env is a migrated, initialized database (root "acme") with the services
// over it.
type env struct {
	ctx   context.Context
	st    store
	clock *fakeClock
	orgs  *rbac.Service
	accts *accounts.Service
	sys   rbac.Actor
	root  rbac.Org
}

// each runs test against SQLite and PostgreSQL, each with a fresh
// database.
func each(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), sqlitetest.Path(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, newEnv(t, db))
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, newEnv(t, db))
	})
}

type migrator interface {
	Migrate(ctx context.Context) ([]string, error)
}

func newEnv(t testing.TB, st store) *env {
	t.Helper()
	ctx := context.Background()
	if _, err := st.(migrator).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: start}
	orgs := rbac.NewService(st, st, audit.NewLog(st, clock.Now), clock.Now)
	ids, err := accounts.NewClientIDs("")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, st: st, clock: clock, orgs: orgs, sys: rbac.System("test"),
		accts: accounts.NewService(st, st, orgs, ids, nil, clock.Now)}
	if e.root, err = orgs.CreateRoot(ctx, e.sys, "acme", "Acme Corp"); err != nil {
		t.Fatalf("CreateRoot: %v", err)
	}
	return e
}

func (e *env) org(t testing.TB, id, parent string) rbac.Org {
	t.Helper()
	o, err := e.orgs.CreateOrg(e.ctx, e.sys, id, "", parent)
	if err != nil {
		t.Fatalf("CreateOrg(%q, parent %q): %v", id, parent, err)
	}
	return o
}

// account creates name@org.iam and returns its client ID.
func (e *env) account(t testing.TB, org, name string) string {
	t.Helper()
	a, err := e.accts.Create(e.ctx, e.sys, accounts.NewAccount{OrgID: org, Name: name})
	if err != nil {
		t.Fatalf("create account %s in %s: %v", name, org, err)
	}
	return a.Name + "@" + a.OrgID + ".iam"
}

func (e *env) permission(t testing.TB, name string) {
	t.Helper()
	if _, err := e.orgs.CreatePermission(e.ctx, e.sys, name, "test permission "+name); err != nil {
		t.Fatalf("create permission %s: %v", name, err)
	}
}

// role creates a role of org holding rights ("p:o"); perimeter nil means
// the default.
func (e *env) role(t testing.TB, org, name string, rights []string, perimeter ...string) rbac.Role {
	t.Helper()
	in := rbac.NewRole{OrgID: org, Name: name, Rights: parseRights(t, rights)}
	for _, p := range perimeter {
		in.Perimeter = append(in.Perimeter, scope(t, p))
	}
	r, err := e.orgs.CreateRole(e.ctx, e.sys, in)
	if err != nil {
		t.Fatalf("create role %s/%s: %v", org, name, err)
	}
	return r
}

func (e *env) assign(t testing.TB, clientID, role string, on ...string) {
	t.Helper()
	if err := e.accts.AssignRole(e.ctx, e.sys, clientID, role, scopes(t, on...)); err != nil {
		t.Fatalf("assign %s on %v to %s: %v", role, on, clientID, err)
	}
}

// actor returns clientID acting with its effective rights.
func (e *env) actor(t testing.TB, clientID string) rbac.Actor {
	t.Helper()
	return rbac.NewActor(clientID, e.rights(t, clientID))
}

func (e *env) rights(t testing.TB, clientID string) *rbac.Rights {
	t.Helper()
	_, r, err := e.accts.Rights(e.ctx, e.sys, clientID)
	if err != nil {
		t.Fatalf("rights of %s: %v", clientID, err)
	}
	return r
}

func parseRights(t testing.TB, ss []string) []rbac.Right {
	t.Helper()
	var out []rbac.Right
	for _, s := range ss {
		r, err := rbac.ParseRight(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func scope(t testing.TB, s string) rbac.Scope {
	t.Helper()
	sc, err := rbac.ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func scopes(t testing.TB, ss ...string) []rbac.Scope {
	var out []rbac.Scope
	for _, s := range ss {
		out = append(out, scope(t, s))
	}
	return out
}

// triples lists effective rights as "org p:o" strings.
func triples(r *rbac.Rights) []string {
	out := []string{}
	for _, e := range r.Effective() {
		s := e.Org + " " + e.Right.String()
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

func wantErr(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one wrapping %v", err, kind)
	}
}

// wantRule checks err is a refusal naming rule n.
func wantRule(t testing.TB, err error, n int) {
	t.Helper()
	var re *rbac.RuleError
	if !errors.As(err, &re) || re.Rule != n {
		t.Fatalf("got error %v, want a refusal by rule %d", err, n)
	}
	if !strings.Contains(err.Error(), "rule ") {
		t.Fatalf("the message %q does not name the rule", err)
	}
}

// wantMissing checks err is a refusal for want of right on org.
func wantMissing(t testing.TB, err error, org, right string) {
	t.Helper()
	var mr *rbac.MissingRight
	if !errors.As(err, &mr) || mr.Org != org || mr.Right.String() != right {
		t.Fatalf("got error %v, want the right %s missing on %s", err, right, org)
	}
	if !strings.Contains(err.Error(), right) || !strings.Contains(err.Error(), org) {
		t.Fatalf("the message %q does not name the missing right", err)
	}
}
