package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/iamd/iamd/internal/logscan"
)

// The Node examples need node and npm. Without them their tests are
// skipped, loudly, unless IAMD_REQUIRE_NODE is set (.ci/run sets it).

// npmChecked holds the example directories whose node_modules this test
// binary has checked or installed.
var npmChecked struct {
	sync.Mutex
	dirs map[string]bool
}

// nodeExample returns the directory of the Node example name with its
// dependencies installed: npm ci runs when node_modules is missing or was
// installed from another package-lock.json, so that a suite run on an
// up-to-date checkout runs no npm at all. Without Node.js the test is
// skipped, or fails if IAMD_REQUIRE_NODE is set.
func nodeExample(t *testing.T, name string) string {
	t.Helper()
	if why := nodeMissing(); why != "" {
		if os.Getenv("IAMD_REQUIRE_NODE") != "" {
			t.Fatalf("%s, and IAMD_REQUIRE_NODE is set", why)
		}
		t.Skipf("SKIPPING: %s", why)
	}
	return npmInstall(t, name)
}

// nodeExampleIfAny is nodeExample for a test with a Node part among
// others: without Node.js it returns "" instead of skipping the test.
func nodeExampleIfAny(t *testing.T, name string) string {
	t.Helper()
	if why := nodeMissing(); why != "" {
		if os.Getenv("IAMD_REQUIRE_NODE") != "" {
			t.Fatalf("%s, and IAMD_REQUIRE_NODE is set", why)
		}
		t.Logf("SKIPPING the Node.js part: %s", why)
		return ""
	}
	return npmInstall(t, name)
}

// nodeMissing says why the Node examples cannot run here, or "".
func nodeMissing() string {
	for _, name := range []string{"node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			return name + " is not installed"
		}
	}
	// jose 6 and oauth4webapi 3 need Node.js 20 (Web Crypto as a global
	// among others); Debian 12's nodejs is 18.
	out, err := exec.Command("node", "-p", "process.versions.node").Output()
	major, _, _ := strings.Cut(strings.TrimSpace(string(out)), ".")
	if n, convErr := strconv.Atoi(major); err != nil || convErr != nil || n < 20 {
		return fmt.Sprintf("Node.js 20 or newer is needed; node is %q (%v)", strings.TrimSpace(string(out)), err)
	}
	return ""
}

// npmInstall returns the example's directory once npm ci has run there if
// needed.
func npmInstall(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "examples", name)
	npmChecked.Lock()
	defer npmChecked.Unlock()
	if !npmChecked.dirs[dir] {
		if out, err := npmCI(dir); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
		if npmChecked.dirs == nil {
			npmChecked.dirs = map[string]bool{}
		}
		npmChecked.dirs[dir] = true
	}
	return dir
}

// npmStamp, in node_modules, holds the digest of the package-lock.json
// node_modules was installed from.
const npmStamp = ".iamd-package-lock.sha256"

func npmCI(dir string) ([]byte, error) {
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(lock)
	want := []byte(hex.EncodeToString(sum[:]))
	stamp := filepath.Join(dir, "node_modules", npmStamp)
	if got, err := os.ReadFile(stamp); err == nil && bytes.Equal(got, want) {
		return nil, nil
	}
	// The developer's own environment: npm's cache is in their HOME, so
	// that an install done once works offline after.
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, err
	}
	return out, os.WriteFile(stamp, want, 0o644)
}

// TestNodeResourceServerExample runs examples/node-resource-server, jose
// in node:http, against a real iamd over loopback, with the cases the Go
// example passes.
func TestNodeResourceServerExample(t *testing.T) {
	dir := nodeExample(t, "node-resource-server")
	const audience = "https://billing.example.test"
	in := newInstance(t)
	tokens := newInvoiceTokens(t, in, audience)
	_, base := startServer(t, dir, env(t, "ISSUER="+in.url, "AUDIENCE="+audience, "ADDR=127.0.0.1:0"), "node server.js")
	checkInvoices(t, base, tokens)
}

// TestNodeClientGetsATokenWithAKeyFile runs examples/node-client:
// oauth4webapi's PrivateKeyJwt, with a key file the CLI wrote and the
// issuer as the assertion's audience, gets a token for the key's account,
// for each algorithm of generated key pairs; a deactivated key gets none.
func TestNodeClientGetsATokenWithAKeyFile(t *testing.T) {
	dir := nodeExample(t, "node-client")
	const audience = "https://billing.example.test"
	in := newInstance(t)
	mustIamd(t, in.env, "accounts", "create", "sync", "--org", "acme", "--audiences", audience)
	const client = "sync@acme.iam"
	script := func(keyFile string) (string, string, error) {
		cmd := exec.Command("node", "token.js", keyFile, "--audience", audience, "--insecure")
		cmd.Dir, cmd.Env = dir, env(t)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		logscan.Check(t, "stderr of token.js", errOut.String())
		return strings.TrimSpace(out.String()), errOut.String(), err
	}
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sa-key.json")
			mustIamd(t, in.env, "keys", "create", client, "--label", alg, "--type", "key-pair", "--alg", alg, "--key-file", path)
			kf := readKeyFile(t, path)
			token, errOut, err := script(path)
			if err != nil {
				t.Fatalf("token.js: %v\n%s", err, errOut)
			}
			claims := verifyWithJWKS(t, in.url, token, audience)
			wantClaim(t, claims, "sub", client)
			wantClaim(t, claims, "key", kf.KeyID)

			mustIamd(t, in.env, "keys", "deactivate", kf.KeyID)
			if token, errOut, err := script(path); err == nil || token != "" || !strings.Contains(errOut, "invalid_client") {
				t.Fatalf("a deactivated key: %v, token %q, stderr %s", err, token, errOut)
			}
		})
	}
}

// TestNodeResourceServerUnitTests runs the Node example's own tests (npm
// test, node:test): the rights check, and the revocation feed poller
// against a feed served over loopback.
func TestNodeResourceServerUnitTests(t *testing.T) {
	dir := nodeExample(t, "node-resource-server")
	cmd := exec.Command("node", "--test")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
}
