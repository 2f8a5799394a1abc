package storagetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

func user(id, orgID, name string) users.User {
	return users.User{
		ID: id, OrgID: orgID, Name: name, DisplayName: "User " + name, Email: name + "@example.com",
		PasswordHash: "$argon2id$hash-of-" + name, CreatedAt: storage.Time(t0), CreatedBy: "test",
		UpdatedAt: storage.Time(t0), PasswordChangedAt: storage.Time(t0),
	}
}

func session(id, userID string, created time.Time) users.Session {
	return users.Session{
		ID: []byte("sha256 of " + id), UserID: userID, CreatedAt: storage.Time(created),
		SeenAt: storage.Time(created), ExpiresAt: storage.Time(created.Add(12 * time.Hour)),
	}
}

func userNames(t *testing.T, s Store, opts users.ListOptions) []string {
	t.Helper()
	if opts.Limit == 0 {
		opts.Limit = 100
	}
	us, err := s.ListUsers(ctx, opts)
	must(t, err)
	names := []string{}
	for _, u := range us {
		names = append(names, u.Name)
	}
	return names
}

func accountNames(t *testing.T, s Store, opts accounts.ListOptions) []string {
	t.Helper()
	opts.Limit = 100
	as, err := s.ListAccounts(ctx, opts)
	must(t, err)
	names := []string{}
	for _, a := range as {
		names = append(names, a.Name)
	}
	return names
}

// rightsVersion returns the version of the authorization model, as the
// credential lookup of key k1 reads it.
func rightsVersion(t *testing.T, s Store) int64 {
	t.Helper()
	c, err := s.GetCredential(ctx, "k1")
	must(t, err)
	return c.RightsVersion
}

func userCases() {
	add("a user round-trips by ID and by name", func(t *testing.T, s Store) {
		tree(t, s)
		u := user("u1", "billing", "alice")
		u.MustChangePassword = true
		u.DisabledAt = storage.Time(t0.Add(time.Minute))
		u.LastLoginAt = storage.Time(t0.Add(2 * time.Minute))
		u.PasswordChangedAt = storage.Time(t0.Add(3 * time.Minute))
		must(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		equal(t, got, u)
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("created at %v, want UTC", got.CreatedAt)
		}
		byName, err := s.GetUserByName(ctx, "alice")
		must(t, err)
		equal(t, byName, u)
		// Zero times stay zero.
		must(t, s.CreateUser(ctx, user("u2", "acme", "bob")))
		got, err = s.GetUser(ctx, "u2")
		must(t, err)
		equal(t, got, user("u2", "acme", "bob"))
		equal(t, got.Status(), users.StatusActive)

		_, err = s.GetUser(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetUserByName(ctx, "nope")
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a user's name is unique across the tree and its organization must exist", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		wantErr(t, s.CreateUser(ctx, user("u2", "ops", "alice")), storage.ErrConflict)
		wantErr(t, s.CreateUser(ctx, user("u1", "ops", "other")), storage.ErrConflict)
		wantErr(t, s.CreateUser(ctx, user("u3", "nope", "carol")), storage.ErrConflict)
	})
	add("a user cannot take the ID of an account: both are subjects", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		wantErr(t, s.CreateUser(ctx, user("a1", "billing", "alice")), storage.ErrConflict)
	})
	add("users list by name, filtered and paged", func(t *testing.T, s Store) {
		tree(t, s)
		for _, u := range []users.User{
			user("u1", "billing", "dave"), user("u2", "ops", "alice"), user("u3", "billing", "carol"),
			user("u4", "acme", "bob"), user("u5", "ops", "erin"),
		} {
			must(t, s.CreateUser(ctx, u))
		}
		must(t, s.UpdateUser(ctx, "u3", func(u users.User) (users.User, error) {
			u.DisabledAt = storage.Time(t0)
			return u, nil
		}))
		equal(t, userNames(t, s, users.ListOptions{}), []string{"alice", "bob", "carol", "dave", "erin"})
		equal(t, userNames(t, s, users.ListOptions{Limit: 2}), []string{"alice", "bob"})
		equal(t, userNames(t, s, users.ListOptions{AfterName: "bob", Limit: 2}), []string{"carol", "dave"})
		equal(t, userNames(t, s, users.ListOptions{AfterName: "erin"}), []string{})
		equal(t, userNames(t, s, users.ListOptions{OrgID: "billing"}), []string{"carol", "dave"})
		equal(t, userNames(t, s, users.ListOptions{OrgIDs: []string{"ops", "acme"}}), []string{"alice", "bob", "erin"})
		equal(t, userNames(t, s, users.ListOptions{OrgIDs: []string{}}), []string{})
		equal(t, userNames(t, s, users.ListOptions{OrgID: "billing", OrgIDs: []string{"ops"}}), []string{})
		equal(t, userNames(t, s, users.ListOptions{Status: users.StatusDisabled}), []string{"carol"})
		equal(t, userNames(t, s, users.ListOptions{Status: users.StatusActive, OrgID: "billing"}), []string{"dave"})
		us, err := s.ListUsers(ctx, users.ListOptions{OrgID: "nope", Limit: 10})
		must(t, err)
		wantEmpty(t, us)
	})
	add("updating a user writes every field but its ID, name and creation", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		later := storage.Time(t0.Add(time.Hour))
		must(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			equal(t, u, user("u1", "billing", "alice"))
			u.ID, u.Name, u.CreatedAt, u.CreatedBy = "other", "mallory", later, "someone"
			u.OrgID, u.DisplayName, u.Email, u.PasswordHash = "ops", "Alice A.", "", "$argon2id$new"
			u.MustChangePassword, u.DisabledAt, u.UpdatedAt = true, later, later
			u.PasswordChangedAt, u.LastLoginAt = later, later
			return u, nil
		}))
		got, err := s.GetUser(ctx, "u1")
		must(t, err)
		want := user("u1", "ops", "alice")
		want.DisplayName, want.Email, want.PasswordHash = "Alice A.", "", "$argon2id$new"
		want.MustChangePassword, want.DisabledAt, want.UpdatedAt = true, later, later
		want.PasswordChangedAt, want.LastLoginAt = later, later
		equal(t, got, want)
		equal(t, got.Status(), users.StatusDisabled)

		// Enabling again clears DisabledAt.
		must(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			u.DisabledAt = time.Time{}
			return u, nil
		}))
		got, _ = s.GetUser(ctx, "u1")
		equal(t, got.Status(), users.StatusActive)

		wantErr(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			u.OrgID = "nope"
			return u, nil
		}), storage.ErrConflict)
		wantErr(t, s.UpdateUser(ctx, "nope", func(u users.User) (users.User, error) { return u, nil }), storage.ErrNotFound)
		// An error of fn is returned as is and writes nothing.
		boom := storage.Errorf(storage.ErrInvalid, "boom")
		wantErr(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			u.DisplayName = "changed"
			return u, boom
		}), boom)
		got, _ = s.GetUser(ctx, "u1")
		equal(t, got.DisplayName, "Alice A.")
	})
	add("moving a user to another organization bumps the authorization version", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		before := rightsVersion(t, s)
		must(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			u.DisplayName = "same organization"
			return u, nil
		}))
		equal(t, rightsVersion(t, s), before)
		must(t, s.UpdateUser(ctx, "u1", func(u users.User) (users.User, error) {
			u.OrgID = "ops"
			return u, nil
		}))
		if rightsVersion(t, s) == before {
			t.Error("moving a user left the authorization version as it was")
		}
	})
	add("GetUsers returns the users that exist of those asked for", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateUser(ctx, user("u2", "ops", "bob")))
		must(t, s.CreateUser(ctx, user("u3", "ops", "carol")))
		got, err := s.GetUsers(ctx, []string{"u3", "nope", "u1"})
		must(t, err)
		slices.SortFunc(got, func(a, b users.User) int { return strings.Compare(a.ID, b.ID) })
		equal(t, got, []users.User{user("u1", "billing", "alice"), user("u3", "ops", "carol")})
		for _, ids := range [][]string{nil, {}, {"nope"}} {
			got, err := s.GetUsers(ctx, ids)
			must(t, err)
			wantEmpty(t, got)
		}
	})
	add("deleting a user removes its sessions, assignments and memberships, and its accounts' owner", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		g := group("acme", "finance")
		must(t, s.CreateGroup(ctx, g))
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateUser(ctx, user("u2", "billing", "bob")))
		for _, id := range []string{"u1", "u2"} {
			must(t, s.CreateSession(ctx, session(id, id, t0)))
			must(t, s.AddRoleAssignment(ctx, assignment(id, reader().ID, "billing")))
			must(t, s.AddMembership(ctx, membership(id, g.ID)))
		}
		a1, _ := s.GetAccount(ctx, "a1")
		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OwnerID = "u1"
			return a, nil
		}))

		must(t, s.DeleteUser(ctx, "u1"))
		_, err := s.GetUser(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteUser(ctx, "u1"), storage.ErrNotFound)
		_, _, err = s.GetSession(ctx, session("u1", "u1", t0).ID)
		wantErr(t, err, storage.ErrNotFound)
		as, err := s.ListRoleAssignments(ctx, "u1")
		must(t, err)
		wantEmpty(t, as)
		ms, err := s.ListMemberships(ctx, "u1")
		must(t, err)
		wantEmpty(t, ms)
		_, err = s.LoadGrants(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		got, err := s.GetAccount(ctx, "a1")
		must(t, err)
		equal(t, got, a1)

		// The other user keeps everything.
		_, _, err = s.GetSession(ctx, session("u2", "u2", t0).ID)
		must(t, err)
		as, _ = s.ListRoleAssignments(ctx, "u2")
		equal(t, as, []rbac.RoleAssignment{assignment("u2", reader().ID, "billing")})
		ms, _ = s.ListMemberships(ctx, "u2")
		equal(t, ms, []rbac.Membership{membership("u2", g.ID)})
	})
}

func sessionCases() {
	add("a session round-trips with its user in one lookup", func(t *testing.T, s Store) {
		tree(t, s)
		u := user("u1", "billing", "alice")
		must(t, s.CreateUser(ctx, u))
		sess := session("s1", "u1", t0)
		sess.SeenAt = storage.Time(t0.Add(time.Minute))
		must(t, s.CreateSession(ctx, sess))
		got, gotUser, err := s.GetSession(ctx, bytes.Clone(sess.ID))
		must(t, err)
		equal(t, got, sess)
		equal(t, gotUser, u)
		if got.ExpiresAt.Location() != time.UTC {
			t.Errorf("expires at %v, want UTC", got.ExpiresAt)
		}
		_, _, err = s.GetSession(ctx, []byte("nope"))
		wantErr(t, err, storage.ErrNotFound)
	})
	add("a session's ID is unique and its user must exist", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateSession(ctx, session("s1", "u1", t0)))
		wantErr(t, s.CreateSession(ctx, session("s1", "u1", t0)), storage.ErrConflict)
		wantErr(t, s.CreateSession(ctx, session("s2", "nope", t0)), storage.ErrConflict)
	})
	add("touching a session moves its SeenAt; deleting it removes it", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		sess := session("s1", "u1", t0)
		must(t, s.CreateSession(ctx, sess))
		must(t, s.TouchSession(ctx, sess.ID, t0.Add(time.Hour)))
		got, _, err := s.GetSession(ctx, sess.ID)
		must(t, err)
		sess.SeenAt = storage.Time(t0.Add(time.Hour))
		equal(t, got, sess)
		wantErr(t, s.TouchSession(ctx, []byte("nope"), t0), storage.ErrNotFound)

		must(t, s.DeleteSession(ctx, sess.ID))
		_, _, err = s.GetSession(ctx, sess.ID)
		wantErr(t, err, storage.ErrNotFound)
		wantErr(t, s.DeleteSession(ctx, sess.ID), storage.ErrNotFound)
		wantErr(t, s.TouchSession(ctx, sess.ID, t0), storage.ErrNotFound)
	})
	add("deleting a user's sessions spares the one excepted and other users'", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateUser(ctx, user("u2", "billing", "bob")))
		for _, id := range []string{"s1", "s2", "s3"} {
			must(t, s.CreateSession(ctx, session(id, "u1", t0)))
		}
		must(t, s.CreateSession(ctx, session("s4", "u2", t0)))
		keep := session("s2", "u1", t0).ID
		n, err := s.DeleteUserSessions(ctx, "u1", keep)
		must(t, err)
		equal(t, n, 2)
		_, _, err = s.GetSession(ctx, keep)
		must(t, err)
		_, _, err = s.GetSession(ctx, session("s1", "u1", t0).ID)
		wantErr(t, err, storage.ErrNotFound)

		n, err = s.DeleteUserSessions(ctx, "u1", nil)
		must(t, err)
		equal(t, n, 1)
		_, _, err = s.GetSession(ctx, keep)
		wantErr(t, err, storage.ErrNotFound)
		_, _, err = s.GetSession(ctx, session("s4", "u2", t0).ID)
		must(t, err)
		n, err = s.DeleteUserSessions(ctx, "nope", nil)
		must(t, err)
		equal(t, n, 0)
	})
	add("pruning removes expired and idle sessions, up to the limit", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		now := t0.Add(24 * time.Hour)
		idleBefore := now.Add(-30 * time.Minute)
		expired := session("expired", "u1", t0)
		expired.SeenAt = storage.Time(now)
		expiresNow := session("expires-now", "u1", now.Add(-12*time.Hour))
		expiresNow.SeenAt = storage.Time(now)
		idle := session("idle", "u1", now.Add(-time.Hour))
		fresh := session("fresh", "u1", now.Add(-time.Hour))
		fresh.SeenAt = storage.Time(idleBefore) // seen at the bound: not idle yet
		for _, sess := range []users.Session{expired, expiresNow, idle, fresh} {
			must(t, s.CreateSession(ctx, sess))
		}
		n, err := s.PruneSessions(ctx, now, idleBefore, 2)
		must(t, err)
		equal(t, n, 2)
		n, err = s.PruneSessions(ctx, now, idleBefore, 10)
		must(t, err)
		equal(t, n, 1)
		n, err = s.PruneSessions(ctx, now, idleBefore, 10)
		must(t, err)
		equal(t, n, 0)
		for _, sess := range []users.Session{expired, expiresNow, idle} {
			_, _, err := s.GetSession(ctx, sess.ID)
			wantErr(t, err, storage.ErrNotFound)
		}
		_, _, err = s.GetSession(ctx, fresh.ID)
		must(t, err)
	})
}

func ownerCases() {
	add("an account's owner round-trips, everywhere the account is read", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateUser(ctx, user("u2", "ops", "bob")))
		a := account("a1", "billing", "sync")
		a.OwnerID = "u1"
		must(t, s.CreateAccount(ctx, a))
		must(t, s.CreateKey(ctx, key("k1", "a1", t0)))
		must(t, s.CreateKey(ctx, keyPair("k2", "a1", "kid")))
		got, err := s.GetAccount(ctx, "a1")
		must(t, err)
		equal(t, got, a)
		got, err = s.GetAccountByName(ctx, "billing", "sync")
		must(t, err)
		equal(t, got, a)
		c, err := s.GetCredential(ctx, "k1")
		must(t, err)
		equal(t, c.Account, a)
		cs, err := s.GetKeyPairCredentials(ctx, "billing", "sync")
		must(t, err)
		equal(t, len(cs), 1)
		equal(t, cs[0].Account, a)

		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OwnerID = "u2"
			return a, nil
		}))
		got, _ = s.GetAccount(ctx, "a1")
		equal(t, got.OwnerID, "u2")
		must(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OwnerID = ""
			return a, nil
		}))
		got, _ = s.GetAccount(ctx, "a1")
		equal(t, got, account("a1", "billing", "sync"))
	})
	add("an account's owner must be a user", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateAccount(ctx, account("a0", "billing", "other")))
		a := account("a1", "billing", "sync")
		a.OwnerID = "nope"
		wantErr(t, s.CreateAccount(ctx, a), storage.ErrConflict)
		// Nor an account, though accounts are subjects too.
		a.OwnerID = "a0"
		wantErr(t, s.CreateAccount(ctx, a), storage.ErrConflict)
		must(t, s.CreateAccount(ctx, account("a1", "billing", "sync")))
		wantErr(t, s.UpdateAccount(ctx, "a1", func(a accounts.Account) (accounts.Account, error) {
			a.OwnerID = "nope"
			return a, nil
		}), storage.ErrConflict)
		got, _ := s.GetAccount(ctx, "a1")
		equal(t, got.OwnerID, "")
	})
	add("accounts list by owner, with the other filters and paging", func(t *testing.T, s Store) {
		tree(t, s)
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.CreateUser(ctx, user("u2", "ops", "bob")))
		for _, a := range []struct{ id, org, name, owner string }{
			{"a1", "ops", "deploy", "u1"}, {"a2", "billing", "sync", "u1"}, {"a3", "billing", "audit", "u1"},
			{"a4", "billing", "export", "u2"}, {"a5", "billing", "backup", ""},
		} {
			acct := account(a.id, a.org, a.name)
			acct.OwnerID = a.owner
			must(t, s.CreateAccount(ctx, acct))
		}
		must(t, s.UpdateAccount(ctx, "a2", func(a accounts.Account) (accounts.Account, error) {
			a.ArchivedAt = storage.Time(t0)
			return a, nil
		}))
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1"}), []string{"audit", "sync", "deploy"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1", AfterOrgID: "billing", AfterName: "audit"}), []string{"sync", "deploy"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1", OrgID: "billing"}), []string{"audit", "sync"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1", OrgIDs: []string{"ops"}}), []string{"deploy"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1", Status: accounts.StatusActive}), []string{"audit", "deploy"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u2"}), []string{"export"})
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "nope"}), []string{})
		equal(t, accountNames(t, s, accounts.ListOptions{}), []string{"audit", "backup", "export", "sync", "deploy"})
		as, err := s.ListAccounts(ctx, accounts.ListOptions{OwnerID: "u1", Limit: 1})
		must(t, err)
		equal(t, len(as), 1)

		// Deleting the owner leaves its accounts without one.
		must(t, s.DeleteUser(ctx, "u1"))
		equal(t, accountNames(t, s, accounts.ListOptions{OwnerID: "u1"}), []string{})
		got, err := s.GetAccount(ctx, "a3")
		must(t, err)
		equal(t, got, account("a3", "billing", "audit"))
	})
}

func userSubjectCases() {
	add("a user holds roles directly and through groups, on its organization", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		must(t, s.CreateRole(ctx, writer()))
		finance := group("acme", "finance", pair(writer().ID, "ops"))
		must(t, s.CreateGroup(ctx, finance))
		must(t, s.CreateUser(ctx, user("u1", "billing", "alice")))
		must(t, s.AddRoleAssignment(ctx, assignment("u1", reader().ID, "billing")))
		must(t, s.AddMembership(ctx, membership("u1", finance.ID)))

		got, err := s.LoadGrants(ctx, "u1")
		must(t, err)
		equal(t, got.Org, org("/acme/billing/"))
		equal(t, got.Grants, []rbac.Grant{
			{RoleID: reader().ID, On: rbac.Scope{OrgID: "billing"}},
			{RoleID: writer().ID, On: rbac.Scope{OrgID: "ops"}, GroupID: finance.ID},
		})
		equal(t, len(got.Roles), 2)
		if _, ok := got.Groups[finance.ID]; !ok {
			t.Errorf("groups %v, want %s", got.Groups, finance.ID)
		}

		// A user of no role still has its organization.
		must(t, s.CreateUser(ctx, user("u2", "ops", "bob")))
		got, err = s.LoadGrants(ctx, "u2")
		must(t, err)
		equal(t, got.Org, org("/acme/ops/"))
		wantEmpty(t, got.Grants)
	})
	add("deleting an account still removes its assignments and memberships", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		g := group("acme", "finance")
		must(t, s.CreateGroup(ctx, g))
		must(t, s.AddRoleAssignment(ctx, assignment("a1", reader().ID, "billing")))
		must(t, s.AddMembership(ctx, membership("a1", g.ID)))
		must(t, s.DeleteAccount(ctx, "a1"))
		as, err := s.ListRoleAssignments(ctx, "a1")
		must(t, err)
		wantEmpty(t, as)
		ms, err := s.ListMemberships(ctx, "a1")
		must(t, err)
		wantEmpty(t, ms)
		// The ID is free again, for an account or a user.
		must(t, s.CreateUser(ctx, user("a1", "billing", "alice")))
	})
	add("an assignment or membership of no account or user conflicts", func(t *testing.T, s Store) {
		authz(t, s)
		must(t, s.CreateRole(ctx, reader()))
		g := group("acme", "finance")
		must(t, s.CreateGroup(ctx, g))
		wantErr(t, s.AddRoleAssignment(ctx, assignment("nobody", reader().ID, "billing")), storage.ErrConflict)
		wantErr(t, s.AddMembership(ctx, membership("nobody", g.ID)), storage.ErrConflict)
	})
}
