package web

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
)

// AuditEntry is a change in the audit log. Before and After are the
// record as the API shows it (never a secret), null when it did not exist
// before or does not after.
type AuditEntry struct {
	ID     string          `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Org    string          `json:"org"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// AuditList is a page of the audit log, newest first.
type AuditList struct {
	Items []AuditEntry `json:"items"`
	// NextPageToken, if set, fetches the next (older) page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

// listAudit shows the entries of the organizations where the caller holds
// iam.audit read, or of the one it names if it holds it there.
func (s *Server) listAudit(c *fiber.Ctx) error {
	f, err := auditFilter(c, actor(c))
	if err != nil {
		return err
	}
	pageSize := f.Limit
	f.Limit++ // one more tells whether there is a next page
	entries, err := s.Orgs.Audit().List(c.UserContext(), f)
	if err != nil {
		return err
	}
	var out AuditList
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		out.NextPageToken = entries[pageSize-1].ID
	}
	out.Items = make([]AuditEntry, len(entries))
	for i, e := range entries {
		out.Items[i] = AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Org: e.OrgID,
			Target: e.Target, Before: e.Before, After: e.After}
	}
	return ok(c, out)
}

// auditFilter reads the query of an audit request, restricted to what a
// may read.
func auditFilter(c *fiber.Ctx, a rbac.Actor) (audit.Filter, error) {
	f := audit.Filter{Actor: c.Query("actor"), Target: c.Query("target")}
	if org := c.Query("org"); org != "" {
		if err := a.Need(org, readAudit); err != nil {
			return f, err
		}
		f.OrgIDs = []string{org}
	} else if ids, all := a.Visible(readAudit); !all {
		f.OrgIDs = append([]string{}, ids...) // empty, not nil: no organization
	}
	var err error
	if f.Since, err = timeQuery(c, "since"); err != nil {
		return f, err
	}
	if f.Until, err = timeQuery(c, "until"); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, badRequest("until must be after since")
	}
	if f.Limit, err = pageSizeQuery(c); err != nil {
		return f, err
	}
	if f.Before = c.Query("page_token"); f.Before != "" && !auditID(f.Before) {
		return f, badRequest("malformed page_token")
	}
	return f, nil
}

// timeQuery reads an RFC 3339 time; absent is the zero time.
func timeQuery(c *fiber.Ctx, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest(name + " must be an RFC 3339 time, as in 2025-01-31T12:00:00Z")
	}
	return t, nil
}

// auditID reports whether s has the shape of an audit entry ID (see
// audit.Entry.ID): lowercase hexadecimal digits, a few dozen of them.
func auditID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
