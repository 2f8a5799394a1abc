package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a PostgreSQL server of one test's own, started with
// scripts/pg-cluster, for tests that take the database down: the server
// named by IAMD_TEST_DATABASE_URL is shared and must stay up.
type Cluster struct {
	// URL names the cluster's empty database. It carries Password, which
	// the server never asks for (trust authentication), so tests can check
	// that it shows in no error or log.
	URL      string
	Password string
	script   string
	dir      string
}

// NewCluster starts a cluster that is removed when t ends. Without the
// PostgreSQL server binaries the test is skipped, or fails if
// IAMD_REQUIRE_POSTGRES is set.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	script := filepath.Join(moduleRoot(t), "scripts", "pg-cluster")
	if err := exec.Command(script, "bindir").Run(); err != nil {
		if os.Getenv("IAMD_REQUIRE_POSTGRES") != "" {
			t.Fatal("IAMD_REQUIRE_POSTGRES is set but the PostgreSQL server binaries are missing (apt-get install postgresql)")
		}
		t.Skip("SKIPPING PostgreSQL: no PostgreSQL server binaries to start a cluster of this test's own (apt-get install postgresql)")
	}
	// Not t.TempDir: the server runs as the postgres user when the tests
	// run as root, and must reach the directory.
	dir, err := os.MkdirTemp("", "iamd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{script: script, dir: dir}
	t.Cleanup(func() {
		if _, err := c.run("stop"); err != nil {
			t.Error(err)
		}
	})
	out, err := c.run("start")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("scripts/pg-cluster start printed %q: %v", out, err)
	}
	b := make([]byte, 12)
	rand.Read(b)
	c.Password = "pw-" + hex.EncodeToString(b)
	u.User = url.UserPassword(u.User.Username(), c.Password)
	c.URL = u.String()
	return c
}

// Stop shuts the server down as an operator would (fast shutdown: open
// connections are terminated), keeping its data.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if _, err := c.run("pause"); err != nil {
		t.Fatal(err)
	}
}

// Start starts a stopped server again, on the same port.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if _, err := c.run("resume"); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) run(command string) (string, error) {
	cmd := exec.Command(c.script, command, c.dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/pg-cluster %s: %w\n%s", command, err, stderr.String())
	}
	return string(out), nil
}

// moduleRoot returns the directory holding go.mod, above the test's
// working directory (its package's directory).
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}
