package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

// subject is what assignments are given to: an account, named by its
// client ID, or a user, named by its login. Both follow the same rules, so
// the assign and unassign commands differ only in these words.
type subject struct {
	kind string // "account" or "user"
	noun string // with its article, for help: "an account"
	path string // the API's collection: "/accounts" or "/users"
	arg  string // how usage names it: "CLIENT_ID" or "NAME"
}

// assignment is what assign and unassign print: the request, with the
// subject it was for under the key of its kind.
type assignment struct {
	ClientID string   `json:"client_id,omitempty"`
	User     string   `json:"user,omitempty"`
	Role     string   `json:"role,omitempty"`
	On       []string `json:"on,omitempty"`
	Group    string   `json:"group,omitempty"`
}

func (a assignment) String() string {
	if a.Group != "" {
		return "group " + a.Group
	}
	return a.Role + " on " + strings.Join(a.On, ", ")
}

// done is what the command prints once the request for id succeeded.
func (s subject) done(id string, f *assignmentFlags) assignment {
	a := assignment{Role: f.role, On: f.on, Group: f.group}
	if s.kind == "user" {
		a.User = id
	} else {
		a.ClientID = id
	}
	return a
}

// assignmentFlags reads --role with --on, or --group: what a subject is
// given or loses.
type assignmentFlags struct {
	role, group string
	on          []string
}

func (f *assignmentFlags) register(cmd *cobra.Command, on string) {
	cmd.Flags().StringVar(&f.role, "role", "", "role, ORG/ROLE")
	cmd.Flags().StringSliceVar(&f.on, "on", nil, on)
	cmd.Flags().StringVar(&f.group, "group", "", "group, ORG/GROUP, instead of a role")
}

// check returns a usage error unless exactly one of a role with
// organizations, or a group, was given; a single organization if one.
func (f *assignmentFlags) check(one bool) error {
	switch {
	case (f.role == "") == (f.group == ""):
		return usagef("give --role ORG/ROLE with --on ORG, or --group ORG/GROUP")
	case f.group != "" && len(f.on) > 0:
		return usagef("--on goes with --role: a group holds its own organizations")
	case f.group != "":
		return checkRef("group", f.group)
	case len(f.on) == 0:
		return usagef("--on is required with --role: the organization the role is given on")
	case one && len(f.on) > 1:
		return usagef("--on: one organization at a time")
	}
	return checkRef("role", f.role)
}

func newAccountsAssignCmd(c *cli) *cobra.Command {
	return newAssignCmd(c, subject{kind: "account", noun: "an account", path: "/accounts", arg: "CLIENT_ID"},
		`Give an account a role on one or more organizations (ORG, or ORG/* for it and
its descendants, including ones created later), or make it a member of a
group. Three rules apply to each role and organization, and a refusal names
the rule that failed (exit 2):
  1. the role is owned by the account's organization or an ancestor;
  2. the organization is the account's or one of its descendants;
  3. the organization is in the role's perimeter.
You may only give what you hold: iam.assignments:write, and every right of
the role, on the organization.`,
		`  iamd accounts assign invoice-sync@billing.iam --role acme/invoice-reader --on billing
  iamd accounts assign invoice-sync@billing.iam --group acme/finance`)
}

func newAccountsUnassignCmd(c *cli) *cobra.Command {
	return newUnassignCmd(c, subject{kind: "account", noun: "an account", path: "/accounts", arg: "CLIENT_ID"})
}

// newAssignCmd gives a subject of kind s a role on organizations, or a group.
func newAssignCmd(c *cli, s subject, long, example string) *cobra.Command {
	var f assignmentFlags
	cmd := &cobra.Command{
		Use:     "assign " + s.arg + " (--role ORG/ROLE --on ORG[/*][,ORG...] | --group ORG/GROUP)",
		Short:   "Give " + s.noun + " a role on organizations, or make it a member of a group",
		Long:    long,
		Example: example,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := f.check(false); err != nil {
				return err
			}
			in := web.AssignRequest{Role: f.role, On: f.on, Group: f.group}
			if err := c.call(cmd, "POST", s.path+"/"+pathEscape(a[0])+"/assignments", in, nil); err != nil {
				return err
			}
			done := s.done(a[0], &f)
			return c.print(done, func(w io.Writer) { row(w, "assigned", done.String(), "to "+a[0]) })
		},
	}
	f.register(cmd, "organizations to give the role on: ORG, or ORG/* with its descendants, comma-separated")
	return cmd
}

// newUnassignCmd takes a role on one organization, or a group, away from a
// subject of kind s.
func newUnassignCmd(c *cli, s subject) *cobra.Command {
	var f assignmentFlags
	cmd := &cobra.Command{
		Use:   "unassign " + s.arg + " (--role ORG/ROLE --on ORG | --group ORG/GROUP)",
		Short: "Take a role on an organization, or a group, away from " + s.noun,
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := f.check(true); err != nil {
				return err
			}
			q := url.Values{}
			if f.group != "" {
				q.Set("group", f.group)
			} else {
				q.Set("role", f.role)
				q.Set("on", f.on[0])
			}
			if err := c.call(cmd, "DELETE", s.path+"/"+pathEscape(a[0])+"/assignments?"+q.Encode(), nil, nil); err != nil {
				return err
			}
			done := s.done(a[0], &f)
			return c.print(done, func(w io.Writer) { row(w, "unassigned", done.String(), "from "+a[0]) })
		},
	}
	f.register(cmd, "organization the role was given on")
	return cmd
}

func newAccountsRightsCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "rights CLIENT_ID",
		Short: "Show an account's effective rights, where each comes from, and its inactive grants",
		Long: `Show each right (organization, PERMISSION:OPERATION) the account holds, with
its source: the role, the group if through one, and the organization it was
given on. Grants whose rules no longer hold (the account moved, a perimeter
narrowed) give no right: they are listed as inactive, with the reason. The
organization * stands for every organization.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var r web.AccountRights
			if err := c.call(cmd, "GET", "/accounts/"+pathEscape(a[0])+"/rights", nil, &r); err != nil {
				return err
			}
			return c.print(r, func(w io.Writer) { rightsTable(w, r) })
		},
	}
}

func rightsTable(w io.Writer, r web.AccountRights) {
	row(w, "client_id", r.ClientID)
	row(w, "org", r.Org)
	grantsTable(w, r.Roles, r.Groups, r.Rights, r.Inactive)
}

// grantsTable shows a subject's roles, groups, effective rights with their
// sources, and inactive grants with the rule they break.
func grantsTable(w io.Writer, roles, groups []string, rights []web.EffectiveRight, inactive []web.InactiveGrant) {
	row(w, "roles", list(roles))
	row(w, "groups", list(groups))
	row(w, "")
	if len(rights) == 0 {
		row(w, "no rights")
	} else {
		row(w, "ORG", "RIGHT", "ROLE", "GROUP", "GIVEN ON")
		for _, e := range rights {
			row(w, e.Org, e.Right, e.Role, orDash(e.Group), e.On)
		}
	}
	if len(inactive) == 0 {
		return
	}
	row(w, "")
	row(w, "INACTIVE ROLE", "GROUP", "GIVEN ON", "RULE", "REASON")
	for _, g := range inactive {
		rule := "perimeter"
		if g.Rule != 0 {
			rule = strconv.Itoa(g.Rule)
		}
		row(w, g.Role, orDash(g.Group), g.On, rule, g.Reason)
	}
}

func newAccountsMoveCmd(c *cli) *cobra.Command {
	var orgID string
	var yes bool
	cmd := &cobra.Command{
		Use:   "move CLIENT_ID --org ORG --yes",
		Short: "Move an account to another organization; its client ID changes",
		Long: `Move an account to another organization. Its client ID changes with it
(NAME@ORG.iam) and the old one stops working at once: every client using it
must switch. Its keys, roles and groups stay; its rights are computed afresh,
and grants whose rules no longer hold become inactive (see iamd accounts
rights). Needs --yes.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if orgID == "" {
				return usagef("--org is required")
			}
			if !yes {
				return usagef("moving %s to %s changes its client ID to %s, and the old one stops working at once: pass --yes to confirm",
					a[0], orgID, movedClientID(a[0], orgID))
			}
			var acct web.Account
			if err := c.call(cmd, "POST", "/accounts/"+pathEscape(a[0])+"/move", web.MoveAccountRequest{Org: orgID, Confirm: true}, &acct); err != nil {
				return err
			}
			if c.output == "table" {
				fmt.Fprintf(c.errOut, "The client ID is now %s; %s no longer works.\n", acct.ClientID, a[0])
			}
			return c.printAccount(acct)
		},
	}
	cmd.Flags().StringVar(&orgID, "org", "", "organization to move the account to (required)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "confirm that the client ID changes")
	return cmd
}

// movedClientID is what clientID becomes in orgID: NAME@ORG.iam[.DOMAIN].
func movedClientID(clientID, orgID string) string {
	name, host, ok := strings.Cut(clientID, "@")
	_, suffix, dotted := strings.Cut(host, ".")
	if !ok || !dotted {
		return "NAME@" + orgID + ".iam"
	}
	return name + "@" + orgID + "." + suffix
}
