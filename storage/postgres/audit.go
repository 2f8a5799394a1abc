package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/audit"
)

// AddAuditEntry implements audit.Store.
func (d *DB) AddAuditEntry(ctx context.Context, e audit.Entry) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, org_id, target, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, ts(e.At), e.Actor, e.Action, e.OrgID, e.Target, jsonText(e.Before), jsonText(e.After))
	return mapErr(err)
}

// jsonText returns a JSON view for a nullable column: NULL for none.
func jsonText(v json.RawMessage) *string {
	if v == nil {
		return nil
	}
	s := string(v)
	return &s
}

// ListAudit implements audit.Store. Each filter on actor, target or
// organization, with the newest-first order on id, is an index of
// audit_log.
func (d *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	where := []string{"true"}
	var args []any
	cond := func(c string, a any) {
		args = append(args, a)
		where = append(where, fmt.Sprintf(c, len(args)))
	}
	if f.Actor != "" {
		cond("actor = $%d", f.Actor)
	}
	if f.Target != "" {
		cond("target = $%d", f.Target)
	}
	if f.Action != "" {
		cond("action = $%d", f.Action)
	}
	if f.OrgIDs != nil {
		cond("org_id = ANY($%d)", f.OrgIDs)
	}
	if !f.Since.IsZero() {
		cond("at >= $%d", ts(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at < $%d", ts(f.Until))
	}
	if f.Before != "" {
		cond("id < $%d", f.Before)
	}
	args = append(args, f.Limit)
	rows, err := d.q(ctx).Query(ctx, `SELECT id, at, actor, action, org_id, target, before, after
		FROM audit_log WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, scanAuditEntry)
}

func scanAuditEntry(s pgx.Row) (audit.Entry, error) {
	var e audit.Entry
	var before, after *string
	if err := s.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.OrgID, &e.Target, &before, &after); err != nil {
		return audit.Entry{}, mapErr(err)
	}
	e.At = e.At.UTC()
	if before != nil {
		e.Before = json.RawMessage(*before)
	}
	if after != nil {
		e.After = json.RawMessage(*after)
	}
	return e, nil
}
