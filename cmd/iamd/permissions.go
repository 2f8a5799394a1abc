package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newPermissionsCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "permissions",
		Short: "Manage the permission catalog roles pick their rights from",
		Long: `A permission is a dotted name, such as billing.invoices; a right is a
permission with one of the operations read, write, delete and archive, as in
billing.invoices:read. Roles grant rights on catalogued permissions only. The
iam.* permissions, which govern iamd itself, are built in.`,
	})
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List the permissions", Args: args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out web.PermissionList
				if err := c.call(cmd, "GET", "/permissions", nil, &out); err != nil {
					return err
				}
				return c.print(out, func(w io.Writer) {
					row(w, "NAME", "BUILT IN", "DESCRIPTION")
					for _, p := range out.Items {
						row(w, p.Name, yesNo(p.Builtin), orDash(p.Description))
					}
				})
			},
		},
		&cobra.Command{
			Use: "get NAME", Short: "Show a permission", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				return c.permission(cmd, "GET", a[0], nil)
			},
		},
		newPermissionsCreateCmd(c),
		newPermissionsUpdateCmd(c),
		newDeleteCmd(c, "delete NAME", "Delete a permission no role grants",
			func(a []string) (string, string) {
				return "/permissions/" + pathEscape(a[0]), "deleting permission " + a[0]
			}),
	)
	return cmd
}

func newPermissionsCreateCmd(c *cli) *cobra.Command {
	var in web.CreatePermissionRequest
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Add a permission of your platform to the catalog",
		Long: `Add a permission to the catalog. NAME is one or more dot-separated segments
of lowercase letters, digits and hyphens, each starting with a letter, as in
billing.invoices; the iam. prefix is iamd's own.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.Name = a[0]
			var p web.Permission
			if err := c.call(cmd, "POST", "/permissions", in, &p); err != nil {
				return err
			}
			return c.printPermission(p)
		},
	}
	cmd.Flags().StringVar(&in.Description, "description", "", "what the permission protects")
	return cmd
}

func newPermissionsUpdateCmd(c *cli) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use: "update NAME --description TEXT", Short: "Describe a permission anew", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if !cmd.Flags().Changed("description") {
				return usagef("nothing to update: give --description")
			}
			return c.permission(cmd, "PATCH", a[0], web.UpdatePermissionRequest{Description: &description})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "new description")
	return cmd
}

// permission sends a request about one permission and prints the answer.
func (c *cli) permission(cmd *cobra.Command, method, name string, in any) error {
	var p web.Permission
	if err := c.call(cmd, method, "/permissions/"+pathEscape(name), in, &p); err != nil {
		return err
	}
	return c.printPermission(p)
}

func (c *cli) printPermission(p web.Permission) error {
	return c.print(p, func(w io.Writer) {
		row(w, "name", p.Name)
		row(w, "description", orDash(p.Description))
		row(w, "built in", yesNo(p.Builtin))
		row(w, "created", when(&p.CreatedAt, "-")+" by "+orDash(p.CreatedBy))
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
