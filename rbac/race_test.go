package rbac_test

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/postgres/pgtest"
)

// The races below need READ COMMITTED transactions running side by side:
// PostgreSQL only (SQLite runs one write transaction at a time).

// paused is the PostgreSQL store running a hook once, right after a call
// returns: the transaction making the call waits, mid-way, while the hook
// runs another.
type paused struct {
	*postgres.DB
	afterRoleUses, afterGetRoleByName func()
}

func (p *paused) RoleUses(ctx context.Context, id string) ([]rbac.RoleAssignment, []rbac.Group, error) {
	a, g, err := p.DB.RoleUses(ctx, id)
	if f := p.afterRoleUses; f != nil {
		p.afterRoleUses = nil
		f()
	}
	return a, g, err
}

func (p *paused) GetRoleByName(ctx context.Context, org, name string) (rbac.Role, error) {
	r, err := p.DB.GetRoleByName(ctx, org, name)
	if f := p.afterGetRoleByName; f != nil {
		p.afterGetRoleByName = nil
		f()
	}
	return r, err
}

// watched is the PostgreSQL store telling when a transaction asks for the
// authorization lock and when it gets it.
type watched struct {
	*postgres.DB
	asked, got chan struct{}
}

func (w *watched) LockAuthz(ctx context.Context) error {
	signal(w.asked)
	err := w.DB.LockAuthz(ctx)
	signal(w.got)
	return err
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// raceEnv is env on PostgreSQL, with services over a paused store (for the
// change paused mid-way) and over a watched one (for the change running
// meanwhile).
type raceEnv struct {
	*env
	pause      *paused
	pausedOrgs *rbac.Service
	watch      *watched
	otherOrgs  *rbac.Service
	otherAccts *accounts.Service
}

func newRaceEnv(t *testing.T) *raceEnv {
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := newEnv(t, db)
	r := &raceEnv{env: e, pause: &paused{DB: db},
		watch: &watched{DB: db, asked: make(chan struct{}, 1), got: make(chan struct{}, 1)}}
	r.pausedOrgs = rbac.NewService(r.pause, r.pause, audit.NewLog(r.pause, e.clock.Now), e.clock.Now)
	r.otherOrgs = rbac.NewService(r.watch, r.watch, audit.NewLog(r.watch, e.clock.Now), e.clock.Now)
	ids, err := accounts.NewClientIDs("")
	if err != nil {
		t.Fatal(err)
	}
	r.otherAccts = accounts.NewService(r.watch, r.watch, r.otherOrgs, ids, nil, e.clock.Now)
	return r
}

// meanwhile starts other, a change through the watched store, while the
// paused transaction waits; it returns once other has finished, or has
// asked for the lock, which it must not get while the paused transaction
// holds it. wait returns other's error once it has finished.
func (r *raceEnv) meanwhile(t *testing.T, other func() error) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- other() }()
	select {
	case err := <-done:
		return func() error { return err }
	case <-r.watch.asked:
	}
	select {
	case <-r.watch.got:
		t.Error("the concurrent change got the lock while the paused one held it")
	case <-time.After(100 * time.Millisecond):
	}
	return func() error { return <-done }
}

// UpdateRole's check that nobody gets a right the actor does not hold, and
// an AssignRole of that role, must not each pass on the state the other
// has not committed yet.
func TestRaceUpdateRoleVsAssign(t *testing.T) {
	e := newRaceEnv(t)
	e.permission(t, "billing.invoices")
	e.org(t, "billing", "acme")
	e.role(t, "acme", "delegate", []string{"iam.roles:write", "iam.assignments:write", "iam.service-accounts:write"})
	att := e.account(t, "billing", "att")
	e.assign(t, att, "acme/delegate", "billing")
	a := e.actor(t, att)
	sock := e.account(t, "billing", "sock")
	if _, err := e.orgs.CreateRole(e.ctx, a, rbac.NewRole{OrgID: "billing", Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	inv := rbac.Right{Permission: "billing.invoices", Operation: rbac.OpWrite}
	var wait func() error
	e.pause.afterRoleUses = func() {
		wait = e.meanwhile(t, func() error {
			return e.otherAccts.AssignRole(e.ctx, a, sock, "billing/empty", scopes(t, "billing"))
		})
	}
	// The role is assigned nowhere yet: the actor may give it the right.
	if _, err := e.pausedOrgs.UpdateRole(e.ctx, a, "billing/empty", rbac.RoleChanges{Rights: &[]rbac.Right{inv}}); err != nil {
		t.Fatal(err)
	}
	if wait == nil {
		t.Fatal("the update never looked at where the role is used")
	}
	// The role now gives a right the actor does not hold: assigning it is
	// refused.
	wantMissing(t, wait(), "billing", "billing.invoices:write")
	if e.rights(t, sock).Allows("billing", inv) {
		t.Error("sock holds billing.invoices:write on billing, which the actor never held")
	}
}

// UpdateRole writes back what it read: a change of the description must
// not bring back a right another transaction has just removed.
func TestRaceLostRevocation(t *testing.T) {
	e := newRaceEnv(t)
	e.permission(t, "billing.invoices")
	e.role(t, "acme", "reader", []string{"billing.invoices:read"})
	x := e.account(t, "acme", "xxx")
	e.assign(t, x, "acme/reader", "acme")
	var wait func() error
	e.pause.afterGetRoleByName = func() {
		wait = e.meanwhile(t, func() error {
			_, err := e.otherOrgs.UpdateRole(e.ctx, e.sys, "acme/reader", rbac.RoleChanges{Rights: &[]rbac.Right{}})
			return err
		})
	}
	d := "new description"
	if _, err := e.pausedOrgs.UpdateRole(e.ctx, e.sys, "acme/reader", rbac.RoleChanges{Description: &d}); err != nil {
		t.Fatal(err)
	}
	if wait == nil {
		t.Fatal("the update never looked the role up")
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if e.rights(t, x).Allows("acme", rbac.Right{Permission: "billing.invoices", Operation: rbac.OpRead}) {
		t.Error("the removed right is back after a concurrent change of the description")
	}
	r, err := e.orgs.GetRole(e.ctx, e.sys, "acme/reader")
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != d || len(r.Rights) != 0 {
		t.Errorf("got description %q and rights %v, want both changes", r.Description, r.Rights)
	}
}
