// Package users holds the human admins of iamd: their records, their
// passwords and the rules those follow.
package users

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/iamd/iamd/storage"
)

// Password lengths, in characters. The floor follows NIST SP 800-63B for a
// password that is the only factor; the ceiling bounds the work a login
// can ask of the server.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// argonParams are the cost parameters of an argon2id hash.
type argonParams struct {
	time, memory uint32 // memory in KiB
	threads      uint8
}

// productionParams are RFC 9106 §4's second recommended option (t=3,
// 64 MiB), with the two lanes this size of machine has.
var productionParams = argonParams{time: 3, memory: 64 * 1024, threads: 2}

// hashParams are the parameters of new hashes. Only tests change them
// (export_test.go): most tests are not about the hash and would spend
// seconds on it; TestHashPassword runs with productionParams.
var hashParams = productionParams

const (
	argonKeyLen  = 32
	argonSaltLen = 16
)

// maxHashing bounds the hashes computed at once: each takes 64 MiB, so a
// burst of logins cannot take the server's memory.
const maxHashing = 4

var hashing = make(chan struct{}, maxHashing)

//go:embed common-passwords.txt.gz
var commonGz []byte

// common returns the set of common passwords, lowercased, loaded once.
var common = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		panic("users: embedded password list: " + err.Error())
	}
	set := make(map[string]struct{}, 18000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		set[sc.Text()] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		panic("users: embedded password list: " + err.Error())
	}
	return set
})

// CheckPassword reports whether password may be the password of the user
// named name: MinPasswordLen to MaxPasswordLen characters of valid UTF-8,
// not one of the most common passwords (in any case), not the name, not
// one character repeated. The error wraps storage.ErrInvalid and says what
// is wrong, never the password.
func CheckPassword(password, name string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	switch {
	case !utf8.ValidString(password):
		return storage.Errorf(storage.ErrInvalid, "the password is not valid UTF-8")
	case n < MinPasswordLen:
		return storage.Errorf(storage.ErrInvalid, "the password has %d characters; use at least %d", n, MinPasswordLen)
	case n > MaxPasswordLen:
		return storage.Errorf(storage.ErrInvalid, "the password has %d characters; use at most %d", n, MaxPasswordLen)
	case name != "" && strings.Contains(lower, strings.ToLower(name)):
		return storage.Errorf(storage.ErrInvalid, "the password contains the user name")
	case strings.Count(password, password[:utf8.RuneLen([]rune(password)[0])]) == n:
		return storage.Errorf(storage.ErrInvalid, "the password is one character repeated")
	}
	if _, ok := common()[lower]; ok {
		return storage.Errorf(storage.ErrInvalid, "the password is among the most common passwords; choose another")
	}
	return nil
}

// HashPassword hashes a password with argon2id and a random salt, in the
// PHC string format: $argon2id$v=19$m=65536,t=3,p=2$SALT$HASH.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := hashParams
	hash := derive(password, salt, p.time, p.memory, p.threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(hash)), nil
}

var b64 = base64.RawStdEncoding

// ErrBadHash is returned by VerifyPassword for a stored hash it cannot
// read.
var ErrBadHash = errors.New("not an argon2id password hash")

// VerifyPassword reports whether password is the one encoded hashes, in
// constant time, and whether the hash should be computed again with the
// current parameters.
func VerifyPassword(password, encoded string) (ok, rehash bool, err error) {
	var version, memory, time, threads int
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, false, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil ||
		memory < 8 || memory > 1<<22 || time < 1 || time > 16 || threads < 1 || threads > 255 {
		return false, false, ErrBadHash
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false, false, ErrBadHash
	}
	if utf8.RuneCountInString(password) > MaxPasswordLen {
		return false, false, nil
	}
	got := derive(password, salt, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	p := hashParams
	rehash = argonParams{uint32(time), uint32(memory), uint8(threads)} != p || len(want) != argonKeyLen || len(salt) != argonSaltLen
	return ok, rehash, nil
}

// derive computes an argon2id hash, at most maxHashing at once.
func derive(password string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey([]byte(password), salt, time, memory, threads, keyLen)
}
