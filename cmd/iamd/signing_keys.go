package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newSigningKeysCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "signing-keys", Short: "Manage the keys that sign access tokens"})
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List signing keys", Args: args(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out web.SigningKeyList
				if err := c.call(cmd, "GET", "/signing-keys", nil, &out); err != nil {
					return err
				}
				return c.printSigningKeys(out)
			},
		},
		newSigningKeysRotateCmd(c),
	)
	return cmd
}

func newSigningKeysRotateCmd(c *cli) *cobra.Command {
	var in web.RotateSigningKeysRequest
	var activateIn string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key; it is published first and signs after a delay",
		Long: `Add a new signing key. It appears in the JWKS at once and starts signing
after --activate-in (by default long enough for every cached JWKS to have
been refreshed; the server refuses a shorter delay unless --force is given).
The previous key stays published until every token it signed has expired.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if activateIn != "" {
				d, err := time.ParseDuration(activateIn)
				if err != nil || d < 0 {
					return usagef("--activate-in: invalid duration %q", activateIn)
				}
				secs := int64(d / time.Second)
				in.ActivateIn = &secs
			}
			var out web.SigningKeyList
			if err := c.call(cmd, "POST", "/signing-keys/rotate", in, &out); err != nil {
				return err
			}
			return c.printSigningKeys(out)
		},
	}
	cmd.Flags().StringVar(&in.Algorithm, "alg", "", "algorithm of the new key: ES256, EdDSA or RS256 (default: the current key's)")
	cmd.Flags().StringVar(&activateIn, "activate-in", "", "delay before the new key signs, e.g. 10m (default: the server's)")
	cmd.Flags().BoolVar(&in.Force, "force", false, "allow an --activate-in shorter than the JWKS cache lifetime: resource servers may refuse the new key's tokens until they refetch the JWKS")
	return cmd
}

func (c *cli) printSigningKeys(out web.SigningKeyList) error {
	return c.print(out, func(w io.Writer) {
		row(w, "KEY ID", "ALG", "STATE", "ACTIVATES", "PUBLISHED UNTIL")
		for _, k := range out.Items {
			row(w, k.ID, k.Algorithm, k.State, when(&k.ActivatesAt, "-"), when(k.PublishedUntil, "-"))
		}
	})
}
