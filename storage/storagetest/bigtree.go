package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// BigTree describes the tree BuildBigTree stores: 10,000 organizations, 20
// deep, both deep (a chain) and wide (subtrees of 1,000, and 980 leaves
// under one organization).
type BigTree struct {
	// Paths are the paths of every organization, parents before
	// children.
	Paths []string
	// Chain are the root, then c02 under it, c03 under c02, and so on
	// down to c20, at depth 20: Chain[i] is at depth i+1.
	Chain []string
	// Wide are the IDs of nine subtrees of 1,000 organizations each (wide1
	// under the root, then wide2 to wide9 under c03, c05 … c17), each with 111
	// children of 8 children each.
	Wide []string
}

// BigTreeSize is how many organizations BuildBigTree stores.
const BigTreeSize = 10000

// BuildBigTree stores the BigTree in one transaction, in bulk if the store
// is a BulkOrgs.
func BuildBigTree(tb testing.TB, s Store) BigTree {
	tb.Helper()
	var bt BigTree
	add := func(parent, id string) string {
		p := rbac.ChildPath(parent, id)
		bt.Paths = append(bt.Paths, p)
		return p
	}
	bt.Chain = []string{add("", "big")}
	for d := 2; d <= 20; d++ {
		bt.Chain = append(bt.Chain, add(bt.Chain[d-2], fmt.Sprintf("c%02d", d)))
	}
	for n := 1; n <= 9; n++ {
		at := bt.Chain[0]
		if n > 1 {
			at = bt.Chain[2*n-2] // c03, c05 … c17
		}
		w := add(at, fmt.Sprintf("wide%d", n))
		bt.Wide = append(bt.Wide, org(w).ID)
		for c := range 111 {
			cp := add(w, fmt.Sprintf("wide%d-%03d", n, c))
			for g := range 8 {
				add(cp, fmt.Sprintf("wide%d-%03d-%d", n, c, g))
			}
		}
	}
	for l := range 980 {
		add(bt.Chain[18], fmt.Sprintf("l%03d", l)) // under c19: at depth 20
	}
	orgs := make([]rbac.Org, len(bt.Paths))
	for i, p := range bt.Paths {
		orgs[i] = org(p)
	}
	if err := createOrgs(s, orgs); err != nil {
		tb.Fatal(err)
	}
	return bt
}

// BulkOrgs is what the test builds of the backends add, to store many
// organizations at once, as CreateOrg would one by one: the big tree takes
// a few statements instead of 10,000.
type BulkOrgs interface {
	CreateOrgs(ctx context.Context, orgs []rbac.Org) error
}

// createOrgs stores orgs in one transaction, in bulk if s can.
func createOrgs(s Store, orgs []rbac.Org) error {
	if b, ok := s.(BulkOrgs); ok {
		return b.CreateOrgs(ctx, orgs)
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		for _, o := range orgs {
			if err := s.CreateOrg(ctx, o); err != nil {
				return fmt.Errorf("create %s: %w", o.Path, err)
			}
		}
		return nil
	})
}

// PathOf returns the path of the organization id of the tree as built.
func (bt BigTree) PathOf(id string) string {
	for _, p := range bt.Paths {
		if strings.HasSuffix(p, "/"+id+"/") {
			return p
		}
	}
	panic("no organization " + id)
}

// under returns the paths of paths that start with p, sorted.
func under(paths []string, p string) []string {
	var out []string
	for _, q := range paths {
		if strings.HasPrefix(q, p) {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

func orgPaths(orgs []rbac.Org) []string {
	out := []string{}
	for _, o := range orgs {
		out = append(out, o.Path)
	}
	return out
}

// checkTree fails unless every organization's path is its parent's path
// followed by its ID, and returns the paths, as listed.
func checkTree(t *testing.T, s Store) []string {
	t.Helper()
	all, err := s.ListOrgs(ctx, "")
	must(t, err)
	byID := map[string]rbac.Org{}
	for _, o := range all {
		byID[o.ID] = o
	}
	for _, o := range all {
		if want := rbac.ChildPath(byID[o.ParentID].Path, o.ID); o.Path != want {
			t.Fatalf("%s has path %s, want %s", o.ID, o.Path, want)
		}
	}
	return orgPaths(all)
}

func bigTreeCases() {
	add("a tree of 10,000 organizations 20 deep: subtrees, moves and grants", func(t *testing.T, s Store) {
		bt := BuildBigTree(t, s)
		paths := checkTree(t, s)
		equal(t, len(paths), BigTreeSize)
		equal(t, paths, under(bt.Paths, "/"))
		depth := 0
		for _, p := range paths {
			depth = max(depth, rbac.Depth(p))
		}
		equal(t, depth, 20)

		for _, id := range []string{"wide5", "wide9-110", "c10", "c19", "c20", "l979"} {
			got, err := s.ListOrgs(ctx, id)
			must(t, err)
			equal(t, orgPaths(got), under(bt.Paths, bt.PathOf(id)))
		}
		w5, _ := s.ListOrgs(ctx, "wide5")
		equal(t, len(w5), 1000)

		// c17's subtree holds 1,984 organizations, 4 levels deep below
		// it: the end of the chain, wide9 and the leaves. It moves up 12
		// levels, to under a leaf of wide1.
		moved := under(bt.Paths, bt.PathOf("c17"))
		equal(t, len(moved), 1984)
		must(t, s.MoveOrg(ctx, "c17", "wide1-000-0", t0))
		paths = checkTree(t, s)
		equal(t, len(paths), BigTreeSize)
		var want []string
		for _, p := range moved {
			want = append(want, bt.PathOf("wide1-000-0")+strings.TrimPrefix(p, bt.PathOf("c16")))
		}
		slices.Sort(want)
		got, err := s.ListOrgs(ctx, "c17")
		must(t, err)
		equal(t, orgPaths(got), want)
		got, err = s.ListOrgs(ctx, "wide1-000-0")
		must(t, err)
		equal(t, orgPaths(got), append([]string{bt.PathOf("wide1-000-0")}, want...))
		c16, err := s.ListOrgs(ctx, "c16")
		must(t, err)
		equal(t, orgPaths(c16), []string{bt.PathOf("c16")})

		// A subtree grant reaches every organization of the subtree.
		must(t, s.CreatePermission(ctx, permission("billing.invoices")))
		must(t, s.CreateRole(ctx, role("big", "reader", rights("billing.invoices:read"), "big/*")))
		must(t, s.CreateAccount(ctx, account("a1", "wide2-000", "sync")))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", "big.reader", "wide2/*")))
		g, err := s.LoadGrants(ctx, "a1")
		must(t, err)
		w2 := under(bt.Paths, bt.PathOf("wide2"))
		equal(t, len(w2), 1000)
		for _, p := range w2 {
			if g.Paths[org(p).ID] != p {
				t.Fatalf("grants: %s at %q, want %s", org(p).ID, g.Paths[org(p).ID], p)
			}
		}
		equal(t, len(g.Paths), 1001) // and the role's owner, the root
	})
}

// BuildBenchData stores the tree of BuildBigTree and, on it, the subjects
// the LoadGrants benchmarks read; it returns their IDs by benchmark name.
// The bootstrap admin, account "admin", holds the bootstrap role on the
// whole tree.
func BuildBenchData(tb testing.TB, s Store) map[string]string {
	tb.Helper()
	BuildBigTree(tb, s)
	err := s.InTx(ctx, func(ctx context.Context) error {
		var errs []error
		do := func(err error) { errs = append(errs, err) }
		for i := range 20 {
			p := fmt.Sprintf("bench.p%02d", i)
			do(s.CreatePermission(ctx, permission(p)))
			do(s.CreateRole(ctx, role("big", fmt.Sprintf("r%02d", i), rights(p+":read", p+":write", p+":delete"), "big/*")))
		}
		for _, a := range []string{"small", "large", "subtree"} {
			do(s.CreateAccount(ctx, account(a, "wide1", a)))
		}
		do(s.CreateAccount(ctx, account("admin", "big", "admin")))
		do(s.CreateRole(ctx, managedRole(rbac.RoleBootstrap, "big")))
		do(s.AddRoleAssignment(ctx, assignment("admin", rbac.AdminRole, "big/*")))
		// 3 roles on 3 organizations.
		for i := range 3 {
			do(s.AddRoleAssignment(ctx, assignment("small", fmt.Sprintf("big.r%02d", i), fmt.Sprintf("wide1-%03d", i))))
		}
		// 20 roles on 50 organizations: 10 roles directly and 10
		// through a group, each on 5 of the 50.
		do(s.CreateGroup(ctx, group("big", "g")))
		do(s.AddMembership(ctx, membership("large", "big.g")))
		var pairs []rbac.Pair
		for i := range 100 {
			r, on := fmt.Sprintf("big.r%02d", i/5), fmt.Sprintf("wide1-%03d", i%50)
			if i < 50 {
				do(s.AddRoleAssignment(ctx, assignment("large", r, on)))
			} else {
				pairs = append(pairs, pair(r, on))
			}
		}
		do(s.UpdateGroup(ctx, "big.g", func(g rbac.Group) (rbac.Group, error) {
			g.Pairs = pairs
			return g, nil
		}))
		// One role on a subtree of 1,000.
		do(s.AddRoleAssignment(ctx, assignment("subtree", "big.r00", "wide2/*")))
		return errors.Join(errs...)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]string{
		"3 roles on 3 organizations":            "small",
		"20 roles on 50 organizations":          "large",
		"1 role on a subtree of 1,000":          "subtree",
		"the bootstrap admin, on all of 10,000": "admin",
	}
}

// BenchLoadGrants benchmarks LoadGrants on the tree of BuildBigTree, for
// subjects of several sizes.
func BenchLoadGrants(b *testing.B, s Store) {
	subjects := BuildBenchData(b, s)
	for _, name := range []string{"3 roles on 3 organizations", "20 roles on 50 organizations",
		"1 role on a subtree of 1,000", "the bootstrap admin, on all of 10,000"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.LoadGrants(ctx, subjects[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchDescendants benchmarks listing subtrees of the tree of
// BuildBigTree.
func BenchDescendants(b *testing.B, s Store) {
	BuildBigTree(b, s)
	for _, c := range []struct {
		name, id string
		n        int
	}{{"9 organizations", "wide1-000", 9}, {"1,000 organizations", "wide1", 1000}, {"4,991 organizations 11 deep", "c10", 4991}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				orgs, err := s.ListOrgs(ctx, c.id)
				if err != nil || len(orgs) != c.n {
					b.Fatalf("got %d organizations, %v; want %d", len(orgs), err, c.n)
				}
			}
		})
	}
}

// newJTIs numbers the jtis BenchUseAssertionID records, unique across runs
// on one store.
var newJTIs atomic.Int64

// BenchUseAssertionID benchmarks the replay check of client assertions:
// recording a new jti, with the table holding 100,000 unexpired ones, and
// refusing a replayed one.
func BenchUseAssertionID(b *testing.B, s Store) {
	must(b, s.CreateOrg(ctx, org("/acme/")))
	must(b, s.CreateAccount(ctx, account("a1", "acme", "sync")))
	exp := storage.Time(time.Now().Add(time.Hour))
	must(b, s.InTx(ctx, func(ctx context.Context) error {
		for i := range 100_000 {
			if err := s.UseAssertionID(ctx, "a1", fmt.Sprintf("old-%d", i), exp); err != nil {
				return err
			}
		}
		return nil
	}))
	b.Run("a new jti", func(b *testing.B) {
		for b.Loop() {
			if err := s.UseAssertionID(ctx, "a1", fmt.Sprintf("new-%d", newJTIs.Add(1)), exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("a replayed jti", func(b *testing.B) {
		for b.Loop() {
			if err := s.UseAssertionID(ctx, "a1", "old-1", exp); !errors.Is(err, storage.ErrConflict) {
				b.Fatalf("replay: %v", err)
			}
		}
	})
}
