// Package storage holds what the domain packages and every storage backend
// share: the sentinel errors callers branch on and the transaction contract.
//
// The records and store interfaces belong to the domain packages that use
// them (accounts.Store, rbac.Store, signing.Store); the backends in
// storage/sqlite and storage/postgres implement all of them, and
// storage/storagetest is the conformance suite both must pass.
package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

var (
	// ErrNotFound is returned when the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write would break a uniqueness or
	// reference constraint: a duplicate ID, or deleting a record that others
	// still point to.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is wrapped by domain packages when input breaks a rule; the
	// wrapping message says which and is safe to show to the caller.
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden is wrapped by domain packages when an operation is never
	// allowed on its target, such as changing a system account.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable is wrapped by the backends, together with the driver's
	// error, when the database could not be reached or is temporarily
	// overloaded: the operation may succeed if retried.
	ErrUnavailable = errors.New("database unavailable")
)

// Transactor runs several store calls atomically.
//
// InTx calls fn with a context that carries the transaction: every store
// call made with that context joins it. If fn returns an error the
// transaction is rolled back and the error returned unchanged; otherwise it
// is committed. A nested InTx joins the outer transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Time returns t as every backend stores it: UTC, millisecond precision.
// Backends round-trip exactly this value.
func Time(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Errorf returns an error that wraps kind (one of the sentinels above) and
// reads as the formatted message alone. Domain packages use it for errors
// whose text is meant for the caller.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// quoteLimit is how many bytes of a value Quote shows: enough to recognise
// it, and so little of a secret pasted in the wrong place (32 bytes of an
// iamd secret hold at most 50 of its 256 random bits) that it stays secret.
const quoteLimit = 32

// Quote returns s quoted as %q quotes it, for an error message: control
// characters and invalid UTF-8 are escaped, so the message stays one line.
// A value longer than quoteLimit bytes is cut at a character boundary and
// followed by its length, as in "aaaa..." (900000 bytes).
//
// Error messages echo what the caller sent, and a caller may send a
// megabyte where an ID belongs; every message that quotes input goes
// through Quote so that none of them grows with it. It lives here, beside
// Errorf, because every package that writes such messages (rbac, accounts,
// oauth, web) already imports storage, and the domain packages may not
// import web.
func Quote(s string) string {
	if len(s) <= quoteLimit {
		return strconv.Quote(s)
	}
	// Back off to the start of a character, unless there is none near:
	// then the bytes are not UTF-8 and each is escaped on its own.
	cut := quoteLimit
	for cut > quoteLimit-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = quoteLimit
	}
	q := strconv.Quote(s[:cut])
	return fmt.Sprintf("%s...\" (%d bytes)", q[:len(q)-1], len(s))
}
