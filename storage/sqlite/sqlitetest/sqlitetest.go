// Package sqlitetest gives tests fresh, migrated SQLite databases quickly.
package sqlitetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/iamd/iamd/storage/sqlite"
)

// Path returns the path of a fresh database file in a temporary directory
// of tb, already migrated: a copy of one migrated once per test binary, as
// migrating costs more than most tests that need a database. Opening it
// and calling Migrate applies nothing.
func Path(tb testing.TB) string {
	tb.Helper()
	return With(tb, "migrated", nil)
}

// With is Path for a database that setup then filled, as many tests of a
// package start from the same records: setup runs once per test binary for
// each name, and each test gets a copy of its outcome.
func With(tb testing.TB, name string, setup func(ctx context.Context, db *sqlite.DB) error) string {
	tb.Helper()
	mu.Lock()
	t, ok := templates[name]
	if !ok {
		t = sync.OnceValues(func() ([]byte, error) { return build(setup) })
		templates[name] = t
	}
	mu.Unlock()
	content, err := t()
	if err != nil {
		tb.Fatalf("database %s: %v", name, err)
	}
	path := filepath.Join(tb.TempDir(), "iamd.db")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

var (
	mu        sync.Mutex
	templates = map[string]func() ([]byte, error){}
)

// build returns the content of a freshly migrated database file that setup
// filled. Closing the only connection checkpoints the write-ahead log into
// the file.
func build(setup func(ctx context.Context, db *sqlite.DB) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "iamd-sqlite-template")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "iamd.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	if setup != nil {
		if err := setup(context.Background(), db); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		if b, _ := os.ReadFile(path + "-wal"); len(b) > 0 {
			return nil, os.ErrExist // not checkpointed: the copy would miss data
		}
	}
	return os.ReadFile(path)
}
