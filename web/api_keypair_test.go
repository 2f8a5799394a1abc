package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/oauth"
	"github.com/iamd/iamd/web"
)

// privateMembers are the JWK members that carry private key material.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// wantNoPrivateMember checks that no JSON object anywhere in the body has
// a private JWK member, and that the private value d does not appear.
func wantNoPrivateMember(t *testing.T, r *response, d string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body: %v", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, m := range privateMembers {
				if _, ok := v[m]; ok {
					t.Errorf("response has the private member %q: %s", m, r.Body)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	wantNoSecret(t, r, d)
}

// privateD returns the private member d of a private JWK.
func privateD(t *testing.T, j jose.JSONWebKey) string {
	t.Helper()
	b, err := j.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	d, _ := m["d"].(string)
	if d == "" {
		t.Fatalf("private key has no d: %s", b)
	}
	return d
}

// wantKeyFile checks the key file of the generated key pair k.
func wantKeyFile(t *testing.T, k web.NewKey, alg string) {
	t.Helper()
	f := k.KeyFile
	if f == nil {
		t.Fatalf("no key file: %+v", k)
	}
	if f.Type != accounts.KeyFileType || f.ClientID != k.ClientID || f.KeyID != k.ID ||
		f.Issuer != issuer || f.TokenEndpoint != issuer+oauth.TokenPath {
		t.Errorf("key file %+v, want type %s, client %s, key %s, issuer %s", f, accounts.KeyFileType, k.ClientID, k.ID, issuer)
	}
	p := f.PrivateKey
	if p.IsPublic() || !p.Valid() || p.KeyID != k.ID || p.Algorithm != alg || k.Secret != "" {
		t.Errorf("private key kid %q alg %q public %v, secret %q; want kid %s alg %s", p.KeyID, p.Algorithm, p.IsPublic(), k.Secret, k.ID, alg)
	}
	pub, err := p.Public().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, pub, k.PublicJWK) {
		t.Errorf("public_jwk %s is not the key file's public key %s", k.PublicJWK, pub)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestGeneratedKeyPairs(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	const client = "sync@billing.iam"
	account := "/api/v1/accounts/" + client

	var ds []string
	for _, tc := range []struct{ alg, want string }{{"", "ES256"}, {"ES256", "ES256"}, {"RS256", "RS256"}, {"EdDSA", "EdDSA"}} {
		r := f.call(t, http.MethodPost, account+"/keys", tok, web.CreateKeyRequest{Label: "prod", Type: "key-pair", Algorithm: tc.alg})
		k := decode[web.NewKey](t, r, http.StatusCreated)
		wantNoStore(t, r)
		if k.Type != accounts.KindKeyPair || k.KID != k.ID || k.Algorithm != tc.want || k.Label != "prod" || k.Status != "active" {
			t.Errorf("algorithm %q: key %+v", tc.alg, k.Key)
		}
		wantKeyFile(t, k, tc.want)
		// The key file appears once: the response has no second copy.
		d := privateD(t, k.KeyFile.PrivateKey)
		if n := bytes.Count(r.Body, []byte(d)); n != 1 {
			t.Errorf("private key appears %d times in the response, want 1", n)
		}
		ds = append(ds, d)
	}

	secret := f.createKey(t, tok, client, web.CreateKeyRequest{Label: "ci"})
	if secret.Type != accounts.KindSecret || secret.KID != "" || secret.Algorithm != "" || secret.PublicJWK != nil || secret.KeyFile != nil || secret.Secret == "" {
		t.Errorf("secret key %+v", secret)
	}

	for _, path := range []string{account + "/keys", account} {
		r := f.call(t, http.MethodGet, path, tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		for _, d := range ds {
			wantNoPrivateMember(t, r, d)
		}
	}
	l := decode[web.KeyList](t, f.call(t, http.MethodGet, account+"/keys", tok, nil), http.StatusOK)
	if len(l.Items) != 5 {
		t.Fatalf("%d keys, want 5", len(l.Items))
	}
	for _, k := range l.Items[:4] {
		r := f.call(t, http.MethodGet, "/api/v1/keys/"+k.ID, tok, nil)
		got := decode[web.Key](t, r, http.StatusOK)
		wantNoPrivateMember(t, r, ds[0])
		if got.Type != accounts.KindKeyPair || got.KID != k.ID || got.Algorithm != k.Algorithm || !jsonEqual(t, got.PublicJWK, k.PublicJWK) {
			t.Errorf("get key %+v, want %+v", got, k)
		}
	}

	t.Run("rotating a generated key pair returns a new key file once", func(t *testing.T) {
		old := l.Items[3]
		r := f.call(t, http.MethodPost, "/api/v1/keys/"+old.ID+"/rotate", tok, web.RotateKeyRequest{})
		rot := decode[web.KeyRotation](t, r, http.StatusCreated)
		wantNoStore(t, r)
		if rot.Key.Type != accounts.KindKeyPair || rot.Key.ID == old.ID || rot.Key.KID != rot.Key.ID || rot.Key.Algorithm != "EdDSA" {
			t.Errorf("new key %+v", rot.Key.Key)
		}
		wantKeyFile(t, rot.Key, "EdDSA")
		if rot.OldKey.ID != old.ID || rot.OldKey.Status != "inactive" || rot.OldKey.KID != old.KID {
			t.Errorf("old key %+v", rot.OldKey)
		}
		d := privateD(t, rot.Key.KeyFile.PrivateKey)
		if n := bytes.Count(r.Body, []byte(d)); n != 1 {
			t.Errorf("private key appears %d times, want 1", n)
		}
		wantNoPrivateMember(t, f.call(t, http.MethodGet, account+"/keys", tok, nil), d)
	})

	t.Run("rotating a secret key still returns a secret", func(t *testing.T) {
		rot := decode[web.KeyRotation](t, f.call(t, http.MethodPost, "/api/v1/keys/"+secret.ID+"/rotate", tok, nil), http.StatusCreated)
		if rot.Key.Type != accounts.KindSecret || rot.Key.Secret == "" || rot.Key.KeyFile != nil {
			t.Errorf("rotated secret key %+v", rot.Key)
		}
	})
}

// publicKeys returns an ECDSA public key as PEM, JWK and JWK Set, the JWK
// ones with kid.
func publicKeys(t *testing.T, kid string) (pemKey, jwk, jwks string, priv *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), string(j), `{"keys":[` + string(j) + `]}`, priv
}

func TestUploadedPublicKeys(t *testing.T) {
	f := newFixture(t)
	tok := f.adminToken(t)
	f.createOrg(t, tok, "billing")
	f.createAccount(t, tok, web.CreateAccountRequest{ID: "sync", Org: "billing"})
	account := "/api/v1/accounts/sync@billing.iam"

	upload := func(t *testing.T, in web.CreateKeyRequest) *response {
		t.Helper()
		return f.call(t, http.MethodPost, account+"/keys", tok, in)
	}
	for _, tc := range []struct {
		name, kid string
		pick      func(p, j, s string) string
		typ       string
	}{
		{"PEM", "", func(p, _, _ string) string { return p }, ""},
		{"JWK", "hsm-1", func(_, j, _ string) string { return j }, "key-pair"},
		{"JWK Set", "hsm-2", func(_, _, s string) string { return s }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, j, s, priv := publicKeys(t, tc.kid)
			r := upload(t, web.CreateKeyRequest{Label: "hsm", Type: tc.typ, PublicKey: tc.pick(p, j, s)})
			k := decode[web.NewKey](t, r, http.StatusCreated)
			wantKID := tc.kid
			if wantKID == "" {
				wantKID = k.ID
			}
			if k.Type != accounts.KindKeyPair || k.KID != wantKID || k.Algorithm != "ES256" || k.KeyFile != nil || k.Secret != "" {
				t.Errorf("uploaded key %+v", k)
			}
			var got jose.JSONWebKey
			if err := got.UnmarshalJSON(k.PublicJWK); err != nil || !got.IsPublic() {
				t.Fatalf("public_jwk %s: %v", k.PublicJWK, err)
			}
			if pk, ok := got.Key.(*ecdsa.PublicKey); !ok || !pk.Equal(&priv.PublicKey) {
				t.Errorf("public_jwk %s is not the uploaded key", k.PublicJWK)
			}
		})
	}

	t.Run("a kid already taken gives way to the key ID", func(t *testing.T) {
		_, j, _, _ := publicKeys(t, "hsm-1")
		k := decode[web.NewKey](t, upload(t, web.CreateKeyRequest{PublicKey: j}), http.StatusCreated)
		if k.KID != k.ID {
			t.Errorf("kid %q, want the key ID %s", k.KID, k.ID)
		}
	})

	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakDER, err := x509.MarshalPKIXPublicKey(&weak.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, ec := publicKeys(t, "")
	privJWK, err := json.Marshal(jose.JSONWebKey{Key: ec})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   web.CreateKeyRequest
		want string
	}{
		{"RSA below 2048 bits", web.CreateKeyRequest{PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: weakDER}))}, "RSA key of 1024 bits is too weak"},
		{"a private JWK", web.CreateKeyRequest{PublicKey: string(privJWK)}, `the JWK holds the private member "d"`},
		{"a symmetric key", web.CreateKeyRequest{PublicKey: `{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0"}`}, "symmetric keys"},
		{"an unknown curve", web.CreateKeyRequest{PublicKey: `{"kty":"OKP","crv":"X25519","x":"9GXjPGGvmRq9F6Ee9oC1EXh8U0O7S2ZwwEF_bP8_QEA"}`}, "curve"},
		{"garbage", web.CreateKeyRequest{PublicKey: "hello"}, "neither PEM nor a JWK"},
		{"a public key for a secret key", web.CreateKeyRequest{Type: "secret", PublicKey: "hello"}, "public_key makes a key-pair key"},
		{"an unknown kind", web.CreateKeyRequest{Type: "password"}, `kind "password" is not secret or key-pair`},
		{"an algorithm for a secret key", web.CreateKeyRequest{Algorithm: "ES256"}, "algorithm is for key-pair keys"},
		{"an algorithm iamd does not generate", web.CreateKeyRequest{Type: "key-pair", Algorithm: "HS256"}, `algorithm "HS256" cannot be generated`},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			e := wantAPIError(t, upload(t, tc.in), http.StatusBadRequest, "invalid_argument")
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.want)
			}
		})
	}
	// A refused private key is not echoed back.
	r := upload(t, web.CreateKeyRequest{PublicKey: string(privJWK)})
	var m map[string]any
	_ = json.Unmarshal(privJWK, &m)
	wantNoSecret(t, r, m["d"].(string))
}
