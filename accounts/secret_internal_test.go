package accounts

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
)

var (
	secretFormat = regexp.MustCompile(`^iamd_[a-z2-7]{16}_[a-z2-7]{59}$`)
	keyIDFormat  = regexp.MustCompile(`^[a-z2-7]{16}$`)
)

func TestNewSecret(t *testing.T) {
	t.Run("matches the documented format and embeds the key id", func(t *testing.T) {
		keyID := newID()
		secret, _ := newSecret(keyID)
		if !secretFormat.MatchString(secret) {
			t.Fatalf("secret %q does not match %s", secret, secretFormat)
		}
		if got := secret[len(SecretPrefix) : len(SecretPrefix)+keyIDLen]; got != keyID {
			t.Errorf("embedded key id %q, want %q", got, keyID)
		}
	})
	t.Run("returns the SHA-256 of the secret as its hash", func(t *testing.T) {
		secret, hash := newSecret(newID())
		want := sha256.Sum256([]byte(secret))
		if !bytes.Equal(hash, want[:]) {
			t.Errorf("hash %x, want SHA-256 %x", hash, want)
		}
		if !bytes.Equal(HashSecret(secret), want[:]) {
			t.Errorf("HashSecret %x, want SHA-256 %x", HashSecret(secret), want)
		}
		if !secretMatches(secret, hash) {
			t.Error("secretMatches(secret, its hash) = false")
		}
	})
	t.Run("makes 1000 distinct secrets for one key id", func(t *testing.T) {
		keyID := newID()
		seen := make(map[string]bool, 1000)
		hashes := make(map[string]bool, 1000)
		for range 1000 {
			s, h := newSecret(keyID)
			if !secretFormat.MatchString(s) {
				t.Fatalf("secret %q does not match %s", s, secretFormat)
			}
			if seen[s] {
				t.Fatalf("secret %q made twice", s)
			}
			seen[s] = true
			hashes[string(h)] = true
		}
		if len(hashes) != 1000 {
			t.Errorf("%d distinct hashes for 1000 secrets", len(hashes))
		}
	})
	t.Run("makes 1000 distinct key ids", func(t *testing.T) {
		seen := make(map[string]bool, 1000)
		for range 1000 {
			id := newID()
			if !keyIDFormat.MatchString(id) {
				t.Fatalf("key id %q does not match %s", id, keyIDFormat)
			}
			if seen[id] {
				t.Fatalf("key id %q made twice", id)
			}
			seen[id] = true
		}
	})
}

func TestSecretKeyID(t *testing.T) {
	t.Run("round-trips the key id of 1000 new secrets", func(t *testing.T) {
		for range 1000 {
			keyID := newID()
			secret, _ := newSecret(keyID)
			got, ok := SecretKeyID(secret)
			if !ok || got != keyID {
				t.Fatalf("SecretKeyID(%q) = %q, %v; want %q, true", secret, got, ok, keyID)
			}
		}
	})

	valid, _ := newSecret(newID())
	rejected := []struct {
		name, secret string
	}{
		{"rejects the empty string", ""},
		{"rejects the prefix alone", SecretPrefix},
		{"rejects an uppercase prefix", "IAMD_" + valid[len(SecretPrefix):]},
		{"rejects another prefix of the same length", "iamx_" + valid[len(SecretPrefix):]},
		{"rejects a missing prefix", valid[len(SecretPrefix):]},
		{"rejects a secret one character short", valid[:len(valid)-1]},
		{"rejects a secret one character long", valid + "a"},
		{"rejects a trailing newline", valid + "\n"},
		{"rejects leading whitespace", " " + valid},
		{"rejects an uppercased secret", strings.ToUpper(valid)},
		{"rejects a hyphen instead of the separator", valid[:len(SecretPrefix)+keyIDLen] + "-" + valid[len(SecretPrefix)+keyIDLen+1:]},
		{"rejects two secrets glued together", valid + valid},
		{"rejects a secret with its last two characters swapped", valid[:len(valid)-2] + valid[len(valid)-1:] + valid[len(valid)-2:len(valid)-1]},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			if tt.secret == valid {
				t.Skip("the mutation left the secret unchanged")
			}
			if id, ok := SecretKeyID(tt.secret); ok {
				t.Errorf("SecretKeyID(%q) = %q, true; want false", tt.secret, id)
			}
		})
	}
}

// replacements are what a single mistyped or tampered character may become:
// every character of the alphabet plus a few outside it.
const replacements = "abcdefghijklmnopqrstuvwxyz234567ABZ01890_-. \n\x00\xff"

func TestSecretKeyIDNeverAcceptsAChangedSecretWithTheSameHash(t *testing.T) {
	keyID := newID()
	secret, hash := newSecret(keyID)
	accepted := 0
	for i := range len(secret) {
		for j := range len(replacements) {
			c := replacements[j]
			if c == secret[i] {
				continue
			}
			changed := secret[:i] + string([]byte{c}) + secret[i+1:]
			gotID, ok := SecretKeyID(changed)
			if !ok {
				continue
			}
			accepted++
			if gotID != keyID {
				t.Errorf("position %d -> %q: SecretKeyID accepted a changed key id %q", i, c, gotID)
			}
			if bytes.Equal(HashSecret(changed), hash) || secretMatches(changed, hash) {
				t.Errorf("position %d -> %q: changed secret matches the original hash", i, c)
			}
			if i < checksummedAt {
				t.Errorf("position %d -> %q: a change before the checksum passed the checksum", i, c)
			}
		}
	}
	t.Logf("%d single-character changes passed SecretKeyID (all within the checksum's unused bits) and none match the hash", accepted)
}
