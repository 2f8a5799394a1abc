package main

import (
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newGroupsCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "groups",
		Short: "Manage groups: sets of roles on organizations, given together",
		Long: `A group belongs to an organization and is named ORG/NAME, as in acme/finance.
It holds (role, organization) pairs; an account in the group holds each role
on its organization, under the same assignment rules as a direct assignment.`,
	})
	cmd.AddCommand(
		newGroupsListCmd(c),
		&cobra.Command{
			Use: "get ORG/NAME", Short: "Show a group and its roles", Args: refArgs("group"),
			RunE: func(cmd *cobra.Command, a []string) error {
				return c.groupCall(cmd, "GET", refPath("groups", a[0]), nil)
			},
		},
		newGroupsCreateCmd(c),
		newGroupsUpdateCmd(c),
		newGroupsPairCmd(c, "add", "Add a role on an organization to a group"),
		newGroupsPairCmd(c, "remove", "Remove a role on an organization from a group"),
		newGroupsMembersCmd(c),
		groupsDeleteCmd(c),
	)
	return cmd
}

func groupsDeleteCmd(c *cli) *cobra.Command {
	cmd := newDeleteCmd(c, "delete ORG/NAME", "Delete a group; its members lose what it gave them",
		func(a []string) (string, string) { return refPath("groups", a[0]), "deleting group " + a[0] })
	cmd.Args = refArgs("group")
	return cmd
}

func newGroupsListCmd(c *cli) *cobra.Command {
	var orgID string
	cmd := &cobra.Command{
		Use: "list", Short: "List groups", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/groups"
			if orgID != "" {
				path += "?org=" + url.QueryEscape(orgID)
			}
			var out web.GroupList
			if err := c.call(cmd, "GET", path, nil, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "GROUP", "ROLES", "DESCRIPTION")
				for _, g := range out.Items {
					row(w, g.Ref, list(pairs(g.Roles)), orDash(g.Description))
				}
			})
		},
	}
	cmd.Flags().StringVar(&orgID, "org", "", "only the groups this organization owns")
	return cmd
}

func newGroupsCreateCmd(c *cli) *cobra.Command {
	var in web.CreateGroupRequest
	cmd := &cobra.Command{
		Use: "create NAME --org ORG", Short: "Create an empty group", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.Name = a[0]
			if in.Org == "" {
				return usagef("--org is required")
			}
			return c.groupCall(cmd, "POST", "/groups", in)
		},
	}
	cmd.Flags().StringVar(&in.Org, "org", "", "organization owning the group (required)")
	cmd.Flags().StringVar(&in.Description, "description", "", "what the group is for")
	return cmd
}

func newGroupsUpdateCmd(c *cli) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use: "update ORG/NAME --description TEXT", Short: "Describe a group anew", Args: refArgs("group"),
		RunE: func(cmd *cobra.Command, a []string) error {
			if !cmd.Flags().Changed("description") {
				return usagef("nothing to update: give --description")
			}
			return c.groupCall(cmd, "PATCH", refPath("groups", a[0]), web.UpdateGroupRequest{Description: &description})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "new description")
	return cmd
}

// newGroupsPairCmd returns groups add or groups remove: both name a role
// and the organization it applies on.
func newGroupsPairCmd(c *cli, action, short string) *cobra.Command {
	var p web.GroupRole
	use := action + " ORG/NAME --role ORG/ROLE --on ORG"
	on := "organization the role applies on"
	if action == "add" {
		use += "[/*]"
		on = "organization the role applies on: ORG, or ORG/* with its descendants"
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Args: refArgs("group"),
		RunE: func(cmd *cobra.Command, a []string) error {
			if p.Role == "" || p.On == "" {
				return usagef("--role and --on are required")
			}
			if err := checkRef("role", p.Role); err != nil {
				return err
			}
			path := refPath("groups", a[0]) + "/roles"
			if action == "add" {
				return c.groupCall(cmd, "POST", path, p)
			}
			return c.groupCall(cmd, "DELETE", path+"?"+url.Values{"role": {p.Role}, "on": {p.On}}.Encode(), nil)
		},
	}
	cmd.Flags().StringVar(&p.Role, "role", "", "role, ORG/ROLE (required)")
	cmd.Flags().StringVar(&p.On, "on", "", on+" (required)")
	return cmd
}

func newGroupsMembersCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use: "members ORG/NAME", Short: "List the accounts in a group", Args: refArgs("group"),
		RunE: func(cmd *cobra.Command, a []string) error {
			var out web.MemberList
			if err := c.call(cmd, "GET", refPath("groups", a[0])+"/members", nil, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "CLIENT ID", "SINCE", "ADDED BY")
				for _, m := range out.Items {
					row(w, m.ClientID, when(&m.CreatedAt, "-"), m.CreatedBy)
				}
			})
		},
	}
}

// groupCall sends a request answered with a group, and prints it.
func (c *cli) groupCall(cmd *cobra.Command, method, path string, in any) error {
	var g web.Group
	if err := c.call(cmd, method, path, in, &g); err != nil {
		return err
	}
	return c.print(g, func(w io.Writer) {
		row(w, "group", g.Ref)
		row(w, "description", orDash(g.Description))
		row(w, "roles", list(pairs(g.Roles)))
		row(w, "created", when(&g.CreatedAt, "-")+" by "+g.CreatedBy)
		row(w, "updated", when(&g.UpdatedAt, "-"))
	})
}

// pairs formats a group's roles as ROLE@ORG, as tokens name roles.
func pairs(ps []web.GroupRole) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Role + "@" + p.On
	}
	return out
}
