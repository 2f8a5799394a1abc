package main

import (
	"io"

	"github.com/spf13/cobra"
)

func newMigrateCmd(c *cli) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations",
		Long:  "Apply the database migrations this iamd ships and has not applied yet. serve and init do it too.",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := f.logger(c.errOut)
			if err != nil {
				return err
			}
			st, _, applied, err := f.open(cmd.Context(), log)
			if err != nil {
				return err
			}
			defer st.Close()
			if applied == nil {
				applied = []string{}
			}
			return c.print(map[string][]string{"applied": applied}, func(w io.Writer) {
				if len(applied) == 0 {
					row(w, "the database is up to date")
				}
				for _, m := range applied {
					row(w, "applied", m)
				}
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}
