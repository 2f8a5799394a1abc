package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/storage/postgres/pgtest"
	"github.com/iamd/iamd/web"
)

// instance is a running iamd with an initialized database and the
// environment that makes the CLI talk to it as the admin.
type instance struct {
	proc    *process
	url     string
	env     []string
	dataDir string
}

// newInstance starts iamd serve on the embedded store and runs iamd init.
func newInstance(t *testing.T, extra ...string) *instance {
	t.Helper()
	tmp := t.TempDir()
	in := &instance{dataDir: filepath.Join(tmp, "data")}
	base := append([]string{"IAMD_DATA_DIR=" + in.dataDir, "IAMD_PROFILE=" + filepath.Join(tmp, "profile.json")}, extra...)
	in.proc, in.url = startServer(t, tmp, env(t, base...), binary+" serve --addr 127.0.0.1:0")
	in.env = env(t, append(base, "IAMD_SERVER="+in.url)...)
	mustIamd(t, in.env, "init", "--org", "acme")
	return in
}

// secretFor creates an account in acme with a key and returns its secret.
func (in *instance) secretFor(t *testing.T, account string, flags ...string) string {
	t.Helper()
	mustIamd(t, in.env, append([]string{"accounts", "create", account, "--org", "acme"}, flags...)...)
	return strings.TrimSpace(mustIamd(t, in.env, "keys", "create", account+"@acme.iam", "-o", "value=secret"))
}

func TestCLIReportsErrorsWithExitCodes(t *testing.T) {
	in := newInstance(t)
	profile, err := os.ReadFile(filepath.Join(filepath.Dir(in.dataDir), "profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	mustIamd(t, in.env, "accounts", "create", "victim", "--org", "acme")
	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"an unknown flag is a usage error", []string{"orgs", "list", "--nope"}, exitUsage, "unknown flag"},
		{"an unknown command is a usage error", []string{"bogus"}, exitUsage, `unknown command "bogus"`},
		{"an unknown subcommand is a usage error", []string{"keys", "bogus"}, exitUsage, `unknown command "bogus" for "iamd keys"`},
		{"an unknown output format is a usage error", []string{"orgs", "list", "-o", "yaml"}, exitUsage, "unknown output format"},
		{"a missing argument is a usage error", []string{"accounts", "get"}, exitUsage, "accepts 1 arg"},
		{"an account ID the server rejects is bad input", []string{"accounts", "create", "Bad_ID", "--org", "acme"}, exitUsage, `account id "Bad_ID"`},
		{"a malformed client ID is bad input", []string{"accounts", "get", "nobody"}, exitUsage, "not a client id"},
		{"an unknown account is not found", []string{"accounts", "get", "nobody@acme.iam"}, exitError, "not found"},
		{"a duplicate account conflicts", []string{"accounts", "create", "victim", "--org", "acme"}, exitError, "already exists"},
		{"deleting with no terminal to confirm on needs --yes", []string{"accounts", "delete", "victim@acme.iam"}, exitUsage, "--yes"},
		{"a system account cannot be archived", []string{"accounts", "archive", "admin@acme.iam"}, exitError, "system account"},
		{"the admin's only key cannot be deactivated", []string{"keys", "deactivate", adminKeyID(t, in)}, exitError, "must keep an active key"},
		{"a malformed expiry is a usage error", []string{"keys", "create", "victim@acme.iam", "--expires-in", "soon"}, exitUsage, "--expires-in"},
		{"a wrong secret gets the OAuth error", []string{"token", "--client-id", "victim@acme.iam", "--client-secret", "iamd_nope"}, exitError, "invalid_client"},
		{"verify refuses a token it cannot check", []string{"verify", "not.a.token"}, exitError, "not valid"},
		{"an unreachable server is reported", []string{"--server", "http://127.0.0.1:1", "orgs", "list"}, exitError, "cannot reach"},
		{"init refuses to overwrite the profile", []string{"init", "--org", "other"}, exitUsage, "already exists"},
		{"init on an initialized database says so", []string{"init", "--org", "other", "--force"}, exitError, "already initialized"},
		{"serve refuses a default audience with a fragment", []string{"serve", "--addr", "127.0.0.1:0", "--default-audience", "https://api.example.com#x"}, exitUsage, "--default-audience"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := iamd(t, in.env, c.args...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, errOut, c.code, c.says, out)
			}
		})
	}
	// The refused init left the profile as it was, and nothing was deleted.
	after, _ := os.ReadFile(filepath.Join(filepath.Dir(in.dataDir), "profile.json"))
	if string(after) != string(profile) {
		t.Fatal("a refused init changed the profile")
	}
	mustIamd(t, in.env, "accounts", "get", "victim@acme.iam")
	mustIamd(t, in.env, "accounts", "delete", "victim@acme.iam", "--yes")
	if _, _, code := iamd(t, in.env, "accounts", "get", "victim@acme.iam"); code != exitError {
		t.Fatalf("the account survived its deletion (exit %d)", code)
	}
}

func TestHelpDoesNotShowTheDatabasePassword(t *testing.T) {
	for _, cmd := range []string{"serve", "init", "migrate"} {
		out, _, code := iamd(t, env(t, "IAMD_DATABASE_URL=postgres://iamd:hunter2pw@db.example.test/iamd"), cmd, "--help")
		if code != 0 || strings.Contains(out, "hunter2pw") || !strings.Contains(out, "IAMD_DATABASE_URL") {
			t.Errorf("iamd %s --help (exit %d):\n%s", cmd, code, out)
		}
	}
}

func adminKeyID(t *testing.T, in *instance) string {
	t.Helper()
	return strings.TrimSpace(mustIamd(t, in.env, "keys", "list", "admin@acme.iam", "-o", "value=id"))
}

// TestLastUsedSurvivesRestart: last-used times are batched in memory, and a
// clean shutdown writes them.
func TestLastUsedSurvivesRestart(t *testing.T) {
	in := newInstance(t)
	secret := in.secretFor(t, "job")
	cfg := clientcredentials.Config{ClientID: "job@acme.iam", ClientSecret: secret, TokenURL: in.url + oauth.TokenPath}
	if _, err := cfg.Token(contextFor(t)); err != nil {
		t.Fatal(err)
	}
	in.proc.stop(t) // well before the periodic flush

	tmp := filepath.Dir(in.dataDir)
	_, url := startServer(t, tmp, env(t, "IAMD_DATA_DIR="+in.dataDir), binary+" serve --addr 127.0.0.1:0")
	again := env(t, "IAMD_PROFILE="+filepath.Join(tmp, "profile.json"), "IAMD_SERVER="+url)
	var acct web.Account
	if err := json.Unmarshal([]byte(mustIamd(t, again, "accounts", "get", "job@acme.iam", "-o", "json")), &acct); err != nil {
		t.Fatal(err)
	}
	if acct.LastUsedAt == nil || len(acct.Keys) != 1 || acct.Keys[0].LastUsedAt == nil {
		t.Fatalf("last used was lost across the restart: %+v", acct)
	}
}

// TestSigningKeyRotation: a rotated key is published before it signs, then
// signs, while the old one stays published.
func TestSigningKeyRotation(t *testing.T) {
	in := newInstance(t)
	secret := in.secretFor(t, "job")
	kidOf := func() string {
		cfg := clientcredentials.Config{ClientID: "job@acme.iam", ClientSecret: secret, TokenURL: in.url + oauth.TokenPath}
		tok, err := cfg.Token(contextFor(t))
		if err != nil {
			t.Fatal(err)
		}
		verifyWithJWKS(t, in.url, tok.AccessToken, in.url)
		header, _, _ := strings.Cut(tok.AccessToken, ".")
		return header
	}
	jwksKeys := func() int {
		var set struct{ Keys []any }
		getJSONOK(t, in.url+oauth.JWKSPath, &set)
		return len(set.Keys)
	}
	before := kidOf()

	mustIamd(t, in.env, "signing-keys", "rotate", "--activate-in", "1h")
	if jwksKeys() != 2 || kidOf() != before {
		t.Fatal("an upcoming key must be published without signing")
	}
	if _, errOut, code := iamd(t, in.env, "signing-keys", "rotate"); code != exitError || !strings.Contains(errOut, "already waiting") {
		t.Fatalf("a second rotation while one is pending: exit %d, %s", code, errOut)
	}
	list := mustIamd(t, in.env, "signing-keys", "list", "-o", "value=algorithm,state")
	if list != "ES256\tactive\nES256\tnext\n" {
		t.Fatalf("signing keys:\n%s", list)
	}

	in2 := newInstance(t)
	if _, errOut, code := iamd(t, in2.env, "signing-keys", "rotate", "--alg", "EdDSA", "--activate-in", "0s"); code != exitUsage || !strings.Contains(errOut, "force") {
		t.Fatalf("an immediate rotation without --force: exit %d, %s", code, errOut)
	}
	mustIamd(t, in2.env, "signing-keys", "rotate", "--alg", "EdDSA", "--activate-in", "0s", "--force")
	list = mustIamd(t, in2.env, "signing-keys", "list", "-o", "value=algorithm,state")
	if list != "ES256\tretired\nEdDSA\tactive\n" {
		t.Fatalf("signing keys after an immediate rotation:\n%s", list)
	}
	// The admin's own CLI token is now EdDSA-signed and still accepted.
	tok := strings.TrimSpace(mustIamd(t, in2.env, "token", "-o", "value=access_token"))
	if out := mustIamd(t, in2.env, "verify", tok); !strings.Contains(out, "admin@acme.iam") {
		t.Fatalf("verify: %s", out)
	}
}

// TestPostgresInstancesShareKeys runs two instances on one PostgreSQL
// database: a token from one is accepted by the other's API, and both
// publish the same keys.
func TestPostgresInstancesShareKeys(t *testing.T) {
	dbURL := pgtest.URL(t)
	tmp := t.TempDir()
	shared := []string{"IAMD_DATABASE_URL=" + dbURL, "IAMD_PROFILE=" + filepath.Join(tmp, "profile.json")}

	if _, errOut, code := iamd(t, env(t, shared...), "init", "--org", "acme"); code != exitUsage || !strings.Contains(errOut, "master key is required") {
		t.Fatalf("init on PostgreSQL without a master key: exit %d, %s", code, errOut)
	}
	shared = append(shared, "IAMD_MASTER_KEY="+oauth.GenerateMasterKey(), "IAMD_ISSUER=https://iam.example.test")
	_, a := startServer(t, tmp, env(t, shared...), binary+" serve --addr 127.0.0.1:0")
	_, b := startServer(t, tmp, env(t, shared...), binary+" serve --addr 127.0.0.1:0")
	cli := env(t, append(shared, "IAMD_SERVER="+a)...)
	mustIamd(t, cli, "init", "--org", "acme")
	mustIamd(t, cli, "orgs", "create", "billing")
	mustIamd(t, cli, "accounts", "create", "sync", "--org", "billing", "--audiences", "https://api.example.test")
	secret := strings.TrimSpace(mustIamd(t, cli, "keys", "create", "sync@billing.iam", "-o", "value=secret"))

	// An admin token from A works on B's management API.
	adminToken := strings.TrimSpace(mustIamd(t, cli, "token", "--resource", oauth.ManagementAudience, "-o", "value=access_token"))
	req, _ := http.NewRequest("GET", b+"/api/v1/accounts/sync@billing.iam", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("B refused A's admin token: %s", resp.Status)
	}
	// Both publish the same JWKS, and B issues tokens A's keys verify.
	var ja, jb json.RawMessage
	getJSONOK(t, a+oauth.JWKSPath, &ja)
	getJSONOK(t, b+oauth.JWKSPath, &jb)
	if string(ja) != string(jb) {
		t.Fatalf("the instances publish different keys:\n%s\n%s", ja, jb)
	}
	out := mustIamd(t, env(t, append(shared, "IAMD_SERVER="+b)...), "token", "--client-id", "sync@billing.iam",
		"--client-secret", secret, "--audience", "https://api.example.test", "-o", "json")
	if !strings.Contains(out, `"token_type": "Bearer"`) {
		t.Fatalf("token from B: %s", out)
	}

	// A client assertion buys one token, whichever instance sees it
	// first: replayed on B, it is refused.
	keyFile := filepath.Join(tmp, "sa-key.json")
	mustIamd(t, cli, "keys", "create", "sync@billing.iam", "--type", "key-pair", "--key-file", keyFile)
	assertion, err := signAssertion(readKeyFile(t, keyFile), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {accounts.AssertionType}, "client_assertion": {assertion}}
	for i, server := range []string{a, b} {
		resp, err := http.PostForm(server+oauth.TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := []int{http.StatusOK, http.StatusUnauthorized}[i]; resp.StatusCode != want || i == 1 && !strings.Contains(string(body), "invalid_client") {
			t.Fatalf("assertion on instance %d: %d %s, want %d", i+1, resp.StatusCode, body, want)
		}
	}

	// A key rotated in on A signs at once: B, which reloads its keys only
	// every 30 s, accepts its tokens at once all the same, and publishes it.
	mustIamd(t, cli, "signing-keys", "rotate", "--activate-in", "0s", "--force")
	fresh := strings.TrimSpace(mustIamd(t, cli, "token", "--resource", oauth.ManagementAudience, "-o", "value=access_token"))
	if jwtKid(t, fresh) == jwtKid(t, adminToken) {
		t.Fatal("the rotation did not change the signing key")
	}
	req, _ = http.NewRequest("GET", b+"/api/v1/orgs", nil)
	req.Header.Set("Authorization", "Bearer "+fresh)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("B refused a token of the key A just rotated in: %s", resp.Status)
	}
	getJSONOK(t, b+oauth.JWKSPath, &jb)
	if !strings.Contains(string(jb), jwtKid(t, fresh)) {
		t.Fatalf("B does not publish the new key: %s", jb)
	}
}

// jwtKid returns the kid of a compact JWT's header.
func jwtKid(t *testing.T, token string) string {
	t.Helper()
	first, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil || h.Kid == "" {
		t.Fatalf("JWT header %s: %v", raw, err)
	}
	return h.Kid
}
