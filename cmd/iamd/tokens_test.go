package main

import (
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/internal/logscan"
	"github.com/iamd/iamd/oauth"
)

// iamdStdin runs the binary with stdin as its standard input.
func iamdStdin(t *testing.T, environ []string, stdin string, args ...string) (stdout string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = environ, strings.NewReader(stdin), &out, &errOut
	err := cmd.Run()
	logscan.Check(t, "stderr of iamd", errOut.String())
	if ee, ok := err.(*exec.ExitError); ok {
		t.Logf("iamd %s: exit %d: %s", strings.Join(args, " "), ee.ExitCode(), errOut.String())
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func TestTokensRevoke(t *testing.T) {
	in := newInstance(t)
	mustIamd(t, in.env, "accounts", "create", "job", "--org", "acme", "--audiences", oauth.ManagementAudience)
	mustIamd(t, in.env, "accounts", "assign", "job@acme.iam", "--role", "acme/viewer", "--on", "acme")
	key1 := strings.Fields(mustIamd(t, in.env, "keys", "create", "job@acme.iam", "-o", "value=id,secret"))
	key2 := strings.Fields(mustIamd(t, in.env, "keys", "create", "job@acme.iam", "-o", "value=id,secret"))
	token := func(secret string) string {
		return strings.TrimSpace(mustIamd(t, in.env, "token", "--client-id", "job@acme.iam", "--client-secret", secret,
			"--resource", oauth.ManagementAudience, "-o", "value=access_token"))
	}
	works := func(tok string) bool {
		status, _ := apiRequest(t, in.url, tok, http.MethodGet, "/orgs", "")
		return status == http.StatusOK
	}

	t.Run("a token read from stdin is revoked and never echoed", func(t *testing.T) {
		tok := token(key1[1])
		if !works(tok) {
			t.Fatal("the fresh token does not work")
		}
		out, code := iamdStdin(t, in.env, tok+"\n", "tokens", "revoke", "-")
		if code != 0 || !strings.Contains(out, "revoked token") || strings.Contains(out, tok) {
			t.Fatalf("exit %d, output %q", code, out)
		}
		if works(tok) {
			t.Error("the revoked token still works")
		}
		if !works(token(key1[1])) {
			t.Error("a new token of the same key is refused")
		}
	})
	t.Run("keys deactivate --revoke-tokens revokes the key's tokens only", func(t *testing.T) {
		t1, t2 := token(key1[1]), token(key2[1])
		mustIamd(t, in.env, "keys", "deactivate", key1[0], "--revoke-tokens")
		if works(t1) {
			t.Error("a token of the deactivated key still works")
		}
		if !works(t2) {
			t.Error("a token of the other key is refused")
		}
	})
	t.Run("tokens revoke --account revokes every token of the account", func(t *testing.T) {
		t2 := token(key2[1])
		out := mustIamd(t, in.env, "tokens", "revoke", "--account", "job@acme.iam", "-o", "value=client_id")
		if out != "job@acme.iam\n" {
			t.Errorf("output %q", out)
		}
		if works(t2) {
			t.Error("a token of the account still works")
		}
	})
	t.Run("accounts archive --revoke-tokens revokes the account's tokens", func(t *testing.T) {
		time.Sleep(time.Second) // past the second of the cutoff above
		t2 := token(key2[1])
		mustIamd(t, in.env, "accounts", "archive", "job@acme.iam", "--revoke-tokens")
		mustIamd(t, in.env, "accounts", "restore", "job@acme.iam")
		if works(t2) {
			t.Error("a token issued before the archive works after the restore")
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"tokens", "revoke"},
			{"tokens", "revoke", "x", "--account", "job@acme.iam"},
			{"tokens", "revoke", "--key", key2[0]},
		} {
			if _, _, code := iamd(t, in.env, args...); code != exitUsage {
				t.Errorf("iamd %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
			}
		}
	})
}
