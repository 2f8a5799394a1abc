package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/resource"
)

func newVerifyCmd(c *cli) *cobra.Command {
	var audience string
	var required []string
	cmd := &cobra.Command{
		Use:   "verify TOKEN",
		Short: "Check an access token against the server's published keys",
		Long: `Check an access token the way a resource server does: fetch the server's
metadata and JWKS, then check the token's type, signature, issuer, validity
period and, with --audience, its audience. Prints the claims; exits 1 if the
token is not valid. Use - to read the token from standard input.

With --require ORG:PERMISSION:OPERATION (repeatable), the token must also
grant each right in that organization by its rights claim; if it does not,
verify names every missing one and exits 1.`,
		Example: `  iamd verify "$TOKEN" --require billing:billing.invoices:read`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			reqs, err := parseRequirements(required)
			if err != nil {
				return err
			}
			token, err := c.tokenArg(a[0])
			if err != nil {
				return err
			}
			prof, _, err := c.loadProfile()
			if err != nil {
				return err
			}
			verifier, err := remoteVerifier(cmd.Context(), c.serverURL(prof))
			if err != nil {
				return err
			}
			claims, err := verifier.Verify(token, audience)
			if err != nil {
				return fmt.Errorf("token is not valid: %w", err)
			}
			if err := missing(claims, reqs); err != nil {
				return err
			}
			return c.print(claims, func(w io.Writer) { claimsTable(w, claims) })
		},
	}
	cmd.Flags().StringVar(&audience, "audience", "", "require the token to be meant for this audience")
	cmd.Flags().StringArrayVar(&required, "require", nil, "require the token to grant a right in an organization, ORG:PERMISSION:OPERATION (repeatable)")
	return cmd
}

// tokenArg returns the token argument, read from standard input for "-".
func (c *cli) tokenArg(arg string) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(c.in, 64<<10))
	return strings.TrimSpace(string(b)), err
}

func parseRequirements(flags []string) ([]resource.Requirement, error) {
	reqs := make([]resource.Requirement, 0, len(flags))
	for _, f := range flags {
		q, err := resource.ParseRequirement(f)
		if err != nil {
			return nil, usagef("--require: %w", err)
		}
		reqs = append(reqs, q)
	}
	return reqs, nil
}

// missing returns an error naming, one per line, each requirement the
// token does not grant.
func missing(claims *resource.Claims, reqs []resource.Requirement) error {
	var errs []error
	for _, q := range claims.Missing(reqs) {
		where := q.Org
		if where == resource.Wildcard {
			where = "every organization"
		}
		errs = append(errs, fmt.Errorf("token does not grant %s on %s", q.Right(), where))
	}
	return errors.Join(errs...)
}

func claimsTable(w io.Writer, claims *resource.Claims) {
	row(w, "valid", "yes")
	row(w, "issuer", claims.Issuer)
	row(w, "subject", claims.Subject)
	row(w, "client_id", claims.ClientID)
	row(w, "org", claims.Org)
	row(w, "audience", list(claims.Audience))
	row(w, "scope", list(claims.Scopes()))
	if len(claims.Roles) == 0 {
		row(w, "roles", "-")
	}
	for i, e := range claims.Roles {
		label := ""
		if i == 0 {
			label = "roles"
		}
		row(w, label, e.Roles+" on "+strings.Join(e.Orgs, ","))
	}
	row(w, "groups", list(claims.Groups))
	if len(claims.Rights) == 0 {
		row(w, "rights", "-")
	}
	for i, e := range claims.Rights {
		label := ""
		if i == 0 {
			label = "rights"
		}
		row(w, label, e.Scope+" on "+strings.Join(e.Orgs, ","))
	}
	row(w, "issued_at", when(unix(claims.IssuedAt), "-"))
	row(w, "expires_at", when(unix(claims.Expiry), "-"))
	row(w, "jti", claims.ID)
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
