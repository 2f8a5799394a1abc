package accounts_test

import (
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/iamd/iamd/accounts"
)

var secretFormat = regexp.MustCompile(`^iamd_[a-z2-7]{16}_[a-z2-7]{59}$`)

func TestForgeMatchesTheSecretFormat(t *testing.T) {
	// The other tests rely on forge computing checksums as iamd does.
	s := forge("abcdefghijklmnop", strings.Repeat("q", 52))
	if !secretFormat.MatchString(s) {
		t.Fatalf("forged secret %q does not match %s", s, secretFormat)
	}
	if id, ok := accounts.SecretKeyID(s); !ok || id != "abcdefghijklmnop" {
		t.Fatalf("SecretKeyID(forged) = %q, %v; want the key id, true", id, ok)
	}
}

// The package documents that SecretKeyID reports false for anything without
// the shape of an iamd secret, iamd_[a-z2-7]{16}_[a-z2-7]{59}, so that
// made-up strings are refused without a database lookup. A correct checksum
// must not make up for a wrong alphabet.
func TestSecretKeyIDRejectsWrongShapesEvenWithAValidChecksum(t *testing.T) {
	random := strings.Repeat("q", 52)
	tests := []struct {
		name, secret string
	}{
		{"rejects uppercase letters in the random part", forge("abcdefghijklmnop", strings.ToUpper(random))},
		{"rejects digits outside base32 in the random part", forge("abcdefghijklmnop", strings.Repeat("0189", 13))},
		{"rejects punctuation in the random part", forge("abcdefghijklmnop", strings.Repeat("!", 52))},
		{"rejects a newline in the random part", forge("abcdefghijklmnop", strings.Repeat("q", 51)+"\n")},
		{"rejects a newline in the key id", forge("abcdefghijklmno\n", random)},
		{"rejects a carriage return in the key id", forge("abcdefghijklmno\r", random)},
		{"rejects uppercase letters in the key id", forge("ABCDEFGHIJKLMNOP", random)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if secretFormat.MatchString(tt.secret) {
				t.Fatalf("test secret %q has the valid shape", tt.secret)
			}
			if id, ok := accounts.SecretKeyID(tt.secret); ok {
				t.Errorf("SecretKeyID(%q) = %q, true; want false for a secret not matching %s", tt.secret, id, secretFormat)
			}
		})
	}
}

func TestHashSecretIsSHA256(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(accounts.HashSecret("abc")); got != want {
		t.Errorf("HashSecret(abc) = %s, want %s", got, want)
	}
}

// Changing any single character of a valid secret, at every position, must
// never authenticate: either SecretKeyID refuses it or its hash differs.
func TestAuthenticateRefusesEverySingleCharacterChange(t *testing.T) {
	e := newEnv(t)
	client := e.account(t, "deployer")
	k, secret := e.key(t, client, accounts.NewKey{})
	const replacements = "abcdefghijklmnopqrstuvwxyz234567AZ019_-.\n"
	tried := 0
	for i := range len(secret) {
		for j := range len(replacements) {
			c := replacements[j]
			if c == secret[i] {
				continue
			}
			changed := secret[:i] + string([]byte{c}) + secret[i+1:]
			tried++
			if id, ok := accounts.SecretKeyID(changed); ok && string(accounts.HashSecret(changed)) == string(k.SecretHash) {
				t.Fatalf("position %d -> %q: changed secret has key id %s and the original hash", i, c, id)
			}
			if cred, err := e.svc.Authenticate(e.ctx, client, changed); err == nil {
				t.Fatalf("position %d -> %q: changed secret authenticated as key %s", i, c, cred.Key.ID)
			} else if !errors.Is(err, accounts.ErrAuthentication) {
				t.Fatalf("position %d -> %q: error %v is not an authentication failure", i, c, err)
			}
		}
	}
	if tried < len(secret)*(len(replacements)-1) {
		t.Fatalf("tried only %d changes", tried)
	}
	// The original still works: the loop above did not pass by accident.
	e.authOK(t, client, secret, k.ID)
}
