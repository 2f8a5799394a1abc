package users_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/users"
)

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		password, name, says string
	}{
		{"correct horse battery staple", "alice", ""},
		{"Ünïcode-passwörd-42", "alice", ""},
		{"short-pass1", "alice", "use at least 12"},
		{strings.Repeat("ab", 65), "alice", "use at most 128"},
		{"\xff\xfe-not-utf8-at-all", "alice", "UTF-8"},
		{"alice-is-my-password", "Alice", "user name"},
		{"xxxxxxxxxxxxxxxx", "alice", "one character repeated"},
		{"ééééééééééééé", "alice", "one character repeated"},
		{"qwerty123456", "alice", "most common"}, // in the list
		{"LeaveMeAlone", "alice", "most common"}, // in any case
		{"1qaz2wsx3edc", "alice", "most common"},
	} {
		err := users.CheckPassword(c.password, c.name)
		switch {
		case c.says == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", c.password, err)
		case c.says != "" && (err == nil || !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%q: %v, want an invalid-input error saying %q", c.password, err, c.says)
		case err != nil && strings.Contains(err.Error(), c.password):
			t.Errorf("the error quotes the password: %v", err)
		}
	}
}

func TestHashPassword(t *testing.T) {
	users.UseProductionHashing(t)
	const pw = "correct horse battery staple"
	h, err := users.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, pw) {
		t.Fatalf("hash %q", h)
	}
	if h2, _ := users.HashPassword(pw); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	if ok, rehash, err := users.VerifyPassword(pw, h); !ok || rehash || err != nil {
		t.Errorf("right password: ok %v rehash %v err %v", ok, rehash, err)
	}
	for _, wrong := range []string{"correct horse battery stapl", "Correct horse battery staple", "", strings.Repeat("x", 200)} {
		if ok, _, err := users.VerifyPassword(wrong, h); ok || err != nil {
			t.Errorf("wrong password %q: ok %v err %v", wrong, ok, err)
		}
	}
	// A made-up hash does not verify (TestRehashWhenParametersChange has a real
	// one of other parameters).
	weak := "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$"
	if ok, _, _ := users.VerifyPassword(pw, weak+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); ok {
		t.Error("a made-up hash verified")
	}
	parts := strings.Split(h, "$")
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=65536,t=3,p=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=3,p=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=65536,t=999,p=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=65536,t=3,p=2$!!!$" + parts[5],
		"$argon2id$v=19$m=65536,t=3,p=2$" + parts[4] + "$AAAA",
	} {
		if ok, _, err := users.VerifyPassword(pw, bad); ok || !errors.Is(err, users.ErrBadHash) {
			t.Errorf("hash %q: ok %v err %v, want ErrBadHash", bad, ok, err)
		}
	}
}

func TestRehashWhenParametersChange(t *testing.T) {
	users.UseProductionHashing(t)
	const pw = "correct horse battery staple"
	// The same password hashed with t=1 and 8 MiB.
	old := "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
	ok, rehash, err := users.VerifyPassword(pw, old+hashFor(t, pw))
	if !ok || !rehash || err != nil {
		t.Errorf("old parameters: ok %v rehash %v err %v, want ok and rehash", ok, rehash, err)
	}
}

// hashFor is the hash of pw with the salt and parameters of
// TestRehashWhenParametersChange's old hash, as an older iamd made it.
func hashFor(t *testing.T, pw string) string {
	t.Helper()
	salt, err := base64.RawStdEncoding.DecodeString("c2FsdHNhbHRzYWx0c2FsdA")
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawStdEncoding.EncodeToString(users.DeriveForTest(pw, salt, 1, 8192, 1, 32))
}

// TestHashesAreBoundedInNumber: however many logins arrive at once, at most
// four hashes, 64 MiB each, are computed at a time.
func TestHashesAreBoundedInNumber(t *testing.T) {
	users.UseProductionHashing(t)
	const n = 8
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			users.HashPassword("correct horse battery staple")
		}()
	}
	go func() { wg.Wait(); close(done) }()
	most := 0
	for {
		select {
		case <-done:
			if most != 4 {
				t.Errorf("at most %d hashes at once, want 4", most)
			}
			return
		default:
			most = max(most, users.HashingNow())
			time.Sleep(time.Millisecond)
		}
	}
}
