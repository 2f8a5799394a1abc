package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/postgres"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/users"
)

// store is what serve, migrate and init need of a backend.
type store interface {
	storage.Transactor
	rbac.Store
	accounts.Store
	audit.Store
	signing.Store
	users.Store
	Migrate(ctx context.Context) ([]string, error)
	Ping(ctx context.Context) error
	Close() error
}

// serverFlags are shared by the commands that open the database.
type serverFlags struct {
	db            string
	dataDir       string
	masterKeyFile string
	domain        string
	logLevel      string
	logFormat     string
}

func (f *serverFlags) register(fs *pflag.FlagSet) {
	// Not a flag default: --help would print it, password included.
	fs.StringVar(&f.db, "db", "", "database: postgres://... or sqlite:PATH (default: IAMD_DATABASE_URL, else SQLite in --data-dir)")
	fs.StringVar(&f.dataDir, "data-dir", envOr("IAMD_DATA_DIR", "iamd-data"), "directory of the embedded database and the development master key [IAMD_DATA_DIR]")
	fs.StringVar(&f.masterKeyFile, "master-key-file", os.Getenv("IAMD_MASTER_KEY_FILE"), "file holding the base64 master key that encrypts signing keys [IAMD_MASTER_KEY_FILE]; or set IAMD_MASTER_KEY")
	fs.StringVar(&f.domain, "domain", os.Getenv("IAMD_DOMAIN"), "domain suffix of client IDs: <account>@<org>.iam.<domain> [IAMD_DOMAIN]")
	fs.StringVar(&f.logLevel, "log-level", envOr("IAMD_LOG_LEVEL", "info"), "log level: debug, info, warn or error [IAMD_LOG_LEVEL]")
	fs.StringVar(&f.logFormat, "log-format", envOr("IAMD_LOG_FORMAT", "text"), "log format: text or json [IAMD_LOG_FORMAT]")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (f *serverFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usagef("--log-level: want debug, info, warn or error")
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: want text or json")
}

// open opens and migrates the database, returning the migrations it
// applied; the managed roles are then brought up to date.
// embedded reports the SQLite default, for which iamd may generate a
// development master key.
func (f *serverFlags) open(ctx context.Context, log *slog.Logger) (st store, embedded bool, applied []string, err error) {
	if f.db == "" {
		f.db = os.Getenv("IAMD_DATABASE_URL")
	}
	switch {
	case strings.HasPrefix(f.db, "postgres://") || strings.HasPrefix(f.db, "postgresql://"):
		st, err = postgres.Open(ctx, f.db)
	case f.db == "" || strings.HasPrefix(f.db, "sqlite:"):
		path := strings.TrimPrefix(f.db, "sqlite:")
		if path == "" {
			if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
				return nil, false, nil, fmt.Errorf("create data directory: %w", err)
			}
			path = filepath.Join(f.dataDir, "iamd.db")
		}
		st, err = sqlite.Open(ctx, path)
		embedded = true
	default:
		return nil, false, nil, usagef("--db: want postgres://... or sqlite:PATH")
	}
	if err != nil {
		return nil, false, nil, err
	}
	if applied, err = st.Migrate(ctx); err == nil {
		err = ensureManagedRoles(ctx, st)
	}
	if err != nil {
		st.Close()
		return nil, false, nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "applied", applied)
	}
	return st, embedded, applied, nil
}

// openKeyed opens the database and loads the master key that protects its
// signing keys.
func (f *serverFlags) openKeyed(ctx context.Context, log *slog.Logger) (store, *oauth.MasterKey, error) {
	st, embedded, _, err := f.open(ctx, log)
	if err != nil {
		return nil, nil, err
	}
	mk, err := f.masterKey(embedded, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, mk, nil
}

// masterKey loads the master key from IAMD_MASTER_KEY or --master-key-file.
// With neither, on the embedded database only, it uses (creating it if
// needed) a key file in the data directory, and says loudly that this is
// for development.
func (f *serverFlags) masterKey(embedded bool, log *slog.Logger) (*oauth.MasterKey, error) {
	if v := os.Getenv("IAMD_MASTER_KEY"); v != "" {
		if f.masterKeyFile != "" {
			return nil, usagef("set IAMD_MASTER_KEY or --master-key-file, not both")
		}
		mk, err := oauth.ParseMasterKey(v)
		if err != nil {
			return nil, fmt.Errorf("IAMD_MASTER_KEY: %w", err)
		}
		return mk, nil
	}
	if f.masterKeyFile != "" {
		return readMasterKey(f.masterKeyFile, log)
	}
	if !embedded {
		return nil, usagef("a master key is required with PostgreSQL: set IAMD_MASTER_KEY or --master-key-file " +
			"to 32 random bytes in base64, e.g. from: head -c 32 /dev/urandom | base64")
	}
	path := filepath.Join(f.dataDir, "master.key")
	if err := createOnce(path, []byte(oauth.GenerateMasterKey()+"\n")); err != nil {
		return nil, fmt.Errorf("create development master key: %w", err)
	}
	log.Warn("DEVELOPMENT MASTER KEY: signing keys are encrypted with a key generated into " + path +
		", next to the database; anyone who can read both can sign tokens. In production set IAMD_MASTER_KEY or --master-key-file and keep it apart from the database.")
	return readMasterKey(path, log)
}

// createOnce writes data to path, mode 0600, unless path exists. The file
// appears whole or not at all, and of two processes racing (serve and init
// started together) exactly one creates it.
func createOnce(path string, data []byte) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := writeTemp(filepath.Dir(path), data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// writeTemp writes data to a new file, mode 0600, in dir and returns its
// name.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".iamd-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func readMasterKey(path string, log *slog.Logger) (*oauth.MasterKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("master key file is readable by other users; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	mk, err := oauth.ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	return mk, nil
}
