package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newTokensCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "tokens", Short: "Revoke access tokens"})
	cmd.AddCommand(newTokensRevokeCmd(c))
	return cmd
}

func newTokensRevokeCmd(c *cli) *cobra.Command {
	var account, key string
	cmd := &cobra.Command{
		Use:   "revoke {TOKEN | - | --account CLIENT_ID [--key KEY_ID]}",
		Short: "Revoke a token, or every token of an account or of one of its keys",
		Long: `Revoke one access token until it expires (TOKEN, or - to read it from standard
input so that it stays out of the shell history), or every token issued until
now to an account (--account), or to one of its keys (--account and --key).

An account may revoke its own tokens; other accounts' need iam.tokens:write on
their organization. Revoked tokens are refused by the management API,
introspect as inactive, and are listed in the revocation feed until they
expire. The token itself is never printed: its jti is.`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var in web.RevokeTokensRequest
			switch {
			case len(a) == 1 && (account != "" || key != ""):
				return usagef("give a token or --account, not both")
			case len(a) == 1:
				tok, err := c.tokenArg(a[0])
				if err != nil {
					return err
				}
				if tok == "" {
					return usagef("no token given")
				}
				in.Token = tok
			case account != "":
				in.Account, in.Key = account, key
			case key != "":
				return usagef("--key needs --account, the key's account")
			default:
				return usagef("give a token, - to read it from standard input, or --account")
			}
			var out web.Revocation
			if err := c.call(cmd, "POST", "/tokens/revoke", in, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				if out.JTI != "" {
					row(w, "revoked token", out.JTI)
				} else {
					row(w, "revoked tokens issued before", when(out.IssuedBefore, "-"))
				}
				row(w, "client_id", out.ClientID)
				row(w, "key", orDash(out.Key))
				row(w, "until", when(&out.ExpiresAt, "-"))
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "revoke every token of this account (a client ID) issued until now")
	cmd.Flags().StringVar(&key, "key", "", "with --account: only the tokens issued to this key")
	return cmd
}
