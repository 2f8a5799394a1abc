package storagetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// A Call is one store method call on the records Seed stores, for tests
// that take a backend's database down: while it is down every call must
// fail with an error wrapping storage.ErrUnavailable, and once it is back
// every call must succeed again. Calls can be repeated.
type Call struct {
	Name string
	// Writes is whether the call writes, or only reads.
	Writes bool
	Do     func(ctx context.Context, s Store) error
}

// Seed stores what Calls work on: organization "acme", account "a1" in it
// with key "k1" and the bootstrap role, and a signing key.
func Seed(t *testing.T, s Store) {
	t.Helper()
	must(t, s.CreateOrg(ctx, org("/acme/")))
	must(t, s.CreateAccount(ctx, account("a1", "acme", "deploy")))
	must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
	must(t, s.CreateRole(ctx, managedRole(rbac.RoleBootstrap, "acme")))
	must(t, s.AddRoleAssignment(ctx, rbac.RoleAssignment{SubjectID: "a1", RoleID: rbac.AdminRole,
		On: rbac.Scope{OrgID: "acme", Subtree: true}, CreatedAt: storage.Time(t0), CreatedBy: "test"}))
	must(t, s.UpdateSigningKeys(ctx, func([]oauth.SigningKey) ([]oauth.SigningKey, error) {
		return []oauth.SigningKey{signingKey("sk1", t0)}, nil
	}))
}

// Calls returns a call of every kind a request makes: the token endpoint's
// credential and grants lookups, the admin check's reads, lists, single
// writes and transactions.
func Calls() []Call {
	var orgs atomic.Int64
	same := func(a accounts.Account) (accounts.Account, error) { return a, nil }
	return []Call{
		{"GetCredential", false, func(ctx context.Context, s Store) error {
			_, err := s.GetCredential(ctx, "k1")
			return err
		}},
		{"GetAccountByName", false, func(ctx context.Context, s Store) error {
			_, err := s.GetAccountByName(ctx, "acme", "deploy")
			return err
		}},
		{"LoadGrants", false, func(ctx context.Context, s Store) error {
			_, err := s.LoadGrants(ctx, "a1")
			return err
		}},
		{"ListRoleAssignments", false, func(ctx context.Context, s Store) error {
			_, err := s.ListRoleAssignments(ctx, "a1")
			return err
		}},
		{"ListAccounts", false, func(ctx context.Context, s Store) error {
			_, err := s.ListAccounts(ctx, accounts.ListOptions{Limit: 10})
			return err
		}},
		{"ListOrgs", false, func(ctx context.Context, s Store) error {
			_, err := s.ListOrgs(ctx, "")
			return err
		}},
		{"ListSigningKeys", false, func(ctx context.Context, s Store) error {
			_, err := s.ListSigningKeys(ctx)
			return err
		}},
		{"CreateOrg", true, func(ctx context.Context, s Store) error {
			return s.CreateOrg(ctx, org(fmt.Sprintf("/acme/o%d-%d/", time.Now().UnixNano(), orgs.Add(1))))
		}},
		{"UpdateAccount", true, func(ctx context.Context, s Store) error {
			return s.UpdateAccount(ctx, "a1", same)
		}},
		{"RecordUsage", true, func(ctx context.Context, s Store) error {
			return s.RecordUsage(ctx, []accounts.Usage{{KeyID: "k1", AccountID: "a1", At: time.Now()}})
		}},
		{"UpdateSigningKeys", true, func(ctx context.Context, s Store) error {
			return s.UpdateSigningKeys(ctx, func(ks []oauth.SigningKey) ([]oauth.SigningKey, error) { return ks, nil })
		}},
		{"InTx with a lock", true, func(ctx context.Context, s Store) error {
			return s.InTx(ctx, func(ctx context.Context) error { return s.LockAccount(ctx, "a1") })
		}},
	}
}
