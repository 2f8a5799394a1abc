package audit

import (
	"context"
	"slices"
	"testing"
	"time"
)

type memStore struct{ entries []Entry }

func (m *memStore) AddAuditEntry(_ context.Context, e Entry) error {
	m.entries = append(m.entries, e)
	return nil
}

func (m *memStore) ListAudit(context.Context, Filter) ([]Entry, error) { return m.entries, nil }

func TestIDsOrderEntriesOfOneMillisecondAsRecorded(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	var ids []string
	for range 100 {
		ids = append(ids, newID(at))
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("IDs of one millisecond are not distinct and in order: %v", ids[:3])
	}
	if later := newID(at.Add(time.Millisecond)); later <= ids[len(ids)-1] {
		t.Fatalf("an ID of the next millisecond, %s, sorts before %s", later, ids[len(ids)-1])
	}
}

func TestRecordWritesViewsAsJSONAndNothingAsNull(t *testing.T) {
	m := &memStore{}
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_789_000, time.FixedZone("X", 3600))
	l := NewLog(m, func() time.Time { return at })
	if err := l.Record(context.Background(), "admin@acme.iam", "role.create", "acme", "acme/r", nil, map[string]string{"role": "acme/r"}); err != nil {
		t.Fatal(err)
	}
	e := m.entries[0]
	if e.Before != nil || string(e.After) != `{"role":"acme/r"}` || !e.At.Equal(at.Truncate(time.Millisecond)) || e.At.Location() != time.UTC {
		t.Fatalf("entry %+v (after %s)", e, e.After)
	}
	if _, err := l.List(context.Background(), Filter{}); err == nil {
		t.Fatal("a list without a page size was accepted")
	}
}
