package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

func orgIDs(orgs []rbac.Org) []string {
	out := []string{}
	for _, o := range orgs {
		out = append(out, o.ID)
	}
	return out
}

// listOrgs returns the IDs ListOrgs(under) returns.
func listOrgs(t *testing.T, s Store, under string) []string {
	t.Helper()
	orgs, err := s.ListOrgs(ctx, under)
	must(t, err)
	return orgIDs(orgs)
}

// prefixTree has siblings whose IDs start alike ("ab", "ab-c", "abc"), so
// that a subtree read by path prefix without the trailing "/" would take in
// its neighbours.
var prefixTree = []string{
	"/m-root/", "/m-root/zeta/", "/m-root/ab/", "/m-root/ab-c/", "/m-root/abc/", "/m-root/a9/",
	"/m-root/ab/x/", "/m-root/ab/x/y/", "/m-root/ab-c/x2/", "/m-root/abc/x3/",
}

func orgCases() {
	add("an organization round-trips, path included", func(t *testing.T, s Store) {
		tree(t, s)
		got, err := s.GetOrg(ctx, "billing")
		must(t, err)
		equal(t, got, org("/acme/billing/"))
		root, err := s.GetOrg(ctx, "acme")
		must(t, err)
		equal(t, root, org("/acme/"))
	})
	add("a missing organization is not found", func(t *testing.T, s Store) {
		_, err := s.GetOrg(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a duplicate organization ID or path conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		wantErr(t, s.CreateOrg(ctx, org("/acme/ops/billing/")), storage.ErrConflict)
		dup := org("/acme/ops/")
		dup.ID = "other"
		wantErr(t, s.CreateOrg(ctx, dup), storage.ErrConflict)
	})
	add("a second root conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		wantErr(t, s.CreateOrg(ctx, org("/other/")), storage.ErrConflict)
	})
	add("an organization under a missing parent conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		wantErr(t, s.CreateOrg(ctx, org("/acme/nope/lost/")), storage.ErrConflict)
	})
	add("an organization whose path does not follow its parent's conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		for _, o := range []rbac.Org{org("/acme/ops/other/"), org("/other/")} {
			o.ParentID = "billing"
			wantErr(t, s.CreateOrg(ctx, o), storage.ErrConflict)
		}
		// A path read before its parent moved.
		stale := org("/acme/billing/eu/")
		must(t, s.MoveOrg(ctx, "billing", "ops", t0))
		wantErr(t, s.CreateOrg(ctx, stale), storage.ErrConflict)
		_, err := s.GetOrg(ctx, "eu")
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.CreateOrg(ctx, org("/acme/ops/billing/eu/")))
	})
	add("organizations list by path: parents before children, each subtree in one piece", func(t *testing.T, s Store) {
		orgs(t, s, prefixTree...)
		// Bytewise, "-" < "/" < "0" < "c": ab-c's subtree sorts before ab's.
		equal(t, listOrgs(t, s, ""), []string{"m-root", "a9", "ab-c", "x2", "ab", "x", "y", "abc", "x3", "zeta"})
	})
	add("organizations under one are it and its descendants, not its neighbours", func(t *testing.T, s Store) {
		orgs(t, s, prefixTree...)
		equal(t, listOrgs(t, s, "ab"), []string{"ab", "x", "y"})
		equal(t, listOrgs(t, s, "ab-c"), []string{"ab-c", "x2"})
		equal(t, listOrgs(t, s, "y"), []string{"y"})
		equal(t, len(listOrgs(t, s, "m-root")), len(prefixTree))
		got, err := s.ListOrgs(ctx, "x")
		must(t, err)
		equal(t, got, []rbac.Org{org("/m-root/ab/x/"), org("/m-root/ab/x/y/")})
		_, err = s.ListOrgs(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("an empty store lists no organizations, not nil", func(t *testing.T, s Store) {
		orgs, err := s.ListOrgs(ctx, "")
		must(t, err)
		wantEmpty(t, orgs)
	})
	add("updating an organization changes its name and update time only", func(t *testing.T, s Store) {
		tree(t, s)
		later := t0.Add(time.Hour)
		must(t, s.UpdateOrg(ctx, "billing", func(o rbac.Org) (rbac.Org, error) {
			o.Name, o.UpdatedAt = "Billing", storage.Time(later)
			o.ParentID, o.Path, o.CreatedBy = "ops", "/acme/ops/billing/", "intruder" // not updatable
			return o, nil
		}))
		got, err := s.GetOrg(ctx, "billing")
		must(t, err)
		want := org("/acme/billing/")
		want.Name, want.UpdatedAt = "Billing", storage.Time(later)
		equal(t, got, want)
	})
	add("an update function error aborts the organization update", func(t *testing.T, s Store) {
		tree(t, s)
		boom := errors.New("boom")
		err := s.UpdateOrg(ctx, "billing", func(o rbac.Org) (rbac.Org, error) {
			o.Name = "changed"
			return o, boom
		})
		wantErr(t, err, boom)
		got, _ := s.GetOrg(ctx, "billing")
		equal(t, got.Name, "Org billing")
	})
	add("updating a missing organization is not found", func(t *testing.T, s Store) {
		err := s.UpdateOrg(ctx, "nope", func(o rbac.Org) (rbac.Org, error) { return o, nil })
		wantErr(t, err, storage.ErrNotFound)
	})
	moveCases()
	add("deleting a leaf organization removes it", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.DeleteOrg(ctx, "ops"))
		_, err := s.GetOrg(ctx, "ops")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteOrg(ctx, "ops"), storage.ErrNotFound)
	})
}

func moveCases() {
	add("moving an organization moves its subtree and touches the moved one only", func(t *testing.T, s Store) {
		orgs(t, s, prefixTree...)
		later := storage.Time(t0.Add(time.Hour))
		must(t, s.MoveOrg(ctx, "ab", "abc", later))
		equal(t, listOrgs(t, s, "abc"), []string{"abc", "ab", "x", "y", "x3"})
		moved := org("/m-root/abc/ab/")
		moved.UpdatedAt = later
		want := []rbac.Org{moved, org("/m-root/abc/ab/x/"), org("/m-root/abc/ab/x/y/")}
		got, err := s.ListOrgs(ctx, "ab")
		must(t, err)
		equal(t, got, want)
		// The neighbours whose paths start alike stay where they were.
		equal(t, listOrgs(t, s, "ab-c"), []string{"ab-c", "x2"})
		c, _ := s.GetOrg(ctx, "ab-c")
		equal(t, c, org("/m-root/ab-c/"))
		// And back up, under the root.
		must(t, s.MoveOrg(ctx, "ab", "m-root", later))
		got, _ = s.ListOrgs(ctx, "")
		want = nil
		for _, p := range prefixTree {
			o := org(p)
			if o.ID == "ab" {
				o.UpdatedAt = later
			}
			want = append(want, o)
		}
		equal(t, len(got), len(want))
		for _, o := range want {
			g, err := s.GetOrg(ctx, o.ID)
			must(t, err)
			equal(t, g, o)
		}
	})
	add("moving an organization under itself or a descendant conflicts and changes nothing", func(t *testing.T, s Store) {
		orgs(t, s, prefixTree...)
		wantErr(t, s.MoveOrg(ctx, "ab", "ab", t0), storage.ErrConflict)
		wantErr(t, s.MoveOrg(ctx, "ab", "y", t0), storage.ErrConflict)
		wantErr(t, s.MoveOrg(ctx, "m-root", "zeta", t0), storage.ErrConflict)
		y, _ := s.GetOrg(ctx, "y")
		equal(t, y, org("/m-root/ab/x/y/"))
	})
	add("moving a missing organization or under a missing one is not found", func(t *testing.T, s Store) {
		tree(t, s)
		wantErr(t, s.MoveOrg(ctx, "nope", "acme", t0), storage.ErrNotFound)
		wantErr(t, s.MoveOrg(ctx, "billing", "nope", t0), storage.ErrNotFound)
		b, _ := s.GetOrg(ctx, "billing")
		equal(t, b, org("/acme/billing/"))
	})
	add("moves at once never close a cycle", func(t *testing.T, s Store) {
		orgs(t, s, "/r0/")
		// Each round, two moves at once: x under a child of z, and z
		// under a child of x. Either would do; both would make a cycle.
		for i := range 10 {
			x, z := fmt.Sprintf("x%02d", i), fmt.Sprintf("z%02d", i)
			orgs(t, s, "/r0/"+x+"/", "/r0/"+x+"/"+x+"-c/", "/r0/"+z+"/", "/r0/"+z+"/"+z+"-c/")
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for j, m := range [][2]string{{x, z + "-c"}, {z, x + "-c"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[j] = s.MoveOrg(ctx, m[0], m[1], t0)
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: moves returned %v and %v, want one to succeed and one to fail", i, errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, storage.ErrConflict) {
					t.Fatalf("round %d: %v, want a conflict", i, err)
				}
			}
		}
		checkTree(t, s)
	})
	add("a move in a failed transaction is undone", func(t *testing.T, s Store) {
		orgs(t, s, prefixTree...)
		boom := errors.New("boom")
		wantErr(t, s.InTx(ctx, func(ctx context.Context) error {
			must(t, s.MoveOrg(ctx, "ab", "zeta", t0))
			return boom
		}), boom)
		equal(t, listOrgs(t, s, "ab"), []string{"ab", "x", "y"})
		y, _ := s.GetOrg(ctx, "y")
		equal(t, y.Path, "/m-root/ab/x/y/")
	})
}
