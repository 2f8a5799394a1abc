package users_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
	"github.com/iamd/iamd/storage/sqlite"
	"github.com/iamd/iamd/storage/sqlite/sqlitetest"
	"github.com/iamd/iamd/users"
)

// The password of every user of the fixture, and one to change it to.
const (
	pw    = "correct horse battery staple"
	newPW = "a different horse, a new staple"
)

var start = time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingStore counts the writes that should be rare.
type countingStore struct {
	*sqlite.DB
	mu             sync.Mutex
	touches, prune int
}

func (s *countingStore) TouchSession(ctx context.Context, id []byte, seenAt time.Time) error {
	s.mu.Lock()
	s.touches++
	s.mu.Unlock()
	return s.DB.TouchSession(ctx, id, seenAt)
}

func (s *countingStore) PruneSessions(ctx context.Context, now, idleBefore time.Time, limit int) (int, error) {
	s.mu.Lock()
	s.prune++
	s.mu.Unlock()
	return s.DB.PruneSessions(ctx, now, idleBefore, limit)
}

type env struct {
	ctx   context.Context
	db    *sqlite.DB
	store *countingStore
	clock *fakeClock
	svc   *users.Service
}

// fixtureUsers are alice, bob, the disabled dora, and u0 to u9 for
// spraying; all have the password pw.
var fixtureUsers = func() []string {
	names := []string{"alice", "bob", "dora"}
	for i := range 10 {
		names = append(names, fmt.Sprint("u", i))
	}
	return names
}()

// cheapHash is pw hashed with the least work argon2id allows: a failure
// against it costs microseconds, not the 100 ms of a current hash. A
// success rehashes it, as for any hash of older parameters.
func cheapHash(password string) string {
	salt := []byte("fixture-salt-16b")
	b64 := base64.RawStdEncoding
	return "$argon2id$v=19$m=8,t=1,p=1$" + b64.EncodeToString(salt) + "$" +
		b64.EncodeToString(users.DeriveForTest(password, salt, 1, 8, 1, 32))
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	path := sqlitetest.With(t, "acme and its users", func(ctx context.Context, db *sqlite.DB) error {
		now := func() time.Time { return start }
		orgs := rbac.NewService(db, db, audit.NewLog(db, now), now)
		if _, err := orgs.CreateRoot(ctx, rbac.System("test"), "acme", "Acme"); err != nil {
			return err
		}
		for _, name := range fixtureUsers {
			u := users.User{ID: "id-" + name, OrgID: "acme", Name: name, DisplayName: name, PasswordHash: cheapHash(pw),
				CreatedAt: start, CreatedBy: "test", UpdatedAt: start, PasswordChangedAt: start}
			if name == "dora" {
				u.DisabledAt = start
			}
			if err := db.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &fakeClock{t: start}
	store := &countingStore{DB: db}
	orgs := rbac.NewService(db, db, audit.NewLog(db, clock.Now), clock.Now)
	svc := users.NewService(store, db, orgs, users.Config{}, clock.Now)
	return &env{ctx: ctx, db: db, store: store, clock: clock, svc: svc}
}

func (e *env) login(t *testing.T, name, password, addr string) users.LoggedIn {
	t.Helper()
	in, err := e.svc.Login(e.ctx, name, password, addr)
	if err != nil {
		t.Fatalf("Login(%s from %s): %v", name, addr, err)
	}
	return in
}

// throttled asserts that a login with the right password is refused by
// the throttle, and returns the wait.
func (e *env) throttled(t *testing.T, name, addr string) time.Duration {
	t.Helper()
	_, err := e.svc.Login(e.ctx, name, pw, addr)
	var te *users.ThrottledError
	if !errors.As(err, &te) || te.RetryAfter <= 0 {
		t.Fatalf("Login(%s from %s) = %v, want it throttled", name, addr, err)
	}
	return te.RetryAfter
}

// fail makes n failed logins of name from addr.
func (e *env) fail(t *testing.T, name, addr string, n int) {
	t.Helper()
	for i := range n {
		if _, err := e.svc.Login(e.ctx, name, "wrong password here", addr); !errors.Is(err, users.ErrBadLogin) {
			t.Fatalf("failure %d of %s from %s: %v, want ErrBadLogin", i, name, addr, err)
		}
	}
}

func (e *env) live(t *testing.T, token string) users.User {
	t.Helper()
	_, u, err := e.svc.Session(e.ctx, token)
	if err != nil {
		t.Fatalf("Session: %v, want it live", err)
	}
	return u
}

func (e *env) dead(t *testing.T, token, why string) {
	t.Helper()
	if _, _, err := e.svc.Session(e.ctx, token); !errors.Is(err, users.ErrNoSession) {
		t.Fatalf("%s: Session = %v, want ErrNoSession", why, err)
	}
}

func (e *env) audit(t *testing.T) []audit.Entry {
	t.Helper()
	entries, err := audit.NewLog(e.db, e.clock.Now).List(e.ctx, audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestLoginStartsASession(t *testing.T) {
	e := newEnv(t)
	in := e.login(t, "alice", pw, "192.0.2.1")
	if !strings.HasPrefix(in.Token, "iamds_") || len(in.Token) < 40 {
		t.Errorf("token %q", in.Token)
	}
	if in.User.Name != "alice" || !in.User.LastLoginAt.Equal(start) {
		t.Errorf("user %s, last login %v", in.User.Name, in.User.LastLoginAt)
	}
	if !in.Session.CreatedAt.Equal(start) || !in.Session.SeenAt.Equal(start) || !in.Session.ExpiresAt.Equal(start.Add(12*time.Hour)) {
		t.Errorf("session times %+v", in.Session)
	}
	if ok, rehash, _ := users.VerifyPassword(pw, in.User.PasswordHash); !ok || rehash {
		t.Errorf("the hash of older parameters was not redone: ok %v rehash %v", ok, rehash)
	}
	if strings.Contains(string(in.Session.ID), in.Token) || len(in.Session.ID) != 32 {
		t.Errorf("session ID is not a SHA-256")
	}
	if stored, err := e.db.GetUserByName(e.ctx, "alice"); err != nil || !stored.LastLoginAt.Equal(start) || stored.PasswordHash != in.User.PasswordHash {
		t.Errorf("stored user: last login %v, hash redone %v (%v)", stored.LastLoginAt, stored.PasswordHash == in.User.PasswordHash, err)
	}
	sess, u, err := e.svc.Session(e.ctx, in.Token)
	if err != nil || u.ID != "id-alice" || string(sess.ID) != string(in.Session.ID) {
		t.Fatalf("Session = %x, %s, %v", sess.ID, u.Name, err)
	}
	again := e.login(t, "alice", pw, "192.0.2.1")
	if again.Token == in.Token || string(again.Session.ID) == string(in.Session.ID) {
		t.Error("a second login reused the session")
	}
	e.live(t, in.Token) // the caller ends the old session, not Login
	for _, bad := range []string{"", "iamds_", "iamds_short", in.Token + "x", strings.TrimPrefix(in.Token, "iamds_"), "iamds_" + strings.Repeat("!", 43)} {
		e.dead(t, bad, fmt.Sprintf("token %q", bad))
	}
}

func TestActorHasTheRightsOfNow(t *testing.T) {
	e := newEnv(t)
	u, err := e.db.GetUserByName(e.ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	read := rbac.Right{Permission: "iam.service-accounts", Operation: rbac.OpRead}
	actor, err := e.svc.Actor(e.ctx, u)
	if err != nil || actor.ID != "user:alice" || actor.Can("acme", read) {
		t.Fatalf("Actor = %+v, %v; want user:alice with no rights", actor, err)
	}
	if err := e.svc.AssignRole(e.ctx, rbac.System("test"), "alice", "acme/"+rbac.RoleViewer, []rbac.Scope{{OrgID: "acme"}}); err != nil {
		t.Fatal(err)
	}
	if actor, err = e.svc.Actor(e.ctx, u); err != nil || !actor.Can("acme", read) {
		t.Errorf("after the assignment: Actor = %+v, %v; want it to read accounts", actor, err)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	var msgs []string
	for _, c := range []struct{ name, password, reason string }{
		{"alice", "not alice's password", "wrong password"},
		{"nobody", pw, "unknown user"},
		{"dora", pw, "disabled"},
		{"Alice", pw, "unknown user"},
	} {
		_, err := e.svc.Login(e.ctx, c.name, c.password, "192.0.2.1")
		if !errors.Is(err, users.ErrBadLogin) {
			t.Errorf("%s (%s): %v, want ErrBadLogin", c.name, c.reason, err)
			continue
		}
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Errorf("failures answer %q and %q: they must not differ", msgs[0], m)
		}
	}
	entries := e.audit(t)
	var reasons []string
	for _, en := range entries {
		if en.Action == "user.login-failed" {
			reasons = append(reasons, en.Target+": "+string(en.After))
		}
	}
	if got := strings.Join(reasons, "\n"); len(reasons) != 4 ||
		!strings.Contains(got, `alice: {"addr":"192.0.2.1","reason":"wrong password"}`) ||
		!strings.Contains(got, `nobody: {"addr":"192.0.2.1","reason":"unknown user"}`) ||
		!strings.Contains(got, `dora: {"addr":"192.0.2.1","reason":"disabled"}`) {
		t.Errorf("failure records:\n%s", got)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Run("per user and address: a correct password is refused, then accepted after the refill", func(t *testing.T) {
		e := newEnv(t)
		e.fail(t, "alice", "192.0.2.1", 5)
		if w := e.throttled(t, "alice", "192.0.2.1"); w != 30*time.Second {
			t.Errorf("wait %v, want 30s", w)
		}
		e.login(t, "alice", pw, "198.51.100.7") // another address is not held up
		e.login(t, "bob", pw, "192.0.2.1")      // nor another user
		e.clock.Advance(29 * time.Second)
		e.throttled(t, "alice", "192.0.2.1")
		e.clock.Advance(time.Second)
		e.login(t, "alice", pw, "192.0.2.1")
	})
	t.Run("per address, across users", func(t *testing.T) {
		e := newEnv(t)
		for i := range 6 {
			e.fail(t, fmt.Sprint("u", i), "192.0.2.1", 5)
		}
		if w := e.throttled(t, "u9", "192.0.2.1"); w != 5*time.Second {
			t.Errorf("wait %v, want 5s", w)
		}
		e.login(t, "u9", pw, "198.51.100.7")
		e.clock.Advance(5 * time.Second)
		e.login(t, "u8", pw, "192.0.2.1")
	})
	t.Run("per user, across addresses", func(t *testing.T) {
		e := newEnv(t)
		for i := range 4 {
			e.fail(t, "alice", fmt.Sprint("192.0.2.", i), 5)
		}
		if w := e.throttled(t, "alice", "198.51.100.7"); w != 15*time.Second {
			t.Errorf("wait %v, want 15s", w)
		}
		e.login(t, "bob", pw, "198.51.100.7")
		e.clock.Advance(15 * time.Second)
		e.login(t, "alice", pw, "198.51.100.7")
	})
	t.Run("an IPv6 host is one /64, whichever of its addresses it uses", func(t *testing.T) {
		e := newEnv(t)
		for i := range 5 {
			e.fail(t, "alice", fmt.Sprintf("2001:db8:0:1::%x", i+1), 1)
		}
		e.throttled(t, "alice", "2001:db8:0:1:ffff::99")
		e.throttled(t, "alice", "[2001:db8:0:1::1]:443")
		e.login(t, "alice", pw, "2001:db8:0:2::1")
	})
	t.Run("an IPv4 address is the same mapped in IPv6", func(t *testing.T) {
		e := newEnv(t)
		e.fail(t, "alice", "192.0.2.1", 5)
		e.throttled(t, "alice", "::ffff:192.0.2.1")
	})
	t.Run("attempts at once get no more guesses than the burst", func(t *testing.T) {
		e := newEnv(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		verified := 0
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Login(e.ctx, "alice", "wrong password here", "192.0.2.1")
				if errors.Is(err, users.ErrBadLogin) {
					mu.Lock()
					verified++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if verified != 5 {
			t.Errorf("%d guesses verified, want the burst of 5", verified)
		}
	})
	t.Run("a user attacked from one address signs in from another at any time", func(t *testing.T) {
		e := newEnv(t)
		// The attacker tries every second for ten minutes.
		for s := range 600 {
			if s == 540 {
				e.login(t, "alice", pw, "198.51.100.7")
			}
			e.svc.Login(e.ctx, "alice", "wrong password here", "192.0.2.1")
			e.clock.Advance(time.Second)
		}
		e.login(t, "alice", pw, "198.51.100.7")
	})
	t.Run("a user attacked from many addresses is back within 15 s of the attack's end", func(t *testing.T) {
		e := newEnv(t)
		// Four addresses try every second for five minutes; alice comes
		// right after their last round.
		for range 300 {
			e.clock.Advance(time.Second)
			for a := range 4 {
				e.svc.Login(e.ctx, "alice", "wrong password here", fmt.Sprint("192.0.2.", a))
			}
		}
		w := e.throttled(t, "alice", "198.51.100.7")
		if w > 15*time.Second {
			t.Errorf("wait %v after the attack, want at most 15s", w)
		}
		e.clock.Advance(w)
		e.login(t, "alice", pw, "198.51.100.7")
	})
	t.Run("throttled attempts are audited as such, once per user and address every 30 s", func(t *testing.T) {
		e := newEnv(t)
		e.fail(t, "alice", "192.0.2.1", 5)
		for range 10 {
			e.throttled(t, "alice", "192.0.2.1")
			e.clock.Advance(time.Second)
		}
		n := 0
		for _, en := range e.audit(t) {
			if strings.Contains(string(en.After), `"reason":"throttled"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d records of throttled attempts, want 1", n)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		e := newEnv(t)
		in := e.login(t, "alice", pw, "192.0.2.1")
		e.clock.Advance(29 * time.Minute)
		e.live(t, in.Token)
		e.clock.Advance(29 * time.Minute)
		e.live(t, in.Token)
		e.clock.Advance(30 * time.Minute)
		e.dead(t, in.Token, "30 minutes unused")
	})
	t.Run("absolute, however much it is used", func(t *testing.T) {
		e := newEnv(t)
		in := e.login(t, "alice", pw, "192.0.2.1")
		for e.clock.Now().Before(start.Add(12*time.Hour - 20*time.Minute)) {
			e.clock.Advance(20 * time.Minute)
			e.live(t, in.Token)
		}
		e.clock.Advance(20 * time.Minute)
		e.dead(t, in.Token, "12 hours after login")
	})
	t.Run("disabled or deleted user", func(t *testing.T) {
		e := newEnv(t)
		a := e.login(t, "alice", pw, "192.0.2.1")
		b := e.login(t, "bob", pw, "192.0.2.1")
		if err := e.db.UpdateUser(e.ctx, "id-alice", func(u users.User) (users.User, error) {
			u.DisabledAt = start
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		e.dead(t, a.Token, "user disabled")
		if err := e.db.DeleteUser(e.ctx, "id-bob"); err != nil {
			t.Fatal(err)
		}
		e.dead(t, b.Token, "user deleted")
	})
}

func TestSessionWritesRarely(t *testing.T) {
	e := newEnv(t)
	in := e.login(t, "alice", pw, "192.0.2.1")
	for _, c := range []struct {
		at             time.Duration
		touches, prune int
	}{
		{10 * time.Second, 0, 1},
		{59 * time.Second, 0, 1},
		{61 * time.Second, 1, 2},
		{90 * time.Second, 1, 2},
		{120 * time.Second, 1, 2},
		{122 * time.Second, 2, 3},
		{2*time.Minute + 10*time.Second, 2, 3},
	} {
		e.clock.Set(start.Add(c.at))
		sess, _, err := e.svc.Session(e.ctx, in.Token)
		if err != nil {
			t.Fatal(err)
		}
		if e.store.touches != c.touches || e.store.prune != c.prune {
			t.Errorf("at +%v: %d touches and %d prunes, want %d and %d", c.at, e.store.touches, e.store.prune, c.touches, c.prune)
		}
		if !sess.SeenAt.After(start.Add(c.at - time.Minute)) {
			t.Errorf("at +%v: seen at %v, over a minute stale", c.at, sess.SeenAt)
		}
	}
}

func TestSessionsArePruned(t *testing.T) {
	e := newEnv(t)
	old := e.login(t, "alice", pw, "192.0.2.1")
	e.clock.Advance(31 * time.Minute)
	in := e.login(t, "bob", pw, "192.0.2.1")
	e.live(t, in.Token)
	if _, _, err := e.db.GetSession(e.ctx, old.Session.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("an idle session was kept: %v", err)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	in := e.login(t, "alice", pw, "192.0.2.1")
	other := e.login(t, "alice", pw, "192.0.2.1")
	if err := e.svc.Logout(e.ctx, in.Token); err != nil {
		t.Fatal(err)
	}
	e.dead(t, in.Token, "after logout")
	e.live(t, other.Token)
	for _, tok := range []string{in.Token, "", "garbage", "iamds_" + strings.Repeat("A", 43)} {
		if err := e.svc.Logout(e.ctx, tok); err != nil {
			t.Errorf("Logout(%q) = %v, want nil", tok, err)
		}
	}
	if entries := e.audit(t); entries[0].Action != "user.logout" || entries[0].Actor != "user:alice" {
		t.Errorf("latest record %s by %s", entries[0].Action, entries[0].Actor)
	}
	if n := countActions(e.audit(t))["user.logout"]; n != 1 {
		t.Errorf("%d logout records, want 1", n)
	}
}

func countActions(entries []audit.Entry) map[string]int {
	n := map[string]int{}
	for _, en := range entries {
		n[en.Action]++
	}
	return n
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	if err := e.db.UpdateUser(e.ctx, "id-alice", func(u users.User) (users.User, error) {
		u.MustChangePassword = true
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	a1 := e.login(t, "alice", pw, "192.0.2.1")
	a2 := e.login(t, "alice", pw, "198.51.100.7")
	b := e.login(t, "bob", pw, "192.0.2.1")
	for _, c := range []struct {
		name, current, next string
		want                error
		says                string
	}{
		{"a wrong current password", "not the password", newPW, users.ErrBadLogin, ""},
		{"a weak new password", pw, "short", storage.ErrInvalid, "use at least 12"},
		{"a common new password", pw, "qwerty123456", storage.ErrInvalid, "most common"},
		{"the same password", pw, pw, storage.ErrInvalid, "the current one"},
	} {
		_, err := e.svc.ChangePassword(e.ctx, a1.Token, c.current, c.next, "192.0.2.1")
		if !errors.Is(err, c.want) || !strings.Contains(fmt.Sprint(err), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.want, c.says)
		}
	}
	if _, err := e.svc.ChangePassword(e.ctx, "iamds_"+strings.Repeat("A", 43), pw, newPW, "192.0.2.1"); !errors.Is(err, users.ErrNoSession) {
		t.Errorf("no session: %v, want ErrNoSession", err)
	}
	e.live(t, a1.Token)
	e.clock.Advance(time.Second)
	in, err := e.svc.ChangePassword(e.ctx, a1.Token, pw, newPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if in.User.MustChangePassword || !in.User.PasswordChangedAt.Equal(e.clock.Now()) || in.Token == a1.Token {
		t.Errorf("after the change: must change %v, changed at %v", in.User.MustChangePassword, in.User.PasswordChangedAt)
	}
	e.dead(t, a1.Token, "the session that changed the password")
	e.dead(t, a2.Token, "another session of the user")
	e.live(t, in.Token)
	e.live(t, b.Token)
	if _, err := e.svc.Login(e.ctx, "alice", pw, "192.0.2.1"); !errors.Is(err, users.ErrBadLogin) {
		t.Errorf("old password: %v", err)
	}
	e.login(t, "alice", newPW, "192.0.2.1")
	if got := countActions(e.audit(t)); got["user.password-change"] != 1 || got["user.password-change-failed"] != 1 {
		t.Errorf("records %v, want one change and one failure", got)
	}
}

func TestChangePasswordFailuresAreThrottled(t *testing.T) {
	e := newEnv(t)
	e.fail(t, "alice", "192.0.2.1", 4)
	in := e.login(t, "alice", pw, "198.51.100.7")
	if _, err := e.svc.ChangePassword(e.ctx, in.Token, "not the password", newPW, "192.0.2.1"); !errors.Is(err, users.ErrBadLogin) {
		t.Fatalf("wrong current password: %v", err)
	}
	_, err := e.svc.ChangePassword(e.ctx, in.Token, pw, newPW, "192.0.2.1")
	var te *users.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("right password after 5 failures: %v, want it throttled", err)
	}
	if !strings.Contains(te.Error(), "try again in 30s") {
		t.Errorf("error %q", te.Error())
	}
}

func TestCSRF(t *testing.T) {
	tok := "iamds_" + strings.Repeat("A", 43)
	other := "iamds_" + strings.Repeat("B", 43)
	c := users.CSRFToken(tok)
	if c != users.CSRFToken(tok) || c == users.CSRFToken(other) || strings.Contains(c, tok) {
		t.Fatalf("CSRFToken not derived from the session token alone: %q", c)
	}
	for _, bad := range []struct{ session, got string }{{other, c}, {tok, ""}, {tok, c + "x"}, {tok, c[:len(c)-1]}, {"", users.CSRFToken("")}} {
		if users.CheckCSRF(bad.session, bad.got) {
			t.Errorf("CheckCSRF(%q, %q) passed", bad.session, bad.got)
		}
	}
	if !users.CheckCSRF(tok, c) {
		t.Error("the right CSRF token failed")
	}
}

// TestAuditHoldsNoSecret goes through every event and scans what the
// audit log holds for the passwords, tokens and hashes.
func TestAuditHoldsNoSecret(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 100)
	e.svc.Login(e.ctx, long, pw, "192.0.2.1")
	e.svc.Login(e.ctx, "alice", "not the password", "192.0.2.1")
	e.svc.Login(e.ctx, "dora", pw, "192.0.2.1")
	in := e.login(t, "alice", pw, "192.0.2.1")
	changed, err := e.svc.ChangePassword(e.ctx, in.Token, pw, newPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(e.ctx, changed.Token); err != nil {
		t.Fatal(err)
	}
	entries := e.audit(t)
	got := countActions(entries)
	for action, n := range map[string]int{"user.login": 1, "user.login-failed": 3, "user.password-change": 1, "user.logout": 1} {
		if got[action] != n {
			t.Errorf("%d %s records, want %d", got[action], action, n)
		}
	}
	secrets := []string{pw, newPW, in.Token, changed.Token, users.CSRFToken(in.Token), "argon2", "$", "iamds_",
		base64.RawStdEncoding.EncodeToString(in.Session.ID), fmt.Sprintf("%x", in.Session.ID)}
	for _, en := range entries {
		text := fmt.Sprintf("%s %s %s %s %s", en.Actor, en.Target, en.OrgID, en.Before, en.After)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s record holds a secret: %s", en.Action, text)
			}
		}
		if en.Action == "user.login-failed" && strings.HasPrefix(en.Target, "x") &&
			(en.Target != long[:64] || en.OrgID != "acme") {
			t.Errorf("unknown name recorded as %q in %q, want it cut to 64 in the root", en.Target, en.OrgID)
		}
	}
}
