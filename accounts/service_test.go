package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
)

func ptr[T any](v T) *T { return &v }

func TestCreateAccount(t *testing.T) {
	t.Run("stores the account with its fields and no key or role", func(t *testing.T) {
		e := newEnv(t)
		a, err := e.svc.Create(e.ctx, rbac.System("alice"), accounts.NewAccount{
			OrgID: "eng", Name: "deployer", DisplayName: "Deployer", Description: "Deploys.\nNightly.", AllowedAudiences: []string{"https://api.example.com"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID || got.ID == "" || got.ID == "deployer" {
			t.Errorf("internal id %q (created %q), want a fresh internal id", got.ID, a.ID)
		}
		if got.OrgID != "eng" || got.Name != "deployer" || got.DisplayName != "Deployer" ||
			got.Description != "Deploys.\nNightly." || got.System || got.CreatedBy != "alice" {
			t.Errorf("stored %+v", got)
		}
		if !slices.Equal(got.AllowedAudiences, []string{"https://api.example.com"}) {
			t.Errorf("audiences %v", got.AllowedAudiences)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, start)
		sameTime(t, "UpdatedAt", got.UpdatedAt, start)
		if !got.ArchivedAt.IsZero() || !got.LastUsedAt.IsZero() || got.Status() != accounts.StatusActive {
			t.Errorf("new account archived at %v, last used %v, status %q", got.ArchivedAt, got.LastUsedAt, got.Status())
		}
		if keys := e.keyIDs(t, "deployer@eng.iam"); len(keys) != 0 {
			t.Errorf("new account has keys %v", keys)
		}
		if r, err := e.orgs.SubjectRights(e.ctx, a.ID); err != nil || len(r.Effective())+len(r.Inactive) != 0 {
			t.Errorf("a new account holds %+v (%v); want nothing", r, err)
		}
	})
	t.Run("defaults the display name to the id", func(t *testing.T) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if a.DisplayName != "deployer" {
			t.Errorf("display name %q, want %q", a.DisplayName, "deployer")
		}
		got, _ := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
		if got.DisplayName != "deployer" {
			t.Errorf("stored display name %q, want %q", got.DisplayName, "deployer")
		}
	})
	t.Run("stores empty rather than nil scope and audience lists", func(t *testing.T) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if a.AllowedAudiences == nil || len(a.AllowedAudiences) != 0 {
			t.Errorf("audiences %#v; want an empty list", a.AllowedAudiences)
		}
	})
	t.Run("stores times at millisecond precision in UTC", func(t *testing.T) {
		e := newEnv(t)
		fine := time.Date(2031, 3, 4, 5, 6, 7, 987654321, time.FixedZone("X", -5*3600))
		e.clock.Set(fine)
		e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		got, _ := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
		if want := storage.Time(fine); !got.CreatedAt.Equal(want) || got.CreatedAt.Nanosecond() != 987000000 {
			t.Errorf("CreatedAt %v, want %v", got.CreatedAt, want)
		}
	})
	t.Run("allows the same name in another organization", func(t *testing.T) {
		e := newEnv(t)
		e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		b := e.create(t, accounts.NewAccount{OrgID: "acme", Name: "deployer"})
		got, err := e.svc.Get(e.ctx, sys, "deployer@acme.iam")
		if err != nil || got.ID != b.ID {
			t.Errorf("Get(deployer@acme.iam) = %+v, %v", got, err)
		}
	})
	t.Run("refuses a duplicate name with a conflict", func(t *testing.T) {
		e := newEnv(t)
		first := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer", DisplayName: "First"})
		_, err := e.svc.Create(e.ctx, sys, accounts.NewAccount{OrgID: "eng", Name: "deployer", DisplayName: "Second"})
		wantErr(t, err, storage.ErrConflict)
		if !strings.Contains(err.Error(), "deployer@eng.iam") {
			t.Errorf("error %q does not name the client id", err)
		}
		got, _ := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
		if got.ID != first.ID || got.DisplayName != "First" {
			t.Errorf("first account replaced: %+v", got)
		}
	})
	t.Run("refuses an unknown organization as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Create(e.ctx, sys, accounts.NewAccount{OrgID: "nowhere", Name: "deployer"})
		wantErr(t, err, storage.ErrNotFound)
	})

	invalid := []struct {
		name  string
		in    accounts.NewAccount
		field string
	}{
		{"refuses an invalid account id", accounts.NewAccount{Name: "Deployer"}, "account id"},
		{"refuses a two-character account id", accounts.NewAccount{Name: "de"}, "account id"},
		{"refuses a display name on two lines", accounts.NewAccount{DisplayName: "a\nb"}, "display name"},
		{"refuses a display name over 100 characters", accounts.NewAccount{DisplayName: strings.Repeat("d", 101)}, "display name"},
		{"refuses a description over 1000 characters", accounts.NewAccount{Description: strings.Repeat("d", 1001)}, "description"},
		{"refuses a description with a control character", accounts.NewAccount{Description: "a\x1bb"}, "description"},
		{"refuses an audience with a space", accounts.NewAccount{AllowedAudiences: []string{"https://a b"}}, "audience"},
		{"refuses an empty audience", accounts.NewAccount{AllowedAudiences: []string{""}}, "audience"},
		{"refuses an audience over 500 characters", accounts.NewAccount{AllowedAudiences: []string{strings.Repeat("a", 501)}}, "audience"},
		{"refuses a duplicate audience", accounts.NewAccount{AllowedAudiences: []string{"api", "api"}}, "listed twice"},
		{"refuses more than 20 audiences", accounts.NewAccount{AllowedAudiences: manyStrings("aud", 21)}, "at most 20 allowed audiences"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			in := tt.in
			in.OrgID = "eng"
			if in.Name == "" {
				in.Name = "deployer"
			}
			_, err := e.svc.Create(e.ctx, sys, in)
			wantErr(t, err, storage.ErrInvalid)
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not mention %q", err, tt.field)
			}
			as, err := e.svc.List(e.ctx, sys, accounts.ListOptions{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 0 {
				t.Errorf("invalid account stored: %+v", as)
			}
		})
	}
	t.Run("accepts the largest allowed lists", func(t *testing.T) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{
			OrgID: "eng", Name: "deployer",
			AllowedAudiences: append(manyStrings("aud", 19), strings.Repeat("a", 500)),
		})
		if len(a.AllowedAudiences) != 20 {
			t.Errorf("%d audiences; want 20", len(a.AllowedAudiences))
		}
	})
}

func manyStrings(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strings.Repeat("x", i+1)
	}
	return out
}

func TestGetAccount(t *testing.T) {
	t.Run("finds the account by client id", func(t *testing.T) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		e.create(t, accounts.NewAccount{OrgID: "eng", Name: "other"})
		got, err := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID {
			t.Errorf("Get returned account %s, want %s", got.ID, a.ID)
		}
	})
	t.Run("refuses a malformed client id as invalid", func(t *testing.T) {
		e := newEnv(t)
		e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		for _, id := range []string{"deployer", "deployer@eng", "deployer@eng.iam.example.com", "Deployer@eng.iam", ""} {
			_, err := e.svc.Get(e.ctx, sys, id)
			wantErr(t, err, storage.ErrInvalid)
			if !strings.Contains(err.Error(), "not a client id") {
				t.Errorf("Get(%q) error %q does not say why", id, err)
			}
		}
	})
	t.Run("reports an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Get(e.ctx, sys, "nobody@eng.iam")
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("uses the configured domain suffix", func(t *testing.T) {
		e := newEnv(t)
		ids := mustClientIDs(t, "example.com")
		svc := accounts.NewService(e.db, e.db, e.orgs, ids, nil, e.clock.Now)
		a, err := svc.Create(e.ctx, sys, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Get(e.ctx, sys, "deployer@eng.iam.example.com"); err != nil || got.ID != a.ID {
			t.Errorf("Get with the domain = %+v, %v", got, err)
		}
		_, err = svc.Get(e.ctx, sys, "deployer@eng.iam")
		wantErr(t, err, storage.ErrInvalid)
	})
}

func TestListAccounts(t *testing.T) {
	setup := func(t *testing.T) *env {
		e := newEnv(t)
		for _, n := range []struct{ org, name string }{
			{"eng", "zed"}, {"eng", "alpha"}, {"acme", "root-bot"}, {"eng", "mid"},
		} {
			e.create(t, accounts.NewAccount{OrgID: n.org, Name: n.name})
		}
		if _, err := e.svc.Archive(e.ctx, sys, "mid@eng.iam"); err != nil {
			t.Fatal(err)
		}
		return e
	}
	names := func(as []accounts.Account) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Name+"@"+a.OrgID)
		}
		return out
	}
	tests := []struct {
		name string
		opts accounts.ListOptions
		want []string
	}{
		{"lists every account by organization then name", accounts.ListOptions{Limit: 10},
			[]string{"root-bot@acme", "alpha@eng", "mid@eng", "zed@eng"}},
		{"keeps one organization", accounts.ListOptions{OrgID: "eng", Limit: 10},
			[]string{"alpha@eng", "mid@eng", "zed@eng"}},
		{"keeps active accounts", accounts.ListOptions{Status: accounts.StatusActive, Limit: 10},
			[]string{"root-bot@acme", "alpha@eng", "zed@eng"}},
		{"keeps archived accounts", accounts.ListOptions{Status: accounts.StatusArchived, Limit: 10},
			[]string{"mid@eng"}},
		{"caps the page at the limit", accounts.ListOptions{Limit: 2},
			[]string{"root-bot@acme", "alpha@eng"}},
		{"resumes after the given account", accounts.ListOptions{AfterOrgID: "eng", AfterName: "alpha", Limit: 10},
			[]string{"mid@eng", "zed@eng"}},
		{"combines organization, status and cursor", accounts.ListOptions{OrgID: "eng", Status: accounts.StatusActive, AfterOrgID: "eng", AfterName: "alpha", Limit: 10},
			[]string{"zed@eng"}},
		{"keeps accounts matching a search, whatever the case", accounts.ListOptions{Search: "ZE", Limit: 10},
			[]string{"zed@eng"}},
		{"takes a search of 100 characters", accounts.ListOptions{Search: strings.Repeat("é", accounts.MaxSearchLen), Limit: 10},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			as, err := e.svc.List(e.ctx, sys, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(as); !slices.Equal(got, tt.want) {
				t.Errorf("List(%+v) = %v, want %v", tt.opts, got, tt.want)
			}
		})
	}

	refused := []struct {
		name string
		opts accounts.ListOptions
		kind error
	}{
		{"refuses an unknown status", accounts.ListOptions{Status: "deleted", Limit: 10}, storage.ErrInvalid},
		{"refuses the key status inactive", accounts.ListOptions{Status: accounts.StatusInactive, Limit: 10}, storage.ErrInvalid},
		{"refuses a zero limit", accounts.ListOptions{Limit: 0}, storage.ErrInvalid},
		{"refuses a negative limit", accounts.ListOptions{Limit: -1}, storage.ErrInvalid},
		{"refuses an unknown organization", accounts.ListOptions{OrgID: "nowhere", Limit: 10}, storage.ErrNotFound},
		{"refuses a search over 100 characters", accounts.ListOptions{Search: strings.Repeat("a", accounts.MaxSearchLen+1), Limit: 10}, storage.ErrInvalid},
		{"refuses a search that is not UTF-8", accounts.ListOptions{Search: "\xff", Limit: 10}, storage.ErrInvalid},
		{"refuses a search with control characters", accounts.ListOptions{Search: "a\nb", Limit: 10}, storage.ErrInvalid},
	}
	e := setup(t)
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			as, err := e.svc.List(e.ctx, sys, tt.opts)
			wantErr(t, err, tt.kind)
			if as != nil {
				t.Errorf("List returned %v with the error", names(as))
			}
		})
	}
}

func TestUpdateAccount(t *testing.T) {
	orig := accounts.NewAccount{
		OrgID: "eng", Name: "deployer", DisplayName: "Deployer", Description: "Deploys", AllowedAudiences: []string{"api"},
	}
	tests := []struct {
		name   string
		ch     accounts.Changes
		modify func(a *accounts.Account)
	}{
		{"changes nothing but the update time without changes", accounts.Changes{}, func(a *accounts.Account) {}},
		{"changes only the display name", accounts.Changes{DisplayName: ptr("Deploy bot")},
			func(a *accounts.Account) { a.DisplayName = "Deploy bot" }},
		{"changes only the description", accounts.Changes{Description: ptr("Line one\nline two")},
			func(a *accounts.Account) { a.Description = "Line one\nline two" }},
		{"clears the description", accounts.Changes{Description: ptr("")},
			func(a *accounts.Account) { a.Description = "" }},
		{"changes only the audiences", accounts.Changes{AllowedAudiences: ptr([]string{"api", "billing"})},
			func(a *accounts.Account) { a.AllowedAudiences = []string{"api", "billing"} }},
		{"changes every field at once",
			accounts.Changes{DisplayName: ptr("D"), Description: ptr("E"), AllowedAudiences: ptr([]string{"a"})},
			func(a *accounts.Account) {
				a.DisplayName, a.Description, a.AllowedAudiences = "D", "E", []string{"a"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.create(t, orig)
			e.clock.Advance(time.Minute)
			got, err := e.svc.Update(e.ctx, sys, "deployer@eng.iam", tt.ch)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			tt.modify(&want)
			want.UpdatedAt = storage.Time(start.Add(time.Minute))
			stored, err := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []struct {
				what string
				a    accounts.Account
			}{{"returned", got}, {"stored", stored}} {
				if !sameAccount(a.a, want) {
					t.Errorf("%s account\n got %+v\nwant %+v", a.what, a.a, want)
				}
			}
		})
	}

	invalid := []struct {
		name string
		ch   accounts.Changes
	}{
		{"refuses an empty display name", accounts.Changes{DisplayName: ptr("")}},
		{"refuses a display name with a newline", accounts.Changes{DisplayName: ptr("a\nb")}},
		{"refuses a duplicate audience", accounts.Changes{AllowedAudiences: ptr([]string{"x", "x"})}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.create(t, orig)
			e.clock.Advance(time.Minute)
			_, err := e.svc.Update(e.ctx, sys, "deployer@eng.iam", tt.ch)
			wantErr(t, err, storage.ErrInvalid)
			stored, _ := e.svc.Get(e.ctx, sys, "deployer@eng.iam")
			if !sameAccount(stored, before) {
				t.Errorf("refused update changed the account\n got %+v\nwant %+v", stored, before)
			}
		})
	}
	t.Run("reports an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Update(e.ctx, sys, "nobody@eng.iam", accounts.Changes{DisplayName: ptr("x")})
		wantErr(t, err, storage.ErrNotFound)
	})
	t.Run("refuses a malformed client id as invalid", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Update(e.ctx, sys, "nobody", accounts.Changes{DisplayName: ptr("x")})
		wantErr(t, err, storage.ErrInvalid)
	})
}

// sameAccount compares accounts field by field, times as instants.
func sameAccount(a, b accounts.Account) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Name == b.Name && a.DisplayName == b.DisplayName &&
		a.Description == b.Description && a.System == b.System && a.ArchivedAt.Equal(b.ArchivedAt) &&
		slices.Equal(a.AllowedAudiences, b.AllowedAudiences) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.CreatedBy == b.CreatedBy && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.LastUsedAt.Equal(b.LastUsedAt)
}

func TestArchiveAndRestore(t *testing.T) {
	t.Run("archives an account and shows it as archived", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		at := e.clock.Advance(time.Hour)
		a, err := e.svc.Archive(e.ctx, sys, client)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "ArchivedAt", a.ArchivedAt, at)
		sameTime(t, "UpdatedAt", a.UpdatedAt, at)
		stored, _ := e.svc.Get(e.ctx, sys, client)
		if stored.Status() != accounts.StatusArchived {
			t.Errorf("status %q, want %q", stored.Status(), accounts.StatusArchived)
		}
		sameTime(t, "stored ArchivedAt", stored.ArchivedAt, at)
	})
	t.Run("keeps the first archive time when archived again", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		first := e.clock.Advance(time.Hour)
		if _, err := e.svc.Archive(e.ctx, sys, client); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		a, err := e.svc.Archive(e.ctx, sys, client)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "ArchivedAt", a.ArchivedAt, first)
	})
	t.Run("restores an archived account with its keys", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k, secret := e.key(t, client, accounts.NewKey{})
		if _, err := e.svc.Archive(e.ctx, sys, client); err != nil {
			t.Fatal(err)
		}
		e.authRefused(t, client, secret)
		at := e.clock.Advance(time.Hour)
		a, err := e.svc.Restore(e.ctx, sys, client)
		if err != nil {
			t.Fatal(err)
		}
		if !a.ArchivedAt.IsZero() || a.Status() != accounts.StatusActive {
			t.Errorf("restored account archived at %v, status %q", a.ArchivedAt, a.Status())
		}
		sameTime(t, "UpdatedAt", a.UpdatedAt, at)
		if stored, _ := e.svc.Get(e.ctx, sys, client); !stored.ArchivedAt.IsZero() {
			t.Errorf("stored archived at %v after restore", stored.ArchivedAt)
		}
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("reports an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Archive(e.ctx, sys, "nobody@eng.iam")
		wantErr(t, err, storage.ErrNotFound)
		_, err = e.svc.Restore(e.ctx, sys, "nobody@eng.iam")
		wantErr(t, err, storage.ErrNotFound)
	})
}

func TestDeleteAccount(t *testing.T) {
	t.Run("deletes the account and its keys", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		k1, secret := e.key(t, client, accounts.NewKey{})
		k2, _ := e.key(t, client, accounts.NewKey{})
		if err := e.svc.Delete(e.ctx, sys, client); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Get(e.ctx, sys, client)
		wantErr(t, err, storage.ErrNotFound)
		for _, id := range []string{k1.ID, k2.ID} {
			_, _, err := e.svc.GetKey(e.ctx, sys, id)
			wantErr(t, err, storage.ErrNotFound)
			if _, err := e.db.GetKey(e.ctx, id); err == nil {
				t.Errorf("key %s still in the store", id)
			}
		}
		e.authRefused(t, client, secret)
	})
	t.Run("deletes the account's role assignments", func(t *testing.T) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if err := e.svc.AssignRole(e.ctx, sys, "deployer@eng.iam", "acme/viewer", []rbac.Scope{{OrgID: "eng"}}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, sys, "deployer@eng.iam"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.orgs.SubjectRights(e.ctx, a.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the deleted account still has grants: %v", err)
		}
		if err := e.orgs.DeleteOrg(e.ctx, sys, "eng"); err != nil {
			t.Errorf("organization still referenced after deleting its only account: %v", err)
		}
	})
	t.Run("frees the name for a new account", func(t *testing.T) {
		e := newEnv(t)
		old := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if err := e.svc.Delete(e.ctx, sys, "deployer@eng.iam"); err != nil {
			t.Fatal(err)
		}
		again := e.create(t, accounts.NewAccount{OrgID: "eng", Name: "deployer"})
		if again.ID == old.ID {
			t.Error("new account reused the deleted account's internal id")
		}
		if keys := e.keyIDs(t, "deployer@eng.iam"); len(keys) != 0 {
			t.Errorf("new account inherited keys %v", keys)
		}
	})
	t.Run("leaves other accounts alone", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "deployer")
		other := e.account(t, "other")
		k, secret := e.key(t, other, accounts.NewKey{})
		if err := e.svc.Delete(e.ctx, sys, client); err != nil {
			t.Fatal(err)
		}
		e.authOK(t, other, secret, k.ID)
	})
	t.Run("reports an unknown account as not found", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, e.svc.Delete(e.ctx, sys, "nobody@eng.iam"), storage.ErrNotFound)
	})
}

func TestSystemAccounts(t *testing.T) {
	setup := func(t *testing.T) (*env, string, accounts.Key, string) {
		e := newEnv(t)
		a := e.create(t, accounts.NewAccount{OrgID: "acme", Name: "admin", System: true, DisplayName: "Admin"})
		if !a.System {
			t.Fatal("System flag not set")
		}
		client := e.ids.Of(a)
		k, secret := e.key(t, client, accounts.NewKey{Label: "bootstrap"})
		return e, client, k, secret
	}
	t.Run("cannot be updated", func(t *testing.T) {
		e, client, _, _ := setup(t)
		_, err := e.svc.Update(e.ctx, sys, client, accounts.Changes{DisplayName: ptr("Changed")})
		wantErr(t, err, storage.ErrForbidden)
		if a, _ := e.svc.Get(e.ctx, sys, client); a.DisplayName != "Admin" {
			t.Errorf("display name changed to %q", a.DisplayName)
		}
	})
	t.Run("cannot be archived", func(t *testing.T) {
		e, client, k, secret := setup(t)
		_, err := e.svc.Archive(e.ctx, sys, client)
		wantErr(t, err, storage.ErrForbidden)
		if a, _ := e.svc.Get(e.ctx, sys, client); !a.ArchivedAt.IsZero() {
			t.Errorf("archived at %v", a.ArchivedAt)
		}
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("cannot be restored", func(t *testing.T) {
		e, client, _, _ := setup(t)
		_, err := e.svc.Restore(e.ctx, sys, client)
		wantErr(t, err, storage.ErrForbidden)
	})
	t.Run("cannot be deleted", func(t *testing.T) {
		e, client, k, secret := setup(t)
		wantErr(t, e.svc.Delete(e.ctx, sys, client), storage.ErrForbidden)
		if _, err := e.svc.Get(e.ctx, sys, client); err != nil {
			t.Errorf("system account gone: %v", err)
		}
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("cannot deactivate its last active key", func(t *testing.T) {
		e, client, k, secret := setup(t)
		_, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, false)
		wantErr(t, err, storage.ErrConflict)
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("cannot delete its last active key", func(t *testing.T) {
		e, client, k, secret := setup(t)
		wantErr(t, e.svc.DeleteKey(e.ctx, sys, k.ID), storage.ErrConflict)
		e.authOK(t, client, secret, k.ID)
	})
	t.Run("cannot delete its last active key while an inactive one remains", func(t *testing.T) {
		e, client, k, _ := setup(t)
		spare, _ := e.key(t, client, accounts.NewKey{})
		if _, _, err := e.svc.SetKeyActive(e.ctx, sys, spare.ID, false); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.svc.DeleteKey(e.ctx, sys, k.ID), storage.ErrConflict)
	})
	t.Run("cannot delete its last unexpired key", func(t *testing.T) {
		e, client, k, _ := setup(t)
		e.key(t, client, accounts.NewKey{ExpiresAt: start.Add(time.Hour)})
		e.clock.Advance(2 * time.Hour)
		wantErr(t, e.svc.DeleteKey(e.ctx, sys, k.ID), storage.ErrConflict)
	})
	t.Run("can deactivate a key while another stays active", func(t *testing.T) {
		e, client, k, secret := setup(t)
		k2, secret2 := e.key(t, client, accounts.NewKey{})
		got, _, err := e.svc.SetKeyActive(e.ctx, sys, k.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active {
			t.Error("key still active")
		}
		e.authRefused(t, client, secret)
		e.authOK(t, client, secret2, k2.ID)
		// Now k2 is the last active key.
		_, _, err = e.svc.SetKeyActive(e.ctx, sys, k2.ID, false)
		wantErr(t, err, storage.ErrConflict)
	})
	t.Run("can delete a key while another stays active", func(t *testing.T) {
		e, client, k, _ := setup(t)
		k2, _ := e.key(t, client, accounts.NewKey{})
		if err := e.svc.DeleteKey(e.ctx, sys, k.ID); err != nil {
			t.Fatal(err)
		}
		if ids := e.keyIDs(t, client); !slices.Equal(ids, []string{k2.ID}) {
			t.Errorf("keys %v, want only %s", ids, k2.ID)
		}
	})
	t.Run("can rotate its key", func(t *testing.T) {
		e, client, k, secret := setup(t)
		rot, err := e.svc.RotateKey(e.ctx, sys, k.ID, accounts.Rotation{})
		nk, newSecret, old := rot.New, rot.Secret, rot.Old
		if err != nil {
			t.Fatal(err)
		}
		if old.Active {
			t.Error("old key still active")
		}
		e.authRefused(t, client, secret)
		e.authOK(t, client, newSecret, nk.ID)
	})
}

// A service over a database file that another service instance also uses
// sees the same accounts: nothing is cached outside the store besides usage.
func TestServicesShareTheStore(t *testing.T) {
	e := newEnv(t)
	client := e.account(t, "deployer")
	k, secret := e.key(t, client, accounts.NewKey{})
	db2, err := sqlite.Open(context.Background(), filepath.Join(e.dir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	svc2 := accounts.NewService(db2, db2, rbac.NewService(db2, db2, audit.NewLog(db2, e.clock.Now), e.clock.Now), e.ids,
		accounts.NewUsageRecorder(db2, scannedLog(t)), e.clock.Now)
	e.authOK(t, client, secret, k.ID)
	if _, err := svc2.Archive(e.ctx, sys, client); err != nil {
		t.Fatal(err)
	}
	e.authRefused(t, client, secret)
}
