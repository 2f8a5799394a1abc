package users

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// LoggedIn is a successful sign-in: the user, its new session and the
// session's token, which only the cookie keeps.
type LoggedIn struct {
	User    User
	Session Session
	Token   string
}

// ErrBadLogin is the one answer to a wrong name, a wrong password or a
// disabled user, so that none tells the others apart.
var ErrBadLogin = errors.New("wrong user name or password")

// ErrNoSession is returned for a session token that is malformed, unknown,
// expired, idle, or whose user is disabled or deleted.
var ErrNoSession = errors.New("no such session")

// ThrottledError refuses a sign-in, unverified, after too many failures
// (see the throttle's comment in throttle.go).
type ThrottledError struct {
	// RetryAfter is how long until the next attempt can be verified.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %v", (e.RetryAfter + time.Second - 1).Truncate(time.Second))
}

const (
	// tokenPrefix starts every session token, so that one found in a log
	// or a paste says what it is.
	tokenPrefix = "iamds_"
	tokenBytes  = 32
	// touchEvery is how stale a session's SeenAt may get: the idle
	// timeout therefore ends a session between touchEvery short of it
	// and it after its last use, for one write a minute per session
	// rather than one per page.
	touchEvery = time.Minute
	// pruneEvery is how often an instance removes dead sessions, at most
	// pruneBatch at a time.
	pruneEvery = time.Minute
	pruneBatch = 1000
	// csrfLabel is what CSRF tokens are the HMAC of.
	csrfLabel = "iamd console CSRF token v1"
)

// Failure reasons of user.login-failed audit records.
const (
	reasonUnknown   = "unknown user"
	reasonWrong     = "wrong password"
	reasonDisabled  = "disabled"
	reasonThrottled = "throttled"
)

// dummyHash is verified against for an unknown or disabled user, so that
// it costs what a wrong password costs.
var dummyHash = sync.OnceValue(func() string {
	pw := make([]byte, 32)
	rand.Read(pw)
	h, err := HashPassword(base64.RawURLEncoding.EncodeToString(pw))
	if err != nil {
		panic("users: dummy hash: " + err.Error())
	}
	return h
})

// Login signs in the user named name with password from addr, the client
// address, and returns a new session: a sign-in never reuses one, so the
// caller ends any session the client had (rotation). A wrong name, a
// wrong password and a disabled user take the same time and all return
// ErrBadLogin; after too many failures Login returns *ThrottledError
// without verifying the password. Successes and failures are audited;
// refusals by the throttle at most once per user and address every 30 s.
func (s *Service) Login(ctx context.Context, name, password, addr string) (LoggedIn, error) {
	now := s.now()
	s.pruneSessions(ctx, now)
	u, err := s.store.GetUserByName(ctx, name)
	known := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		// Not the name: people type their password there too.
		return LoggedIn{}, fmt.Errorf("look up the user signing in: %w", err)
	}
	a := newAttempt(name, addr, known)
	if wait := s.logins.reserve(a, now); wait > 0 {
		return LoggedIn{}, s.throttled(ctx, "user.login-failed", a, u, name, addr, wait, now)
	}
	hash := dummyHash()
	if known && u.DisabledAt.IsZero() {
		hash = u.PasswordHash
	}
	ok, rehash, err := VerifyPassword(password, hash)
	if err != nil {
		return LoggedIn{}, fmt.Errorf("verify the password of %s: %w", storage.Quote(u.Name), err)
	}
	switch {
	case !known:
		return LoggedIn{}, s.loginFailed(ctx, "user.login-failed", u, name, addr, reasonUnknown, ErrBadLogin)
	case !u.DisabledAt.IsZero():
		return LoggedIn{}, s.loginFailed(ctx, "user.login-failed", u, name, addr, reasonDisabled, ErrBadLogin)
	case !ok:
		return LoggedIn{}, s.loginFailed(ctx, "user.login-failed", u, name, addr, reasonWrong, ErrBadLogin)
	}
	s.logins.refund(a, now)
	newHash := ""
	if rehash {
		if newHash, err = HashPassword(password); err != nil {
			return LoggedIn{}, err
		}
	}
	var in LoggedIn
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		err := s.store.UpdateUser(ctx, u.ID, func(cur User) (User, error) {
			if !cur.DisabledAt.IsZero() {
				return cur, ErrBadLogin // disabled since it was read
			}
			if newHash != "" {
				cur.PasswordHash = newHash
			}
			cur.LastLoginAt = storage.Time(now)
			in.User = cur
			return cur, nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			return ErrBadLogin // deleted since it was read
		}
		if err != nil {
			return err
		}
		if in.Session, in.Token, err = s.newSession(ctx, u.ID, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, u.ActorID(), "user.login", u.OrgID, u.Name, nil,
			loginView{Addr: addr, Rehashed: newHash != ""})
	})
	if errors.Is(err, ErrBadLogin) {
		return LoggedIn{}, ErrBadLogin
	}
	if err != nil {
		return LoggedIn{}, fmt.Errorf("sign in %s: %w", storage.Quote(u.Name), err)
	}
	return in, nil
}

// loginView is the audit record of a sign-in or its failure; it holds
// nothing secret.
type loginView struct {
	Addr     string `json:"addr"`
	Reason   string `json:"reason,omitempty"`
	Rehashed bool   `json:"rehashed,omitempty"`
}

// loginFailed audits a failed sign-in or password change and returns
// answer, or the error recording it met. The record's actor and target
// are the user whose password was tried; for a name that is no user's,
// the name cut to maxKeyLen, in the root organization.
func (s *Service) loginFailed(ctx context.Context, action string, u User, name, addr, reason string, answer error) error {
	if u.ID == "" {
		root, err := s.orgs.Root(ctx)
		if err != nil {
			return fmt.Errorf("audit a failed sign-in: %w", err)
		}
		u = User{OrgID: root.ID, Name: cut(name, maxKeyLen)}
	}
	if err := s.audit.Record(ctx, u.ActorID(), action, u.OrgID, u.Name, nil, loginView{Addr: addr, Reason: reason}); err != nil {
		return err
	}
	return answer
}

// throttled answers an attempt the throttle refused, auditing it unless
// one like it was just audited.
func (s *Service) throttled(ctx context.Context, action string, a attempt, u User, name, addr string, wait time.Duration, now time.Time) error {
	answer := &ThrottledError{RetryAfter: wait}
	if !s.logins.note(a, now) {
		return answer
	}
	return s.loginFailed(ctx, action, u, name, addr, reasonThrottled, answer)
}

// newSession creates a session of the user, signed in at now, and returns
// it with its token. Only the token's SHA-256 is stored: a 256-bit random
// token needs no slow hash, and a copy of the database opens no session.
func (s *Service) newSession(ctx context.Context, userID string, now time.Time) (Session, string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return Session{}, "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	at := storage.Time(now)
	sess := Session{ID: sessionID(token), UserID: userID, CreatedAt: at, SeenAt: at,
		ExpiresAt: storage.Time(now.Add(s.cfg.SessionLifetime))}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return Session{}, "", fmt.Errorf("create session: %w", err)
	}
	return sess, token, nil
}

// sessionID returns the stored ID of a session token, or nil if token is
// not one.
func sessionID(token string) []byte {
	raw, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || base64.RawURLEncoding.DecodedLen(len(raw)) != tokenBytes {
		return nil
	}
	if _, err := base64.RawURLEncoding.DecodeString(raw); err != nil {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Session returns the live session of token and its user, or ErrNoSession.
// It records the use at most once every touchEvery.
func (s *Service) Session(ctx context.Context, token string) (Session, User, error) {
	id := sessionID(token)
	if id == nil {
		return Session{}, User{}, ErrNoSession
	}
	now := s.now()
	s.pruneSessions(ctx, now)
	sess, u, err := s.store.GetSession(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Session{}, User{}, ErrNoSession
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("get session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.SeenAt) >= s.cfg.IdleTimeout || !u.DisabledAt.IsZero() {
		return Session{}, User{}, ErrNoSession
	}
	if now.Sub(sess.SeenAt) >= touchEvery {
		seen := storage.Time(now)
		err := s.store.TouchSession(ctx, id, seen)
		if errors.Is(err, storage.ErrNotFound) {
			return Session{}, User{}, ErrNoSession
		}
		if err != nil {
			return Session{}, User{}, fmt.Errorf("touch session: %w", err)
		}
		sess.SeenAt = seen
	}
	return sess, u, nil
}

// pruneSessions removes expired and idle sessions, at most once every
// pruneEvery per instance. Session refuses them anyway, so a failure only
// leaves them for the next time.
func (s *Service) pruneSessions(ctx context.Context, now time.Time) {
	last := s.pruned.Load()
	if now.UnixNano()-last < int64(pruneEvery) || !s.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	_, _ = s.store.PruneSessions(ctx, now, now.Add(-s.cfg.IdleTimeout), pruneBatch)
}

// Actor returns the user as an actor, with its rights as of now.
func (s *Service) Actor(ctx context.Context, u User) (rbac.Actor, error) {
	rights, err := s.orgs.SubjectRights(ctx, u.ID)
	if err != nil {
		return rbac.Actor{}, err
	}
	return rbac.NewActor(u.ActorID(), rights), nil
}

// Logout ends the session of token and audits it; a token of no session
// is no error.
func (s *Service) Logout(ctx context.Context, token string) error {
	id := sessionID(token)
	if id == nil {
		return nil
	}
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		_, u, err := s.store.GetSession(ctx, id)
		if err != nil {
			return err
		}
		if err := s.store.DeleteSession(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, u.ActorID(), "user.logout", u.OrgID, u.Name, nil, nil)
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("log out: %w", err)
	}
	return nil
}

// ChangePassword sets the password of the session's user to next, given
// its current one, ends every session of the user and returns a new one
// (rotation). It returns ErrNoSession if the session is not live,
// ErrBadLogin for a wrong current password, *ThrottledError after too
// many (they count as failed sign-ins), and an error wrapping
// storage.ErrInvalid, saying why, for a new password that CheckPassword
// refuses or that is the current one. Changes and failures are audited.
func (s *Service) ChangePassword(ctx context.Context, token, current, next, addr string) (LoggedIn, error) {
	_, u, err := s.Session(ctx, token)
	if err != nil {
		return LoggedIn{}, err
	}
	// The new password is checked first: that tells nothing of the
	// current one, and spares a hash.
	if err := CheckPassword(next, u.Name); err != nil {
		return LoggedIn{}, err
	}
	if subtle.ConstantTimeCompare([]byte(next), []byte(current)) == 1 {
		return LoggedIn{}, storage.Errorf(storage.ErrInvalid, "the new password is the current one; choose another")
	}
	now := s.now()
	a := newAttempt(u.Name, addr, true)
	if wait := s.logins.reserve(a, now); wait > 0 {
		return LoggedIn{}, s.throttled(ctx, "user.password-change-failed", a, u, u.Name, addr, wait, now)
	}
	ok, _, err := VerifyPassword(current, u.PasswordHash)
	if err != nil {
		return LoggedIn{}, fmt.Errorf("verify the password of %s: %w", storage.Quote(u.Name), err)
	}
	if !ok {
		return LoggedIn{}, s.loginFailed(ctx, "user.password-change-failed", u, u.Name, addr, reasonWrong, ErrBadLogin)
	}
	s.logins.refund(a, now)
	hash, err := HashPassword(next)
	if err != nil {
		return LoggedIn{}, err
	}
	var in LoggedIn
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		// The session may have ended since it was checked.
		if _, _, err := s.store.GetSession(ctx, sessionID(token)); err != nil {
			return err
		}
		err := s.store.UpdateUser(ctx, u.ID, func(cur User) (User, error) {
			if !cur.DisabledAt.IsZero() {
				return cur, ErrNoSession
			}
			at := storage.Time(now)
			cur.PasswordHash, cur.MustChangePassword, cur.PasswordChangedAt, cur.UpdatedAt = hash, false, at, at
			in.User = cur
			return cur, nil
		})
		if err != nil {
			return err
		}
		ended, err := s.store.DeleteUserSessions(ctx, u.ID, nil)
		if err != nil {
			return err
		}
		if in.Session, in.Token, err = s.newSession(ctx, u.ID, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, u.ActorID(), "user.password-change", u.OrgID, u.Name, nil,
			passwordChangeView{Addr: addr, SessionsEnded: ended})
	})
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, ErrNoSession) {
		return LoggedIn{}, ErrNoSession
	}
	if err != nil {
		return LoggedIn{}, fmt.Errorf("change the password of %s: %w", storage.Quote(u.Name), err)
	}
	return in, nil
}

// passwordChangeView is the audit record of a password change.
type passwordChangeView struct {
	Addr          string `json:"addr"`
	SessionsEnded int    `json:"sessions_ended"`
}

// CSRFToken returns the CSRF token of a session: the HMAC-SHA256 of a
// fixed label keyed by the session token, so that nothing is stored and
// it dies with the session.
func CSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports, in constant time, whether got is the CSRF token of
// the session.
func CheckCSRF(sessionToken, got string) bool {
	if sessionToken == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(CSRFToken(sessionToken)), []byte(got)) == 1
}
