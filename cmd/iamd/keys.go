package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamd/iamd/web"
)

func newKeysCmd(c *cli) *cobra.Command {
	cmd := group(&cobra.Command{Use: "keys", Short: "Manage the keys of service accounts"})
	cmd.AddCommand(
		&cobra.Command{
			Use: "list CLIENT_ID", Short: "List an account's keys", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var out web.KeyList
				if err := c.call(cmd, "GET", "/accounts/"+pathEscape(a[0])+"/keys", nil, &out); err != nil {
					return err
				}
				return c.print(out, func(w io.Writer) { keysTable(w, out.Items) })
			},
		},
		newKeysCreateCmd(c),
		&cobra.Command{
			Use: "get KEY_ID", Short: "Show a key", Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, a []string) error {
				var k web.Key
				if err := c.call(cmd, "GET", "/keys/"+pathEscape(a[0]), nil, &k); err != nil {
					return err
				}
				return c.printKey(k, "")
			},
		},
		newKeyActionCmd(c, "activate", "Activate a key"),
		newKeyActionCmd(c, "deactivate", "Deactivate a key: clients using it are refused until it is activated again"),
		newKeysRotateCmd(c),
		newDeleteCmd(c, "delete KEY_ID", "Delete a key",
			func(a []string) (string, string) { return "/keys/" + pathEscape(a[0]), "deleting key " + a[0] }),
	)
	return cmd
}

func newKeysCreateCmd(c *cli) *cobra.Command {
	var in web.CreateKeyRequest
	var expiresIn, expiresAt string
	cmd := &cobra.Command{
		Use:   "create CLIENT_ID",
		Short: "Create a key and print its secret, once",
		Long: `Create a secret key for a service account. The secret is printed once and
cannot be retrieved again: store it right away. For scripts,
-o value=secret prints the secret alone.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if in.ExpiresIn, in.ExpiresAt, err = expiryFlags(expiresIn, expiresAt); err != nil {
				return err
			}
			var k web.NewKey
			if err := c.call(cmd, "POST", "/accounts/"+pathEscape(a[0])+"/keys", in, &k); err != nil {
				return err
			}
			return c.printKey(k.Key, k.Secret)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Label, "label", "", "what or where the key is used")
	f.StringVar(&expiresIn, "expires-in", "", "expire after this long, e.g. 2160h or 90d (default: never)")
	f.StringVar(&expiresAt, "expires-at", "", "expire at this time, RFC 3339")
	return cmd
}

func newKeysRotateCmd(c *cli) *cobra.Command {
	var in web.RotateKeyRequest
	var grace, expiresIn, expiresAt string
	cmd := &cobra.Command{
		Use:   "rotate KEY_ID",
		Short: "Replace a key by a new one, keeping the old one for a grace period",
		Long: `Create a new key for the same account and retire the old one: at once, or
after --grace, so that deployments can switch over without downtime. The new
secret is printed once.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if in.ExpiresIn, in.ExpiresAt, err = expiryFlags(expiresIn, expiresAt); err != nil {
				return err
			}
			if grace != "" {
				d, err := parseDuration(grace)
				if err != nil {
					return usagef("--grace: %v", err)
				}
				in.GracePeriod = int64(d / time.Second)
			}
			var out web.KeyRotation
			if err := c.call(cmd, "POST", "/keys/"+pathEscape(a[0])+"/rotate", in, &out); err != nil {
				return err
			}
			return c.print(out, func(w io.Writer) {
				row(w, "old key", out.OldKey.ID)
				row(w, "old key status", oldKeyStatus(out.OldKey))
				row(w, "")
				keyRows(w, out.Key.Key)
				secretRows(w, c.errOut, out.Key.Secret)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Label, "label", "", "label of the new key (default: the old key's)")
	f.StringVar(&grace, "grace", "", "keep the old key working this long, e.g. 24h (default: deactivate it now)")
	f.StringVar(&expiresIn, "expires-in", "", "the new key expires after this long (default: never)")
	f.StringVar(&expiresAt, "expires-at", "", "the new key expires at this time, RFC 3339")
	return cmd
}

func oldKeyStatus(k web.Key) string {
	if k.Status == "active" && k.ExpiresAt != nil {
		return "active until " + when(k.ExpiresAt, "")
	}
	return k.Status
}

func newKeyActionCmd(c *cli, action, short string) *cobra.Command {
	return &cobra.Command{
		Use: action + " KEY_ID", Short: short, Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var k web.Key
			if err := c.call(cmd, "POST", "/keys/"+pathEscape(a[0])+"/"+action, nil, &k); err != nil {
				return err
			}
			return c.printKey(k, "")
		},
	}
}

func (c *cli) printKey(k web.Key, secret string) error {
	var v any = k
	if secret != "" {
		v = web.NewKey{Key: k, Secret: secret}
	}
	return c.print(v, func(w io.Writer) {
		keyRows(w, k)
		secretRows(w, c.errOut, secret)
	})
}

func keyRows(w io.Writer, k web.Key) {
	row(w, "key id", k.ID)
	row(w, "client_id", k.ClientID)
	row(w, "label", orDash(k.Label))
	row(w, "status", k.Status)
	row(w, "created", when(&k.CreatedAt, "-")+" by "+k.CreatedBy)
	row(w, "expires", when(k.ExpiresAt, "never"))
	row(w, "last used", when(k.LastUsedAt, "never used"))
}

func secretRows(w, errOut io.Writer, secret string) {
	if secret == "" {
		return
	}
	row(w, "secret", secret)
	fmt.Fprintln(errOut, "Store this secret now: it is shown only once and cannot be retrieved.")
}

func keysTable(w io.Writer, keys []web.Key) {
	row(w, "KEY ID", "LABEL", "STATUS", "CREATED", "CREATED BY", "EXPIRES", "LAST USED")
	for _, k := range keys {
		row(w, k.ID, orDash(k.Label), k.Status, when(&k.CreatedAt, "-"), k.CreatedBy, when(k.ExpiresAt, "never"), when(k.LastUsedAt, "never used"))
	}
}

// expiryFlags turns --expires-in and --expires-at into the API's fields.
func expiryFlags(in, at string) (*int64, *time.Time, error) {
	switch {
	case in != "" && at != "":
		return nil, nil, usagef("give --expires-in or --expires-at, not both")
	case in != "":
		d, err := parseDuration(in)
		if err != nil {
			return nil, nil, usagef("--expires-in: %v", err)
		}
		secs := int64(d / time.Second)
		return &secs, nil, nil
	case at != "":
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return nil, nil, usagef("--expires-at: want RFC 3339, like 2027-01-31T00:00:00Z")
		}
		return nil, &t, nil
	}
	return nil, nil, nil
}

// parseDuration is time.ParseDuration plus a "d" suffix for days.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 90m, 24h or 30d)", s)
	}
	return d, nil
}
