package oauth

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/signing"
	"github.com/iamd/iamd/storage"
)

func testMasterKey(t *testing.T) *MasterKey {
	t.Helper()
	mk, err := ParseMasterKey(GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

func TestMasterKeySealing(t *testing.T) {
	mk, other := testMasterKey(t), testMasterKey(t)
	plain := []byte("PKCS #8 bytes")
	sealed := mk.seal("kid-1", signing.ES256, plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("the sealed key holds the plaintext")
	}
	if again := mk.seal("kid-1", signing.ES256, plain); bytes.Equal(again, sealed) {
		t.Error("sealing twice gives the same bytes: the nonce is not random")
	}
	if got, err := mk.open("kid-1", signing.ES256, sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v; want the plaintext", got, err)
	}
	flipped := slices.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	versioned := slices.Clone(sealed)
	versioned[0] = 2
	cases := []struct {
		name     string
		mk       *MasterKey
		kid, alg string
		sealed   []byte
	}{
		{"another master key cannot open it", other, "kid-1", signing.ES256, sealed},
		{"it cannot be moved onto another kid", mk, "kid-2", signing.ES256, sealed},
		{"it cannot be moved onto another algorithm", mk, "kid-1", signing.EdDSA, sealed},
		{"kid and algorithm cannot be shifted into each other", mk, "kid-1\x00" + signing.ES256, "", sealed},
		{"a flipped bit is detected", mk, "kid-1", signing.ES256, flipped},
		{"an unknown format version is refused", mk, "kid-1", signing.ES256, versioned},
		{"a truncated key is refused", mk, "kid-1", signing.ES256, sealed[:5]},
		{"an empty key is refused", mk, "kid-1", signing.ES256, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.mk.open(tc.kid, tc.alg, tc.sealed); err == nil {
				t.Errorf("open succeeded with %q", got)
			}
		})
	}
}

func TestParseMasterKey(t *testing.T) {
	raw := make([]byte, MasterKeySize)
	rand.Read(raw)
	// A key whose base64 forms differ between the alphabets.
	for raw[0] = 0; !strings.ContainsAny(base64.StdEncoding.EncodeToString(raw), "+/"); raw[0]++ {
	}
	cases := []struct {
		name string
		text string
		ok   bool
	}{
		{"standard base64 is accepted", base64.StdEncoding.EncodeToString(raw), true},
		{"standard base64 with surrounding whitespace is accepted", "  " + base64.StdEncoding.EncodeToString(raw) + "\n", true},
		{"unpadded URL-safe base64 is accepted", base64.RawURLEncoding.EncodeToString(raw), true},
		{"what GenerateMasterKey writes is accepted", GenerateMasterKey(), true},
		{"16 bytes are refused", base64.StdEncoding.EncodeToString(raw[:16]), false},
		{"31 bytes are refused", base64.StdEncoding.EncodeToString(raw[:31]), false},
		{"33 bytes are refused", base64.StdEncoding.EncodeToString(append(slices.Clone(raw), 0)), false},
		{"64 bytes are refused", base64.StdEncoding.EncodeToString(append(slices.Clone(raw), raw...)), false},
		{"garbage is refused", "this is not a key!", false},
		{"an empty string is refused", "", false},
		{"hex is refused", strings.Repeat("ab", 32), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mk, err := ParseMasterKey(tc.text)
			if tc.ok != (err == nil) || tc.ok != (mk != nil) {
				t.Fatalf("ParseMasterKey = %v, %v; want ok %v", mk, err, tc.ok)
			}
		})
	}
	t.Run("both encodings give the same key", func(t *testing.T) {
		a, _ := ParseMasterKey(base64.StdEncoding.EncodeToString(raw))
		b, _ := ParseMasterKey(base64.RawURLEncoding.EncodeToString(raw))
		if got, err := b.open("k", signing.ES256, a.seal("k", signing.ES256, []byte("x"))); err != nil || string(got) != "x" {
			t.Errorf("a key sealed under the std form does not open under the URL form: %v", err)
		}
	})
	t.Run("NewMasterKey wants exactly 32 bytes", func(t *testing.T) {
		for _, n := range []int{0, 16, 24, 31, 33} {
			if _, err := NewMasterKey(make([]byte, n)); err == nil {
				t.Errorf("NewMasterKey accepted %d bytes", n)
			}
		}
	})
}

func TestGenerateSigningKey(t *testing.T) {
	mk := testMasterKey(t)
	now := time.Date(2031, 1, 1, 0, 0, 0, 123456789, time.FixedZone("X", 3600))
	for _, alg := range []string{signing.ES256, signing.EdDSA} {
		t.Run("a fresh "+alg+" key is sealed, identified by its thumbprint and opens", func(t *testing.T) {
			k, err := GenerateSigningKey(alg, mk, now, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm != alg || !k.CreatedAt.Equal(storage.Time(now)) || k.CreatedAt.Location() != time.UTC ||
				!k.ActivatesAt.Equal(storage.Time(now.Add(time.Hour))) {
				t.Errorf("key %+v", k)
			}
			var pub jose.JSONWebKey
			if err := json.Unmarshal(k.PublicJWK, &pub); err != nil {
				t.Fatal(err)
			}
			thumb, _ := pub.Thumbprint(crypto.SHA256)
			if pub.KeyID != k.ID || base64.RawURLEncoding.EncodeToString(thumb) != k.ID || pub.Algorithm != alg || pub.Use != "sig" || !pub.IsPublic() {
				t.Errorf("public JWK %s for key %s", k.PublicJWK, k.ID)
			}
			s, err := openSigningKey(k, mk)
			if err != nil {
				t.Fatal(err)
			}
			if s.public.KeyID != k.ID {
				t.Errorf("opened key has kid %s", s.public.KeyID)
			}
			if _, err := openSigningKey(k, testMasterKey(t)); err == nil {
				t.Error("opened under another master key")
			}
		})
	}
	t.Run("an unknown algorithm is invalid input", func(t *testing.T) {
		if _, err := GenerateSigningKey("ES384", mk, now, now); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("GenerateSigningKey(ES384) = %v, want ErrInvalid", err)
		}
	})
	t.Run("a key ID that is not its thumbprint is refused even when correctly sealed", func(t *testing.T) {
		k, err := GenerateSigningKey(signing.ES256, mk, now, now)
		if err != nil {
			t.Fatal(err)
		}
		der, err := mk.open(k.ID, k.Algorithm, k.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		k.ID = "chosen-kid"
		k.PrivateKey = mk.seal(k.ID, k.Algorithm, der)
		var m map[string]any
		json.Unmarshal(k.PublicJWK, &m)
		m["kid"] = k.ID
		k.PublicJWK, _ = json.Marshal(m)
		if _, err := openSigningKey(k, mk); err == nil {
			t.Error("a key with a made-up kid opened")
		}
	})
}

func TestClaimsJSON(t *testing.T) {
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		aud    []string
		scopes []string
		want   string
	}{
		{"one audience is a string", []string{"a"}, []string{"read", "write"},
			`{"iss":"https://i","sub":"s@o.iam","client_id":"s@o.iam","aud":"a","exp":1924995600,"iat":1924992000,"nbf":1924992000,"jti":"J","scope":"read write","org":"o"}`},
		{"several audiences are an array", []string{"a", "b"}, []string{"read"},
			`{"iss":"https://i","sub":"s@o.iam","client_id":"s@o.iam","aud":["a","b"],"exp":1924995600,"iat":1924992000,"nbf":1924992000,"jti":"J","scope":"read","org":"o"}`},
		{"no scopes leave scope out", []string{"a"}, nil,
			`{"iss":"https://i","sub":"s@o.iam","client_id":"s@o.iam","aud":"a","exp":1924995600,"iat":1924992000,"nbf":1924992000,"jti":"J","org":"o"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClaims("https://i", "s@o.iam", tc.aud, tc.scopes, "o", now, time.Hour)
			if len(c.ID) != 22 {
				t.Errorf("jti %q, want 128 bits in base64url", c.ID)
			}
			c.ID = "J"
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("claims\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}
