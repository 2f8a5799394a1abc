package storagetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/storage"
)

// entry returns the entry of minute n after t0, with an ID that sorts as
// its time does.
func entry(n int, actor, orgID, target string) audit.Entry {
	at := storage.Time(t0.Add(time.Duration(n) * time.Minute))
	return audit.Entry{
		ID: fmt.Sprintf("%012x%04d", at.UnixMilli(), n), At: at, Actor: actor, Action: "thing.change",
		OrgID: orgID, Target: target,
		Before: json.RawMessage(fmt.Sprintf(`{"n": %d}`, n-1)), After: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
	}
}

// auditLog stores entries 0 to 9 of three actors, organizations and
// targets, and returns them newest first.
func auditLog(t *testing.T, s Store) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for n := range 10 {
		e := entry(n, fmt.Sprintf("actor%d", n%3), fmt.Sprintf("org%d", n%2), fmt.Sprintf("target%d", n%4))
		must(t, s.AddAuditEntry(ctx, e))
		out = append([]audit.Entry{e}, out...)
	}
	return out
}

// pick returns the entries of es at indices.
func pick(es []audit.Entry, indices ...int) []audit.Entry {
	out := []audit.Entry{}
	for _, i := range indices {
		out = append(out, es[i])
	}
	return out
}

func auditCases() {
	add("an audit entry round-trips, JSON views as written and null as nil", func(t *testing.T, s Store) {
		e := entry(1, "admin@acme.iam", "billing", "sync@billing.iam")
		e.Before = json.RawMessage(`{ "b":1,  "a" : [true] }`)
		must(t, s.AddAuditEntry(ctx, e))
		created := entry(2, "admin@acme.iam", "billing", "sync@billing.iam")
		created.Before = nil
		must(t, s.AddAuditEntry(ctx, created))
		deleted := entry(3, "admin@acme.iam", "billing", "sync@billing.iam")
		deleted.After = nil
		must(t, s.AddAuditEntry(ctx, deleted))
		got, err := s.ListAudit(ctx, audit.Filter{Limit: 10})
		must(t, err)
		equal(t, got, []audit.Entry{deleted, created, e})
		wantErr(t, s.AddAuditEntry(ctx, e), storage.ErrConflict)
	})
	add("audit entries list newest first, a page at a time", func(t *testing.T, s Store) {
		es := auditLog(t, s)
		got, err := s.ListAudit(ctx, audit.Filter{Limit: 4})
		must(t, err)
		equal(t, got, es[:4])
		got, err = s.ListAudit(ctx, audit.Filter{Limit: 4, Before: got[3].ID})
		must(t, err)
		equal(t, got, es[4:8])
		got, err = s.ListAudit(ctx, audit.Filter{Limit: 4, Before: got[3].ID})
		must(t, err)
		equal(t, got, es[8:])
		got, err = s.ListAudit(ctx, audit.Filter{Limit: 4, Before: es[9].ID})
		must(t, err)
		wantEmpty(t, got)
	})
	add("an empty audit log lists no entries, not nil", func(t *testing.T, s Store) {
		got, err := s.ListAudit(ctx, audit.Filter{Limit: 10})
		must(t, err)
		wantEmpty(t, got)
	})
	add("audit entries filter by actor, action, target, organizations and time", func(t *testing.T, s Store) {
		es := auditLog(t, s) // es[i] is entry 9-i
		at := func(n int) time.Time { return storage.Time(t0.Add(time.Duration(n) * time.Minute)) }
		for _, c := range []struct {
			name string
			f    audit.Filter
			want []audit.Entry
		}{
			{"actor", audit.Filter{Actor: "actor1"}, pick(es, 2, 5, 8)},
			{"target", audit.Filter{Target: "target2"}, pick(es, 3, 7)},
			{"one organization", audit.Filter{OrgIDs: []string{"org1"}}, pick(es, 0, 2, 4, 6, 8)},
			{"several organizations", audit.Filter{OrgIDs: []string{"org0", "org1", "gone"}}, es},
			{"no organization", audit.Filter{OrgIDs: []string{}}, nil},
			{"since, inclusive", audit.Filter{Since: at(7)}, pick(es, 0, 1, 2)},
			{"until, exclusive", audit.Filter{Until: at(2)}, pick(es, 8, 9)},
			{"between", audit.Filter{Since: at(3), Until: at(5)}, pick(es, 5, 6)},
			{"actor and organization", audit.Filter{Actor: "actor0", OrgIDs: []string{"org0"}}, pick(es, 3, 9)},
			{"actor, target and time", audit.Filter{Actor: "actor0", Target: "target3", Since: at(1)}, pick(es, 6)},
			{"actor, paged", audit.Filter{Actor: "actor0", Before: es[3].ID, Limit: 1}, pick(es, 6)},
			{"nobody", audit.Filter{Actor: "nobody"}, nil},
			{"action", audit.Filter{Action: "thing.change", Actor: "actor2"}, pick(es, 1, 4, 7)},
			{"another action", audit.Filter{Action: "thing.delete"}, nil},
		} {
			if c.f.Limit == 0 {
				c.f.Limit = 100
			}
			if c.want == nil {
				c.want = []audit.Entry{}
			}
			got, err := s.ListAudit(ctx, c.f)
			must(t, err)
			if len(got) != len(c.want) {
				t.Errorf("%s: got %d entries, want %d", c.name, len(got), len(c.want))
				continue
			}
			for i := range got {
				if got[i].ID != c.want[i].ID {
					t.Errorf("%s: entry %d is %s, want %s", c.name, i, got[i].ID, c.want[i].ID)
				}
			}
		}
	})
}
