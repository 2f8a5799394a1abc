package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/internal/logscan"
)

// These tests run the real iamd binary over loopback, as a user would.

// binary is the iamd binary built once for all tests.
var binary string

// goEnv keeps Go's caches where they are when tests give iamd a fresh HOME.
var goEnv []string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iamd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "iamd")
	out, err := exec.Command("go", "env", "GOPATH", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, v := range strings.Fields(string(out)) {
		goEnv = append(goEnv, []string{"GOPATH", "GOCACHE", "GOMODCACHE"}[i]+"="+v)
	}
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build iamd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a clean environment for iamd: nothing from the developer's own
// IAMD_* settings or profile leaks in.
func env(t *testing.T, extra ...string) []string {
	t.Helper()
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IAMD_") {
			out = append(out, kv)
		}
	}
	home := t.TempDir()
	out = append(out, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out = append(out, goEnv...)
	return append(out, extra...)
}

// process is a background process started by a test, in its own process
// group so that `go run` and the program it starts stop together.
type process struct {
	cmd *exec.Cmd
	// stderr is the server log, checked for secrets when the test ends.
	stderr *logscan.Recorder
	// done is closed once the process has exited and its log is read.
	done chan struct{}
}

func (p *process) logs() string { return p.stderr.String() }

// stop sends SIGTERM to the process group it started and waits.
func (p *process) stop(t *testing.T) {
	t.Helper()
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Errorf("iamd did not stop on SIGTERM; logs:\n%s", logscan.Redact(p.logs()))
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+) issuer=`)

// startServer starts cmdline (run by bash in dir) and returns the server's
// URL once it logs that it is listening.
func startServer(t *testing.T, dir string, environ []string, cmdline string) (*process, string) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "exec "+cmdline)
	cmd.Dir, cmd.Env = dir, environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	// Created before the stop cleanup, the recorder checks the log after it.
	p := &process{cmd: cmd, stderr: logscan.New(t, "server log", nil), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		<-read
		close(p.done)
	}()
	url := make(chan string, 1)
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.stderr.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				url <- "http://" + m[1]
			}
		}
		io.Copy(p.stderr, pr) // past a line too long to scan
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case u := <-url:
		return p, u
	case <-p.done:
		t.Fatalf("iamd exited before listening:\n%s", logscan.Redact(p.logs()))
	case <-time.After(2 * time.Minute):
		t.Fatalf("iamd did not start listening:\n%s", logscan.Redact(p.logs()))
	}
	return nil, ""
}

// iamd runs the binary to completion.
func iamd(t *testing.T, environ []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = environ, &out, &errOut
	err := cmd.Run()
	// Its stdout is where secrets and tokens belong; its stderr, which has
	// the log of init and migrate and the error messages, holds none.
	logscan.Check(t, "stderr of iamd", errOut.String())
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// mustIamd runs the binary and fails the test unless it succeeds.
func mustIamd(t *testing.T, environ []string, args ...string) string {
	t.Helper()
	out, errOut, code := iamd(t, environ, args...)
	if code != 0 {
		t.Fatalf("iamd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// verifyWithJWKS checks token as an independent resource server would, with
// go-jose alone: metadata, JWKS, typ, signature, issuer, audience, expiry.
func verifyWithJWKS(t *testing.T, server, token, audience string) map[string]any {
	t.Helper()
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSONOK(t, server+"/.well-known/oauth-authorization-server", &md)
	var set jose.JSONWebKeySet
	getJSONOK(t, md.JWKSURI, &set)

	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Fatalf("typ = %v, want at+jwt", h.ExtraHeaders[jose.HeaderType])
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 || keys[0].Algorithm != h.Algorithm {
		t.Fatalf("kid %q with alg %s not in the JWKS %+v", h.KeyID, h.Algorithm, set)
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: md.Issuer, AnyAudience: jwt.Audience{audience}, Time: time.Now()}, 0); err != nil {
		t.Fatalf("claims: %v (%+v)", err, all)
	}
	return all
}

func getJSONOK(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func wantClaim(t *testing.T, claims map[string]any, name string, want any) {
	t.Helper()
	if got := claims[name]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("claim %s = %v, want %v", name, got, want)
	}
}

// blocks returns the fenced code blocks of a Markdown file with their info
// strings.
func blocks(t *testing.T, path string) [][2]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	var info string
	var body []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```"):
			in, info, body = true, strings.TrimPrefix(line, "```"), nil
		case in && line == "```":
			in = false
			out = append(out, [2]string{info, strings.Join(body, "\n")})
		case in:
			body = append(body, line)
		}
	}
	return out
}

// block returns the only shell block of the README that contains marker.
func block(t *testing.T, all [][2]string, marker string) string {
	t.Helper()
	var found []string
	for _, b := range all {
		if b[0] == "sh" && strings.Contains(b[1], marker) {
			found = append(found, b[1])
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one sh block with %q in README.md, found %d", marker, len(found))
	}
	return found[0]
}

func runScript(t *testing.T, dir string, environ []string, script string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir, cmd.Env = dir, environ
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	logscan.Check(t, "stderr of the script", errOut.String())
	if err != nil {
		t.Fatalf("script failed: %v\n--- script\n%s\n--- stdout\n%s--- stderr\n%s", err, script, out.String(), errOut.String())
	}
	return out.String()
}

func mustLookPath(t *testing.T, name, envVar string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(envVar) != "" {
			t.Fatalf("%s is required (%s is set) but not installed", name, envVar)
		}
		t.Skipf("SKIPPING: %s is not installed", name)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// contextFor returns a context that ends with the test.
func contextFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
