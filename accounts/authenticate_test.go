package accounts_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/storage"
)

func TestAuthenticateSucceeds(t *testing.T) {
	t.Run("returns the key and account of the secret", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		e.account(t, "other")
		k, secret := e.key(t, client, accounts.NewKey{Label: "ci"})
		c := e.authOK(t, client, secret, k.ID)
		a, _ := e.svc.Get(e.ctx, sys, client)
		if c.Account.ID != a.ID || c.Account.Name != "deployer" || c.Account.OrgID != "eng" {
			t.Errorf("account %+v, want %s", c.Account, client)
		}
		if c.Key.AccountID != a.ID || c.Key.Label != "ci" || !c.Key.Active {
			t.Errorf("key %+v", c.Key)
		}
	})
	t.Run("picks the right key of an account with several", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k1, s1 := e.key(t, client, accounts.NewKey{})
		k2, s2 := e.key(t, client, accounts.NewKey{})
		e.authOK(t, client, s2, k2.ID)
		e.authOK(t, client, s1, k1.ID)
	})
	t.Run("accepts a key until just before it expires", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
		e.clock.Set(start.Add(time.Hour - time.Nanosecond))
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("works with a domain suffix", func(t *testing.T) {
		e := newEnv(t)
		ids := mustClientIDs(t, "example.com")
		svc := accounts.NewService(e.db, e.db, e.orgs, ids, nil, e.clock.Now)
		if _, err := svc.Create(e.ctx, sys, accounts.NewAccount{OrgID: "eng", Name: "deployer"}); err != nil {
			t.Fatal(err)
		}
		k, secret, err := svc.CreateKey(e.ctx, sys, "deployer@eng.iam.example.com", accounts.NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := svc.Authenticate(e.ctx, "deployer@eng.iam.example.com", secret); err != nil || c.Key.ID != k.ID {
			t.Errorf("Authenticate with the domain = %+v, %v", c, err)
		}
		if _, err := svc.Authenticate(e.ctx, "deployer@eng.iam", secret); !errors.Is(err, accounts.ErrAuthentication) {
			t.Errorf("Authenticate without the domain = %v, want an authentication failure", err)
		}
	})
}

func TestAuthenticateRefuses(t *testing.T) {
	// Each case gets a fresh database with account deployer@eng.iam holding
	// one key (k, secret) and account other@eng.iam holding one key
	// (otherKey, otherSecret); setup may change anything before the attempt.
	type fixture struct {
		e                      *env
		client, other          string
		k, otherKey            accounts.Key
		secret, otherSecret    string
		clientID, presentedSec string // what is presented; defaults to client and secret
	}
	// lastUses returns the stored last-used times of both accounts and all
	// their keys.
	lastUses := func(t *testing.T, f *fixture) map[string]time.Time {
		t.Helper()
		out := map[string]time.Time{}
		for _, name := range []string{"deployer", "other"} {
			a, err := f.e.db.GetAccountByName(f.e.ctx, "eng", name)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			out[a.ID] = a.LastUsedAt
			keys, err := f.e.db.ListKeys(f.e.ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				out[k.ID] = k.LastUsedAt
			}
		}
		return out
	}
	tests := []struct {
		name   string
		reason string // part of the error message, which is meant for the server log
		setup  func(t *testing.T, f *fixture)
	}{
		{"refuses an empty secret", "malformed", func(t *testing.T, f *fixture) { f.presentedSec = "" }},
		{"refuses a secret without the iamd shape", "malformed", func(t *testing.T, f *fixture) { f.presentedSec = "hunter2" }},
		{"refuses a secret with a wrong checksum", "malformed", func(t *testing.T, f *fixture) {
			s := []byte(f.secret)
			s[30] = map[bool]byte{true: 'b', false: 'a'}[s[30] == 'a']
			f.presentedSec = string(s)
		}},
		{"refuses a secret with whitespace around it", "malformed", func(t *testing.T, f *fixture) { f.presentedSec = f.secret + " " }},
		{"refuses a well-formed secret of an unknown key", "unknown key", func(t *testing.T, f *fixture) {
			f.presentedSec = forge("abcdefghijklmnop", strings.Repeat("q", 52))
		}},
		{"refuses the secret of a deleted key", "unknown key", func(t *testing.T, f *fixture) {
			if err := f.e.svc.DeleteKey(f.e.ctx, sys, f.k.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"refuses a forged secret for a real key id", "wrong secret", func(t *testing.T, f *fixture) {
			f.presentedSec = forge(f.k.ID, strings.Repeat("q", 52))
		}},
		{"refuses another key's secret with this key's id swapped in", "wrong secret", func(t *testing.T, f *fixture) {
			_, s2 := f.e.key(t, f.client, accounts.NewKey{})
			f.presentedSec = forge(f.k.ID, s2[len(s2)-59:len(s2)-7])
		}},
		{"refuses a secret of another client", "belongs to", func(t *testing.T, f *fixture) {
			f.presentedSec = f.otherSecret
		}},
		{"refuses a client's secret presented with another client id", "belongs to", func(t *testing.T, f *fixture) {
			f.clientID = f.other
		}},
		{"refuses a secret presented with an unknown client id", "belongs to", func(t *testing.T, f *fixture) {
			f.clientID = "nobody@eng.iam"
		}},
		{"refuses a secret presented with the same name in another organization", "belongs to", func(t *testing.T, f *fixture) {
			f.e.create(t, accounts.NewAccount{OrgID: "acme", Name: "deployer"})
			f.clientID = "deployer@acme.iam"
		}},
		{"refuses a secret presented with a malformed client id", "belongs to", func(t *testing.T, f *fixture) {
			f.clientID = "deployer"
		}},
		{"refuses a secret presented with an uppercased client id", "belongs to", func(t *testing.T, f *fixture) {
			f.clientID = strings.ToUpper(f.client)
		}},
		{"refuses an empty client id", "belongs to", func(t *testing.T, f *fixture) { f.clientID = "" }},
		{"refuses an inactive key", "is inactive", func(t *testing.T, f *fixture) {
			if _, _, err := f.e.svc.SetKeyActive(f.e.ctx, sys, f.k.ID, false); err != nil {
				t.Fatal(err)
			}
		}},
		{"refuses a key at its expiry time", "is expired", func(t *testing.T, f *fixture) {
			k, s := f.e.key(t, f.client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
			f.k, f.presentedSec = k, s
			f.e.clock.Set(start.Add(time.Hour))
		}},
		{"refuses a key long after its expiry", "is expired", func(t *testing.T, f *fixture) {
			k, s := f.e.key(t, f.client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
			f.k, f.presentedSec = k, s
			f.e.clock.Advance(365 * 24 * time.Hour)
		}},
		{"refuses a key retired by rotation without grace", "is inactive", func(t *testing.T, f *fixture) {
			if _, err := f.e.svc.RotateKey(f.e.ctx, sys, f.k.ID, accounts.Rotation{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"refuses an archived account", "archived", func(t *testing.T, f *fixture) {
			if _, err := f.e.svc.Archive(f.e.ctx, sys, f.client); err != nil {
				t.Fatal(err)
			}
		}},
		{"refuses a deleted account", "unknown key", func(t *testing.T, f *fixture) {
			if err := f.e.svc.Delete(f.e.ctx, sys, f.client); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			f := &fixture{e: e, client: e.account(t, "deployer"), other: e.account(t, "other")}
			f.k, f.secret = e.key(t, f.client, accounts.NewKey{})
			f.otherKey, f.otherSecret = e.key(t, f.other, accounts.NewKey{})
			// The unchanged credentials work, so a refusal below is the
			// setup's doing.
			e.authOK(t, f.client, f.secret, f.k.ID)

			f.clientID, f.presentedSec = f.client, f.secret
			tt.setup(t, f)
			if err := e.usage.Flush(e.ctx); err != nil {
				t.Fatal(err)
			}
			usedBefore := lastUses(t, f)
			e.clock.Advance(time.Millisecond)
			c, err := e.svc.Authenticate(e.ctx, f.clientID, f.presentedSec)
			if !errors.Is(err, accounts.ErrAuthentication) {
				t.Fatalf("Authenticate(%q, %q) = %+v, %v; want an error wrapping ErrAuthentication", f.clientID, f.presentedSec, c, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not give the reason %q", err, tt.reason)
			}
			if c.Key.ID != "" || c.Account.ID != "" {
				t.Errorf("refused Authenticate returned a credential %+v", c)
			}
			// A refusal is not a use.
			if err := e.usage.Flush(e.ctx); err != nil {
				t.Fatal(err)
			}
			if after := lastUses(t, f); !maps.EqualFunc(after, usedBefore, time.Time.Equal) {
				t.Errorf("refused attempt changed last-used times from %v to %v", usedBefore, after)
			}
		})
	}
}

func TestAuthenticateReportsStoreFailuresAsSuch(t *testing.T) {
	e := newEnv(t)
	client := e.account(t, "deployer")
	_, secret := e.key(t, client, accounts.NewKey{})
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.svc.Authenticate(ctx, client, secret)
	if err == nil {
		t.Fatal("Authenticate with a cancelled context succeeded")
	}
	if errors.Is(err, accounts.ErrAuthentication) {
		t.Errorf("store failure %v reported as a refused credential", err)
	}
}
