package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newUsersCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "users", Short: "Manage human admins, who sign in to the web console"})
	cmd.AddCommand(
		newUsersListCmd(c),
		&cobra.Command{
			Use: "get NAME", Short: "Show a user, with its roles and groups", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var u web.User
				if err := c.call(cmd, "GET", "/users/"+pathEscape(a[0]), nil, &u); err != nil {
					return err
				}
				return c.printUser(u, "")
			},
		},
		newUsersCreateCmd(c),
		newUsersUpdateCmd(c),
		newUserActionCmd(c, "disable", "Disable a user: it can no longer sign in, and its sessions end"),
		newUserActionCmd(c, "enable", "Enable a disabled user"),
		newUsersSetPasswordCmd(c),
		newUsersAssignCmd(c),
		newUsersUnassignCmd(c),
		&cobra.Command{
			Use:   "rights NAME",
			Short: "Show a user's effective rights, where each comes from, and its inactive grants",
			Args:  args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var r web.UserRights
				if err := c.call(cmd, "GET", "/users/"+pathEscape(a[0])+"/rights", nil, &r); err != nil {
					return err
				}
				return c.print(r, func(w io.Writer) {
					row(w, "user", r.Name)
					row(w, "org", r.Org)
					grantsTable(w, r.Roles, r.Groups, r.Rights, r.Inactive)
				})
			},
		},
		newDeleteCmd(c, "delete NAME", "Delete a user, its sessions and assignments; its accounts are left without an owner",
			func(a []string) (string, string) {
				return "/users/" + pathEscape(a[0]), "deleting user " + a[0]
			}),
	)
	return cmd
}

func newUsersListCmd(c *cli) *cobra.Command {
	var org, status string
	var pages pageFlags
	cmd := &cobra.Command{
		Use: "list", Short: "List users, by name", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := listPages[web.User](c, cmd, "/users", map[string]string{"org": org, "status": status}, pages)
			if err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "NAME", "DISPLAY NAME", "ORG", "STATUS", "LAST LOGIN", "CREATED")
				for _, u := range out.Items {
					row(w, u.Name, u.DisplayName, u.Org, u.Status, when(u.LastLoginAt, "never"), when(&u.CreatedAt, "-"))
				}
				if out.NextPageToken != "" {
					fmt.Fprintf(c.errOut, "more users: --page-token %s, or --all\n", out.NextPageToken)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "only users of this organization")
	f.StringVar(&status, "status", "", "only active or disabled users")
	pages.register(cmd, "users")
	return cmd
}

func newUsersCreateCmd(c *cli) *cobra.Command {
	var in web.CreateUserRequest
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "create NAME --org ORG",
		Short: "Create a human admin (with no role)",
		Long: `Create a user who signs in to the web console. NAME is the login: 3 to 63
lowercase letters, digits or hyphens, starting with a letter. Without
--password-stdin, iamd generates a password and prints it once; either way
the user must change it at the first sign-in. The user holds no right until
given a role or a group (iamd users assign).`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			in.Name = a[0]
			if in.Org == "" {
				return usagef("--org is required")
			}
			if fromStdin {
				var err error
				if in.Password, err = readPassword(c.in); err != nil {
					return err
				}
			}
			var u web.NewUser
			if err := c.call(cmd, "POST", "/users", in, &u); err != nil {
				return err
			}
			return c.printUser(u.User, u.Password)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Org, "org", "", "organization of the user (required)")
	f.StringVar(&in.DisplayName, "display-name", "", "display name (default: the name)")
	f.StringVar(&in.Email, "email", "", "email address, for people to reach the user")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the first password from the first line of stdin instead of generating one")
	return cmd
}

func newUsersUpdateCmd(c *cli) *cobra.Command {
	var displayName, email string
	cmd := &cobra.Command{
		Use: "update NAME", Short: "Change a user's display name or email", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var in web.UpdateUserRequest
			if cmd.Flags().Changed("display-name") {
				in.DisplayName = &displayName
			}
			if cmd.Flags().Changed("email") {
				in.Email = &email
			}
			if in == (web.UpdateUserRequest{}) {
				return usagef("nothing to update: give --display-name or --email")
			}
			var u web.User
			if err := c.call(cmd, "PATCH", "/users/"+pathEscape(a[0]), in, &u); err != nil {
				return err
			}
			return c.printUser(u, "")
		},
	}
	cmd.Flags().StringVar(&displayName, "display-name", "", "new display name")
	cmd.Flags().StringVar(&email, "email", "", `new email address ("" for none)`)
	return cmd
}

func newUserActionCmd(c *cli, action, short string) *cobra.Command {
	return &cobra.Command{
		Use: action + " NAME", Short: short, Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var u web.User
			if err := c.call(cmd, "POST", "/users/"+pathEscape(a[0])+"/"+action, nil, &u); err != nil {
				return err
			}
			return c.printUser(u, "")
		},
	}
}

func newUsersSetPasswordCmd(c *cli) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "set-password NAME",
		Short: "Give a user a new password, which it must change at the next sign-in",
		Long: `Give a user a new password, generated and printed once unless
--password-stdin gives one. The user's sessions end, and it must change the
password at the next sign-in. You need every right the user holds: whoever
knows the password acts with them.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var in web.SetPasswordRequest
			if fromStdin {
				var err error
				if in.Password, err = readPassword(c.in); err != nil {
					return err
				}
			}
			var u web.NewUser
			if err := c.call(cmd, "POST", "/users/"+pathEscape(a[0])+"/password", in, &u); err != nil {
				return err
			}
			return c.printUser(u.User, u.Password)
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	return cmd
}

// newUsersAssignCmd is accounts assign for users: a user is a subject of
// the same rules, named by its login instead of a client ID.
func newUsersAssignCmd(c *cli) *cobra.Command {
	return newAssignCmd(c, subject{kind: "user", noun: "a user", path: "/users", arg: "NAME"},
		`Give a user a role on one or more organizations, or make it a member of a
group, under the same three rules as accounts (see iamd accounts assign
--help), the user's organization standing for the account's.`,
		`  iamd users assign ana --role acme/viewer --on acme/*`)
}

func newUsersUnassignCmd(c *cli) *cobra.Command {
	return newUnassignCmd(c, subject{kind: "user", noun: "a user", path: "/users", arg: "NAME"})
}

// maxPasswordLine bounds what --password-stdin reads: passwords have at
// most 128 characters.
const maxPasswordLine = 4 << 10

// readPassword reads a password from the first line of r, without its line
// ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	p := strings.TrimRight(line, "\r\n")
	if p == "" {
		return "", usagef("--password-stdin: stdin has no password")
	}
	return p, nil
}

// printUser shows a user and, if iamd generated it, its password, with
// what the reader must know about it.
func (c *cli) printUser(u web.User, password string) error {
	v := any(u)
	if password != "" {
		v = web.NewUser{User: u, Password: password}
	}
	return c.print(v, func(w io.Writer) {
		row(w, "name", u.Name)
		row(w, "display name", u.DisplayName)
		row(w, "email", orDash(u.Email))
		row(w, "org", u.Org)
		row(w, "status", u.Status)
		if u.MustChangePassword {
			row(w, "password", "to be changed at the next sign-in")
		}
		if u.Roles != nil || u.Groups != nil {
			row(w, "roles", list(u.Roles))
			row(w, "groups", list(u.Groups))
		}
		row(w, "created", when(&u.CreatedAt, "-")+" by "+u.CreatedBy)
		row(w, "last login", when(u.LastLoginAt, "never"))
		if password != "" {
			row(w, "generated password", password)
			fmt.Fprintln(c.errOut, "Give this password to the user now: it is shown only once and cannot be retrieved. "+
				"The user must change it at the first sign-in.")
		}
	})
}
