package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// cli holds what every command shares: its streams and global flags.
type cli struct {
	in          io.Reader
	out, errOut io.Writer
	output      string // table, json or value=FIELD[,FIELD…]
	server      string
	profilePath string
	// client calls the management API, once a command has.
	client *apiClient
}

func newRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	c := &cli{in: in, out: out, errOut: errOut}
	root := group(&cobra.Command{
		Use:   "iamd",
		Short: "OAuth 2.0 authorization server for service accounts",
		Long: `iamd issues signed JWT access tokens to service accounts through the OAuth 2.0
client credentials grant, and manages organizations, service accounts, their
keys, and what they may do: permissions, roles, groups and assignments.

Server commands (serve, migrate, init) work on the database directly. The
other commands call the management API of the server given by --server, as
the account whose credentials iamd init saved in the CLI profile (or
IAMD_CLIENT_ID and IAMD_CLIENT_SECRET): its rights decide what it may do.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return checkOutput(c.output)
		},
	})
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&c.output, "output", "o", "table", "output format: table, json, or value=FIELD[,FIELD...] for scripts")
	pf.StringVar(&c.server, "server", os.Getenv("IAMD_SERVER"), "iamd server URL (default: the profile's, else http://127.0.0.1:8080) [IAMD_SERVER]")
	pf.StringVar(&c.profilePath, "profile", os.Getenv("IAMD_PROFILE"), "CLI profile file holding the admin credentials (default: the user config directory) [IAMD_PROFILE]")

	root.AddCommand(
		newServeCmd(c),
		newMigrateCmd(c),
		newInitCmd(c),
		newOrgsCmd(c),
		newPermissionsCmd(c),
		newRolesCmd(c),
		newGroupsCmd(c),
		newUsersCmd(c),
		newAccountsCmd(c),
		newKeysCmd(c),
		newSigningKeysCmd(c),
		newTokenCmd(c),
		newTokensCmd(c),
		newVerifyCmd(c),
		newAuditCmd(c),
	)
	return root
}

// group makes cmd a command group: alone it prints its help; followed by
// anything but one of its commands, it is a usage error.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = args(cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return cmd
}

// args wraps cobra's positional argument checks as usage errors.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
