package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"hash/crc32"
	"strings"
)

// Secrets look like
//
//	iamd_<key id>_<random><checksum>
//
// The fixed prefix lets secret scanners find leaked secrets, the key ID makes
// verification a single indexed lookup, 32 random bytes from crypto/rand give
// 256 bits of entropy, and the CRC-32 checksum lets scanners and the server
// reject mistyped or made-up strings without a database lookup. Everything is
// lowercase base32, so a secret is safe in URLs, forms and shells as is. As
// a regular expression: iamd_[a-z2-7]{16}_[a-z2-7]{59}.
const (
	// SecretPrefix starts every secret.
	SecretPrefix = "iamd_"

	keyIDBytes    = 10 // 16 base32 characters
	secretBytes   = 32 // 52 base32 characters, 256 bits
	keyIDLen      = 16
	randomLen     = 52
	checksumLen   = 7
	secretLen     = len(SecretPrefix) + keyIDLen + 1 + randomLen + checksumLen
	checksummedAt = secretLen - checksumLen
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns a random ID, for keys and accounts alike: 80 bits, 16
// base32 characters.
func newID() string {
	b := make([]byte, keyIDBytes)
	rand.Read(b) // never returns an error; crashes the program if it would
	return b32.EncodeToString(b)
}

// newSecret returns a new secret for keyID and its hash.
func newSecret(keyID string) (secret string, hash []byte) {
	random := make([]byte, secretBytes)
	rand.Read(random)
	s := SecretPrefix + keyID + "_" + b32.EncodeToString(random)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(s)))
	s += b32.EncodeToString(sum[:])
	return s, HashSecret(s)
}

// SecretKeyID returns the key ID embedded in secret. It reports false if
// secret does not have the shape of an iamd secret or its checksum is wrong.
func SecretKeyID(secret string) (string, bool) {
	if len(secret) != secretLen || !strings.HasPrefix(secret, SecretPrefix) {
		return "", false
	}
	// Check the alphabet before decoding: Go's base32 decoder skips
	// newlines, which would let them through into key IDs and logs.
	for i := len(SecretPrefix); i < secretLen; i++ {
		c := secret[i]
		if i == len(SecretPrefix)+keyIDLen {
			if c != '_' {
				return "", false
			}
		} else if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return "", false
		}
	}
	sum, err := b32.DecodeString(secret[checksummedAt:])
	if err != nil || len(sum) != 4 ||
		binary.BigEndian.Uint32(sum) != crc32.ChecksumIEEE([]byte(secret[:checksummedAt])) {
		return "", false
	}
	return secret[len(SecretPrefix) : len(SecretPrefix)+keyIDLen], true
}

// HashSecret returns the hash stored for secret. A fast hash is right here:
// with 256 bits of entropy, a stolen hash cannot be brute-forced, so a slow
// password hash would only cost CPU on every token request.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// secretMatches compares secret with a stored hash in constant time.
func secretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
