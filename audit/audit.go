// Package audit is the log of every change made through iamd: who did what,
// when, in which organization, to what, with the record before and after.
// Entries are written in the transaction of the change they describe, so
// the log holds a change exactly when the change was made. Secrets are
// never recorded: records are the management API's views of them, which
// hold none.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/storage"
)

// Entry is one change.
type Entry struct {
	// ID orders entries by time: newer entries have greater IDs.
	ID string
	At time.Time
	// Actor is who made the change: a client ID, or "iamd init".
	Actor string
	// Action names the change, as in "account.create" or "role.delete".
	Action string
	// OrgID is the organization the change happened in.
	OrgID string
	// Target names what changed: a client ID, ORG/ROLE, a key ID.
	Target string
	// Before and After are JSON views of the record; null when it did
	// not exist before or does not after.
	Before, After json.RawMessage
}

// Filter selects entries, newest first.
type Filter struct {
	Actor, Target string
	// Action, if set, keeps entries of that action only, as in
	// "user.create".
	Action string
	// OrgIDs, if not nil, keeps entries of these organizations only.
	OrgIDs []string
	// Since and Until, if set, bound At: Since <= At < Until.
	Since, Until time.Time
	// Before, if set, resumes after the entry with that ID.
	Before string
	// Limit caps the number of entries returned; it must be positive.
	Limit int
}

// Store persists the log.
type Store interface {
	// AddAuditEntry stores an entry.
	AddAuditEntry(ctx context.Context, e Entry) error
	// ListAudit returns the entries f selects, newest (greatest ID) first.
	ListAudit(ctx context.Context, f Filter) ([]Entry, error)
}

// Log records changes.
type Log struct {
	store Store
	now   func() time.Time
}

// NewLog returns a log over store.
func NewLog(store Store, now func() time.Time) *Log {
	return &Log{store: store, now: now}
}

// Record adds an entry; call it with the context of the change's
// transaction. before and after are marshalled to JSON (nil as null).
func (l *Log) Record(ctx context.Context, actor, action, orgID, target string, before, after any) error {
	b, err := view(before)
	if err != nil {
		return err
	}
	a, err := view(after)
	if err != nil {
		return err
	}
	at := storage.Time(l.now())
	e := Entry{ID: newID(at), At: at, Actor: actor, Action: action, OrgID: orgID, Target: target, Before: b, After: a}
	if err := l.store.AddAuditEntry(ctx, e); err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	return nil
}

// List returns the entries f selects.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "page size must be positive")
	}
	return l.store.ListAudit(ctx, f)
}

func view(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit record: %w", err)
	}
	return b, nil
}

// seq orders the entries one process records within a millisecond.
var seq atomic.Uint32

// newID returns an ID that sorts by time: the milliseconds since the epoch
// in 12 hex digits, a sequence number in 8, so that one instance's entries
// of the same millisecond keep their order, then 8 random bytes, so that
// entries from several instances never collide.
func newID(at time.Time) string {
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%012x%08x", at.UnixMilli(), seq.Add(1)) + hex.EncodeToString(b)
}
