package rbac

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/storage"
)

// MaxNameLen bounds display names of organizations and accounts.
const MaxNameLen = 100

// MaxDescriptionLen bounds descriptions of permissions, roles and groups.
const MaxDescriptionLen = 1000

// Service applies the authorization rules on top of a Store: every
// operation checks the actor's rights, and every change is written to the
// audit log in its own transaction.
type Service struct {
	store Store
	tx    storage.Transactor
	audit *audit.Log
	now   func() time.Time
}

// NewService returns a Service over store; log receives the audit entries
// of changes, in their transaction; now is the clock.
func NewService(store Store, tx storage.Transactor, log *audit.Log, now func() time.Time) *Service {
	return &Service{store: store, tx: tx, audit: log, now: now}
}

// Audit returns the audit log changes are recorded in.
func (s *Service) Audit() *audit.Log { return s.audit }

// change runs fn in a transaction, so the audit entries it records commit
// with it or not at all. The transaction holds the lock of the
// authorization model from its start: what fn checks (the actor's rights,
// the rules, where a role is used) cannot change under it before it
// commits, and what it writes back was read under the lock.
func (s *Service) change(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.LockAuthz(ctx); err != nil {
			return err
		}
		return fn(ctx)
	})
}

// LockAuthz takes the lock of the authorization model in the transaction
// ctx carries (see Store.LockAuthz): changes of the model wait for it to
// end, and it waits for theirs. A transaction outside this package whose
// checks depend on rights, such as a key change that requires the actor to
// hold the account's rights, calls it first.
func (s *Service) LockAuthz(ctx context.Context) error {
	return s.store.LockAuthz(ctx)
}

func (s *Service) record(ctx context.Context, a Actor, action, orgID, target string, before, after any) error {
	return s.audit.Record(ctx, a.ID, action, orgID, target, before, after)
}

// CheckName returns a storage.ErrInvalid error unless name is a usable
// display name: 1 to MaxNameLen characters on one line.
func CheckName(field, name string) error {
	if name == "" {
		return storage.Errorf(storage.ErrInvalid, "%s must not be empty", field)
	}
	return CheckText(field, name, MaxNameLen, false)
}

// CheckText returns a storage.ErrInvalid error unless s is valid UTF-8 of at
// most max characters without control characters; multiline text may hold
// newlines and tabs.
func CheckText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return storage.Errorf(storage.ErrInvalid, "%s must be at most %d characters of UTF-8 text", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return storage.Errorf(storage.ErrInvalid, "%s must not contain control characters", field)
		}
	}
	return nil
}

// newID returns a random internal ID.
func newID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// notFound wraps a store error with what was looked up.
func notFound(what string, err error) error {
	return fmt.Errorf("%s: %w", what, err)
}

// conflict returns msg as a storage.ErrConflict error if err is one, else
// err wrapped with context.
func conflict(err error, context, format string, args ...any) error {
	if errors.Is(err, storage.ErrConflict) {
		return storage.Errorf(storage.ErrConflict, format, args...)
	}
	return fmt.Errorf("%s: %w", context, err)
}
