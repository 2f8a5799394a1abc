package rbac_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
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

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is deliberately not on a millisecond boundary, so the tests also see
// that the service stores times as storage.Time does.
var start = time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 2*3600))

type env struct {
	ctx   context.Context
	db    *sqlite.DB
	clock *fakeClock
	orgs  *rbac.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: start}
	return &env{ctx: ctx, db: db, clock: clock, orgs: rbac.NewService(db, clock.Now)}
}

// withRoot creates the root organization "acme".
func (e *env) withRoot(t *testing.T) rbac.Org {
	t.Helper()
	root, err := e.orgs.CreateRoot(e.ctx, "acme", "Acme Corp", "test")
	if err != nil {
		t.Fatalf("CreateRoot: %v", err)
	}
	return root
}

func (e *env) mustCreateOrg(t *testing.T, id, parent string) rbac.Org {
	t.Helper()
	o, err := e.orgs.CreateOrg(e.ctx, id, "", parent, "test")
	if err != nil {
		t.Fatalf("CreateOrg(%q, parent %q): %v", id, parent, err)
	}
	return o
}

// newAccount creates an account through the accounts service, as iamd does.
func (e *env) newAccount(t *testing.T, orgID, name string) accounts.Account {
	t.Helper()
	ids, err := accounts.NewClientIDs("")
	if err != nil {
		t.Fatal(err)
	}
	svc := accounts.NewService(e.db, e.db, e.orgs, ids, nil, e.clock.Now)
	a, err := svc.Create(e.ctx, accounts.NewAccount{OrgID: orgID, Name: name}, "test")
	if err != nil {
		t.Fatalf("create account %s in %s: %v", name, orgID, err)
	}
	return a
}

func wantErr(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one wrapping %v", err, kind)
	}
}

func TestCreateRoot(t *testing.T) {
	t.Run("creates the root with no parent and records who and when", func(t *testing.T) {
		e := newEnv(t)
		root, err := e.orgs.CreateRoot(e.ctx, "acme", "Acme Corp", "installer")
		if err != nil {
			t.Fatal(err)
		}
		want := rbac.Org{
			ID: "acme", Name: "Acme Corp", CreatedBy: "installer",
			CreatedAt: storage.Time(start), UpdatedAt: storage.Time(start),
		}
		if root != want {
			t.Errorf("CreateRoot = %+v, want %+v", root, want)
		}
		got, err := e.orgs.Root(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Root = %+v, want %+v", got, want)
		}
	})
	t.Run("defaults the name to the id", func(t *testing.T) {
		e := newEnv(t)
		root, err := e.orgs.CreateRoot(e.ctx, "acme", "", "test")
		if err != nil {
			t.Fatal(err)
		}
		if root.Name != "acme" {
			t.Errorf("name %q, want %q", root.Name, "acme")
		}
	})
	t.Run("refuses a second root with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.CreateRoot(e.ctx, "other", "Other", "test")
		wantErr(t, err, storage.ErrConflict)
		if !strings.Contains(err.Error(), "root organization already exists") {
			t.Errorf("error %q does not say the root exists", err)
		}
		if _, err := e.orgs.GetOrg(e.ctx, "other"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("second root was stored: GetOrg = %v", err)
		}
	})
	t.Run("refuses the same root twice with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.CreateRoot(e.ctx, "acme", "Acme Corp", "test")
		wantErr(t, err, storage.ErrConflict)
	})
	t.Run("reports a missing root as not found before init", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.orgs.Root(e.ctx)
		wantErr(t, err, storage.ErrNotFound)
	})
}

func TestCreateOrg(t *testing.T) {
	t.Run("puts an organization without parent under the root", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		o, err := e.orgs.CreateOrg(e.ctx, "eng", "Engineering", "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if o.ParentID != "acme" {
			t.Errorf("parent %q, want the root %q", o.ParentID, "acme")
		}
		got, err := e.orgs.GetOrg(e.ctx, "eng")
		if err != nil {
			t.Fatal(err)
		}
		want := rbac.Org{
			ID: "eng", Name: "Engineering", ParentID: "acme", CreatedBy: "alice",
			CreatedAt: storage.Time(start), UpdatedAt: storage.Time(start),
		}
		if got != want {
			t.Errorf("GetOrg = %+v, want %+v", got, want)
		}
	})
	t.Run("nests an organization under the given parent", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		o := e.mustCreateOrg(t, "platform", "eng")
		if o.ParentID != "eng" {
			t.Errorf("parent %q, want %q", o.ParentID, "eng")
		}
		if o.Name != "platform" {
			t.Errorf("name %q, want the id as default", o.Name)
		}
	})
	t.Run("refuses a missing parent as not found", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.CreateOrg(e.ctx, "eng", "", "nowhere", "test")
		wantErr(t, err, storage.ErrNotFound)
		if !strings.Contains(err.Error(), "nowhere") {
			t.Errorf("error %q does not name the missing parent", err)
		}
		if _, err := e.orgs.GetOrg(e.ctx, "eng"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("organization was stored: GetOrg = %v", err)
		}
	})
	t.Run("refuses a default parent before the root exists", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.orgs.CreateOrg(e.ctx, "eng", "", "", "test")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("refuses a taken id with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		_, err := e.orgs.CreateOrg(e.ctx, "eng", "Other", "", "test")
		wantErr(t, err, storage.ErrConflict)
		if !strings.Contains(err.Error(), `"eng" already exists`) {
			t.Errorf("error %q does not name the taken id", err)
		}
		got, _ := e.orgs.GetOrg(e.ctx, "eng")
		if got.Name != "eng" {
			t.Errorf("existing organization renamed to %q", got.Name)
		}
	})
	t.Run("refuses the root's id with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.CreateOrg(e.ctx, "acme", "", "", "test")
		wantErr(t, err, storage.ErrConflict)
	})

	invalid := []struct {
		name, id, orgName, field string
	}{
		{"refuses an id that is too short", "ab", "", "organization id"},
		{"refuses an uppercase id", "Eng", "", "organization id"},
		{"refuses an id with a trailing hyphen", "eng-", "", "organization id"},
		{"refuses an id with an underscore", "en_g", "", "organization id"},
		{"refuses a name over 100 characters", "eng", strings.Repeat("n", 101), "organization name"},
		{"refuses a name with a newline", "eng", "Eng\nineering", "organization name"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.withRoot(t)
			_, err := e.orgs.CreateOrg(e.ctx, tt.id, tt.orgName, "", "test")
			wantErr(t, err, storage.ErrInvalid)
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field %q", err, tt.field)
			}
			orgs, err := e.orgs.ListOrgs(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != 1 {
				t.Errorf("%d organizations stored, want only the root", len(orgs))
			}
		})
	}
	t.Run("refuses an invalid root id with an error naming the field", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.orgs.CreateRoot(e.ctx, "1acme", "", "test")
		wantErr(t, err, storage.ErrInvalid)
		if !strings.Contains(err.Error(), "organization id") || !strings.Contains(err.Error(), rbac.IDRule) {
			t.Errorf("error %q does not name the field and the rule", err)
		}
	})
}

func TestListOrgs(t *testing.T) {
	t.Run("lists every organization ordered by id", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "zeta", "")
		e.mustCreateOrg(t, "beta", "zeta")
		e.mustCreateOrg(t, "mid", "")
		orgs, err := e.orgs.ListOrgs(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range orgs {
			ids = append(ids, o.ID)
		}
		if want := []string{"acme", "beta", "mid", "zeta"}; !slices.Equal(ids, want) {
			t.Errorf("ListOrgs ids %v, want %v", ids, want)
		}
	})
	t.Run("returns an empty list before init", func(t *testing.T) {
		e := newEnv(t)
		orgs, err := e.orgs.ListOrgs(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 0 {
			t.Errorf("ListOrgs = %v, want none", orgs)
		}
	})
}

func TestRenameOrg(t *testing.T) {
	t.Run("changes the name and update time only", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		before, err := e.orgs.CreateOrg(e.ctx, "eng", "Engineering", "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		got, err := e.orgs.RenameOrg(e.ctx, "eng", "R&D")
		if err != nil {
			t.Fatal(err)
		}
		want := before
		want.Name = "R&D"
		want.UpdatedAt = storage.Time(start.Add(time.Hour))
		if got != want {
			t.Errorf("RenameOrg = %+v, want %+v", got, want)
		}
		stored, err := e.orgs.GetOrg(e.ctx, "eng")
		if err != nil {
			t.Fatal(err)
		}
		if stored != want {
			t.Errorf("stored %+v, want %+v", stored, want)
		}
	})
	t.Run("refuses an empty name", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.RenameOrg(e.ctx, "acme", "")
		wantErr(t, err, storage.ErrInvalid)
		if !strings.Contains(err.Error(), "organization name") {
			t.Errorf("error %q does not name the field", err)
		}
		root, _ := e.orgs.Root(e.ctx)
		if root.Name != "Acme Corp" {
			t.Errorf("name changed to %q", root.Name)
		}
	})
	t.Run("refuses a name with a control character", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.RenameOrg(e.ctx, "acme", "Acme\x00")
		wantErr(t, err, storage.ErrInvalid)
	})
	t.Run("reports an unknown organization as not found", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		_, err := e.orgs.RenameOrg(e.ctx, "nowhere", "Name")
		wantErr(t, err, storage.ErrNotFound)
	})
}

func TestDeleteOrg(t *testing.T) {
	t.Run("deletes an organization nothing refers to", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		if err := e.orgs.DeleteOrg(e.ctx, "eng"); err != nil {
			t.Fatal(err)
		}
		_, err := e.orgs.GetOrg(e.ctx, "eng")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("refuses an organization with a child", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		e.mustCreateOrg(t, "platform", "eng")
		err := e.orgs.DeleteOrg(e.ctx, "eng")
		wantErr(t, err, storage.ErrConflict)
		if !strings.Contains(err.Error(), "child organizations") {
			t.Errorf("error %q does not say why", err)
		}
		if _, err := e.orgs.GetOrg(e.ctx, "eng"); err != nil {
			t.Errorf("organization gone after refused delete: %v", err)
		}
	})
	t.Run("refuses the root while it has children", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		wantErr(t, e.orgs.DeleteOrg(e.ctx, "acme"), storage.ErrConflict)
	})
	t.Run("refuses an organization with an account", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		e.newAccount(t, "eng", "deployer")
		wantErr(t, e.orgs.DeleteOrg(e.ctx, "eng"), storage.ErrConflict)
	})
	t.Run("refuses an organization with a role assignment", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		a := e.newAccount(t, "acme", "admin")
		if err := e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "eng", "test"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.orgs.DeleteOrg(e.ctx, "eng"), storage.ErrConflict)
	})
	t.Run("deletes a parent once its last child is gone", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		e.mustCreateOrg(t, "platform", "eng")
		if err := e.orgs.DeleteOrg(e.ctx, "platform"); err != nil {
			t.Fatal(err)
		}
		if err := e.orgs.DeleteOrg(e.ctx, "eng"); err != nil {
			t.Fatalf("DeleteOrg after removing the child: %v", err)
		}
	})
	t.Run("reports an unknown organization as not found", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		wantErr(t, e.orgs.DeleteOrg(e.ctx, "nowhere"), storage.ErrNotFound)
	})
}

func TestAssignAndHasRole(t *testing.T) {
	t.Run("reports a role the subject was given", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		a := e.newAccount(t, "acme", "admin")
		if err := e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "acme", "init"); err != nil {
			t.Fatal(err)
		}
		ok, err := e.orgs.HasRole(e.ctx, a.ID, rbac.AdminRole)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Error("HasRole = false after Assign")
		}
	})
	t.Run("reports a role given on a sub-organization", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		e.mustCreateOrg(t, "eng", "")
		a := e.newAccount(t, "eng", "admin")
		if err := e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "eng", "init"); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.orgs.HasRole(e.ctx, a.ID, rbac.AdminRole); err != nil || !ok {
			t.Errorf("HasRole = %v, %v; want true", ok, err)
		}
	})
	t.Run("does not report a role the subject was not given", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		a := e.newAccount(t, "acme", "admin")
		if err := e.orgs.Assign(e.ctx, a.ID, "iam.viewer", "acme", "init"); err != nil {
			t.Fatal(err)
		}
		ok, err := e.orgs.HasRole(e.ctx, a.ID, rbac.AdminRole)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Error("HasRole(admin) = true for a subject holding only another role")
		}
	})
	t.Run("does not report another subject's role", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		admin := e.newAccount(t, "acme", "admin")
		other := e.newAccount(t, "acme", "other")
		if err := e.orgs.Assign(e.ctx, admin.ID, rbac.AdminRole, "acme", "init"); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.orgs.HasRole(e.ctx, other.ID, rbac.AdminRole); err != nil || ok {
			t.Errorf("HasRole(other) = %v, %v; want false", ok, err)
		}
	})
	t.Run("reports no role for an unknown subject", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		if ok, err := e.orgs.HasRole(e.ctx, "nobody", rbac.AdminRole); err != nil || ok {
			t.Errorf("HasRole(unknown) = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("refuses the same assignment twice with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		a := e.newAccount(t, "acme", "admin")
		if err := e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "acme", "init"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "acme", "init"), storage.ErrConflict)
	})
	t.Run("refuses an assignment on an unknown organization with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		a := e.newAccount(t, "acme", "admin")
		wantErr(t, e.orgs.Assign(e.ctx, a.ID, rbac.AdminRole, "nowhere", "init"), storage.ErrConflict)
		if ok, _ := e.orgs.HasRole(e.ctx, a.ID, rbac.AdminRole); ok {
			t.Error("refused assignment was stored")
		}
	})
	t.Run("refuses an assignment to an unknown subject with a conflict", func(t *testing.T) {
		e := newEnv(t)
		e.withRoot(t)
		wantErr(t, e.orgs.Assign(e.ctx, "nobody", rbac.AdminRole, "acme", "init"), storage.ErrConflict)
	})
}
