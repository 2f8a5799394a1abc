package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// chosen is a password that passes users.CheckPassword.
const chosen = "correct horse battery staple"

// createUser creates a user through the API.
func (f *fixture) createUser(t testing.TB, token string, in web.CreateUserRequest) web.NewUser {
	t.Helper()
	r := f.call(t, http.MethodPost, "/api/v1/users", token, in)
	wantNoStore(t, r)
	return decode[web.NewUser](t, r, http.StatusCreated)
}

// wantPassword checks that the stored hash of user name verifies password,
// the way a console sign-in does.
func (f *fixture) wantPassword(t testing.TB, name, password string, want bool) {
	t.Helper()
	u, err := f.users.Lookup(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("stored hash %q is not argon2id", u.PasswordHash)
	}
	ok, _, err := users.VerifyPassword(password, u.PasswordHash)
	if err != nil || ok != want {
		t.Errorf("VerifyPassword of %s: %v, %v; want %v", name, ok, err, want)
	}
}

func userName(u web.User) string { return u.Name }

// TestUsers manages a user from creation to deletion, and its generated
// password is answered once and lives on only as a hash.
func TestUsers(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createOrg(t, admin, "billing")

	chose := f.createUser(t, admin, web.CreateUserRequest{Name: "ana", Org: rootOrg, Email: "ana@example.com", Password: chosen})
	if chose.Password != "" || chose.DisplayName != "ana" || chose.Status != users.StatusActive || !chose.MustChangePassword {
		t.Errorf("created %+v: want no password shown, the name as display name, active, to be changed", chose)
	}
	f.wantPassword(t, "ana", chosen, true)

	gen := f.createUser(t, admin, web.CreateUserRequest{Name: "bob", Org: "billing", DisplayName: "Bob"})
	if gen.Password == "" || users.CheckPassword(gen.Password, "bob") != nil {
		t.Fatalf("generated password %q: want one that passes the rules", gen.Password)
	}
	f.wantPassword(t, "bob", gen.Password, true)
	hash := func() string {
		u, err := f.users.Lookup(context.Background(), "bob")
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}

	f.runSteps(t, admin, []step{
		{name: "the user is shown without its password or hash", method: http.MethodGet, path: "/api/v1/users/bob", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				wantNoSecret(t, r, gen.Password, hash())
				if u := decode[web.User](t, r, http.StatusOK); u.Org != "billing" || u.LastLoginAt != nil || u.Roles == nil {
					t.Errorf("got %+v: want billing, never signed in, roles listed", u)
				}
			}},
		{name: "the list is by name, without passwords", method: http.MethodGet, path: "/api/v1/users", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				wantNoSecret(t, r, gen.Password, hash())
				wantItems(userName, "ana", "bob")(t, r)
			}},
		{name: "pages follow each other by name", method: http.MethodGet, path: "/api/v1/users?page_size=1", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				l := decode[web.UserList](t, r, http.StatusOK)
				if len(l.Items) != 1 || l.Items[0].Name != "ana" || l.NextPageToken == "" {
					t.Fatalf("first page %+v", l)
				}
				next := decode[web.UserList](t, f.call(t, http.MethodGet, "/api/v1/users?page_size=1&page_token="+l.NextPageToken, admin, nil), http.StatusOK)
				if len(next.Items) != 1 || next.Items[0].Name != "bob" || next.NextPageToken != "" {
					t.Errorf("second page %+v", next)
				}
			}},
		{name: "a malformed page token is refused", method: http.MethodGet, path: "/api/v1/users?page_token=!!", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the list filters by organization", method: http.MethodGet, path: "/api/v1/users?org=billing", status: http.StatusOK,
			check: wantItems(userName, "bob")},
		{name: "a taken name is a conflict", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "bob", Org: rootOrg}, status: http.StatusConflict, code: "conflict"},
		{name: "a weak password is refused", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "cy", Org: rootOrg, Password: "password"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an unknown field is refused", method: http.MethodPost, path: "/api/v1/users",
			body: `{"name":"cyd","org":"acme","password_hash":"x"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "an organization is required", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "cyd"}, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "the display name and email change", method: http.MethodPatch, path: "/api/v1/users/ana",
			body: `{"display_name":"Ana Lima","email":""}`, status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if u := decode[web.User](t, r, http.StatusOK); u.DisplayName != "Ana Lima" || u.Email != "" {
					t.Errorf("got %+v", u)
				}
			}},
		{name: "a malformed email is refused", method: http.MethodPatch, path: "/api/v1/users/ana",
			body: `{"email":"not an address"}`, status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "disabling shows the user disabled", method: http.MethodPost, path: "/api/v1/users/bob/disable", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if u := decode[web.User](t, r, http.StatusOK); u.Status != users.StatusDisabled || u.DisabledAt == nil {
					t.Errorf("got %+v", u)
				}
			}},
		{name: "the list filters by status", method: http.MethodGet, path: "/api/v1/users?status=disabled", status: http.StatusOK,
			check: wantItems(userName, "bob")},
		{name: "an unknown status is refused", method: http.MethodGet, path: "/api/v1/users?status=gone", status: http.StatusBadRequest, code: "invalid_argument"},
		{name: "enabling brings it back", method: http.MethodPost, path: "/api/v1/users/bob/enable", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if u := decode[web.User](t, r, http.StatusOK); u.Status != users.StatusActive || u.DisabledAt != nil {
					t.Errorf("got %+v", u)
				}
			}},
		{name: "an unknown user is not found", method: http.MethodGet, path: "/api/v1/users/nobody", status: http.StatusNotFound, code: "not_found"},
	})

	t.Run("a new password is generated, shown once, and replaces the old", func(t *testing.T) {
		r := f.call(t, http.MethodPost, "/api/v1/users/bob/password", admin, nil)
		wantNoStore(t, r)
		u := decode[web.NewUser](t, r, http.StatusOK)
		if u.Password == "" || u.Password == gen.Password || !u.MustChangePassword {
			t.Fatalf("got %+v", u)
		}
		f.wantPassword(t, "bob", u.Password, true)
		f.wantPassword(t, "bob", gen.Password, false)
		wantNoSecret(t, f.call(t, http.MethodGet, "/api/v1/users/bob", admin, nil), u.Password)
	})
	t.Run("a given password is set and not answered", func(t *testing.T) {
		u := decode[web.NewUser](t, f.call(t, http.MethodPost, "/api/v1/users/bob/password", admin, web.SetPasswordRequest{Password: chosen}), http.StatusOK)
		if u.Password != "" {
			t.Errorf("answered the password given: %+v", u)
		}
		f.wantPassword(t, "bob", chosen, true)
	})
	t.Run("no password reaches the log or the audit log", func(t *testing.T) {
		r := f.call(t, http.MethodGet, "/api/v1/audit", admin, nil)
		wantNoSecret(t, r, chosen, gen.Password, hash(), "$argon2id$")
		if !strings.Contains(string(r.Body), "user.set-password") {
			t.Errorf("the audit log has no user.set-password: %.500s", r.Body)
		}
		for _, p := range []string{chosen, gen.Password, "argon2id"} {
			if strings.Contains(f.logs.String(), p) {
				t.Errorf("the server log holds %q", p)
			}
		}
	})
	f.runSteps(t, admin, []step{
		{name: "the user is deleted", method: http.MethodDelete, path: "/api/v1/users/bob", status: http.StatusNoContent},
		{name: "and is gone", method: http.MethodGet, path: "/api/v1/users/bob", status: http.StatusNotFound, code: "not_found"},
	})
}

// TestUserRights holds the users API to iam.users and the rules of
// assignments.
func TestUserRights(t *testing.T) { onBothBackends(t, testUserRights) }

func testUserRights(t *testing.T, opts ...option) {
	f, admin := rightsFixture(t, opts...)
	f.createUser(t, admin, web.CreateUserRequest{Name: "ana", Org: "billing"})
	f.createUser(t, admin, web.CreateUserRequest{Name: "top", Org: rootOrg})
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "billing-only", Rights: []string{"iam.keys:read"}, Perimeter: []string{"billing"}})
	_, viewer := f.member(t, admin, "auditor", rootOrg, role("acme/viewer", "acme/*"))
	_, local := f.member(t, admin, "local-admin", "billing", role("acme/admin", "billing"))

	f.runSteps(t, viewer, []step{
		{name: "a viewer lists users", method: http.MethodGet, path: "/api/v1/users", status: http.StatusOK, check: wantItems(userName, "ana", "top")},
		{name: "a viewer reads a user", method: http.MethodGet, path: "/api/v1/users/ana", status: http.StatusOK},
		{name: "a viewer cannot create one", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "cyd", Org: rootOrg}, status: http.StatusForbidden, check: wantMissing("acme", "iam.users:write")},
		{name: "nor set a password", method: http.MethodPost, path: "/api/v1/users/ana/password", status: http.StatusForbidden,
			check: wantMissing("billing", "iam.users:write")},
		{name: "nor disable one", method: http.MethodPost, path: "/api/v1/users/ana/disable", status: http.StatusForbidden,
			check: wantMissing("billing", "iam.users:archive")},
		{name: "nor delete one", method: http.MethodDelete, path: "/api/v1/users/ana", status: http.StatusForbidden,
			check: wantMissing("billing", "iam.users:delete")},
	})
	f.runSteps(t, local, []step{
		{name: "an admin of billing lists billing's users only", method: http.MethodGet, path: "/api/v1/users", status: http.StatusOK,
			check: wantItems(userName, "ana")},
		{name: "it creates users in billing", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "cyd", Org: "billing"}, status: http.StatusCreated},
		{name: "not in the root", method: http.MethodPost, path: "/api/v1/users",
			body: web.CreateUserRequest{Name: "dee", Org: rootOrg}, status: http.StatusForbidden, check: wantMissing("acme", "iam.users:write")},
		{name: "it cannot read a user of the root", method: http.MethodGet, path: "/api/v1/users/top", status: http.StatusForbidden,
			check: wantMissing("acme", "iam.users:read")},
	})
	f.runSteps(t, admin, []step{
		{name: "ana gets a role on billing-eu, beyond the billing admin's reach", method: http.MethodPost, path: "/api/v1/users/ana/assignments",
			body: role("acme/viewer", "billing-eu"), status: http.StatusNoContent},
		{name: "rule 3: a role cannot be given to a user outside its perimeter", method: http.MethodPost, path: "/api/v1/users/top/assignments",
			body: role("acme/billing-only", "sales"), status: http.StatusBadRequest, check: wantRule(3)},
		{name: "rule 2: a user of billing cannot be given a role on sales", method: http.MethodPost, path: "/api/v1/users/ana/assignments",
			body: role("acme/viewer", "sales"), status: http.StatusBadRequest, check: wantRule(2)},
		{name: "a user joins a group", method: http.MethodPost, path: "/api/v1/users/top/assignments",
			body: web.AssignRequest{Group: "acme/finance"}, status: http.StatusNoContent},
		{name: "its rights list the role with where it comes from", method: http.MethodGet, path: "/api/v1/users/ana/rights", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				got := decode[web.UserRights](t, r, http.StatusOK)
				if got.Name != "ana" || len(got.Roles) != 1 || got.Roles[0] != "acme/viewer@billing-eu" || len(got.Rights) == 0 {
					t.Errorf("rights %+v", got)
				}
				for _, e := range got.Rights {
					if e.Org != "billing-eu" || e.Role != "acme/viewer" {
						t.Errorf("right %+v, want on billing-eu from acme/viewer", e)
					}
				}
			}},
		{name: "the user shows its roles and groups", method: http.MethodGet, path: "/api/v1/users/top", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				if u := decode[web.User](t, r, http.StatusOK); len(u.Groups) != 1 || u.Groups[0] != "acme/finance" {
					t.Errorf("groups %q", u.Groups)
				}
			}},
		{name: "a group is left", method: http.MethodDelete, path: "/api/v1/users/top/assignments?group=acme/finance", status: http.StatusNoContent},
	})
	f.runSteps(t, local, []step{
		{name: "the billing admin cannot set the password of a user holding more than it does", method: http.MethodPost,
			path: "/api/v1/users/ana/password", status: http.StatusForbidden, code: "forbidden",
			check: func(t *testing.T, r *response) {
				if e := decode[web.ErrorBody](t, r, http.StatusForbidden); e.Missing == nil || e.Missing.Org != "billing-eu" {
					t.Errorf("error %+v: want a right missing on billing-eu", e)
				}
			}},
		{name: "it may once the role is gone", method: http.MethodPost, path: "/api/v1/users/cyd/password", status: http.StatusOK},
	})
	f.runSteps(t, admin, []step{
		{name: "the role is unassigned", method: http.MethodDelete, path: "/api/v1/users/ana/assignments?role=acme/viewer&on=billing-eu", status: http.StatusNoContent},
	})
	f.runSteps(t, local, []step{
		{name: "and then the billing admin may set ana's password", method: http.MethodPost, path: "/api/v1/users/ana/password", status: http.StatusOK},
	})
}

// TestAccountOwners gives accounts to users: shown by name, filtered, and
// cleared, by a PATCH or the owner's deletion.
func TestAccountOwners(t *testing.T) {
	f := newFixture(t)
	admin := f.adminToken(t)
	f.createUser(t, admin, web.CreateUserRequest{Name: "ana", Org: rootOrg})
	f.createUser(t, admin, web.CreateUserRequest{Name: "bob", Org: rootOrg})
	a := f.createAccount(t, admin, web.CreateAccountRequest{ID: "sync", Org: rootOrg, Owner: "ana"})
	if a.Owner == nil || *a.Owner != "ana" {
		t.Fatalf("owner %v, want ana", a.Owner)
	}
	f.createAccount(t, admin, web.CreateAccountRequest{ID: "batch", Org: rootOrg, Owner: "bob"})
	f.createAccount(t, admin, web.CreateAccountRequest{ID: "lone", Org: rootOrg})
	clientID := func(a web.Account) string { return a.ClientID }
	owner := func(want string) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			a := decode[web.Account](t, r, http.StatusOK)
			switch {
			case want == "" && a.Owner != nil:
				t.Errorf("owner %q, want none", *a.Owner)
			case want != "" && (a.Owner == nil || *a.Owner != want):
				t.Errorf("owner %v, want %s", a.Owner, want)
			}
		}
	}
	f.runSteps(t, admin, []step{
		{name: "the list shows each owner", method: http.MethodGet, path: "/api/v1/accounts", status: http.StatusOK,
			check: func(t *testing.T, r *response) {
				got := map[string]string{}
				for _, a := range decode[web.AccountList](t, r, http.StatusOK).Items {
					if a.Owner != nil {
						got[a.ID] = *a.Owner
					}
				}
				if len(got) != 2 || got["sync"] != "ana" || got["batch"] != "bob" {
					t.Errorf("owners %v", got)
				}
			}},
		{name: "the list filters by owner", method: http.MethodGet, path: "/api/v1/accounts?owner=ana", status: http.StatusOK,
			check: wantItems(clientID, "sync@acme.iam")},
		{name: "an unknown owner filter is not found", method: http.MethodGet, path: "/api/v1/accounts?owner=nobody", status: http.StatusNotFound, code: "not_found"},
		{name: "an unknown owner is refused at creation", method: http.MethodPost, path: "/api/v1/accounts",
			body: web.CreateAccountRequest{ID: "x", Org: rootOrg, Owner: "nobody"}, status: http.StatusNotFound, code: "not_found"},
		{name: "one account shows its owner", method: http.MethodGet, path: "/api/v1/accounts/sync@acme.iam", status: http.StatusOK, check: owner("ana")},
		{name: "the owner changes", method: http.MethodPatch, path: "/api/v1/accounts/sync@acme.iam", body: `{"owner":"bob"}`, status: http.StatusOK, check: owner("bob")},
		{name: "an unknown owner is refused in a change", method: http.MethodPatch, path: "/api/v1/accounts/sync@acme.iam",
			body: `{"owner":"nobody"}`, status: http.StatusNotFound, code: "not_found"},
		{name: "an empty owner clears it", method: http.MethodPatch, path: "/api/v1/accounts/sync@acme.iam", body: `{"owner":""}`, status: http.StatusOK, check: owner("")},
		{name: "a change without owner keeps it", method: http.MethodPatch, path: "/api/v1/accounts/batch@acme.iam", body: `{"description":"x"}`, status: http.StatusOK, check: owner("bob")},
		{name: "deleting the owner", method: http.MethodDelete, path: "/api/v1/users/bob", status: http.StatusNoContent},
		{name: "leaves its accounts without an owner", method: http.MethodGet, path: "/api/v1/accounts/batch@acme.iam", status: http.StatusOK, check: owner("")},
		{name: "and the accounts are still there", method: http.MethodGet, path: "/api/v1/accounts?owner=ana", status: http.StatusOK, check: wantItems(clientID)},
	})

	// A caller who may write accounts but not read users learns nothing
	// of who exists from the owner field.
	f.createRole(t, admin, web.CreateRoleRequest{Org: rootOrg, Name: "account-writer",
		Rights: []string{"iam.service-accounts:read", "iam.service-accounts:write"}})
	_, writer := f.member(t, admin, "writer", rootOrg, role(rootOrg+"/account-writer", rootOrg))
	unknown := f.call(t, http.MethodPost, "/api/v1/accounts", writer, web.CreateAccountRequest{ID: "y", Org: rootOrg, Owner: "nobody"})
	hidden := f.call(t, http.MethodPost, "/api/v1/accounts", writer, web.CreateAccountRequest{ID: "y", Org: rootOrg, Owner: "ana"})
	if unknown.Status != http.StatusNotFound || hidden.Status != http.StatusNotFound {
		t.Fatalf("owner unknown: %d, owner not readable: %d; want 404 for both", unknown.Status, hidden.Status)
	}
	if u, h := strings.ReplaceAll(string(unknown.Body), "nobody", "ana"), string(hidden.Body); u != h {
		t.Errorf("the answers differ:\n%s\n%s", u, h)
	}
}
