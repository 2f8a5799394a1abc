package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/iamd/iamd/internal/logscan"
)

// TestREADME follows the README on a fresh data directory: its run command
// serves, its session yields a key and a token that `iamd verify` accepts,
// its curl command and its Go client get tokens too, and all of them verify
// against the JWKS with go-jose alone.
func TestREADME(t *testing.T) {
	root, tmp := repoRoot(t), t.TempDir()
	readme := blocks(t, filepath.Join(root, "README.md"))

	// The run command, on a free port and a temporary data directory.
	runCmd, _, _ := strings.Cut(strings.Split(block(t, readme, "serve"), "\n")[0], "#")
	if strings.TrimSpace(runCmd) != "go run ./cmd/iamd serve" {
		t.Fatalf("the README's first command is %q", runCmd)
	}
	dataDir := filepath.Join(tmp, "iamd-data")
	server, base := startServer(t, root, env(t, "IAMD_ADDR=127.0.0.1:0", "IAMD_DATA_DIR="+dataDir), runCmd)

	// The session, in a second shell, as written.
	out := filepath.Join(tmp, "out")
	gobin := filepath.Join(tmp, "bin")
	// Both shells share the data directory, as they would in one directory.
	session := env(t, "IAMD_DATA_DIR="+dataDir,
		"IAMD_SERVER="+base, "IAMD_PROFILE="+filepath.Join(tmp, "profile.json"),
		"GOBIN="+gobin, "PATH="+gobin+":"+os.Getenv("PATH"), "OUT="+out)
	script := block(t, readme, "iamd init") +
		"\nmkdir -p \"$OUT\" && printf %s \"$SECRET\" > \"$OUT/secret\" && printf %s \"$TOKEN\" > \"$OUT/token\"\n"
	printed := runScript(t, root, session, script)
	if !strings.Contains(printed, "valid") || !strings.Contains(printed, "invoice-sync@billing.iam") {
		t.Fatalf("iamd verify did not print the token's claims:\n%s", printed)
	}
	secret, token := readFile(t, out, "secret"), readFile(t, out, "token")
	if !strings.HasPrefix(secret, "iamd_") {
		t.Fatalf("-o value=secret printed %q", secret)
	}
	claims := verifyWithJWKS(t, base, token, "https://billing.example.com")
	wantClaim(t, claims, "sub", "invoice-sync@billing.iam")
	wantClaim(t, claims, "client_id", "invoice-sync@billing.iam")
	wantClaim(t, claims, "scope", "billing.invoices:read")
	wantClaim(t, claims, "org", "billing")

	// The curl command, against this server.
	var curled string
	t.Run("curl", func(t *testing.T) {
		mustLookPath(t, "curl", "IAMD_REQUIRE_CURL")
		curl := strings.ReplaceAll(block(t, readme, "curl"), "http://127.0.0.1:8080", base)
		var resp struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			Scope       string `json:"scope"`
		}
		body := runScript(t, root, append(session, "SECRET="+secret), curl)
		if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.TokenType != "Bearer" || resp.ExpiresIn != 3600 {
			t.Fatalf("curl got %s (%v)", body, err)
		}
		claims := verifyWithJWKS(t, base, resp.AccessToken, "https://billing.example.com")
		wantClaim(t, claims, "scope", "billing.invoices:read")
		curled = resp.AccessToken
	})

	// The Go client of the README.
	cfg := clientcredentials.Config{
		ClientID:       "invoice-sync@billing.iam",
		ClientSecret:   secret,
		TokenURL:       base + "/oauth2/token",
		Scopes:         []string{"billing.invoices:read"},
		EndpointParams: url.Values{"resource": {"https://billing.example.com"}},
	}
	tok, err := cfg.Token(contextFor(t))
	if err != nil {
		t.Fatalf("clientcredentials: %v", err)
	}
	claims = verifyWithJWKS(t, base, tok.AccessToken, "https://billing.example.com")
	wantClaim(t, claims, "sub", "invoice-sync@billing.iam")

	// The key now shows as used, without waiting for the batched write.
	profile := []string{"IAMD_SERVER=" + base, "IAMD_PROFILE=" + filepath.Join(tmp, "profile.json")}
	keys := mustIamd(t, env(t, profile...), "keys", "list", "invoice-sync@billing.iam", "-o", "value=label,last_used_at")
	if !strings.HasPrefix(keys, "prod\t2") {
		t.Fatalf("keys list says %q, want the prod key used", keys)
	}

	// Nothing secret reached the server's log.
	server.stop(t)
	logs := server.logs()
	for _, s := range []string{secret, token, curled, readProfileSecret(t, filepath.Join(tmp, "profile.json"))} {
		if s != "" && strings.Contains(logs, s) {
			t.Fatalf("the server log contains a secret or token:\n%s", logscan.Redact(logs))
		}
	}
	if !strings.Contains(logs, "msg=request") || !strings.Contains(logs, "DEVELOPMENT MASTER KEY") {
		t.Fatalf("the server log misses request lines or the development key warning:\n%s", logs)
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func readProfileSecret(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("profile mode %v, want 0600", fi.Mode().Perm())
	}
	var p profile
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &p); err != nil || !strings.HasPrefix(p.ClientSecret, "iamd_") {
		t.Fatalf("profile %s: %v %+v", path, err, p)
	}
	return p.ClientSecret
}
