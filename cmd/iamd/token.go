package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newTokenCmd(c *cli) *cobra.Command {
	var p tokenParams
	var secretFile, auth, keyFile string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token with the client credentials grant",
		Long: `Get an access token for a service account and print it, so that
TOKEN=$(iamd token ...) works; -o json prints the whole token response.

The secret comes from --client-secret, --client-secret-file, or
IAMD_CLIENT_SECRET; without --client-id, the profile's admin credentials are
used. With --key-file, the client authenticates with the key pair of a key
file instead (private_key_jwt): iamd token signs a one-time assertion with
its private key and sends it to the key file's token endpoint, or to
--server's if given.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch auth {
			case "basic":
			case "post":
				p.post = true
			default:
				return usagef("--auth must be basic or post")
			}
			prof, _, err := c.loadProfile()
			if err != nil {
				return err
			}
			if keyFile != "" {
				if p.secret != "" || secretFile != "" || cmd.Flags().Changed("auth") {
					return usagef("--key-file authenticates on its own: give no secret and no --auth")
				}
				if err := p.fillAssertion(keyFile, c.server != "", time.Now()); err != nil {
					return err
				}
			} else if err := p.fillSecret(secretFile, prof); err != nil {
				return err
			}
			tok, err := requestToken(cmd.Context(), newHTTPClient(), c.serverURL(prof), p)
			if err != nil {
				return err
			}
			return c.print(tok, func(w io.Writer) { fmt.Fprintln(w, tok.AccessToken) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.clientID, "client-id", "", "client ID of the service account, <account>@<org>.iam")
	f.StringVar(&p.secret, "client-secret", "", "the key's secret (visible to other local users in the process list: prefer --client-secret-file or IAMD_CLIENT_SECRET)")
	f.StringVar(&secretFile, "client-secret-file", "", "read the secret from this file")
	f.StringVar(&p.scope, "scope", "", "space-separated rights (PERMISSION:OPERATION) to request (default: every right the account holds)")
	f.StringArrayVar(&p.audiences, "audience", nil, "audience to request; repeatable")
	f.StringArrayVar(&p.resources, "resource", nil, "resource indicator (RFC 8707) to request; repeatable")
	f.StringVar(&keyFile, "key-file", "", "authenticate with the key pair of this key file (private_key_jwt), as written by iamd keys create --type key-pair")
	f.StringVar(&auth, "auth", "basic", "client authentication: basic (client_secret_basic) or post (client_secret_post)")
	return cmd
}

// fillSecret completes the credentials from a file, the environment or the
// profile.
func (p *tokenParams) fillSecret(file string, prof profile) error {
	switch {
	case p.secret != "" && file != "":
		return usagef("give --client-secret or --client-secret-file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read secret: %w", err)
		}
		p.secret = strings.TrimSpace(string(b))
	case p.secret == "" && p.clientID != "":
		p.secret = os.Getenv("IAMD_CLIENT_SECRET")
	}
	if p.clientID == "" {
		if p.secret != "" {
			return usagef("--client-id is required with a secret")
		}
		p.clientID, p.secret = prof.ClientID, prof.ClientSecret
	}
	if p.clientID == "" {
		return usagef("--client-id is required (no CLI profile found)")
	}
	if p.secret == "" {
		return usagef("no secret for %s: use --client-secret-file or IAMD_CLIENT_SECRET", p.clientID)
	}
	return nil
}
