// Package storagetest is the conformance suite every storage backend must
// pass: the same cases, run against SQLite and PostgreSQL.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// Store is everything a backend implements.
type Store interface {
	storage.Transactor
	rbac.Store
	accounts.Store
	signing.Store
	audit.Store
	users.Store
}

// Run runs the suite. open must return a fresh, migrated, empty store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.test(t, open(t))
		})
	}
}

type testCase struct {
	name string
	test func(t *testing.T, s Store)
}

var cases []testCase

func add(name string, test func(t *testing.T, s Store)) {
	cases = append(cases, testCase{name, test})
}

var ctx = context.Background()

// t0 has nanoseconds and a zone, so round trips prove UTC and millisecond
// truncation.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func equal[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("\n got %+v\nwant %+v", got, want)
	}
}

// wantEmpty checks a list is empty but not nil: it encodes as [], not null.
func wantEmpty[T any](t *testing.T, list []T) {
	t.Helper()
	if list == nil || len(list) != 0 {
		t.Fatalf("got %#v, want an empty list", list)
	}
}

// concurrently runs fn(0) … fn(n-1) at once and fails on any error.
func concurrently(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fn(i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
}

// org returns the organization at path, as in "/acme/billing/": its ID is
// the last, its parent the one before.
func org(path string) rbac.Org {
	ids := strings.Split(strings.Trim(path, "/"), "/")
	o := rbac.Org{ID: ids[len(ids)-1], Path: path, CreatedAt: storage.Time(t0), CreatedBy: "test", UpdatedAt: storage.Time(t0)}
	if len(ids) > 1 {
		o.ParentID = ids[len(ids)-2]
	}
	o.Name = "Org " + o.ID
	return o
}

// tree stores root "acme" with children "billing" and "ops".
func tree(t *testing.T, s Store) {
	t.Helper()
	orgs(t, s, "/acme/", "/acme/billing/", "/acme/ops/")
}

// orgs stores the organizations at paths, in order.
func orgs(t testing.TB, s Store, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := s.CreateOrg(ctx, org(p)); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
}

func account(id, orgID, name string) accounts.Account {
	return accounts.Account{
		ID: id, OrgID: orgID, Name: name, DisplayName: "Account " + name, Description: "does " + name,
		AllowedAudiences: []string{},
		CreatedAt:        storage.Time(t0), CreatedBy: "test", UpdatedAt: storage.Time(t0),
	}
}

func key(id, accountID string, created time.Time) accounts.Key {
	return accounts.Key{
		ID: id, AccountID: accountID, Kind: accounts.KindSecret, Label: "label " + id,
		SecretHash: []byte("hash of " + id), Active: true, CreatedAt: storage.Time(created), CreatedBy: "test",
	}
}

func keyPair(id, accountID, kid string) accounts.Key {
	return accounts.Key{
		ID: id, AccountID: accountID, Kind: accounts.KindKeyPair, Label: "label " + id, Active: true,
		CreatedAt: storage.Time(t0), CreatedBy: "test", KID: kid, Algorithm: "ES256", Uploaded: true,
		PublicJWK: `{"use":"sig","kty":"EC","kid":"` + kid + `","crv":"P-256","alg":"ES256","x":"x","y":"y"}`,
	}
}

func signingKey(id string, activates time.Time) signing.Key {
	return signing.Key{
		ID: id, Algorithm: signing.ES256, PublicJWK: []byte(`{"kid":"` + id + `"}`),
		PrivateKey: []byte("sealed " + id), CreatedAt: storage.Time(t0), ActivatesAt: storage.Time(activates),
	}
}

func init() {
	add("storage.Time truncates to UTC milliseconds", func(t *testing.T, _ Store) {
		got := storage.Time(t0)
		if got.Location() != time.UTC || got.Nanosecond() != 535000000 || !got.Equal(t0.Truncate(time.Millisecond)) {
			t.Fatalf("storage.Time(%v) = %v", t0, got)
		}
	})
	orgCases()
	bigTreeCases()
	accountCases()
	keyCases()
	txCases()
	lockCases()
	signingKeyCases()
	permissionCases()
	roleCases()
	groupCases()
	assignmentCases()
	grantsCases()
	auditCases()
	versionCases()
	revocationCases()
	userCases()
	sessionCases()
	ownerCases()
	userSubjectCases()
	consoleCases()
}

func accountCases() {
	add("an account round-trips", func(t *testing.T, s Store) {
		tree(t, s)
		a := account("a1", "billing", "invoice-sync")
		a.System = true
		a.AllowedAudiences = []string{"https://billing.example.com"}
		a.ArchivedAt = storage.Time(t0.Add(time.Minute))
		a.LastUsedAt = storage.Time(t0.Add(2 * time.Minute))
		must(t, s.CreateAccount(ctx, a))
		got, err := s.GetAccount(ctx, "a1")
		must(t, err)
		equal(t, got, a)
		byName, err := s.GetAccountByName(ctx, "billing", "invoice-sync")
		must(t, err)
		equal(t, byName, a)
	})
	add("an account's empty lists read back empty, not nil", func(t *testing.T, s Store) {
		tree(t, s)
		a := account("a1", "billing", "sync")
		a.AllowedAudiences = nil
		must(t, s.CreateAccount(ctx, a))
		got, err := s.GetAccount(ctx, "a1")
		must(t, err)
		if got.AllowedAudiences == nil || len(got.AllowedAudiences) != 0 {
			t.Fatalf("got %#v", got.AllowedAudiences)
		}
	})
	add("GetAccounts returns the accounts that exist of those asked for", func(t *testing.T, s Store) {
		tree(t, s)
		a1, a2, a3 := account("a1", "billing", "sync"), account("a2", "ops", "deploy"), account("a3", "ops", "backup")
		for _, a := range []accounts.Account{a1, a2, a3} {
			must(t, s.CreateAccount(ctx, a))
		}
		got, err := s.GetAccounts(ctx, []string{"a3", "nope", "a1"})
		must(t, err)
		slices.SortFunc(got, func(a, b accounts.Account) int { return strings.Compare(a.ID, b.ID) })
		equal(t, got, []accounts.Account{a1, a3})
		for _, ids := range [][]string{nil, {}, {"nope"}} {
			got, err := s.GetAccounts(ctx, ids)
			must(t, err)
			wantEmpty(t, got)
		}
	})
	add("a missing account is not found", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		_, err := s.GetAccount(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetAccountByName(ctx, "ops", "sync")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("account names are unique within an organization only", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		wantErr(t, s.CreateAccount(ctx, account("a2", "billing", "sync")), storage.ErrConflict)
		must(t, s.CreateAccount(ctx, account("a3", "ops", "sync")))
		wantErr(t, s.CreateAccount(ctx, account("a1", "ops", "other")), storage.ErrConflict)
	})
	add("an account in a missing organization conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		wantErr(t, s.CreateAccount(ctx, account("a1", "nope", "sync")), storage.ErrConflict)
	})
	add("accounts list by organization then name, filtered and paged", func(t *testing.T, s Store) {
		tree(t, s)
		for i, c := range [][2]string{{"ops", "b"}, {"billing", "zz"}, {"billing", "a-b"}, {"acme", "root"}, {"billing", "ab"}, {"ops", "a"}} {
			a := account(fmt.Sprint("id", i), c[0], c[1])
			if c[1] == "ab" || c[1] == "b" {
				a.ArchivedAt = storage.Time(t0)
			}
			must(t, s.CreateAccount(ctx, a))
		}
		names := func(opts accounts.ListOptions) []string {
			t.Helper()
			as, err := s.ListAccounts(ctx, opts)
			must(t, err)
			out := []string{}
			for _, a := range as {
				out = append(out, a.OrgID+"/"+a.Name)
			}
			return out
		}
		equal(t, names(accounts.ListOptions{Limit: 100}),
			[]string{"acme/root", "billing/a-b", "billing/ab", "billing/zz", "ops/a", "ops/b"})
		equal(t, names(accounts.ListOptions{Limit: 2}), []string{"acme/root", "billing/a-b"})
		equal(t, names(accounts.ListOptions{Limit: 2, AfterOrgID: "billing", AfterName: "a-b"}), []string{"billing/ab", "billing/zz"})
		equal(t, names(accounts.ListOptions{Limit: 2, AfterOrgID: "ops", AfterName: "b"}), []string{})
		equal(t, names(accounts.ListOptions{Limit: 100, OrgID: "billing"}), []string{"billing/a-b", "billing/ab", "billing/zz"})
		equal(t, names(accounts.ListOptions{Limit: 100, OrgIDs: []string{"ops", "acme"}, Status: accounts.StatusArchived}), []string{"ops/b"})
		equal(t, names(accounts.ListOptions{Limit: 100, OrgIDs: []string{}}), []string{})
		equal(t, names(accounts.ListOptions{Limit: 100, Status: accounts.StatusArchived}), []string{"billing/ab", "ops/b"})
		equal(t, names(accounts.ListOptions{Limit: 1, OrgID: "billing", Status: accounts.StatusActive, AfterOrgID: "billing", AfterName: "a-b"}), []string{"billing/zz"})
	})
	add("updating an account changes its mutable fields only", func(t *testing.T, s Store) {
		tree(t, s)
		a := account("a1", "billing", "sync")
		a.LastUsedAt = storage.Time(t0)
		must(t, s.CreateAccount(ctx, a))
		later := storage.Time(t0.Add(time.Hour))
		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.DisplayName, a.Description, a.ArchivedAt, a.UpdatedAt = "Sync", "new", later, later
			a.AllowedAudiences = []string{"https://y"}
			a.OrgID = "ops"                                                                  // a move
			a.Name, a.System, a.CreatedBy, a.LastUsedAt = "renamed", true, "intruder", later // not updatable here
			return a, nil
		}))
		got, err := s.GetAccount(ctx, "a1")
		must(t, err)
		want := a
		want.OrgID = "ops"
		want.DisplayName, want.Description, want.ArchivedAt, want.UpdatedAt = "Sync", "new", later, later
		want.AllowedAudiences = []string{"https://y"}
		equal(t, got, want)
		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.ArchivedAt = time.Time{}
			return a, nil
		}))
		got, _ = s.GetAccount(ctx, "a1")
		equal(t, got.ArchivedAt, time.Time{})
	})
	add("moving an account where its name is taken conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "ops", "sync")))
		wantErr(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OrgID = "ops"
			return a, nil
		}), storage.ErrConflict)
		wantErr(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OrgID = "nowhere"
			return a, nil
		}), storage.ErrConflict)
		got, _ := s.GetAccount(ctx, "a1")
		equal(t, got.OrgID, "billing")
	})
	add("an update function error aborts the account update", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		boom := errors.New("boom")
		wantErr(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.Description = "changed"
			return a, boom
		}), boom)
		got, _ := s.GetAccount(ctx, "a1")
		equal(t, got.Description, "does sync")
		wantErr(t, s.UpdateAccount(ctx, "nope", func(a accounts.Account) (accounts.Account, error) { return a, nil }), storage.ErrNotFound)
	})
	add("deleting an account deletes its keys", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		must(t, s.DeleteAccount(ctx, "a1"))
		_, err := s.GetKey(ctx, "k1")
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.DeleteOrg(ctx, "billing")) // nothing refers to it any more
		wantErr(t, s.DeleteAccount(ctx, "a1"), storage.ErrNotFound)
	})
	add("locking an account makes transactions on it take turns", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		wantErr(t, s.InTx(ctx, func(ctx context.Context) error { return s.LockAccount(ctx, "nope") }), storage.ErrNotFound)
		// Each transaction names its key after the keys it sees: without
		// the lock, two would see the same keys and collide.
		const n = 8
		concurrently(t, n, func(int) error {
			return s.InTx(ctx, func(ctx context.Context) error {
				if err := s.LockAccount(ctx, "a1"); err != nil {
					return err
				}
				keys, err := s.ListKeys(ctx, "a1")
				if err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // widen the window a missing lock would leave
				return s.CreateKey(ctx, key(fmt.Sprint("k", len(keys)), "a1", t0))
			})
		})
		keys, _ := s.ListKeys(ctx, "a1")
		equal(t, len(keys), n)
	})
	add("concurrent account updates are not lost", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		const n = 8
		concurrently(t, n, func(i int) error {
			return s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
				a.AllowedAudiences = append(a.AllowedAudiences, fmt.Sprint("https://", i))
				return a, nil
			})
		})
		got, _ := s.GetAccount(ctx, "a1")
		equal(t, len(got.AllowedAudiences), n)
	})
}

func keyCases() {
	add("a key round-trips", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		k := key("k1", "a1", t0)
		k.ExpiresAt, k.LastUsedAt = storage.Time(t0.Add(time.Hour)), storage.Time(t0.Add(time.Minute))
		must(t, s.CreateKey(ctx, k))
		got, err := s.GetKey(ctx, "k1")
		must(t, err)
		equal(t, got, k)
		_, err = s.GetKey(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a duplicate key ID or a key of a missing account conflicts", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		wantErr(t, s.CreateKey(ctx, key("k1", "a1", t0)), storage.ErrConflict)
		wantErr(t, s.CreateKey(ctx, key("k2", "nope", t0)), storage.ErrConflict)
	})
	add("keys list by creation time then ID, per account", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "billing", "other")))
		must(t, s.CreateKey(ctx, key("kc", "a1", t0.Add(time.Second))))
		must(t, s.CreateKey(ctx, key("kb", "a1", t0)))
		must(t, s.CreateKey(ctx, key("ka", "a1", t0.Add(time.Second))))
		must(t, s.CreateKey(ctx, key("kz", "a2", t0)))
		keys, err := s.ListKeys(ctx, "a1")
		must(t, err)
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
		}
		equal(t, ids, []string{"kb", "ka", "kc"})
		none, err := s.ListKeys(ctx, "nobody")
		must(t, err)
		wantEmpty(t, none)
	})
	add("updating a key changes label, status and expiry only", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		k := key("k1", "a1", t0)
		k.ExpiresAt = storage.Time(t0.Add(time.Hour))
		must(t, s.CreateKey(ctx, k))
		must(t, s.UpdateKey(ctx, "k1", func(k accounts.Key) (accounts.Key, error) {
			k.Label, k.Active, k.ExpiresAt = "new", false, time.Time{}
			k.SecretHash, k.AccountID, k.LastUsedAt = []byte("forged"), "a2", t0 // not updatable here
			return k, nil
		}))
		got, _ := s.GetKey(ctx, "k1")
		want := key("k1", "a1", t0)
		want.Label, want.Active = "new", false
		equal(t, got, want)
		boom := errors.New("boom")
		wantErr(t, s.UpdateKey(ctx, "k1", func(k accounts.Key) (accounts.Key, error) {
			k.Label = "changed"
			return k, boom
		}), boom)
		got, _ = s.GetKey(ctx, "k1")
		equal(t, got.Label, "new")
		wantErr(t, s.UpdateKey(ctx, "nope", func(k accounts.Key) (accounts.Key, error) { return k, nil }), storage.ErrNotFound)
	})
	add("deleting a key removes it", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		must(t, s.DeleteKey(ctx, "k1"))
		_, err := s.GetKey(ctx, "k1")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteKey(ctx, "k1"), storage.ErrNotFound)
	})
	add("a credential is a key with its account", func(t *testing.T, s Store) {
		tree(t, s)
		a := account("a1", "billing", "sync")
		a.AllowedAudiences = []string{"https://x"}
		must(t, s.CreateAccount(ctx, a))
		k := key("k1", "a1", t0)
		k.ExpiresAt = storage.Time(t0.Add(time.Hour))
		must(t, s.CreateKey(ctx, k))
		got, err := s.GetCredential(ctx, "k1")
		must(t, err)
		// The version, whatever it is, is checked in versionCases.
		equal(t, got, accounts.Credential{Key: k, Account: a, RightsVersion: got.RightsVersion})
		_, err = s.GetCredential(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a key-pair key keeps its kid, algorithm and public key; a kid is unique within its account", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "billing", "other")))
		k := keyPair("k1", "a1", "prod-1")
		must(t, s.CreateKey(ctx, k))
		got, err := s.GetKey(ctx, "k1")
		must(t, err)
		equal(t, got, k)
		c, err := s.GetCredential(ctx, "k1")
		must(t, err)
		equal(t, c.Key, k)
		must(t, s.UpdateKey(ctx, "k1", func(k accounts.Key) (accounts.Key, error) {
			k.KID, k.Algorithm, k.PublicJWK, k.Uploaded = "forged", "none", "{}", false // not updatable
			k.Active = false
			return k, nil
		}))
		got, _ = s.GetKey(ctx, "k1")
		k.Active = false
		equal(t, got, k)
		wantErr(t, s.CreateKey(ctx, keyPair("k2", "a1", "prod-1")), storage.ErrConflict)
		must(t, s.CreateKey(ctx, keyPair("k3", "a2", "prod-1")))
		// Secret keys have no kid: any number of them per account.
		must(t, s.CreateKey(ctx, key("k4", "a1", t0)))
		must(t, s.CreateKey(ctx, key("k5", "a1", t0)))
		sk, _ := s.GetKey(ctx, "k4")
		equal(t, sk, key("k4", "a1", t0))
	})
	add("key-pair credentials are found by client name, secret keys left out", func(t *testing.T, s Store) {
		tree(t, s)
		a := account("a1", "billing", "sync")
		must(t, s.CreateAccount(ctx, a))
		must(t, s.CreateAccount(ctx, account("a2", "billing", "other")))
		k1, k2 := keyPair("k1", "a1", "one"), keyPair("k2", "a1", "two")
		k2.CreatedAt = storage.Time(t0.Add(time.Second))
		k2.Active = false
		must(t, s.CreateKey(ctx, k2))
		must(t, s.CreateKey(ctx, k1))
		must(t, s.CreateKey(ctx, key("k3", "a1", t0)))
		must(t, s.CreateKey(ctx, keyPair("k4", "a2", "one")))
		got, err := s.GetKeyPairCredentials(ctx, "billing", "sync")
		must(t, err)
		if len(got) != 2 {
			t.Fatalf("got %d credentials, want 2", len(got))
		}
		equal(t, got[0], accounts.Credential{Key: k1, Account: a, RightsVersion: got[0].RightsVersion})
		equal(t, got[1], accounts.Credential{Key: k2, Account: a, RightsVersion: got[0].RightsVersion})
		for _, c := range [][2]string{{"billing", "nobody"}, {"root", "sync"}} {
			got, err := s.GetKeyPairCredentials(ctx, c[0], c[1])
			must(t, err)
			wantEmpty(t, got)
		}
	})
	add("an assertion ID is used once per account until pruned", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateAccount(ctx, account("a2", "billing", "other")))
		exp := storage.Time(t0.Add(5 * time.Minute))
		must(t, s.UseAssertionID(ctx, "a1", "j1", exp))
		wantErr(t, s.UseAssertionID(ctx, "a1", "j1", exp.Add(time.Hour)), storage.ErrConflict)
		must(t, s.UseAssertionID(ctx, "a2", "j1", exp)) // another client's
		must(t, s.UseAssertionID(ctx, "a1", "J1", exp)) // IDs are case-sensitive
		must(t, s.UseAssertionID(ctx, "a1", "j2", exp.Add(time.Minute)))
		n, err := s.PruneAssertionIDs(ctx, exp, 10) // expired before exp: none
		must(t, err)
		equal(t, n, 0)
		n, err = s.PruneAssertionIDs(ctx, exp.Add(time.Second), 2)
		must(t, err)
		equal(t, n, 2) // three expired, two at a time
		n, _ = s.PruneAssertionIDs(ctx, exp.Add(time.Second), 2)
		equal(t, n, 1)
		must(t, s.UseAssertionID(ctx, "a1", "j1", exp)) // pruned: free again
		wantErr(t, s.UseAssertionID(ctx, "a1", "j2", exp), storage.ErrConflict)
		// Deleting the account forgets its assertions.
		must(t, s.DeleteAccount(ctx, "a2"))
		n, _ = s.PruneAssertionIDs(ctx, exp.Add(time.Hour), 10)
		equal(t, n, 2) // a1's j1 and j2
	})
	add("usage moves last-used times forward only and skips unknown keys", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		must(t, s.CreateKey(ctx, key("k2", "a1", t0)))
		t1, t2 := storage.Time(t0.Add(time.Minute)), storage.Time(t0.Add(2*time.Minute))
		must(t, s.RecordUsage(ctx, []accounts.Usage{
			{KeyID: "k1", AccountID: "a1", At: t2},
			{KeyID: "k2", AccountID: "a1", At: t1},
			{KeyID: "gone", AccountID: "gone", At: t2},
		}))
		must(t, s.RecordUsage(ctx, []accounts.Usage{{KeyID: "k1", AccountID: "a1", At: t1}})) // older: ignored
		k1, _ := s.GetKey(ctx, "k1")
		k2, _ := s.GetKey(ctx, "k2")
		a, _ := s.GetAccount(ctx, "a1")
		equal(t, k1.LastUsedAt, t2)
		equal(t, k2.LastUsedAt, t1)
		equal(t, a.LastUsedAt, t2)
		must(t, s.RecordUsage(ctx, nil))
	})
}

func txCases() {
	add("a transaction commits every write when its function succeeds", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.InTx(ctx, func(ctx context.Context) error {
			if err := s.CreateAccount(ctx, account("a1", "billing", "sync")); err != nil {
				return err
			}
			// Reads inside the transaction see its writes.
			if _, err := s.GetAccount(ctx, "a1"); err != nil {
				return err
			}
			return s.CreateKey(ctx, key("k1", "a1", t0))
		}))
		_, err := s.GetCredential(ctx, "k1")
		must(t, err)
	})
	add("a transaction rolls back every write when its function fails", func(t *testing.T, s Store) {
		tree(t, s)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(ctx context.Context) error {
			must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
			must(t, s.UpdateOrg(ctx, "billing", func(o rbac.Org) (rbac.Org, error) {
				o.Name = "changed"
				return o, nil
			}))
			// A nested transaction joins the outer one.
			must(t, s.InTx(ctx, func(ctx context.Context) error {
				return s.CreateKey(ctx, key("k1", "a1", t0))
			}))
			return boom
		})
		wantErr(t, err, boom)
		_, err = s.GetAccount(ctx, "a1")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetKey(ctx, "k1")
		wantErr(t, err, storage.ErrNotFound)
		o, _ := s.GetOrg(ctx, "billing")
		equal(t, o.Name, "Org billing")
	})
}

func lockCases() {
	add("LockAuthz makes a second transaction wait until the first ends", func(t *testing.T, s Store) {
		tree(t, s)
		locked, release := make(chan struct{}), make(chan struct{})
		var firstEnding atomic.Bool
		first := make(chan error, 1)
		go func() {
			first <- s.InTx(ctx, func(ctx context.Context) error {
				if err := s.LockAuthz(ctx); err != nil {
					return err
				}
				close(locked)
				<-release
				firstEnding.Store(true)
				return nil
			})
		}()
		<-locked
		var acquired atomic.Bool
		second := make(chan error, 1)
		go func() {
			second <- s.InTx(ctx, func(ctx context.Context) error {
				if err := s.LockAuthz(ctx); err != nil {
					return err
				}
				acquired.Store(true)
				if !firstEnding.Load() {
					return errors.New("the second transaction holds the lock while the first runs")
				}
				return nil
			})
		}()
		// Time for the second to reach the lock, and get it if it could.
		time.Sleep(200 * time.Millisecond)
		if acquired.Load() {
			t.Error("the second transaction got the lock while the first held it")
		}
		close(release)
		must(t, <-first)
		must(t, <-second)
	})
	add("LockAuthz refuses to run outside a transaction", func(t *testing.T, s Store) {
		if err := s.LockAuthz(ctx); err == nil {
			t.Fatal("LockAuthz outside a transaction succeeded")
		}
	})
}

func signingKeyCases() {
	add("signing keys are added and removed as the update function says", func(t *testing.T, s Store) {
		k1, k2, k3 := signingKey("k1", t0), signingKey("k2", t0.Add(time.Hour)), signingKey("k3", t0.Add(time.Hour))
		must(t, s.UpdateSigningKeys(ctx, func(old []signing.Key) ([]signing.Key, error) {
			equal(t, len(old), 0)
			return []signing.Key{k3, k1, k2}, nil
		}))
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		equal(t, got, []signing.Key{k1, k2, k3}) // by activation, then ID
		must(t, s.UpdateSigningKeys(ctx, func(old []signing.Key) ([]signing.Key, error) {
			equal(t, old, []signing.Key{k1, k2, k3})
			return old[1:], nil
		}))
		got, _ = s.ListSigningKeys(ctx)
		equal(t, got, []signing.Key{k2, k3})
	})
	add("a failed signing key update changes nothing", func(t *testing.T, s Store) {
		k1 := signingKey("k1", t0)
		must(t, s.UpdateSigningKeys(ctx, func([]signing.Key) ([]signing.Key, error) {
			return []signing.Key{k1}, nil
		}))
		boom := errors.New("boom")
		wantErr(t, s.UpdateSigningKeys(ctx, func([]signing.Key) ([]signing.Key, error) {
			return []signing.Key{signingKey("k2", t0)}, boom
		}), boom)
		got, _ := s.ListSigningKeys(ctx)
		equal(t, got, []signing.Key{k1})
	})
	add("concurrent signing key updates run one after the other", func(t *testing.T, s Store) {
		const n = 6
		concurrently(t, n, func(i int) error {
			return s.UpdateSigningKeys(ctx, func(old []signing.Key) ([]signing.Key, error) {
				return append(old, signingKey(fmt.Sprint("k", i), t0)), nil
			})
		})
		got, _ := s.ListSigningKeys(ctx)
		equal(t, len(got), n)
	})
}
