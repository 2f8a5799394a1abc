package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

// initBy is the "created by" of what init creates.
const initBy = "iamd init"

type initFlags struct {
	serverFlags
	org, orgName, admin, signingAlg string
	force                           bool
	// adminUser is the first human admin, with its password: none if
	// empty.
	adminUser, adminPassword string
	adminPasswordStdin       bool
}

// initResult is what init prints, secret included, once.
type initResult struct {
	Org          string `json:"org"`
	ClientID     string `json:"client_id"`
	KeyID        string `json:"key_id"`
	ClientSecret string `json:"client_secret"`
	Profile      string `json:"profile"`
	Server       string `json:"server"`
	// AdminUser is the human admin created, if one was; Console is where
	// it signs in.
	AdminUser string `json:"admin_user,omitempty"`
	Console   string `json:"console,omitempty"`
}

func newInitCmd(c *cli) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init --org ORG",
		Short: "Create the root organization, a signing key and the admin account",
		Long: `Set up a new iamd database: the root organization, a signing key, and a
system admin service account with one key. The admin's secret is printed
once and saved, with the server URL, to the CLI profile (mode 0600), so the
admin commands work right away.

It can also create the first human admin, who signs in to the web console
with the bootstrap role: --admin-user NAME with the password on stdin
(--admin-password-stdin), or, run in a terminal, init asks.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), c)
		},
	}
	fs := cmd.Flags()
	f.register(fs)
	fs.StringVar(&f.org, "org", "", "ID of the root organization (required)")
	fs.StringVar(&f.orgName, "org-name", "", "display name of the root organization (default: its ID)")
	fs.StringVar(&f.admin, "admin", "admin", "ID of the admin account")
	fs.StringVar(&f.signingAlg, "signing-alg", envOr("IAMD_SIGNING_ALG", signing.ES256), "algorithm of the first signing key: ES256, EdDSA or RS256")
	fs.BoolVar(&f.force, "force", false, "overwrite an existing CLI profile")
	fs.StringVar(&f.adminUser, "admin-user", "", "also create this human admin for the web console, in the root organization with the bootstrap role")
	fs.BoolVar(&f.adminPasswordStdin, "admin-password-stdin", false, "read the human admin's password from the first line of stdin")
	return cmd
}

func (f *initFlags) run(ctx context.Context, c *cli) error {
	if f.org == "" {
		return usagef("--org is required")
	}
	log, err := f.logger(c.errOut)
	if err != nil {
		return err
	}
	ids, err := accounts.NewClientIDs(f.domain)
	if err != nil {
		return usagef("--domain: %v", err)
	}
	// Refuse before changing anything, rather than leave the admin's
	// credentials nowhere.
	path, err := c.profileFile()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !f.force {
		return usagef("a CLI profile already exists at %s: pass --force to replace it, or --profile to write another", path)
	}
	// Asked before the database is opened, so nobody types while a
	// transaction waits.
	if err := f.askAdminUser(c); err != nil {
		return err
	}
	st, mk, err := f.openKeyed(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	keys := oauth.NewKeySet(st, mk, 24*time.Hour, time.Now, log)
	if _, err := keys.Ensure(ctx, f.signingAlg); err != nil {
		return err
	}

	res := initResult{Org: f.org, Profile: path, Server: c.serverURL(profile{})}
	if f.adminUser != "" {
		res.AdminUser, res.Console = f.adminUser, strings.TrimRight(res.Server, "/")+"/console/"
	}
	if err := bootstrap(ctx, st, newServices(st, ids, nil, time.Now), f, &res); err != nil {
		return err
	}
	saveErr := saveProfile(path, profile{Server: res.Server, ClientID: res.ClientID, ClientSecret: res.ClientSecret})
	if err := c.print(res, func(w io.Writer) {
		row(w, "organization", res.Org)
		row(w, "admin client_id", res.ClientID)
		row(w, "admin key id", res.KeyID)
		row(w, "admin secret", res.ClientSecret)
		row(w, "profile", res.Profile)
		if res.AdminUser != "" {
			row(w, "console", res.Console)
			row(w, "console admin", res.AdminUser)
		}
	}); err != nil {
		return err
	}
	if saveErr != nil {
		return fmt.Errorf("the admin secret above was not saved: %w", saveErr)
	}
	fmt.Fprintf(c.errOut, "The admin secret is shown only this once; it is saved in %s (mode 0600).\n", path)
	return nil
}

// bootstrap creates, in one transaction, the root organization (with the
// managed roles), the system admin account holding the bootstrap role on
// the whole tree, and the admin's key, whose secret it puts in res.
func bootstrap(ctx context.Context, st store, svc services, f *initFlags, res *initResult) error {
	system := rbac.System(initBy)
	return st.InTx(ctx, func(ctx context.Context) error {
		root, err := svc.orgs.CreateRoot(ctx, system, f.org, f.orgName)
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("already initialized: the database has a root organization")
		}
		if err != nil {
			return err
		}
		admin, err := svc.accts.Create(ctx, system, accounts.NewAccount{
			OrgID: f.org, Name: f.admin, DisplayName: "Bootstrap admin",
			Description:      "Created by iamd init; holds the " + rbac.RoleBootstrap + " role on every organization.",
			AllowedAudiences: []string{oauth.ManagementAudience}, System: true,
		})
		if err != nil {
			return err
		}
		res.ClientID = svc.accts.ClientIDs().Of(admin)
		err = svc.orgs.GrantBootstrap(ctx, system, rbac.Subject{
			ID: admin.ID, Kind: rbac.SubjectAccount, Name: res.ClientID, Org: root, System: true,
		})
		if err != nil {
			return err
		}
		key, secret, err := svc.accts.CreateKey(ctx, system, res.ClientID, accounts.NewKey{Label: "bootstrap"})
		if err != nil {
			return err
		}
		res.KeyID, res.ClientSecret = key.ID, secret
		if f.adminUser == "" {
			return nil
		}
		// The person typing chose the password: no change at first
		// sign-in.
		_, _, err = svc.users.Create(ctx, system, users.NewUser{
			OrgID: f.org, Name: f.adminUser, DisplayName: "Bootstrap admin", Password: f.adminPassword, KeepPassword: true,
		})
		if err != nil {
			return err
		}
		return svc.users.GrantBootstrap(ctx, system, f.adminUser)
	})
}
