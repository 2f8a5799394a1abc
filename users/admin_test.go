package users_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
	"github.com/iamd/iamd/users"
)

// password passes users.CheckPassword.
const password = "correct horse battery staple"

var sys = rbac.System("iamd init")

type adminEnv struct {
	ctx  context.Context
	db   *sqlite.DB
	orgs *rbac.Service
	svc  *users.Service
}

// newAdminEnv opens a fresh SQLite database with the root organization
// acme and billing and billing-eu under it.
func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlitetest.Path(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	orgs := rbac.NewService(db, db, audit.NewLog(db, time.Now), time.Now)
	if _, err := orgs.CreateRoot(ctx, sys, "acme", ""); err != nil {
		t.Fatal(err)
	}
	for _, o := range [][2]string{{"billing", ""}, {"billing-eu", "billing"}} {
		if _, err := orgs.CreateOrg(ctx, sys, o[0], "", o[1]); err != nil {
			t.Fatal(err)
		}
	}
	return &adminEnv{ctx: ctx, db: db, orgs: orgs, svc: users.NewService(db, db, orgs, users.Config{}, time.Now)}
}

// user creates a user of org holding role on each scope.
func (e *adminEnv) user(t *testing.T, name, org string, grants ...[2]string) users.User {
	t.Helper()
	u, _, err := e.svc.Create(e.ctx, sys, users.NewUser{OrgID: org, Name: name, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		sc, err := rbac.ParseScope(g[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AssignRole(e.ctx, sys, name, g[0], []rbac.Scope{sc}); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// actor is u acting with its rights of now, as in the console.
func (e *adminEnv) actor(t *testing.T, u users.User) rbac.Actor {
	t.Helper()
	r, err := e.orgs.SubjectRights(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rbac.NewActor(u.ActorID(), r)
}

func wantMissing(t *testing.T, err error, org, right string) {
	t.Helper()
	var mr *rbac.MissingRight
	if !errors.As(err, &mr) || mr.Org != org || mr.Right.String() != right {
		t.Errorf("error %v, want %s missing on %s", err, right, org)
	}
}

func TestManagingUsersNeedsIAMUsers(t *testing.T) {
	e := newAdminEnv(t)
	viewer := e.actor(t, e.user(t, "vera", "acme", [2]string{"acme/viewer", "acme/*"}))
	local := e.actor(t, e.user(t, "lou", "billing", [2]string{"acme/admin", "billing"}))
	e.user(t, "ana", "billing")

	t.Run("a viewer reads and lists but creates nothing", func(t *testing.T) {
		if _, err := e.svc.Get(e.ctx, viewer, "ana"); err != nil {
			t.Error(err)
		}
		if us, err := e.svc.List(e.ctx, viewer, users.ListOptions{Limit: 10}); err != nil || len(us) != 3 {
			t.Errorf("list: %d users, %v", len(us), err)
		}
		_, _, err := e.svc.Create(e.ctx, viewer, users.NewUser{OrgID: "acme", Name: "cyd"})
		wantMissing(t, err, "acme", "iam.users:write")
		_, err = e.svc.Disable(e.ctx, viewer, "ana")
		wantMissing(t, err, "billing", "iam.users:archive")
		wantMissing(t, e.svc.Delete(e.ctx, viewer, "ana"), "billing", "iam.users:delete")
	})
	t.Run("an admin of billing manages billing's users, not the root's", func(t *testing.T) {
		if _, _, err := e.svc.Create(e.ctx, local, users.NewUser{OrgID: "billing", Name: "cyd"}); err != nil {
			t.Error(err)
		}
		_, _, err := e.svc.Create(e.ctx, local, users.NewUser{OrgID: "acme", Name: "dee"})
		wantMissing(t, err, "acme", "iam.users:write")
		if us, err := e.svc.List(e.ctx, local, users.ListOptions{Limit: 10}); err != nil || len(us) != 3 {
			t.Errorf("list: %d users (want ana, cyd, lou), %v", len(us), err)
		}
	})
}

func TestSetPasswordNeedsEveryRightOfTheUser(t *testing.T) {
	e := newAdminEnv(t)
	local := e.actor(t, e.user(t, "lou", "billing", [2]string{"acme/admin", "billing"}))
	ana := e.user(t, "ana", "billing", [2]string{"acme/viewer", "billing-eu"})
	e.user(t, "bea", "billing", [2]string{"acme/viewer", "billing"})

	_, _, err := e.svc.SetPassword(e.ctx, local, "ana", "")
	wantMissing(t, err, "billing-eu", "iam.assignments:read")
	if u, err := e.svc.Lookup(e.ctx, "ana"); err != nil || u.PasswordHash != ana.PasswordHash {
		t.Errorf("ana after the refusal: %v; want the password unchanged", err)
	}
	u, generated, err := e.svc.SetPassword(e.ctx, local, "bea", "")
	if err != nil || generated == "" || !u.MustChangePassword {
		t.Fatalf("bea: %+v, %q, %v", u, generated, err)
	}
	if ok, _, _ := users.VerifyPassword(generated, u.PasswordHash); !ok {
		t.Error("the generated password does not verify")
	}
}

func TestNobodyDisablesOrDeletesThemselves(t *testing.T) {
	e := newAdminEnv(t)
	u := e.user(t, "root-admin", "acme")
	if err := e.svc.GrantBootstrap(e.ctx, sys, "root-admin"); err != nil {
		t.Fatal(err)
	}
	self := e.actor(t, u)
	if _, err := e.svc.Disable(e.ctx, self, "root-admin"); !errors.Is(err, storage.ErrForbidden) {
		t.Errorf("disable yourself: %v, want ErrForbidden", err)
	}
	if err := e.svc.Delete(e.ctx, self, "root-admin"); !errors.Is(err, storage.ErrForbidden) {
		t.Errorf("delete yourself: %v, want ErrForbidden", err)
	}
	if got, err := e.svc.Lookup(e.ctx, "root-admin"); err != nil || got.Status() != users.StatusActive {
		t.Errorf("after the refusals: %+v, %v", got, err)
	}
	e.user(t, "ana", "acme")
	if _, err := e.svc.Disable(e.ctx, self, "ana"); err != nil {
		t.Errorf("disable another: %v", err)
	}
	if err := e.svc.Delete(e.ctx, self, "ana"); err != nil {
		t.Errorf("delete another: %v", err)
	}
}

func TestAuditRecordsHoldNoPassword(t *testing.T) {
	e := newAdminEnv(t)
	first, generated, err := e.svc.Create(e.ctx, sys, users.NewUser{OrgID: "acme", Name: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	u, next, err := e.svc.SetPassword(e.ctx, sys, "ana", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(e.ctx, sys, "ana", users.Changes{Email: ptr("ana@example.com")}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(e.ctx, sys, "ana"); err != nil {
		t.Fatal(err)
	}
	entries, err := e.orgs.Audit().List(e.ctx, audit.Filter{Target: u.ActorID(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		all := string(en.Before) + string(en.After)
		for _, secret := range []string{generated, next, first.PasswordHash, u.PasswordHash, "argon2", "password_hash"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s record holds %q: %s", en.Action, secret, all)
			}
		}
	}
	if want := "user.delete user.update user.set-password user.create"; strings.Join(actions, " ") != want {
		t.Errorf("actions %q, want %q", actions, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestReadableNamesLeavesOutWhomTheActorMayNotRead: an owner field shows
// the names of the users the actor may read, and tells nothing of the
// others, as of unknown IDs.
func TestReadableNamesLeavesOutWhomTheActorMayNotRead(t *testing.T) {
	e := newAdminEnv(t)
	vera := e.user(t, "vera", "acme")
	lou := e.user(t, "lou", "billing", [2]string{"acme/admin", "billing"})
	ana := e.user(t, "ana", "billing-eu")
	ids := []string{vera.ID, lou.ID, ana.ID, "no-such-id"}
	for _, tc := range []struct {
		name  string
		actor rbac.Actor
		want  map[string]string
	}{
		{"the system reads everyone", sys, map[string]string{vera.ID: "vera", lou.ID: "lou", ana.ID: "ana"}},
		{"an admin of billing reads billing's users only", e.actor(t, lou), map[string]string{lou.ID: "lou"}},
		{"a user without rights reads nobody", e.actor(t, vera), map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.ReadableNames(e.ctx, tc.actor, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for id, name := range tc.want {
				if got[id] != name {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
