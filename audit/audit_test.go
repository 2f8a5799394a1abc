package audit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// entries is an audit.Store in memory: ListAudit is not needed here.
type entries []audit.Entry

func (es *entries) AddAuditEntry(_ context.Context, e audit.Entry) error {
	*es = append(*es, e)
	return nil
}

func (es *entries) ListAudit(context.Context, audit.Filter) ([]audit.Entry, error) { return nil, nil }

// TestIDsFollowTheOrderOfRecords: entries of one millisecond, as one
// transaction records them, list newest first in the order they were made.
func TestIDsFollowTheOrderOfRecords(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	now := at
	var store entries
	log := audit.NewLog(&store, func() time.Time { return now })
	for i := range 1000 {
		if i == 500 {
			now = at.Add(-time.Second) // a clock that steps back
		}
		if i == 700 {
			now = at.Add(time.Millisecond)
		}
		if err := log.Record(context.Background(), "me", "thing.change", "acme", "x", nil, i); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]string, len(store))
	for i, e := range store {
		ids[i] = e.ID
		if len(e.ID) != 28 || strings.Trim(e.ID, "0123456789abcdef") != "" {
			t.Fatalf("ID %q: want 28 lowercase hex digits", e.ID)
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("IDs do not grow with each record: %q", ids[:10])
	}
}
