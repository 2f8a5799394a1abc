package main

import (
	"io"

	"github.com/spf13/cobra"

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
		newOrgsCreateCmd(c),
		newOrgsUpdateCmd(c),
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
	var in web.UpdateOrgRequest
	cmd := &cobra.Command{
		Use: "update ID --name NAME", Short: "Rename an organization", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if !cmd.Flags().Changed("name") {
				return usagef("nothing to update: give --name")
			}
			var o web.Org
			if err := c.call(cmd, "PATCH", "/orgs/"+pathEscape(a[0]), in, &o); err != nil {
				return err
			}
			return c.printOrg(o)
		},
	}
	cmd.Flags().StringVar(&in.Name, "name", "", "new display name")
	return cmd
}

func (c *cli) printOrg(o web.Org) error {
	return c.print(o, func(w io.Writer) {
		row(w, "id", o.ID)
		row(w, "name", o.Name)
		row(w, "parent", orDash(o.Parent))
		row(w, "created", when(&o.CreatedAt, "-")+" by "+o.CreatedBy)
		row(w, "updated", when(&o.UpdatedAt, "-"))
	})
}

// newDeleteCmd returns a command that deletes what target names, after
// confirmation.
func newDeleteCmd(c *cli, use, short string, target func(args []string) (path, what string)) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			path, what := target(a)
			if err := c.confirm(yes, what, a[0]); err != nil {
				return err
			}
			if err := c.call(cmd, "DELETE", path, nil, nil); err != nil {
				return err
			}
			return c.print(map[string]string{"deleted": a[0]}, func(w io.Writer) { row(w, "deleted", a[0]) })
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// call sends one management API request.
func (c *cli) call(cmd *cobra.Command, method, path string, in, out any) error {
	api, err := c.api()
	if err != nil {
		return err
	}
	return api.do(cmd.Context(), method, path, in, out)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
