package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/users"
	"github.com/iamd/iamd/web"
)

// testPassword passes users.CheckPassword.
const testPassword = "correct horse battery staple"

// storedUser reads user name from the instance's SQLite database.
func storedUser(t *testing.T, dataDir, name string) users.User {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantVerifies(t *testing.T, u users.User, password string, want bool) {
	t.Helper()
	if ok, _, err := users.VerifyPassword(password, u.PasswordHash); err != nil || ok != want {
		t.Errorf("VerifyPassword for %s: %v, %v; want %v", u.Name, ok, err, want)
	}
}

func TestUsersCLI(t *testing.T) {
	in := newInstance(t)

	t.Run("create prints the generated password once, with a warning", func(t *testing.T) {
		out, errOut, code := iamd(t, in.env, "users", "create", "ana", "--org", "acme", "--display-name", "Ana Lima", "--email", "ana@example.com")
		if code != 0 {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
		var password string
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "generated" && f[1] == "password" {
				password = f[2]
			}
		}
		if password == "" {
			t.Fatalf("no generated password in:\n%s", out)
		}
		if !strings.Contains(errOut, "shown only once") || !strings.Contains(errOut, "must change it at the first sign-in") {
			t.Errorf("stderr %q lacks the warning", errOut)
		}
		wantVerifies(t, storedUser(t, in.dataDir, "ana"), password, true)
		if got := mustIamd(t, in.env, "users", "get", "ana"); strings.Contains(got, password) {
			t.Errorf("get shows the password again:\n%s", got)
		}
	})
	t.Run("create reads a chosen password from stdin and does not print it", func(t *testing.T) {
		out, code := iamdStdin(t, in.env, testPassword+"\n", "users", "create", "bob", "--org", "acme", "--password-stdin")
		if code != 0 || strings.Contains(out, testPassword) || strings.Contains(out, "generated password") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		wantVerifies(t, storedUser(t, in.dataDir, "bob"), testPassword, true)
	})
	t.Run("list shows the users in a table and as JSON", func(t *testing.T) {
		out := mustIamd(t, in.env, "users", "list")
		if !strings.Contains(out, "NAME") || !strings.Contains(out, "Ana Lima") || !strings.Contains(out, "bob") {
			t.Errorf("table:\n%s", out)
		}
		var l web.UserList
		if err := json.Unmarshal([]byte(mustIamd(t, in.env, "users", "list", "--all", "--page-size", "1", "-o", "json")), &l); err != nil || len(l.Items) != 2 {
			t.Errorf("json: %+v, %v", l, err)
		}
	})
	t.Run("get, update, disable and enable", func(t *testing.T) {
		mustIamd(t, in.env, "users", "assign", "bob", "--role", "acme/viewer", "--on", "acme")
		if out := mustIamd(t, in.env, "users", "get", "bob"); !strings.Contains(out, "acme/viewer@acme") {
			t.Errorf("get does not show the role:\n%s", out)
		}
		if out := mustIamd(t, in.env, "users", "rights", "bob"); !strings.Contains(out, "iam.users:read") {
			t.Errorf("rights:\n%s", out)
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "users", "update", "bob", "--email", "bob@example.com", "-o", "value=email")); got != "bob@example.com" {
			t.Errorf("email %q", got)
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "users", "disable", "bob", "-o", "value=status")); got != "disabled" {
			t.Errorf("status %q after disable", got)
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "users", "list", "--status", "disabled", "-o", "value=name")); got != "bob" {
			t.Errorf("disabled users %q", got)
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "users", "enable", "bob", "-o", "value=status")); got != "active" {
			t.Errorf("status %q after enable", got)
		}
		mustIamd(t, in.env, "users", "unassign", "bob", "--role", "acme/viewer", "--on", "acme")
	})
	t.Run("set-password generates one, or reads it from stdin", func(t *testing.T) {
		got := strings.TrimSpace(mustIamd(t, in.env, "users", "set-password", "bob", "-o", "value=password"))
		if got == "" || got == testPassword {
			t.Fatalf("generated %q", got)
		}
		u := storedUser(t, in.dataDir, "bob")
		wantVerifies(t, u, got, true)
		wantVerifies(t, u, testPassword, false)
		if out, code := iamdStdin(t, in.env, testPassword+"\n", "users", "set-password", "bob", "--password-stdin"); code != 0 || strings.Contains(out, testPassword) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		wantVerifies(t, storedUser(t, in.dataDir, "bob"), testPassword, true)
	})
	t.Run("accounts get an owner, shown and filtered", func(t *testing.T) {
		mustIamd(t, in.env, "accounts", "create", "sync", "--org", "acme", "--owner", "ana")
		mustIamd(t, in.env, "accounts", "create", "batch", "--org", "acme", "--owner", "bob")
		if got := strings.TrimSpace(mustIamd(t, in.env, "accounts", "list", "--owner", "ana", "-o", "value=client_id")); got != "sync@acme.iam" {
			t.Errorf("accounts of ana: %q", got)
		}
		if out := mustIamd(t, in.env, "accounts", "list"); !strings.Contains(out, "OWNER") || !strings.Contains(out, "ana") {
			t.Errorf("list:\n%s", out)
		}
		if out := mustIamd(t, in.env, "accounts", "get", "batch@acme.iam"); !strings.Contains(out, "bob") {
			t.Errorf("get:\n%s", out)
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "accounts", "update", "sync@acme.iam", "--owner", "", "-o", "value=owner")); got != "" {
			t.Errorf("owner %q after clearing", got)
		}
	})
	t.Run("delete needs --yes without a terminal", func(t *testing.T) {
		if _, _, code := iamd(t, in.env, "users", "delete", "bob"); code != 2 {
			t.Errorf("exit %d, want 2 (usage)", code)
		}
		mustIamd(t, in.env, "users", "delete", "bob", "--yes")
		if _, _, code := iamd(t, in.env, "users", "get", "bob"); code == 0 {
			t.Error("bob is still there")
		}
		if got := strings.TrimSpace(mustIamd(t, in.env, "accounts", "get", "batch@acme.iam", "-o", "value=owner")); got != "" {
			t.Errorf("owner %q after the owner's deletion", got)
		}
	})
}

func TestInitCreatesAHumanAdmin(t *testing.T) {
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	base := []string{"IAMD_DATA_DIR=" + dataDir, "IAMD_PROFILE=" + filepath.Join(tmp, "profile.json")}
	_, url := startServer(t, tmp, env(t, base...), binary+" serve --addr 127.0.0.1:0")
	environ := env(t, append(base, "IAMD_SERVER="+url)...)
	out, code := iamdStdin(t, environ, testPassword+"\n", "init", "--org", "acme", "--admin-user", "root-admin", "--admin-password-stdin")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, url+"/console/") || !strings.Contains(out, "root-admin") {
		t.Errorf("init output lacks the console or the user:\n%s", out)
	}
	if strings.Contains(out, testPassword) {
		t.Errorf("init printed the password:\n%s", out)
	}
	u := storedUser(t, dataDir, "root-admin")
	wantVerifies(t, u, testPassword, true)
	if u.MustChangePassword || u.OrgID != "acme" {
		t.Errorf("user %+v: want in acme, keeping the password it chose", u)
	}
	if got := mustIamd(t, environ, "users", "get", "root-admin", "-o", "value=roles"); !strings.Contains(got, "acme/"+rbac.RoleBootstrap+"@acme/*") {
		t.Errorf("roles %q, want the bootstrap role", got)
	}

	t.Run("a weak password is refused before anything changes", func(t *testing.T) {
		tmp := t.TempDir()
		environ := env(t, "IAMD_DATA_DIR="+filepath.Join(tmp, "data"), "IAMD_PROFILE="+filepath.Join(tmp, "profile.json"))
		if _, code := iamdStdin(t, environ, "password\n", "init", "--org", "acme", "--admin-user", "root-admin", "--admin-password-stdin"); code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		if _, code := iamdStdin(t, environ, "", "init", "--org", "acme", "--admin-user", "root-admin"); code != 2 {
			t.Errorf("without a password and a terminal: exit %d, want 2", code)
		}
	})
}
