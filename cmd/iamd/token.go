package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

type tokenParams struct {
	clientID, secret string
	scope            string
	audiences        []string
	resources        []string
	// post sends the credentials in the body (client_secret_post) rather
	// than with HTTP Basic (client_secret_basic).
	post bool
}

// oauthError is an error answer of the token endpoint.
type oauthError struct {
	Status      int
	Code        string
	Description string
}

func (e *oauthError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// requestToken runs the client credentials grant against server.
func requestToken(ctx context.Context, hc *http.Client, server string, p tokenParams) (*oauth.TokenResponse, error) {
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	if p.scope != "" {
		form.Set("scope", p.scope)
	}
	form["audience"] = p.audiences
	form["resource"] = p.resources
	if p.post {
		form.Set("client_id", p.clientID)
		form.Set("client_secret", p.secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+oauth.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !p.post {
		// RFC 6749 §2.3.1: form-encode both parts before base64.
		req.SetBasicAuth(url.QueryEscape(p.clientID), url.QueryEscape(p.secret))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach iamd at %s: %w", server, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e web.OAuthErrorBody
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			return nil, fmt.Errorf("token endpoint answered %s", resp.Status)
		}
		return nil, &oauthError{Status: resp.StatusCode, Code: e.Error, Description: e.Description}
	}
	var tok oauth.TokenResponse
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("unexpected answer from the token endpoint")
	}
	return &tok, nil
}

func newTokenCmd(c *cli) *cobra.Command {
	var p tokenParams
	var secretFile, auth string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token with the client credentials grant",
		Long: `Get an access token for a service account and print it, so that
TOKEN=$(iamd token ...) works; -o json prints the whole token response.

The secret comes from --client-secret, --client-secret-file, or
IAMD_CLIENT_SECRET; without --client-id, the profile's admin credentials are
used.`,
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
			if err := p.fillSecret(secretFile, prof); err != nil {
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
	f.StringVar(&p.scope, "scope", "", "space-separated scopes to request (default: all the account may have)")
	f.StringArrayVar(&p.audiences, "audience", nil, "audience to request; repeatable")
	f.StringArrayVar(&p.resources, "resource", nil, "resource indicator (RFC 8707) to request; repeatable")
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
