package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/resource"
)

func newVerifyCmd(c *cli) *cobra.Command {
	var audience string
	cmd := &cobra.Command{
		Use:   "verify TOKEN",
		Short: "Check an access token against the server's published keys",
		Long: `Check an access token the way a resource server does: fetch the server's
metadata and JWKS, then check the token's type, signature, issuer, validity
period and, with --audience, its audience. Prints the claims; exits 1 if the
token is not valid. Use - to read the token from standard input.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			token := a[0]
			if token == "-" {
				b, err := io.ReadAll(io.LimitReader(c.in, 64<<10))
				if err != nil {
					return err
				}
				token = string(b)
			}
			prof, _, err := c.loadProfile()
			if err != nil {
				return err
			}
			verifier, err := remoteVerifier(cmd.Context(), c.serverURL(prof))
			if err != nil {
				return err
			}
			claims, err := verifier.Verify(strings.TrimSpace(token), audience)
			if err != nil {
				return fmt.Errorf("token is not valid: %w", err)
			}
			return c.print(claims, func(w io.Writer) {
				row(w, "valid", "yes")
				row(w, "issuer", claims.Issuer)
				row(w, "subject", claims.Subject)
				row(w, "client_id", claims.ClientID)
				row(w, "org", claims.Org)
				row(w, "audience", list(claims.Audience))
				row(w, "scope", list(claims.Scopes()))
				row(w, "issued_at", when(unix(claims.IssuedAt), "-"))
				row(w, "expires_at", when(unix(claims.Expiry), "-"))
				row(w, "jti", claims.ID)
			})
		},
	}
	cmd.Flags().StringVar(&audience, "audience", "", "require the token to be meant for this audience")
	return cmd
}

func unix(sec int64) *time.Time {
	t := time.Unix(sec, 0)
	return &t
}

// remoteVerifier builds a verifier from the server's metadata (RFC 8414)
// and JWKS, as a resource server would. The CLI trusts the server it is
// configured with to name its issuer, which may be another URL than the
// one it reaches the server at (a proxy in front of it).
func remoteVerifier(ctx context.Context, server string) (*resource.Verifier, error) {
	keys, err := resource.NewRemoteKeys(ctx, "", resource.RemoteConfig{
		Client: newHTTPClient(), MetadataURL: server + resource.MetadataPath,
	})
	if err != nil {
		return nil, err
	}
	return resource.NewVerifier(keys.Issuer(), keys.Lookup, time.Now), nil
}
