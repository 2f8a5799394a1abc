package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/web"
)

func newOrgsCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "orgs", Short: "Manage organizations"})
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List organizations", Args: args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out web.OrgList
				if err := c.call(cmd, "GET", "/orgs", nil, &out); err != nil {
					return err
				}
				return c.print(out, func(w io.Writer) {
					row(w, "ID", "NAME", "PARENT", "CREATED")
					for _, o := range out.Items {
						row(w, o.ID, o.Name, orDash(o.Parent), when(&o.CreatedAt, "-"))
					}
				})
			},
		},
		&cobra.Command{
			Use: "get ID", Short: "Show an organization", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var o web.Org
				if err := c.call(cmd, "GET", "/orgs/"+pathEscape(a[0]), nil, &o); err != nil {
					return err
				}
				return c.printOrg(o)
			},
		},
		newOrgsTreeCmd(c),
		newOrgsCreateCmd(c),
		newOrgsUpdateCmd(c),
		newOrgsMoveCmd(c),
		newDeleteCmd(c, "delete ID", "Delete an organization with no children, accounts or assignments",
			func(a []string) (string, string) { return "/orgs/" + pathEscape(a[0]), "deleting organization " + a[0] }),
	)
	return cmd
}

func newOrgsCreateCmd(c *cli) *cobra.Command {
	var in web.CreateOrgRequest
	cmd := &cobra.Command{
		Use: "create ID", Short: "Create an organization", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.ID = a[0]
			var o web.Org
			if err := c.call(cmd, "POST", "/orgs", in, &o); err != nil {
				return err
			}
			return c.printOrg(o)
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "display name (default: the ID)")
	cmd.Flags().StringVar(&in.Parent, "parent", "", "parent organization (default: the root)")
	return cmd
}

func newOrgsUpdateCmd(c *cli) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use: "update ID --name NAME", Short: "Rename an organization", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if !cmd.Flags().Changed("name") {
				return usagef("nothing to update: give --name (iamd orgs move changes the parent)")
			}
			return c.patchOrg(cmd, a[0], web.UpdateOrgRequest{Name: &name})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new display name")
	return cmd
}

func newOrgsMoveCmd(c *cli) *cobra.Command {
	var parent string
	cmd := &cobra.Command{
		Use:   "move ID --parent PARENT",
		Short: "Move an organization, with its descendants, under another parent",
		Long: `Move an organization and everything under it to another parent; a move
under itself or one of its descendants is refused. Rights held on a subtree
follow the organizations; assignments whose rules no longer hold become
inactive (see iamd accounts rights).`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if parent == "" {
				return usagef("--parent is required")
			}
			return c.patchOrg(cmd, a[0], web.UpdateOrgRequest{Parent: &parent})
		},
	}
	cmd.Flags().StringVar(&parent, "parent", "", "the new parent organization (required)")
	return cmd
}

func (c *cli) patchOrg(cmd *cobra.Command, id string, in web.UpdateOrgRequest) error {
	var o web.Org
	if err := c.call(cmd, "PATCH", "/orgs/"+pathEscape(id), in, &o); err != nil {
		return err
	}
	return c.printOrg(o)
}

func newOrgsTreeCmd(c *cli) *cobra.Command {
	var under string
	cmd := &cobra.Command{
		Use: "tree", Short: "Show the organizations as a tree", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/orgs"
			if under != "" {
				path += "?under=" + url.QueryEscape(under)
			}
			var out web.OrgList
			if err := c.call(cmd, "GET", path, nil, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) { orgTree(w, out.Items) })
		},
	}
	cmd.Flags().StringVar(&under, "under", "", "only this organization and its descendants")
	return cmd
}

// orgTree writes organizations, listed parents first, one a line, indented
// by depth below the shallowest, with their names where they differ from
// their IDs.
func orgTree(w io.Writer, orgs []web.Org) {
	top := -1
	for _, o := range orgs {
		if top < 0 || len(o.Path) < top {
			top = len(o.Path)
		}
	}
	for _, o := range orgs {
		line := strings.Repeat("  ", max(len(o.Path)-top, 0)) + o.ID
		if o.Name != o.ID {
			line += "  (" + o.Name + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func (c *cli) printOrg(o web.Org) error {
	return c.print(o, func(w io.Writer) {
		row(w, "id", o.ID)
		row(w, "name", o.Name)
		row(w, "parent", orDash(o.Parent))
		row(w, "path", strings.Join(o.Path, "/"))
		row(w, "created", when(&o.CreatedAt, "-")+" by "+o.CreatedBy)
		row(w, "updated", when(&o.UpdatedAt, "-"))
	})
}

// newDeleteCmd returns a command that deletes what target names, after
// confirmation.
func newDeleteCmd(c *cli, use, short string, target func(args []string) (path, what string)) *cobra.Command {
	return newDeleteCmdWith(c, use, short, target, func() any { return nil })
}

// newDeleteCmdWith is newDeleteCmd sending the request body body returns,
// if not nil.
func newDeleteCmdWith(c *cli, use, short string, target func(args []string) (path, what string), body func() any) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			path, what := target(a)
			if err := c.confirm(yes, what, a[0]); err != nil {
				return err
			}
			if err := c.call(cmd, "DELETE", path, body(), nil); err != nil {
				return err
			}
			return c.print(map[string]string{"deleted": a[0]}, func(w io.Writer) { row(w, "deleted", a[0]) })
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// call sends one management API request; the requests of one command
// share one access token.
func (c *cli) call(cmd *cobra.Command, method, path string, in, out any) error {
	if c.client == nil {
		api, err := c.api()
		if err != nil {
			return err
		}
		c.client = api
	}
	return c.client.do(cmd.Context(), method, path, in, out)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// refArgs accepts one argument, the ORG/NAME reference of a role or group.
func refArgs(kind string) cobra.PositionalArgs {
	return args(func(cmd *cobra.Command, a []string) error {
		if err := cobra.ExactArgs(1)(cmd, a); err != nil {
			return err
		}
		return checkRef(kind, a[0])
	})
}

// checkRef returns a usage error unless ref has the form ORG/NAME.
func checkRef(kind, ref string) error {
	orgID, name, ok := strings.Cut(ref, "/")
	if !ok || orgID == "" || name == "" || strings.Contains(name, "/") {
		return usagef("%s %s: want ORG/NAME, as in acme/finance", kind, storage.Quote(ref))
	}
	return nil
}

// refPath is the API path of a role or group: /COLLECTION/ORG/NAME.
func refPath(collection, ref string) string {
	orgID, name, _ := strings.Cut(ref, "/")
	return "/" + collection + "/" + pathEscape(orgID) + "/" + pathEscape(name)
}
