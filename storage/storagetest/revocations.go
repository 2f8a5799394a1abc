package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
)

var errRollback = errors.New("roll back")

func revocationCases() {
	sec := func(n int) time.Time { return time.Unix(1_800_000_000+int64(n), 0).UTC() }
	add("a revoked token round-trips and is revoked", func(t *testing.T, s Store) {
		r := accounts.RevokedToken{ID: "jti-1", AccountID: "a1", ExpiresAt: sec(3600), RevokedAt: t0, RevokedBy: "admin@acme.iam"}
		added, err := s.RevokeToken(ctx, r)
		must(t, err)
		equal(t, added, true)
		tokens, cutoffs, err := s.ListRevocations(ctx, sec(0))
		must(t, err)
		r.RevokedAt = t0.UTC().Truncate(time.Millisecond)
		equal(t, tokens, []accounts.RevokedToken{r})
		wantEmpty(t, cutoffs)
		revoked, err := s.TokenRevoked(ctx, "jti-1", "a1", "k1", sec(0))
		must(t, err)
		equal(t, revoked, true)
		revoked, err = s.TokenRevoked(ctx, "jti-2", "a1", "k1", sec(0))
		must(t, err)
		equal(t, revoked, false)
	})
	add("an account's unexpired revoked tokens are counted", func(t *testing.T, s Store) {
		for i, r := range []accounts.RevokedToken{
			{ID: "j1", AccountID: "a1", ExpiresAt: sec(100)},
			{ID: "j2", AccountID: "a1", ExpiresAt: sec(200)},
			{ID: "j3", AccountID: "a1", ExpiresAt: sec(300)},
			{ID: "j4", AccountID: "a2", ExpiresAt: sec(300)},
		} {
			r.RevokedAt, r.RevokedBy = sec(i), "x"
			_, err := s.RevokeToken(ctx, r)
			must(t, err)
		}
		for _, c := range []struct {
			account string
			at      time.Time
			want    int
		}{{"a1", sec(0), 3}, {"a1", sec(100), 2}, {"a1", sec(300), 0}, {"a2", sec(0), 1}, {"a3", sec(0), 0}} {
			n, err := s.CountRevokedTokens(ctx, c.account, c.at)
			must(t, err)
			if n != c.want {
				t.Errorf("CountRevokedTokens(%s, %v) = %d, want %d", c.account, c.at, n, c.want)
			}
		}
	})
	add("revoking a token again changes nothing, not even the version", func(t *testing.T, s Store) {
		r := accounts.RevokedToken{ID: "jti-1", AccountID: "a1", ExpiresAt: sec(3600), RevokedAt: t0, RevokedBy: "x"}
		v0, err := s.RevocationsVersion(ctx)
		must(t, err)
		_, err = s.RevokeToken(ctx, r)
		must(t, err)
		v1, err := s.RevocationsVersion(ctx)
		must(t, err)
		if v1 == v0 {
			t.Fatal("the version did not move on a revocation")
		}
		r.RevokedBy = "y"
		added, err := s.RevokeToken(ctx, r)
		must(t, err)
		equal(t, added, false)
		v2, err := s.RevocationsVersion(ctx)
		must(t, err)
		equal(t, v2, v1)
		tokens, _, err := s.ListRevocations(ctx, sec(0))
		must(t, err)
		equal(t, tokens[0].RevokedBy, "x")
	})
	add("a cutoff revokes the tokens of its account, or of its key, issued before it", func(t *testing.T, s Store) {
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(100), ExpiresAt: sec(3700), CreatedAt: t0, CreatedBy: "x"}))
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a2", KeyID: "k2", IssuedBefore: sec(100), ExpiresAt: sec(3700), CreatedAt: t0, CreatedBy: "x"}))
		for _, c := range []struct {
			acct, key string
			iat       int
			want      bool
		}{
			{"a1", "k1", 99, true},
			{"a1", "k9", 99, true},
			{"a1", "k1", 100, false},
			{"a2", "k2", 99, true},
			{"a2", "k3", 99, false},
			{"a2", "k2", 100, false},
			{"a3", "k2", 99, false},
		} {
			revoked, err := s.TokenRevoked(ctx, "unrelated", c.acct, c.key, sec(c.iat))
			must(t, err)
			if revoked != c.want {
				t.Errorf("token of %s/%s issued at +%d: revoked %v, want %v", c.acct, c.key, c.iat, revoked, c.want)
			}
		}
		_, cutoffs, err := s.ListRevocations(ctx, sec(0))
		must(t, err)
		created := t0.UTC().Truncate(time.Millisecond)
		equal(t, cutoffs, []accounts.Cutoff{
			{AccountID: "a1", IssuedBefore: sec(100), ExpiresAt: sec(3700), CreatedAt: created, CreatedBy: "x"},
			{AccountID: "a2", KeyID: "k2", IssuedBefore: sec(100), ExpiresAt: sec(3700), CreatedAt: created, CreatedBy: "x"},
		})
	})
	add("a new cutoff of the same account keeps the later times", func(t *testing.T, s Store) {
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(200), ExpiresAt: sec(3800), CreatedAt: t0, CreatedBy: "x"}))
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(100), ExpiresAt: sec(9000), CreatedAt: t0, CreatedBy: "y"}))
		_, cutoffs, err := s.ListRevocations(ctx, sec(0))
		must(t, err)
		equal(t, len(cutoffs), 1)
		equal(t, cutoffs[0].IssuedBefore, sec(200))
		equal(t, cutoffs[0].ExpiresAt, sec(9000))
		revoked, err := s.TokenRevoked(ctx, "j", "a1", "k1", sec(150))
		must(t, err)
		equal(t, revoked, true)
	})
	add("revocations leave the list once expired and pruning deletes a bounded batch", func(t *testing.T, s Store) {
		for i := range 5 {
			_, err := s.RevokeToken(ctx, accounts.RevokedToken{ID: fmt.Sprintf("old-%d", i), AccountID: "a1", ExpiresAt: sec(10), RevokedAt: t0, RevokedBy: "x"})
			must(t, err)
		}
		_, err := s.RevokeToken(ctx, accounts.RevokedToken{ID: "new", AccountID: "a1", ExpiresAt: sec(1000), RevokedAt: t0, RevokedBy: "x"})
		must(t, err)
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(0), ExpiresAt: sec(10), CreatedAt: t0, CreatedBy: "x"}))
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a2", IssuedBefore: sec(0), ExpiresAt: sec(1000), CreatedAt: t0, CreatedBy: "x"}))
		tokens, cutoffs, err := s.ListRevocations(ctx, sec(10))
		must(t, err)
		equal(t, len(tokens), 1)
		equal(t, tokens[0].ID, "new")
		equal(t, len(cutoffs), 1)
		equal(t, cutoffs[0].AccountID, "a2")

		n, err := s.PruneRevocations(ctx, sec(10), 3)
		must(t, err)
		equal(t, n, 4) // three tokens, one cutoff
		n, err = s.PruneRevocations(ctx, sec(10), 3)
		must(t, err)
		equal(t, n, 2)
		n, err = s.PruneRevocations(ctx, sec(10), 3)
		must(t, err)
		equal(t, n, 0)
		tokens, cutoffs, err = s.ListRevocations(ctx, sec(0))
		must(t, err)
		equal(t, len(tokens), 1)
		equal(t, len(cutoffs), 1)
		// Pruned, the old tokens are no longer revoked: they have expired.
		revoked, err := s.TokenRevoked(ctx, "old-0", "a9", "", sec(0))
		must(t, err)
		equal(t, revoked, false)
	})
	add("a cutoff bumps the version", func(t *testing.T, s Store) {
		v0, err := s.RevocationsVersion(ctx)
		must(t, err)
		must(t, s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(0), ExpiresAt: sec(10), CreatedAt: t0, CreatedBy: "x"}))
		v1, err := s.RevocationsVersion(ctx)
		must(t, err)
		if v1 == v0 {
			t.Fatal("the version did not move on a cutoff")
		}
	})
	add("a revocation in a rolled-back transaction is gone", func(t *testing.T, s Store) {
		err := s.InTx(ctx, func(ctx context.Context) error {
			if err := s.AddCutoff(ctx, accounts.Cutoff{AccountID: "a1", IssuedBefore: sec(100), ExpiresAt: sec(1000), CreatedAt: t0, CreatedBy: "x"}); err != nil {
				return err
			}
			return errRollback
		})
		wantErr(t, err, errRollback)
		revoked, err := s.TokenRevoked(ctx, "j", "a1", "k1", sec(0))
		must(t, err)
		equal(t, revoked, false)
	})
}
