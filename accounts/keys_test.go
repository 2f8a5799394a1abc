package accounts_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
)

func TestCreateKey(t *testing.T) {
	t.Run("returns a secret that authenticates as the new key", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret, err := e.svc.CreateKey(e.ctx, rbac.System("alice"), client, accounts.NewKey{Label: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		if !secretFormat.MatchString(secret) {
			t.Errorf("secret %q does not match %s", secret, secretFormat)
		}
		if id, ok := accounts.SecretKeyID(secret); !ok || id != k.ID {
			t.Errorf("SecretKeyID(secret) = %q, %v; want the key id %q", id, ok, k.ID)
		}
		a, _ := e.svc.Get(e.ctx, sys, client)
		if k.AccountID != a.ID || k.Kind != accounts.KindSecret || k.Label != "ci" || !k.Active ||
			k.CreatedBy != "alice" || !k.ExpiresAt.IsZero() || !k.LastUsedAt.IsZero() {
			t.Errorf("new key %+v", k)
		}
		sameTime(t, "CreatedAt", k.CreatedAt, start)
		if k.Status(e.clock.Now()) != accounts.StatusActive {
			t.Errorf("status %q, want active", k.Status(e.clock.Now()))
		}
		c := e.authOK(t, client, secret, k.ID)
		if c.Account.ID != a.ID {
			t.Errorf("authenticated as account %s, want %s", c.Account.ID, a.ID)
		}
	})
	t.Run("stores only the SHA-256 of the secret", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{Label: "ci"})
		random := secret[len(secret)-59:]
		want := sha256.Sum256([]byte(secret))

		stored, err := e.db.GetKey(e.ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		listed, err := e.svc.ListKeys(e.ctx, sys, client)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := e.svc.GetKey(e.ctx, sys, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what string
			key  accounts.Key
		}{{"returned", k}, {"stored", stored}, {"listed", listed[0]}, {"read", got}} {
			if !bytes.Equal(c.key.SecretHash, want[:]) {
				t.Errorf("%s key hash %x, want SHA-256 of the secret %x", c.what, c.key.SecretHash, want)
			}
			if bytes.Contains(c.key.SecretHash, []byte(random)) {
				t.Errorf("%s key hash holds the secret", c.what)
			}
			v := reflect.ValueOf(c.key)
			for i := range v.NumField() {
				if f := v.Field(i); f.Kind() == reflect.String && (f.String() == secret || strings.Contains(f.String(), random)) {
					t.Errorf("%s key field %s holds the secret", c.what, v.Type().Field(i).Name)
				}
			}
		}
		// Nor does the database file, its journal or anything else on disk.
		files, _ := filepath.Glob(filepath.Join(e.dir, "*"))
		if len(files) == 0 {
			t.Fatal("no database files found")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(random)) {
				t.Errorf("%s holds the secret", filepath.Base(f))
			}
		}
	})
	t.Run("makes a different secret and key id each time", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k1, s1 := e.key(t, client, accounts.NewKey{})
		k2, s2 := e.key(t, client, accounts.NewKey{})
		if k1.ID == k2.ID || s1 == s2 || bytes.Equal(k1.SecretHash, k2.SecretHash) {
			t.Errorf("two keys share id, secret or hash: %s %s", k1.ID, k2.ID)
		}
		e.authOK(t, client, s1, k1.ID)
		e.authOK(t, client, s2, k2.ID)
	})
	t.Run("keeps a future expiry at millisecond precision", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		exp := start.Add(time.Hour + 1234567*time.Nanosecond)
		k, _ := e.key(t, client, accounts.NewKey{ExpiresAt: exp})
		sameTime(t, "ExpiresAt", k.ExpiresAt, exp)
		stored, _ := e.db.GetKey(e.ctx, k.ID)
		sameTime(t, "stored ExpiresAt", stored.ExpiresAt, exp)
	})

	refused := []struct {
		name string
		in   accounts.NewKey
		kind error
	}{
		{"refuses an expiry in the past", accounts.NewKey{ExpiresAt: start.Add(-time.Second)}, storage.ErrInvalid},
		{"refuses an expiry of now", accounts.NewKey{ExpiresAt: start}, storage.ErrInvalid},
		{"refuses an expiry less than a millisecond ahead", accounts.NewKey{ExpiresAt: start.Add(time.Microsecond)}, storage.ErrInvalid},
		{"refuses a label over 100 characters", accounts.NewKey{Label: strings.Repeat("l", 101)}, storage.ErrInvalid},
		{"refuses a label with a newline", accounts.NewKey{Label: "a\nb"}, storage.ErrInvalid},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			client := e.account(t, "deployer")
			k, secret, err := e.svc.CreateKey(e.ctx, sys, client, tt.in)
			wantErr(t, err, tt.kind)
			if k.ID != "" || secret != "" {
				t.Errorf("refused CreateKey returned key %q and a secret", k.ID)
			}
			if ids := e.keyIDs(t, client); len(ids) != 0 {
				t.Errorf("refused key stored: %v", ids)
			}
		})
	}
	t.Run("refuses an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		_, _, err := e.svc.CreateKey(e.ctx, sys, "nobody@eng.iam", accounts.NewKey{})
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("refuses a malformed client id as invalid", func(t *testing.T) {
		e := newEnv(t)
		_, _, err := e.svc.CreateKey(e.ctx, sys, "nobody", accounts.NewKey{})
		wantErr(t, err, storage.ErrInvalid)
	})
	t.Run("refuses a key beyond MaxKeys, counting inactive and expired keys", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		var made []string
		for i := range accounts.MaxKeys {
			in := accounts.NewKey{}
			if i == 0 {
				in.ExpiresAt = start.Add(time.Minute)
			}
			k, _ := e.key(t, client, in)
			made = append(made, k.ID)
			e.clock.Advance(time.Millisecond)
		}
		if _, _, err := e.svc.SetKeyActive(e.ctx, sys, made[1], false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour) // the first key has expired
		_, secret, err := e.svc.CreateKey(e.ctx, sys, client, accounts.NewKey{})
		wantErr(t, err, storage.ErrConflict)
		if secret != "" {
			t.Error("refused CreateKey returned a secret")
		}
		if !strings.Contains(err.Error(), "10 keys") {
			t.Errorf("error %q does not give the limit", err)
		}
		if ids := e.keyIDs(t, client); !slices.Equal(ids, made) {
			t.Errorf("keys %v, want %v", ids, made)
		}
		// Deleting one makes room again.
		if err := e.svc.DeleteKey(e.ctx, sys, made[0]); err != nil {
			t.Fatal(err)
		}
		e.key(t, client, accounts.NewKey{})
	})
	t.Run("counts MaxKeys per account", func(t *testing.T) {
		e := newEnv(t)
		full := e.account(t, "full")
		for range accounts.MaxKeys {
			e.key(t, full, accounts.NewKey{})
		}
		other := e.account(t, "other")
		e.key(t, other, accounts.NewKey{})
	})
}

func TestListAndGetKeys(t *testing.T) {
	t.Run("lists the account's keys oldest first", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		other := e.account(t, "other")
		var want []string
		for range 3 {
			k, _ := e.key(t, client, accounts.NewKey{})
			e.key(t, other, accounts.NewKey{})
			want = append(want, k.ID)
			e.clock.Advance(time.Second)
		}
		if got := e.keyIDs(t, client); !slices.Equal(got, want) {
			t.Errorf("ListKeys = %v, want %v", got, want)
		}
	})
	t.Run("gets a key with its account", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, _ := e.key(t, client, accounts.NewKey{Label: "ci"})
		got, a, err := e.svc.GetKey(e.ctx, sys, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != k.ID || got.Label != "ci" || !bytes.Equal(got.SecretHash, k.SecretHash) {
			t.Errorf("GetKey = %+v, want %+v", got, k)
		}
		if e.ids.Of(a) != client {
			t.Errorf("GetKey account %s, want %s", e.ids.Of(a), client)
		}
	})
	t.Run("reports an unknown key as not found", func(t *testing.T) {
		e := newEnv(t)
		_, _, err := e.svc.GetKey(e.ctx, sys, "aaaaaaaaaaaaaaaa")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("reports the keys of an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.ListKeys(e.ctx, sys, "nobody@eng.iam")
		wantErr(t, err, storage.ErrNotFound)
	})
}

func TestSetKeyActive(t *testing.T) {
	t.Run("deactivating a key refuses it and activating accepts it again", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{})
		got, a, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active || got.Status(e.clock.Now()) != accounts.StatusInactive || e.ids.Of(a) != client {
			t.Errorf("SetKeyActive(false) = %+v, account %s", got, e.ids.Of(a))
		}
		if stored, _ := e.db.GetKey(e.ctx, k.ID); stored.Active {
			t.Error("stored key still active")
		}
		e.authRefused(t, client, secret)

		got, _, err = e.svc.SetKeyActive(e.ctx, sys, k.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Active {
			t.Error("SetKeyActive(true) returned an inactive key")
		}
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("deactivating an ordinary account's last key is allowed", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, _ := e.key(t, client, accounts.NewKey{})
		if _, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, false); err != nil {
			t.Errorf("SetKeyActive(false) = %v", err)
		}
	})
	t.Run("activating an active key that has expired is a conflict", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
		e.clock.Advance(time.Hour)
		_, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, true)
		wantErr(t, err, storage.ErrConflict)
		e.authRefused(t, client, secret)
	})
	t.Run("activating a deactivated key that has since expired is a conflict", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
		if _, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Hour)
		got, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, true)
		if err == nil {
			t.Errorf("SetKeyActive(true) on an expired key succeeded and returned %+v (status %q); want a conflict",
				got, got.Status(e.clock.Now()))
		}
		wantErr(t, err, storage.ErrConflict)
		if stored, _ := e.db.GetKey(e.ctx, k.ID); stored.Active {
			t.Error("expired key stored as active")
		}
		e.authRefused(t, client, secret)
	})
	t.Run("reports an unknown key as not found", func(t *testing.T) {
		e := newEnv(t)
		_, _, err := e.svc.SetKeyActive(e.ctx, sys, "aaaaaaaaaaaaaaaa", false)
		wantErr(t, err, storage.ErrNotFound)
	})
}

func TestDeleteKey(t *testing.T) {
	t.Run("deletes the key and refuses its secret", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{})
		keep, keepSecret := e.key(t, client, accounts.NewKey{})
		if err := e.svc.DeleteKey(e.ctx, sys, k.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.GetKey(e.ctx, sys, k.ID)
		wantErr(t, err, storage.ErrNotFound)
		if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{keep.ID}) {
			t.Errorf("keys %v, want %v", ids, []string{keep.ID})
		}
		e.authRefused(t, client, secret)
		e.authOK(t, client, keepSecret, keep.ID)
	})
	t.Run("reports an unknown key as not found", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, e.svc.DeleteKey(e.ctx, sys, "aaaaaaaaaaaaaaaa"), storage.ErrNotFound)
	})
	t.Run("reports a key deleted twice as not found", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, _ := e.key(t, client, accounts.NewKey{})
		if err := e.svc.DeleteKey(e.ctx, sys, k.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.svc.DeleteKey(e.ctx, sys, k.ID), storage.ErrNotFound)
	})
}

func TestRotateKey(t *testing.T) {
	t.Run("without grace deactivates the old key at once", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{Label: "ci"})
		e.clock.Advance(time.Minute)
		rot, err := e.svc.RotateKey(e.ctx, rbac.System("bob"), old.ID, accounts.Rotation{})
		nk, secret, retired := rot.New, rot.Secret, rot.Old
		if err != nil {
			t.Fatal(err)
		}
		if retired.ID != old.ID || retired.Active || !retired.ExpiresAt.IsZero() {
			t.Errorf("retired key %+v, want the old key inactive and without expiry", retired)
		}
		if nk.ID == old.ID || nk.Label != "ci" || nk.CreatedBy != "bob" || !nk.Active || !nk.ExpiresAt.IsZero() {
			t.Errorf("new key %+v, want an active key labelled like the old one", nk)
		}
		e.authRefused(t, client, oldSecret)
		e.authOK(t, client, secret, nk.ID)
		if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{old.ID, nk.ID}) {
			t.Errorf("keys %v, want old then new", ids)
		}
	})
	t.Run("with grace keeps the old key working until now plus grace", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{})
		rotatedAt := e.clock.Advance(10 * time.Minute)
		rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: time.Hour})
		nk, secret, retired := rot.New, rot.Secret, rot.Old
		if err != nil {
			t.Fatal(err)
		}
		if !retired.Active {
			t.Error("old key deactivated despite the grace period")
		}
		sameTime(t, "old key ExpiresAt", retired.ExpiresAt, rotatedAt.Add(time.Hour))
		stored, _ := e.db.GetKey(e.ctx, old.ID)
		sameTime(t, "stored old key ExpiresAt", stored.ExpiresAt, rotatedAt.Add(time.Hour))

		e.authOK(t, client, oldSecret, old.ID)
		e.authOK(t, client, secret, nk.ID)
		e.clock.Set(rotatedAt.Add(time.Hour - time.Millisecond))
		e.authOK(t, client, oldSecret, old.ID)
		e.clock.Set(rotatedAt.Add(time.Hour))
		e.authRefused(t, client, oldSecret)
		e.authOK(t, client, secret, nk.ID)
		if k, _, _ := e.svc.GetKey(e.ctx, sys, old.ID); k.Status(e.clock.Now()) != accounts.StatusExpired {
			t.Errorf("old key status %q, want expired", k.Status(e.clock.Now()))
		}
	})
	t.Run("with grace keeps an earlier existing expiry", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(30 * time.Minute)})
		rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: time.Hour})
		retired := rot.Old
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "old key ExpiresAt", retired.ExpiresAt, start.Add(30*time.Minute))
		e.clock.Set(start.Add(30 * time.Minute))
		e.authRefused(t, client, oldSecret)
	})
	t.Run("with grace shortens a later existing expiry", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(48 * time.Hour)})
		rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: time.Hour})
		retired := rot.Old
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "old key ExpiresAt", retired.ExpiresAt, start.Add(time.Hour))
		e.clock.Set(start.Add(time.Hour))
		e.authRefused(t, client, oldSecret)
	})
	t.Run("gives the new key the requested label and expiry", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, _ := e.key(t, client, accounts.NewKey{Label: "old"})
		exp := start.Add(24 * time.Hour)
		rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Label: "new", ExpiresAt: exp})
		nk, secret := rot.New, rot.Secret
		if err != nil {
			t.Fatal(err)
		}
		if nk.Label != "new" {
			t.Errorf("label %q, want %q", nk.Label, "new")
		}
		sameTime(t, "new key ExpiresAt", nk.ExpiresAt, exp)
		e.clock.Set(exp)
		e.authRefused(t, client, secret)
	})
	t.Run("refuses a negative grace period and changes nothing", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{})
		rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: -time.Second})
		secret := rot.Secret
		wantErr(t, err, storage.ErrInvalid)
		if secret != "" {
			t.Error("refused rotation returned a secret")
		}
		if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{old.ID}) {
			t.Errorf("keys %v, want only the old key", ids)
		}
		e.authOK(t, client, oldSecret, old.ID)
	})
	t.Run("refuses a new expiry in the past and changes nothing", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{})
		_, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{ExpiresAt: start.Add(-time.Hour)})
		wantErr(t, err, storage.ErrInvalid)
		if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{old.ID}) {
			t.Errorf("keys %v, want only the old key", ids)
		}
		e.authOK(t, client, oldSecret, old.ID)
	})
	t.Run("at MaxKeys fails and changes nothing", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{})
		for range accounts.MaxKeys - 1 {
			e.key(t, client, accounts.NewKey{})
		}
		before := e.keyIDs(t, client)
		for _, grace := range []time.Duration{0, time.Hour} {
			rot, err := e.svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: grace})
			nk, secret := rot.New, rot.Secret
			wantErr(t, err, storage.ErrConflict)
			if nk.ID != "" || secret != "" {
				t.Errorf("grace %v: refused rotation returned key %q and a secret", grace, nk.ID)
			}
			stored, err := e.db.GetKey(e.ctx, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !stored.Active || !stored.ExpiresAt.IsZero() {
				t.Errorf("grace %v: old key changed by a refused rotation: active %v, expires %v", grace, stored.Active, stored.ExpiresAt)
			}
			if after := e.keyIDs(t, client); !slices.Equal(after, before) {
				t.Errorf("grace %v: keys %v, want unchanged %v", grace, after, before)
			}
		}
		e.clock.Advance(48 * time.Hour)
		e.authOK(t, client, oldSecret, old.ID)
	})
	t.Run("rolls the new key back when retiring the old key fails", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		old, oldSecret := e.key(t, client, accounts.NewKey{})
		boom := errors.New("disk full")
		// The real store, except that updating a key fails after the new
		// key was written.
		svc := accounts.NewService(&failingKeyUpdates{DB: e.db, err: boom}, e.db, e.orgs, e.ids, e.usage, e.clock.Now)
		for _, grace := range []time.Duration{0, time.Hour} {
			rot, err := svc.RotateKey(e.ctx, sys, old.ID, accounts.Rotation{Grace: grace})
			nk, secret := rot.New, rot.Secret
			if !errors.Is(err, boom) {
				t.Fatalf("grace %v: RotateKey = %v, want the store's error", grace, err)
			}
			if secret != "" {
				t.Errorf("grace %v: failed rotation returned a secret for key %q", grace, nk.ID)
			}
			if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{old.ID}) {
				t.Errorf("grace %v: keys %v after a failed rotation, want only the old key", grace, ids)
			}
		}
		e.authOK(t, client, oldSecret, old.ID)
	})
	t.Run("reports an unknown key as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.RotateKey(e.ctx, sys, "aaaaaaaaaaaaaaaa", accounts.Rotation{})
		wantErr(t, err, storage.ErrNotFound)
	})
}

// failingKeyUpdates is the real store whose UpdateKey fails.
type failingKeyUpdates struct {
	*sqlite.DB
	err error
}

func (f *failingKeyUpdates) UpdateKey(context.Context, string, func(accounts.Key) (accounts.Key, error)) error {
	return f.err
}
