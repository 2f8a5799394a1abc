package accounts_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/accounts"
	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// signVerify signs with the key file's private JWK and verifies with the
// key's stored public JWK, as a client and the token endpoint will.
func signVerify(t *testing.T, k accounts.Key, file accounts.KeyFile) {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(file.PrivateKey.Algorithm), Key: file.PrivateKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte("assertion"))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	parsed, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.Algorithm)})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Signatures[0].Header.KeyID != k.KID {
		t.Errorf("signature kid %q, want the key's %q", parsed.Signatures[0].Header.KeyID, k.KID)
	}
	pub, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !pub.IsPublic() {
		t.Fatal("stored JWK is not public")
	}
	if got, err := parsed.Verify(pub); err != nil || string(got) != "assertion" {
		t.Fatalf("Verify with the stored public key = %q, %v", got, err)
	}
}

// privateD returns the private JWK member that must never be stored.
func privateD(t *testing.T, file accounts.KeyFile) string {
	t.Helper()
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		PrivateKey struct{ D string } `json:"private_key"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.PrivateKey.D == "" {
		t.Fatalf("key file %s has no private d: %v", b, err)
	}
	return out.PrivateKey.D
}

// notOnDisk fails if secret appears in any file of the database.
func (e *env) notOnDisk(t *testing.T, secret string) {
	t.Helper()
	e.db.Close() // flush the WAL into the file
	files, _ := filepath.Glob(filepath.Join(e.dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the private key", f)
		}
	}
}

// createdAudit returns the audit record of the creation of keyID.
func (e *env) createdAudit(t *testing.T, clientID, keyID string) string {
	t.Helper()
	entries, err := audit.NewLog(e.db, e.clock.Now).List(e.ctx, audit.Filter{Target: clientID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Action == "key.create" && strings.Contains(string(en.After), `"id":"`+keyID+`"`) {
			return string(en.After)
		}
	}
	t.Fatalf("no key.create of %s in %+v", keyID, entries)
	return ""
}

func TestCreateKeyPair(t *testing.T) {
	for _, alg := range []string{"", "ES256", "RS256", "EdDSA"} {
		t.Run("algorithm "+alg, func(t *testing.T) {
			e := newEnv(t)
			client := e.account(t, "signer")
			k, file, err := e.svc.CreateKeyPair(e.ctx, rbac.System("alice"), client, accounts.NewKeyPair{Label: "prod", Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			want := alg
			if want == "" {
				want = "ES256"
			}
			if k.Kind != accounts.KindKeyPair || k.Algorithm != want || k.KID != k.ID || k.Label != "prod" ||
				!k.Active || k.CreatedBy != "alice" || k.SecretHash != nil {
				t.Errorf("new key %+v", k)
			}
			if file.Type != accounts.KeyFileType || file.ClientID != client || file.KeyID != k.ID ||
				file.PrivateKey.KeyID != k.ID || file.PrivateKey.Algorithm != want || file.PrivateKey.IsPublic() ||
				file.Issuer != "" || file.TokenEndpoint != "" {
				t.Errorf("key file %+v", file)
			}
			stored, err := e.db.GetKey(e.ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, k) {
				t.Errorf("stored %+v, want %+v", stored, k)
			}
			signVerify(t, stored, file)
			d := privateD(t, file)
			if strings.Contains(stored.PublicJWK, d) || strings.Contains(stored.PublicJWK, `"d"`) {
				t.Errorf("stored JWK %s holds the private key", stored.PublicJWK)
			}
			if after := e.createdAudit(t, client, k.ID); strings.Contains(after, d) || !strings.Contains(after, `"kind":"key-pair"`) {
				t.Errorf("audit after %s", after)
			}
			e.notOnDisk(t, d)
		})
	}
	t.Run("refuses algorithms it does not generate", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "signer")
		for _, alg := range []string{"HS256", "ES384", "none"} {
			_, _, err := e.svc.CreateKeyPair(e.ctx, sys, client, accounts.NewKeyPair{Algorithm: alg})
			wantErr(t, err, storage.ErrInvalid)
		}
		if ids := e.keyIDs(t, client); len(ids) != 0 {
			t.Errorf("keys %v after refusals", ids)
		}
	})
	t.Run("requires iam.keys write", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "signer")
		_, _, err := e.svc.CreateKeyPair(e.ctx, rbac.NewActor("nobody", nil), client, accounts.NewKeyPair{})
		wantErr(t, err, storage.ErrForbidden)
		_, err = e.svc.UploadPublicKey(e.ctx, rbac.NewActor("nobody", nil), client, accounts.NewUploadedKey{PublicKey: pemOf(t, ecKey(t, elliptic.P256()))})
		wantErr(t, err, storage.ErrForbidden)
	})
	t.Run("is not a secret: Authenticate refuses it", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "signer")
		k, _, err := e.svc.CreateKeyPair(e.ctx, sys, client, accounts.NewKeyPair{})
		if err != nil {
			t.Fatal(err)
		}
		e.authRefused(t, client, forge(k.ID, strings.Repeat("a", 52)))
		// Even a key-pair key that somehow held the hash of a secret is
		// no secret key: the kind decides, not the hash.
		secret := forge("aaaaaaaaaaaaaaaa", strings.Repeat("b", 52))
		hash := sha256.Sum256([]byte(secret))
		odd := k
		odd.ID, odd.KID, odd.SecretHash = "aaaaaaaaaaaaaaaa", "odd", hash[:]
		if err := e.db.CreateKey(e.ctx, odd); err != nil {
			t.Fatal(err)
		}
		e.authRefused(t, client, secret)
	})
	t.Run("counts against the keys of every kind, and rotates to its kind", func(t *testing.T) {
		e := newEnv(t)
		client := e.account(t, "signer")
		var pair accounts.Key
		for i := range accounts.MaxKeys - 1 {
			if i == 0 {
				pair, _, _ = e.svc.CreateKeyPair(e.ctx, sys, client, accounts.NewKeyPair{Algorithm: "EdDSA"})
				continue
			}
			e.key(t, client, accounts.NewKey{})
		}
		up, err := e.svc.UploadPublicKey(e.ctx, sys, client, accounts.NewUploadedKey{PublicKey: pemOf(t, ecKey(t, elliptic.P256()))})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.CreateKeyPair(e.ctx, sys, client, accounts.NewKeyPair{})
		wantErr(t, err, storage.ErrConflict)
		_, err = e.svc.UploadPublicKey(e.ctx, sys, client, accounts.NewUploadedKey{PublicKey: pemOf(t, ecKey(t, elliptic.P256()))})
		wantErr(t, err, storage.ErrConflict)
		_, _, err = e.svc.CreateKey(e.ctx, sys, client, accounts.NewKey{})
		wantErr(t, err, storage.ErrConflict)

		if err := e.svc.DeleteKey(e.ctx, sys, up.ID); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.RotateKey(e.ctx, sys, pair.ID, accounts.Rotation{})
		if err != nil {
			t.Fatal(err)
		}
		if r.New.Kind != accounts.KindKeyPair || r.New.Algorithm != "EdDSA" || r.Secret != "" || r.KeyFile == nil || r.Old.Active {
			t.Fatalf("rotated %+v", r)
		}
		signVerify(t, r.New, *r.KeyFile)
	})
}

func ecKey(t *testing.T, c elliptic.Curve) crypto.Signer {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaKey(t *testing.T, bits int) crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(t *testing.T, k crypto.Signer) []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func jwkOf(t *testing.T, key any, kid, alg string) []byte {
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadPublicKey(t *testing.T) {
	e := newEnv(t)
	client := e.account(t, "hsm")
	upload := func(in accounts.NewUploadedKey) (accounts.Key, error) {
		return e.svc.UploadPublicKey(e.ctx, sys, client, in)
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ec384 := ecKey(t, elliptic.P384())
	rsa2048 := rsaKey(t, 2048)
	t.Run("accepts each format", func(t *testing.T) {
		for _, c := range []struct {
			name, alg, kid string
			in             []byte
			priv           crypto.Signer
		}{
			{"PEM P-256", "ES256", "", pemOf(t, ecKey(t, elliptic.P256())), nil},
			{"PEM P-521", "ES512", "", pemOf(t, ecKey(t, elliptic.P521())), nil},
			{"PEM RSA", "RS256", "", pemOf(t, rsa2048), nil},
			{"PEM Ed25519", "EdDSA", "", pemOf(t, edPriv), nil},
			{"JWK P-384", "ES384", "hsm-1", jwkOf(t, ec384.Public(), "hsm-1", ""), ec384},
			{"JWK RSA PS256", "PS256", "", jwkOf(t, rsa2048.Public(), "", "PS256"), rsa2048},
			{"JWK Set Ed25519", "EdDSA", "ed.key_2", []byte(`{"keys":[` + string(jwkOf(t, edPriv.Public(), "ed.key_2", "EdDSA")) + `]}`), edPriv},
		} {
			k, err := upload(accounts.NewUploadedKey{Label: c.name, PublicKey: c.in})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if k.Kind != accounts.KindKeyPair || k.Algorithm != c.alg || k.SecretHash != nil {
				t.Errorf("%s: key %+v", c.name, k)
			}
			if want := c.kid; (want == "" && k.KID != k.ID) || (want != "" && k.KID != want) {
				t.Errorf("%s: kid %q (key ID %s), want %q", c.name, k.KID, k.ID, want)
			}
			if c.priv != nil {
				signVerify(t, k, accounts.KeyFile{PrivateKey: jose.JSONWebKey{Key: c.priv, KeyID: k.KID, Algorithm: c.alg}})
			}
			e.svc.DeleteKey(e.ctx, sys, k.ID)
		}
	})
	t.Run("cannot be rotated by iamd, which never had the private key", func(t *testing.T) {
		k, err := upload(accounts.NewUploadedKey{Label: "hsm", PublicKey: pemOf(t, ecKey(t, elliptic.P256()))})
		if err != nil {
			t.Fatal(err)
		}
		stored, _, err := e.svc.GetKey(e.ctx, sys, k.ID)
		if err != nil || !stored.Uploaded {
			t.Fatalf("stored key %+v (%v): want it marked uploaded", stored, err)
		}
		_, err = e.svc.RotateKey(e.ctx, sys, k.ID, accounts.Rotation{})
		wantErr(t, err, storage.ErrConflict)
		e.svc.DeleteKey(e.ctx, sys, k.ID)
	})
	t.Run("keeps a kid only when valid and unique for the account", func(t *testing.T) {
		first, err := upload(accounts.NewUploadedKey{PublicKey: jwkOf(t, ec384.Public(), "dup", "")})
		if err != nil || first.KID != "dup" {
			t.Fatalf("first upload: %+v, %v", first, err)
		}
		again, err := upload(accounts.NewUploadedKey{PublicKey: jwkOf(t, ecKey(t, elliptic.P256()).Public(), "dup", "")})
		if err != nil || again.KID != again.ID {
			t.Fatalf("duplicate kid: %+v, %v; want the key ID as kid", again, err)
		}
		bad, err := upload(accounts.NewUploadedKey{PublicKey: jwkOf(t, ecKey(t, elliptic.P256()).Public(), "has space/"+strings.Repeat("x", 70), "")})
		if err != nil || bad.KID != bad.ID {
			t.Fatalf("invalid kid: %+v, %v; want the key ID as kid", bad, err)
		}
		other := e.account(t, "other")
		elsewhere, err := e.svc.UploadPublicKey(e.ctx, sys, other, accounts.NewUploadedKey{PublicKey: jwkOf(t, ec384.Public(), "dup", "")})
		if err != nil || elsewhere.KID != "dup" {
			t.Fatalf("kid of another account: %+v, %v", elsewhere, err)
		}
		for _, k := range []accounts.Key{first, again, bad} {
			e.svc.DeleteKey(e.ctx, sys, k.ID)
		}
	})
	t.Run("refuses weak or unsuitable keys", func(t *testing.T) {
		privDER, _ := x509.MarshalPKCS8PrivateKey(ec384)
		privJWK := jwkOf(t, ec384, "", "")
		var rsaPub map[string]any
		json.Unmarshal(jwkOf(t, rsa2048.Public(), "", ""), &rsaPub)
		rsaPub["p"] = "AQAB"
		rsaWithP, _ := json.Marshal(rsaPub)
		for _, c := range []struct {
			name, alg, says string
			in              []byte
		}{
			{"RSA 1024", "", "1024 bits", pemOf(t, rsaKey(t, 1024))},
			{"private JWK", "", `"d"`, privJWK},
			{"JWK with p", "", `"p"`, rsaWithP},
			{"private PEM", "", "private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})},
			{"secp256k1", "", "secp256k1", []byte(`{"kty":"EC","crv":"secp256k1","x":"AQAB","y":"AQAB"}`)},
			{"X25519", "", "X25519", []byte(`{"kty":"OKP","crv":"X25519","x":"AQAB"}`)},
			{"symmetric", "", "symmetric", []byte(`{"kty":"oct","k":"c2VjcmV0"}`)},
			{"HS256", "", "not allowed", jwkOf(t, rsa2048.Public(), "", "HS256")},
			{"RS512", "RS512", "not allowed", pemOf(t, rsa2048)},
			{"alg of another key type", "", "does not fit", jwkOf(t, ec384.Public(), "", "ES256")},
			{"asked alg against the JWK's", "RS256", `not "RS256"`, jwkOf(t, rsa2048.Public(), "", "PS256")},
			{"set of two", "", "exactly one", []byte(`{"keys":[{},{}]}`)},
			{"not a key", "", "neither", []byte("hello")},
			{"empty", "", "no public key", nil},
		} {
			_, err := upload(accounts.NewUploadedKey{PublicKey: c.in, Algorithm: c.alg})
			wantErr(t, err, storage.ErrInvalid)
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("%s: error %q does not say %q", c.name, err, c.says)
			}
			if d, ok := rsaPub["d"]; ok {
				t.Fatalf("test setup: %v", d)
			}
		}
		if ids := e.keyIDs(t, client); len(ids) != 0 {
			t.Errorf("keys %v after refusals", ids)
		}
	})
	t.Run("audits without the key material", func(t *testing.T) {
		k, err := upload(accounts.NewUploadedKey{Label: "audited", PublicKey: pemOf(t, ec384)})
		if err != nil {
			t.Fatal(err)
		}
		after := e.createdAudit(t, client, k.ID)
		if !strings.Contains(after, `"algorithm":"ES384"`) || strings.Contains(after, `"x"`) {
			t.Errorf("audit after %s", after)
		}
	})
}
