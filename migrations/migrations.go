// Package migrations holds the SQL schema of each backend, embedded in the
// binary. Files are applied in name order, each in one transaction, and
// their names recorded; a shipped file is never edited, only followed by a
// new one with the next number.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Migration is one schema change.
type Migration struct {
	// Name is the file name, such as 0001_init.sql.
	Name string
	SQL  string
}

// For returns the migrations of a dialect ("sqlite" or "postgres") in the
// order they apply.
func For(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		b, err := fs.ReadFile(files, dialect+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CheckKnown returns an error if applied names a migration missing from ms:
// the database was migrated by a newer iamd, whose schema this one must not
// touch.
func CheckKnown(ms []Migration, applied []string) error {
	known := make(map[string]bool, len(ms))
	for _, m := range ms {
		known[m.Name] = true
	}
	for _, name := range applied {
		if !known[name] {
			return fmt.Errorf("the database has migration %s, unknown to this iamd: upgrade iamd", name)
		}
	}
	return nil
}
