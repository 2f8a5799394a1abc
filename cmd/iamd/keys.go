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
	var expiresIn, expiresAt, keyFile, publicKey string
	var force bool
	cmd := &cobra.Command{
		Use:   "create CLIENT_ID",
		Short: "Create a key: a secret, a key pair or an uploaded public key",
		Long: `Create a key for a service account.

A secret key (the default) prints its secret once; it cannot be retrieved
again: store it right away. For scripts, -o value=secret prints the secret
alone.

--type key-pair has iamd generate a key pair (--alg ES256, the default,
RS256 or EdDSA) and writes its key file, which holds the private key, to
--key-file with mode 0600; the private key is never printed, never stored
and cannot be retrieved again. An existing file is not overwritten unless
--force.

--public-key FILE uploads a public key (PEM, JWK or a JWK Set with one
key; "-" reads it from stdin) whose private key never leaves you.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var err error
			if in.ExpiresIn, in.ExpiresAt, err = expiryFlags(expiresIn, expiresAt); err != nil {
				return err
			}
			if err := checkKeyTypeFlags(in.Type, in.Algorithm, keyFile, publicKey); err != nil {
				return err
			}
			if publicKey != "" {
				if in.PublicKey, err = readPublicKey(c.in, publicKey); err != nil {
					return err
				}
			}
			var out *keyFileOut
			if keyFile != "" {
				if out, err = openKeyFile(keyFile, force); err != nil {
					return err
				}
			}
			var k web.NewKey
			if err := c.call(cmd, "POST", "/accounts/"+pathEscape(a[0])+"/keys", in, &k); err != nil {
				out.abort()
				return err
			}
			if out == nil {
				return c.printKey(k.Key, k.Secret)
			}
			if err := out.write(k.KeyFile); err != nil {
				return err
			}
			return c.printKeyFile(k.Key, keyFile)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Label, "label", "", "what or where the key is used")
	f.StringVar(&expiresIn, "expires-in", "", "expire after this long, e.g. 2160h or 90d (default: never)")
	f.StringVar(&expiresAt, "expires-at", "", "expire at this time, RFC 3339")
	f.StringVar(&in.Type, "type", "", "secret (the default) or key-pair")
	f.StringVar(&in.Algorithm, "alg", "", "algorithm of a key pair: ES256 (the default), RS256 or EdDSA")
	f.StringVar(&keyFile, "key-file", "", "write a generated key pair's key file here (mode 0600)")
	f.BoolVar(&force, "force", false, "overwrite an existing --key-file")
	f.StringVar(&publicKey, "public-key", "", `upload this public key file ("-" for stdin): PEM, JWK or JWK Set`)
	return cmd
}

// checkKeyTypeFlags refuses the combinations of keys create flags that
// make no sense, before anything is sent.
func checkKeyTypeFlags(typ, alg, keyFile, publicKey string) error {
	switch typ {
	case "", "secret", "key-pair":
	default:
		return usagef("--type %q: want secret or key-pair", typ)
	}
	switch {
	case publicKey != "" && typ == "secret":
		return usagef("--public-key uploads a key-pair key: it cannot go with --type secret")
	case publicKey != "" && keyFile != "":
		return usagef("--key-file is for a key pair iamd generates; an uploaded --public-key has no key file")
	case publicKey != "":
		return nil
	case typ == "key-pair" && keyFile == "":
		return usagef("--type key-pair needs --key-file PATH: the private key is written there, never printed")
	case typ != "key-pair" && keyFile != "":
		return usagef("--key-file needs --type key-pair")
	case typ != "key-pair" && alg != "":
		return usagef("--alg is for key pairs: give --type key-pair or --public-key")
	}
	return nil
}

func newKeysRotateCmd(c *cli) *cobra.Command {
	var in web.RotateKeyRequest
	var grace, expiresIn, expiresAt, keyFile string
	var force bool
	cmd := &cobra.Command{
		Use:   "rotate KEY_ID",
		Short: "Replace a key by a new one, keeping the old one for a grace period",
		Long: `Create a new key for the same account and retire the old one: at once, or
after --grace, so that deployments can switch over without downtime. The new
secret is printed once; a key pair's new key file is written to --key-file
(mode 0600), which rotating a key pair requires.`,
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
			out, err := c.rotateKeyFile(cmd, a[0], keyFile, force)
			if err != nil {
				return err
			}
			var r web.KeyRotation
			if err := c.call(cmd, "POST", "/keys/"+pathEscape(a[0])+"/rotate", in, &r); err != nil {
				out.abort()
				return err
			}
			if out != nil {
				if err := out.write(r.Key.KeyFile); err != nil {
					return err
				}
				r.Key.KeyFile = nil
			}
			return c.print(rotationOutput{r, keyFile}, func(w io.Writer) {
				row(w, "old key", r.OldKey.ID)
				row(w, "old key status", oldKeyStatus(r.OldKey))
				row(w, "")
				keyRows(w, r.Key.Key)
				secretRows(w, c.errOut, r.Key.Secret)
				keyFileRows(w, c.errOut, keyFile)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Label, "label", "", "label of the new key (default: the old key's)")
	f.StringVar(&grace, "grace", "", "keep the old key working this long, e.g. 24h (default: deactivate it now)")
	f.StringVar(&expiresIn, "expires-in", "", "the new key expires after this long (default: never)")
	f.StringVar(&expiresAt, "expires-at", "", "the new key expires at this time, RFC 3339")
	f.StringVar(&keyFile, "key-file", "", "write the new key pair's key file here (mode 0600); required for key pairs")
	f.BoolVar(&force, "force", false, "overwrite an existing --key-file")
	return cmd
}

// rotationOutput is a rotation as -o json prints it: the key file is in
// its file, never on the output.
type rotationOutput struct {
	web.KeyRotation
	KeyFilePath string `json:"key_file_path,omitempty"`
}

// rotateKeyFile looks up the key to rotate and prepares its new key file:
// a key pair needs --key-file, a secret key refuses it. It returns nil for
// a secret key.
func (c *cli) rotateKeyFile(cmd *cobra.Command, keyID, keyFile string, force bool) (*keyFileOut, error) {
	var k web.Key
	if err := c.call(cmd, "GET", "/keys/"+pathEscape(keyID), nil, &k); err != nil {
		return nil, err
	}
	switch {
	case k.Type == "key-pair" && keyFile == "":
		return nil, usagef("key %s is a key pair: give --key-file PATH for the new key's private key", keyID)
	case k.Type != "key-pair" && keyFile != "":
		return nil, usagef("key %s is a %s key: --key-file is for key pairs", keyID, k.Type)
	case keyFile == "":
		return nil, nil
	}
	return openKeyFile(keyFile, force)
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

// keyFileOutput is a created key pair as -o json prints it: the key file
// is in its file, never on the output.
type keyFileOutput struct {
	web.Key
	KeyFilePath string `json:"key_file_path"`
}

func (c *cli) printKeyFile(k web.Key, path string) error {
	return c.print(keyFileOutput{k, path}, func(w io.Writer) {
		keyRows(w, k)
		keyFileRows(w, c.errOut, path)
	})
}

func keyFileRows(w, errOut io.Writer, path string) {
	if path == "" {
		return
	}
	row(w, "key file", path)
	fmt.Fprintf(errOut, "The private key is in %s (mode 0600) and nowhere else: iamd does not keep it.\n", path)
	fmt.Fprintf(errOut, "Get a token with it: iamd token --key-file %s\n", path)
}

func keyRows(w io.Writer, k web.Key) {
	row(w, "key id", k.ID)
	row(w, "client_id", k.ClientID)
	row(w, "type", k.Type)
	if k.Type == "key-pair" {
		row(w, "kid", k.KID)
		row(w, "algorithm", k.Algorithm)
	}
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
	row(w, "KEY ID", "TYPE", "LABEL", "STATUS", "CREATED", "CREATED BY", "EXPIRES", "LAST USED")
	for _, k := range keys {
		row(w, k.ID, k.Type, orDash(k.Label), k.Status, when(&k.CreatedAt, "-"), k.CreatedBy, when(k.ExpiresAt, "never"), when(k.LastUsedAt, "never used"))
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
