package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/storage"
)

// auditPageSize is the number of entries an audit page shows.
const auditPageSize = 50

// auditTimeLayout is the value of <input type="datetime-local">, read as
// UTC, the time every page shows.
const auditTimeLayout = "2006-01-02T15:04"

// auditPages registers the pages of the audit log.
func (s *Server) auditPages(r fiber.Router) {
	r.Get("/audit", s.auditList)
}

// auditListPage is a page of the audit log, newest first, with its
// filters.
type auditListPage struct {
	page
	Orgs                       []orgChoice
	Org, Actor, Action, Target string
	Since, Until               string
	Entries                    []auditRow
	// Older is the URL of the next, older, page, if any; Newest, of the
	// first page, when this one is not.
	Older, Newest string
	Error         string
}

// auditRow is an entry as the page shows it; Before and After are its
// records, indented, "" when there are none.
type auditRow struct {
	audit.Entry
	BeforeText, AfterText string
}

// auditList shows the entries of the organizations where the signed-in
// user holds iam.audit read, as listAudit does for the API.
func (s *Server) auditList(c *fiber.Ctx) error {
	actor := consoleActor(c)
	p := &auditListPage{page: s.page(c), Org: c.Query("org"), Actor: strings.TrimSpace(c.Query("actor")),
		Action: strings.TrimSpace(c.Query("action")), Target: strings.TrimSpace(c.Query("target")),
		Since: c.Query("since"), Until: c.Query("until")}
	f := audit.Filter{Actor: p.Actor, Action: p.Action, Target: p.Target, Limit: auditPageSize + 1}
	if p.Org != "" {
		if err := actor.Need(p.Org, readAudit); err != nil {
			return err
		}
		f.OrgIDs = []string{p.Org}
	} else if ids, all := actor.Visible(readAudit); !all {
		if len(ids) == 0 {
			return storage.ErrForbidden
		}
		f.OrgIDs = append([]string{}, ids...)
	}
	if f.Before = c.Query("before"); f.Before != "" && !auditID(f.Before) {
		return fiber.ErrBadRequest
	}
	var err error
	if p.Orgs, err = s.orgChoices(c, readAudit, p.Org); err != nil {
		return err
	}
	since, okSince := auditTime(p.Since)
	until, okUntil := auditTime(p.Until)
	switch {
	case !okSince || !okUntil:
		p.Error = p.T("audit.error.time")
	case !since.IsZero() && !until.IsZero() && !until.After(since):
		p.Error = p.T("audit.error.order")
	}
	if p.Error != "" {
		return s.render(c, http.StatusUnprocessableEntity, "audit_list", p)
	}
	f.Since, f.Until = since, until
	entries, err := s.Orgs.Audit().List(c.UserContext(), f)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"org": p.Org, "actor": p.Actor, "action": p.Action, "target": p.Target, "since": p.Since, "until": p.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		older := url.Values{"before": {entries[auditPageSize-1].ID}}
		for k, v := range q {
			older[k] = v
		}
		p.Older = consolePrefix + "/audit?" + older.Encode()
	}
	if f.Before != "" {
		p.Newest = consolePrefix + "/audit"
		if len(q) > 0 {
			p.Newest += "?" + q.Encode()
		}
	}
	p.Entries = make([]auditRow, len(entries))
	for i, e := range entries {
		p.Entries[i] = auditRow{Entry: e, BeforeText: auditRecord(e.Before), AfterText: auditRecord(e.After)}
	}
	return s.render(c, http.StatusOK, "audit_list", p)
}

// auditTime reads a time of the filter form: empty is the zero time; ok
// is false for anything else that is not a time.
func auditTime(v string) (t time.Time, ok bool) {
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.ParseInLocation(auditTimeLayout, v, time.UTC); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// auditSecretFields are the fields auditRecord blanks. The services
// record views that hold no secret (see package audit); this is a second
// line, should one ever slip into a view.
var auditSecretFields = map[string]bool{
	"secret": true, "client_secret": true, "password": true, "password_hash": true,
	"secret_hash": true, "hash": true, "private_key": true, "token": true,
}

// auditRecord returns a record of an entry as indented JSON, with any
// field of auditSecretFields blanked; "" for none.
func auditRecord(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(auditRedact(v)); err != nil {
		return ""
	}
	return strings.TrimSpace(buf.String())
}

func auditRedact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if auditSecretFields[strings.ToLower(k)] {
				x[k] = "…"
			} else {
				x[k] = auditRedact(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = auditRedact(x[i])
		}
	}
	return v
}
