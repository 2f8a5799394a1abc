package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// readKeyFile reads and checks the key file at path: mode 0600, a private
// JWK whose kid is the key ID.
func readKeyFile(t *testing.T, path string) accounts.KeyFile {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	kf, err := loadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if kf.Type != accounts.KeyFileType || kf.PrivateKey.IsPublic() || !kf.PrivateKey.Valid() || kf.PrivateKey.KeyID != kf.KeyID {
		t.Errorf("key file type %q, key id %q, private key kid %q public %v", kf.Type, kf.KeyID, kf.PrivateKey.KeyID, kf.PrivateKey.IsPublic())
	}
	return kf
}

// privateMember returns the private member d of the key file's key.
func privateMember(t *testing.T, kf accounts.KeyFile) string {
	t.Helper()
	b, err := kf.PrivateKey.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ D string }
	if err := json.Unmarshal(b, &m); err != nil || m.D == "" {
		t.Fatalf("private key without d: %s", b)
	}
	return m.D
}

func TestKeyPairKeysFromTheCLI(t *testing.T) {
	in := newInstance(t)
	mustIamd(t, in.env, "accounts", "create", "sync", "--org", "acme")
	const client = "sync@acme.iam"
	dir := t.TempDir()
	path := filepath.Join(dir, "sa-key.json")
	var md oauth.Metadata
	getJSONOK(t, in.url+"/.well-known/oauth-authorization-server", &md)

	out := mustIamd(t, in.env, "keys", "create", client, "--label", "prod", "--type", "key-pair", "--key-file", path)
	kf := readKeyFile(t, path)
	d := privateMember(t, kf)
	if kf.ClientID != client || kf.PrivateKey.Algorithm != "ES256" || kf.Issuer != md.Issuer || kf.TokenEndpoint != md.TokenEndpoint {
		t.Errorf("key file %+v; want client %s, ES256, issuer %s, token endpoint %s", kf, client, md.Issuer, md.TokenEndpoint)
	}
	if !strings.Contains(out, kf.KeyID) || !strings.Contains(out, path) || strings.Contains(out, d) {
		t.Errorf("output does not give key ID %s and path %s, or shows the private key:\n%s", kf.KeyID, path, out)
	}
	if l := mustIamd(t, in.env, "keys", "list", client); !strings.Contains(l, "TYPE") || !strings.Contains(l, "key-pair") {
		t.Errorf("keys list does not show the key's type:\n%s", l)
	}

	t.Run("iamd token --key-file signs an assertion and gets a token", func(t *testing.T) {
		var noServer []string // the key file's token endpoint, then
		for _, e := range in.env {
			if !strings.HasPrefix(e, "IAMD_SERVER=") {
				noServer = append(noServer, e)
			}
		}
		for name, environ := range map[string][]string{"IAMD_SERVER": in.env, "the key file's endpoint": noServer} {
			var tok oauth.TokenResponse
			out := mustIamd(t, environ, "token", "--key-file", path, "--audience", md.Issuer, "-o", "json")
			if err := json.Unmarshal([]byte(out), &tok); err != nil {
				t.Fatalf("%s: %v: %s", name, err, out)
			}
			claims := verifyWithJWKS(t, in.url, tok.AccessToken, md.Issuer)
			wantClaim(t, claims, "sub", client)
			wantClaim(t, claims, "key", kf.KeyID)
		}
		// Each call signs a new assertion: a second token, no replay.
		if a, b := mustIamd(t, in.env, "token", "--key-file", path), mustIamd(t, in.env, "token", "--key-file", path); a == b {
			t.Error("two calls printed the same token")
		}
		public := filepath.Join(dir, "public.json")
		pub := kf
		pub.PrivateKey = kf.PrivateKey.Public()
		b, _ := json.Marshal(pub)
		os.WriteFile(public, b, 0o600)
		notKeyFile := filepath.Join(dir, "not.json")
		os.WriteFile(notKeyFile, []byte(`{"type":"service_account"}`), 0o600)
		for _, c := range []struct {
			args []string
			says string
		}{
			{[]string{"--key-file", public}, "no private key"},
			{[]string{"--key-file", notKeyFile}, "type"},
			{[]string{"--key-file", filepath.Join(dir, "missing.json")}, "--key-file"},
			{[]string{"--key-file", path, "--client-secret", "x"}, "no secret"},
			{[]string{"--key-file", path, "--client-id", "other@acme.iam"}, "does not match"},
		} {
			_, errOut, code := iamd(t, in.env, append([]string{"token"}, c.args...)...)
			if code != exitUsage || !strings.Contains(errOut, c.says) || strings.Contains(errOut, d) {
				t.Errorf("token %v: exit %d, stderr %q; want exit %d and %q", c.args, code, errOut, exitUsage, c.says)
			}
		}
		// A deactivated key's file gets invalid_client.
		mustIamd(t, in.env, "keys", "deactivate", kf.KeyID)
		_, errOut, code := iamd(t, in.env, "token", "--key-file", path)
		if code == 0 || !strings.Contains(errOut, "invalid_client") {
			t.Errorf("token with a deactivated key: exit %d, stderr %q", code, errOut)
		}
		mustIamd(t, in.env, "keys", "activate", kf.KeyID)
	})

	t.Run("an existing key file is not overwritten without --force", func(t *testing.T) {
		before, _ := os.ReadFile(path)
		_, errOut, code := iamd(t, in.env, "keys", "create", client, "--type", "key-pair", "--key-file", path)
		if code != exitUsage || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "--force") {
			t.Fatalf("exit %d, stderr %q; want exit %d and already exists", code, errOut, exitUsage)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("the refused create changed the key file")
		}
		var l web.KeyList
		if err := json.Unmarshal([]byte(mustIamd(t, in.env, "keys", "list", client, "-o", "json")), &l); err != nil || len(l.Items) != 1 {
			t.Fatalf("keys after a refused create: %+v (%v), want 1", l.Items, err)
		}
		out := mustIamd(t, in.env, "keys", "create", client, "--type", "key-pair", "--alg", "EdDSA", "--key-file", path, "--force", "-o", "json")
		kf := readKeyFile(t, path)
		if kf.PrivateKey.Algorithm != "EdDSA" || strings.Contains(out, privateMember(t, kf)) || !strings.Contains(out, `"key_file_path"`) {
			t.Errorf("--force wrote %+v; output %s", kf, out)
		}
	})

	t.Run("rotating a key pair writes the new key file", func(t *testing.T) {
		_, errOut, code := iamd(t, in.env, "keys", "rotate", kf.KeyID)
		if code != exitUsage || !strings.Contains(errOut, "--key-file") {
			t.Fatalf("rotate without --key-file: exit %d, stderr %q", code, errOut)
		}
		next := filepath.Join(dir, "next.json")
		out := mustIamd(t, in.env, "keys", "rotate", kf.KeyID, "--key-file", next)
		nkf := readKeyFile(t, next)
		if nkf.KeyID == kf.KeyID || nkf.PrivateKey.Algorithm != "ES256" || !strings.Contains(out, nkf.KeyID) || strings.Contains(out, privateMember(t, nkf)) {
			t.Errorf("rotated key file %+v; output %s", nkf, out)
		}
	})

	t.Run("a public key uploads from a PEM file and from stdin", func(t *testing.T) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pemFile := filepath.Join(dir, "pub.pem")
		if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		var k web.NewKey
		if err := json.Unmarshal([]byte(mustIamd(t, in.env, "keys", "create", client, "--label", "hsm", "--public-key", pemFile, "-o", "json")), &k); err != nil {
			t.Fatal(err)
		}
		var got jose.JSONWebKey
		if err := got.UnmarshalJSON(k.PublicJWK); err != nil {
			t.Fatalf("public_jwk %s: %v", k.PublicJWK, err)
		}
		if pk, ok := got.Key.(*ecdsa.PublicKey); !ok || !pk.Equal(&priv.PublicKey) || k.Type != "key-pair" || k.Label != "hsm" || k.KeyFile != nil {
			t.Errorf("uploaded key %+v", k)
		}

		j, _ := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: "from-stdin"})
		cmd := exec.Command(binary, "keys", "create", client, "--public-key", "-", "-o", "value=kid")
		cmd.Env, cmd.Stdin = in.env, bytes.NewReader(j)
		b, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(b)) != "from-stdin" {
			t.Errorf("upload from stdin: %q, %v", b, err)
		}
	})

	for _, c := range []struct {
		name string
		args []string
		says string
	}{
		{"a key pair needs --key-file", []string{"--type", "key-pair"}, "--key-file"},
		{"--public-key and --type secret exclude each other", []string{"--type", "secret", "--public-key", "x.pem"}, "--type secret"},
		{"an uploaded key has no key file", []string{"--public-key", "x.pem", "--key-file", filepath.Join(dir, "k.json")}, "no key file"},
		{"--key-file needs --type key-pair", []string{"--key-file", filepath.Join(dir, "k.json")}, "--type key-pair"},
		{"--alg needs a key pair", []string{"--alg", "RS256"}, "--alg"},
		{"an unknown type", []string{"--type", "password"}, "secret or key-pair"},
		{"a missing public key file", []string{"--public-key", filepath.Join(dir, "missing.pem")}, "--public-key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := iamd(t, in.env, append([]string{"keys", "create", client}, c.args...)...)
			if code != exitUsage || !strings.Contains(errOut, c.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, errOut, exitUsage, c.says, out)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "k.json")); err == nil {
		t.Error("a refused create left a key file")
	}
	t.Run("a refused upload is bad input with the server's message", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(bad, []byte(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := iamd(t, in.env, "keys", "create", client, "--public-key", bad)
		if code != exitUsage || !strings.Contains(errOut, "symmetric keys") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	in.proc.stop(t)
	for _, s := range []string{d} {
		if strings.Contains(in.proc.logs(), s) {
			t.Error("the server log holds a private key")
		}
	}
}
