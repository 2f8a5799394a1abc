package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newAccountsCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "accounts", Short: "Manage service accounts"})
	cmd.AddCommand(
		newAccountsListCmd(c),
		&cobra.Command{
			Use: "get CLIENT_ID", Short: "Show an account and its keys", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var acct web.Account
				if err := c.call(cmd, "GET", "/accounts/"+pathEscape(a[0]), nil, &acct); err != nil {
					return err
				}
				return c.printAccount(acct)
			},
		},
		newAccountsCreateCmd(c),
		newAccountsUpdateCmd(c),
		newAccountsAssignCmd(c),
		newAccountsUnassignCmd(c),
		newAccountsRightsCmd(c),
		newAccountsMoveCmd(c),
		newAccountActionCmd(c, "archive", "Archive an account: it can no longer get tokens, but keeps its keys and settings"),
		newAccountActionCmd(c, "restore", "Restore an archived account"),
		newDeleteCmd(c, "delete CLIENT_ID", "Delete an account and all its keys",
			func(a []string) (string, string) {
				return "/accounts/" + pathEscape(a[0]), "deleting " + a[0] + " and all its keys"
			}),
	)
	return cmd
}

func newAccountsListCmd(c *cli) *cobra.Command {
	var org, status, owner string
	var pages pageFlags
	cmd := &cobra.Command{
		Use: "list", Short: "List accounts", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := listPages[web.Account](c, cmd, "/accounts",
				map[string]string{"org": org, "status": status, "owner": owner}, pages)
			if err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "CLIENT ID", "NAME", "OWNER", "STATUS", "LAST USED", "CREATED")
				for _, a := range out.Items {
					row(w, a.ClientID, a.DisplayName, ownerOf(a), a.Status, when(a.LastUsedAt, "never used"), when(&a.CreatedAt, "-"))
				}
				if out.NextPageToken != "" {
					fmt.Fprintf(c.errOut, "more accounts: --page-token %s, or --all\n", out.NextPageToken)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "only accounts of this organization")
	f.StringVar(&status, "status", "", "only active or archived accounts")
	f.StringVar(&owner, "owner", "", "only accounts this user owns")
	pages.register(cmd, "accounts")
	return cmd
}

func newAccountsCreateCmd(c *cli) *cobra.Command {
	var in web.CreateAccountRequest
	cmd := &cobra.Command{
		Use:   "create ID --org ORG",
		Short: "Create a service account (with no key)",
		Long: `Create a service account. ID is 3 to 63 lowercase letters, digits or hyphens,
starting with a letter; the account's client ID is ID@ORG.iam. It holds no
right until given a role or a group (iamd accounts assign).`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := noScopes(cmd); err != nil {
				return err
			}
			in.ID = a[0]
			if in.Org == "" {
				return usagef("--org is required")
			}
			var acct web.Account
			if err := c.call(cmd, "POST", "/accounts", in, &acct); err != nil {
				return err
			}
			return c.printAccount(acct)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Org, "org", "", "organization of the account (required)")
	f.StringVar(&in.DisplayName, "name", "", "display name (default: the ID)")
	f.StringVar(&in.Description, "description", "", "what the account is for")
	f.StringSliceVar(&in.AllowedAudiences, "audiences", nil, "audiences the account may request tokens for, comma-separated")
	f.StringVar(&in.Owner, "owner", "", "user who owns the account (see iamd users)")
	hideScopes(cmd)
	return cmd
}

func newAccountsUpdateCmd(c *cli) *cobra.Command {
	var name, description, owner string
	var audiences []string
	cmd := &cobra.Command{
		Use: "update CLIENT_ID", Short: "Change an account's name, description, audiences or owner", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := noScopes(cmd); err != nil {
				return err
			}
			var in web.UpdateAccountRequest
			f := cmd.Flags()
			if f.Changed("name") {
				in.DisplayName = &name
			}
			if f.Changed("description") {
				in.Description = &description
			}
			if f.Changed("audiences") {
				in.AllowedAudiences = &audiences
			}
			if f.Changed("owner") {
				in.Owner = &owner
			}
			if in == (web.UpdateAccountRequest{}) {
				return usagef("nothing to update: give --name, --description, --audiences or --owner")
			}
			var acct web.Account
			if err := c.call(cmd, "PATCH", "/accounts/"+pathEscape(a[0]), in, &acct); err != nil {
				return err
			}
			return c.printAccount(acct)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new display name")
	f.StringVar(&description, "description", "", "new description")
	f.StringSliceVar(&audiences, "audiences", nil, `allowed audiences, replacing the current ones ("" for none)`)
	f.StringVar(&owner, "owner", "", `user who owns the account ("" for none)`)
	hideScopes(cmd)
	return cmd
}

func newAccountActionCmd(c *cli, action, short string) *cobra.Command {
	var revoke bool
	cmd := &cobra.Command{
		Use: action + " CLIENT_ID", Short: short, Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var acct web.Account
			if err := c.call(cmd, "POST", "/accounts/"+pathEscape(a[0])+"/"+action, retireBody(revoke), &acct); err != nil {
				return err
			}
			return c.printAccount(acct)
		},
	}
	if action == "archive" {
		cmd.Flags().BoolVar(&revoke, "revoke-tokens", false, "also revoke every token the account was issued")
	}
	return cmd
}

func (c *cli) printAccount(a web.Account) error {
	return c.print(a, func(w io.Writer) {
		row(w, "client_id", a.ClientID)
		row(w, "name", a.DisplayName)
		row(w, "description", orDash(a.Description))
		row(w, "org", a.Org)
		row(w, "owner", ownerOf(a))
		row(w, "status", a.Status)
		if a.System {
			row(w, "system", "yes (cannot be changed)")
		}
		row(w, "allowed audiences", list(a.AllowedAudiences))
		if a.Roles != nil || a.Groups != nil {
			row(w, "roles", list(a.Roles))
			row(w, "groups", list(a.Groups))
		}
		row(w, "created", when(&a.CreatedAt, "-")+" by "+a.CreatedBy)
		row(w, "last used", when(a.LastUsedAt, "never used"))
		if len(a.Keys) > 0 {
			row(w, "")
			keysTable(w, a.Keys)
		}
	})
}

// ownerOf is the name of a's owner, or a dash.
func ownerOf(a web.Account) string {
	if a.Owner == nil {
		return "-"
	}
	return *a.Owner
}

// hideScopes keeps the --scopes flag of earlier releases, hidden, so that
// noScopes can say what replaced it rather than "unknown flag".
func hideScopes(cmd *cobra.Command) {
	cmd.Flags().StringSlice("scopes", nil, "")
	cmd.Flags().MarkHidden("scopes")
}

func noScopes(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("scopes") {
		return nil
	}
	return usagef("--scopes is gone: an account's rights come from roles. Create a role with the rights " +
		"(iamd roles create NAME --org ORG --permissions billing.invoices:read) and give it to the account " +
		"(iamd accounts assign CLIENT_ID --role ORG/NAME --on ORG)")
}
