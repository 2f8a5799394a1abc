package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/iamd/iamd/audit"
)

// AddAuditEntry implements audit.Store.
func (d *DB) AddAuditEntry(ctx context.Context, e audit.Entry) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, org_id, target, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.At), e.Actor, e.Action, e.OrgID, e.Target, jsonText(e.Before), jsonText(e.After))
	return mapErr(err)
}

// jsonText returns a JSON view for a nullable column: NULL for none.
func jsonText(v json.RawMessage) any {
	if v == nil {
		return nil
	}
	return string(v)
}

// ListAudit implements audit.Store. Each filter on actor, target or
// organization, with the newest-first order on id, is an index of
// audit_log.
func (d *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	cond := func(c string, a ...any) { where, args = append(where, c), append(args, a...) }
	cond("1")
	if f.Actor != "" {
		cond("actor = ?", f.Actor)
	}
	if f.Target != "" {
		cond("target = ?", f.Target)
	}
	if f.Action != "" {
		cond("action = ?", f.Action)
	}
	if f.OrgIDs != nil {
		ids := make([]any, len(f.OrgIDs))
		for i, id := range f.OrgIDs {
			ids[i] = id
		}
		// An empty list selects nothing: IN () is valid SQLite.
		cond("org_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
	}
	if !f.Since.IsZero() {
		cond("at >= ?", ms(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at < ?", ms(f.Until))
	}
	if f.Before != "" {
		cond("id < ?", f.Before)
	}
	return collect(ctx, d.q(ctx), scanAuditEntry, `SELECT id, at, actor, action, org_id, target, before, after
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...)
}

func scanAuditEntry(s scanner) (audit.Entry, error) {
	var e audit.Entry
	var at sql.NullInt64
	var before, after sql.NullString
	if err := s.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.OrgID, &e.Target, &before, &after); err != nil {
		return audit.Entry{}, mapErr(err)
	}
	e.At = fromMS(at)
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return e, nil
}
