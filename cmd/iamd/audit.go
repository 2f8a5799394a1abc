package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

// auditPageSize is the most entries asked for in one request.
const auditPageSize = 100

type auditFlags struct {
	actor, target, org, since, until, pageToken string
	limit                                       int
}

func newAuditCmd(c *cli) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log of changes, newest first",
		Long: `Show the changes made through iamd, newest first: when, who, what, in which
organization, to what. -o json adds each record before and after the change.
Only the organizations where you hold iam.audit:read are shown.`,
		Example: `  iamd audit --target invoice-sync@billing.iam -o json
  iamd audit --org billing --since 24h`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := f.query(time.Now())
			if err != nil {
				return err
			}
			out, err := c.auditPages(cmd, q, f.limit, f.pageToken)
			if err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "AT", "ACTOR", "ACTION", "ORG", "TARGET")
				for _, e := range out.Items {
					row(w, when(&e.At, "-"), e.Actor, e.Action, orDash(e.Org), orDash(e.Target))
				}
				if out.NextPageToken != "" {
					fmt.Fprintf(c.errOut, "more entries: --page-token %s, or a greater --limit\n", out.NextPageToken)
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.actor, "actor", "", "only changes made by this actor (a client ID, or \"iamd init\")")
	fl.StringVar(&f.target, "target", "", "only changes to this target (a client ID, ORG/ROLE, ORG/GROUP, a key ID...)")
	fl.StringVar(&f.org, "org", "", "only changes in this organization")
	fl.StringVar(&f.since, "since", "", "only changes at or after this time: RFC 3339, or a duration ago such as 24h or 7d")
	fl.StringVar(&f.until, "until", "", "only changes before this time: RFC 3339, or a duration ago")
	fl.IntVar(&f.limit, "limit", 50, "show at most this many entries")
	fl.StringVar(&f.pageToken, "page-token", "", "continue from a previous listing")
	return cmd
}

// query turns the filters into the API's query parameters.
func (f *auditFlags) query(now time.Time) (url.Values, error) {
	if f.limit <= 0 {
		return nil, usagef("--limit must be positive")
	}
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.actor, "target": f.target, "org": f.org} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for name, v := range map[string]string{"since": f.since, "until": f.until} {
		if v == "" {
			continue
		}
		t, err := pointInTime(v, now)
		if err != nil {
			return nil, usagef("--%s: %v", name, err)
		}
		q.Set(name, t.UTC().Format(time.RFC3339))
	}
	return q, nil
}

// pointInTime reads an RFC 3339 time, or a duration before now.
func pointInTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time, like 2027-01-31T00:00:00Z, or a duration ago, like 24h or 7d; got %q", s)
	}
	return now.Add(-d), nil
}

// auditPages fetches pages from token on until it has limit entries or
// there are no more; NextPageToken says where the rest starts.
func (c *cli) auditPages(cmd *cobra.Command, q url.Values, limit int, token string) (web.AuditList, error) {
	out := web.AuditList{Items: []web.AuditEntry{}}
	for {
		q.Set("page_size", strconv.Itoa(min(limit-len(out.Items), auditPageSize)))
		if token != "" {
			q.Set("page_token", token)
		}
		var page web.AuditList
		if err := c.call(cmd, "GET", "/audit?"+q.Encode(), nil, &page); err != nil {
			return web.AuditList{}, err
		}
		out.Items = append(out.Items, page.Items...)
		out.NextPageToken, token = page.NextPageToken, page.NextPageToken
		if token == "" || len(page.Items) == 0 || len(out.Items) >= limit {
			return out, nil
		}
	}
}
