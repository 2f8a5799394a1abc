package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newRolesCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "roles",
		Short: "Manage roles: sets of rights, assignable within a perimeter",
		Long: `A role belongs to an organization and is named ORG/NAME, as in
acme/invoice-reader. It grants rights (PERMISSION:OPERATION) and may be
assigned only on the organizations of its perimeter: each entry an
organization alone (billing) or with its descendants (billing/*), by default
the owner's subtree. iamd ships the managed roles ROOT/admin, ROOT/developer
and ROOT/viewer, assignable but not editable.`,
	})
	cmd.AddCommand(
		newRolesListCmd(c),
		&cobra.Command{
			Use: "get ORG/NAME", Short: "Show a role", Args: refArgs("role"),
			RunE: func(cmd *cobra.Command, a []string) error {
				var r web.Role
				if err := c.call(cmd, "GET", refPath("roles", a[0]), nil, &r); err != nil {
					return err
				}
				return c.printRole(r)
			},
		},
		newRolesCreateCmd(c),
		newRolesUpdateCmd(c),
		newRolesDeleteCmd(c),
	)
	return cmd
}

func newRolesListCmd(c *cli) *cobra.Command {
	var orgID string
	cmd := &cobra.Command{
		Use: "list", Short: "List roles", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/roles"
			if orgID != "" {
				path += "?org=" + url.QueryEscape(orgID)
			}
			var out web.RoleList
			if err := c.call(cmd, "GET", path, nil, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "ROLE", "KIND", "RIGHTS", "PERIMETER")
				for _, r := range out.Items {
					row(w, r.Ref, r.Kind, firstOf(r.Rights, 3), list(r.Perimeter))
				}
			})
		},
	}
	cmd.Flags().StringVar(&orgID, "org", "", "only the roles this organization owns")
	return cmd
}

func newRolesCreateCmd(c *cli) *cobra.Command {
	var in web.CreateRoleRequest
	cmd := &cobra.Command{
		Use:   "create NAME --org ORG --permissions PERMISSION:OPERATION[,...]",
		Short: "Create a role",
		Long: `Create a role owned by --org. Each right names a catalogued permission and an
operation (read, write, delete, archive). Each perimeter entry is the owner
or one of its descendants, alone (billing) or with its subtree (billing/*).`,
		Example: `  iamd roles create invoice-reader --org acme --permissions billing.invoices:read --perimeter 'acme,billing/*'`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.Name = a[0]
			if in.Org == "" {
				return usagef("--org is required")
			}
			if len(in.Rights) == 0 {
				return usagef("--permissions is required: the rights the role grants, as billing.invoices:read")
			}
			var r web.Role
			if err := c.call(cmd, "POST", "/roles", in, &r); err != nil {
				return err
			}
			return c.printRole(r)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Org, "org", "", "organization owning the role (required)")
	f.StringSliceVar(&in.Rights, "permissions", nil, "rights the role grants, PERMISSION:OPERATION, comma-separated (required)")
	f.StringSliceVar(&in.Perimeter, "perimeter", nil, "where the role may be assigned: ORG or ORG/* (with descendants), comma-separated (default: ORG/* of the owner)")
	f.StringVar(&in.Description, "description", "", "what the role is for")
	return cmd
}

func newRolesUpdateCmd(c *cli) *cobra.Command {
	var description string
	var rights, perimeter []string
	cmd := &cobra.Command{
		Use:   "update ORG/NAME",
		Short: "Change a role's rights, perimeter or description",
		Long: `Change a role. --permissions and --perimeter replace the current lists. Adding
a right requires holding it wherever the role is assigned; narrowing the
perimeter makes the assignments outside it inactive.`,
		Args: refArgs("role"),
		RunE: func(cmd *cobra.Command, a []string) error {
			var in web.UpdateRoleRequest
			f := cmd.Flags()
			if f.Changed("description") {
				in.Description = &description
			}
			if f.Changed("permissions") {
				in.Rights = &rights
			}
			if f.Changed("perimeter") {
				in.Perimeter = &perimeter
			}
			if in == (web.UpdateRoleRequest{}) {
				return usagef("nothing to update: give --permissions, --perimeter or --description")
			}
			var r web.Role
			if err := c.call(cmd, "PATCH", refPath("roles", a[0]), in, &r); err != nil {
				return err
			}
			return c.printRole(r)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&rights, "permissions", nil, "rights, PERMISSION:OPERATION, replacing the current ones")
	f.StringSliceVar(&perimeter, "perimeter", nil, "perimeter entries, ORG or ORG/*, replacing the current ones")
	f.StringVar(&description, "description", "", "new description")
	return cmd
}

func newRolesDeleteCmd(c *cli) *cobra.Command {
	var force bool
	cmd := newDeleteCmd(c, "delete ORG/NAME", "Delete a role no one holds, or with --force, with its assignments",
		func(a []string) (string, string) {
			path, what := refPath("roles", a[0]), "deleting role "+a[0]
			if force {
				path += "?force=true"
				what += " and every assignment of it"
			}
			return path, what
		})
	cmd.Args = refArgs("role")
	cmd.Flags().BoolVar(&force, "force", false, "also remove its assignments and the group pairs that name it")
	return cmd
}

func (c *cli) printRole(r web.Role) error {
	return c.print(r, func(w io.Writer) {
		row(w, "role", r.Ref)
		row(w, "kind", r.Kind)
		row(w, "description", orDash(r.Description))
		row(w, "rights", list(r.Rights))
		row(w, "perimeter", list(r.Perimeter))
		row(w, "created", when(&r.CreatedAt, "-")+" by "+r.CreatedBy)
		row(w, "updated", when(&r.UpdatedAt, "-"))
	})
}

// firstOf lists at most n items and says how many more there are, so that
// a role with many rights keeps a list readable; get shows them all.
func firstOf(items []string, n int) string {
	if len(items) <= n {
		return list(items)
	}
	return fmt.Sprintf("%s (+%d more)", list(items[:n]), len(items)-n)
}
