package users

import (
	"context"
	"time"
)

// User is a human admin: a subject of the authorization model, as a
// service account is, who signs in to the console with a password. A user
// belongs to one organization, which the assignment rules of seed 003 see
// as the subject's.
type User struct {
	// ID is the internal, immutable identifier assignments and sessions
	// refer to; users never see it.
	ID    string
	OrgID string
	// Name is the login, unique across the tree (see rbac.ValidID).
	Name        string
	DisplayName string
	// Email is optional, for people to reach the user; iamd sends nothing.
	Email string
	// PasswordHash is the argon2id hash of the password (see HashPassword).
	PasswordHash string
	// MustChangePassword is set on a password someone else chose or iamd
	// generated: the user changes it at the next sign-in before anything
	// else.
	MustChangePassword bool
	// DisabledAt is set while the user is disabled: it cannot sign in and
	// its sessions are gone.
	DisabledAt        time.Time
	CreatedAt         time.Time
	CreatedBy         string
	UpdatedAt         time.Time
	PasswordChangedAt time.Time
	// LastLoginAt is the last successful sign-in; zero if never.
	LastLoginAt time.Time
}

// Status values of users.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Status returns StatusActive or StatusDisabled.
func (u User) Status() string {
	if u.DisabledAt.IsZero() {
		return StatusActive
	}
	return StatusDisabled
}

// ActorID is how the user appears as the actor of audit records and in
// "created by": "user:" and its name. Client IDs have an @ and no colon,
// so the two never meet.
func (u User) ActorID() string { return ActorPrefix + u.Name }

// ActorPrefix starts the actor ID of every user (see User.ActorID).
const ActorPrefix = "user:"

// Session is a signed-in console session. The token its cookie carries is
// never stored: ID is the token's SHA-256.
type Session struct {
	ID     []byte
	UserID string
	// CreatedAt is the sign-in; the session ends at ExpiresAt whatever
	// happens, and earlier once unused for the idle timeout after SeenAt.
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
}

// ListOptions select and page users, ordered by name.
type ListOptions struct {
	// OrgID, if set, keeps users of that organization only.
	OrgID string
	// OrgIDs, if not nil, keeps users of these organizations only: the
	// ones the caller may read.
	OrgIDs []string
	// Status, if set, keeps StatusActive or StatusDisabled users only.
	Status string
	// AfterName resumes after that user.
	AfterName string
	// Limit caps the number of users returned; it must be positive.
	Limit int
}

// Store persists users and their sessions.
//
// Methods return storage.ErrNotFound for a missing record and
// storage.ErrConflict for a duplicate name or a broken reference.
type Store interface {
	// CreateUser stores a new user; ErrConflict if the name is taken or
	// the organization does not exist.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with that internal ID.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByName returns the user of that login name.
	GetUserByName(ctx context.Context, name string) (User, error)
	// GetUsers returns the users with these internal IDs, in no order,
	// leaving out those that do not exist: one query, for showing the
	// owners of a page of accounts.
	GetUsers(ctx context.Context, ids []string) ([]User, error)
	// ListUsers returns the users opts selects, in order.
	ListUsers(ctx context.Context, opts ListOptions) ([]User, error)
	// UpdateUser applies fn to the stored user in one transaction. Every
	// field but ID, Name, CreatedAt and CreatedBy is written; a new OrgID
	// moves the user (ErrConflict if that organization does not exist).
	UpdateUser(ctx context.Context, id string, fn func(User) (User, error)) error
	// DeleteUser removes the user, its sessions, its assignments and
	// memberships; the accounts it owned are left without an owner.
	DeleteUser(ctx context.Context, id string) error

	// CreateSession stores a new session; ErrConflict if the ID is taken
	// or the user does not exist.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with that ID and its user, in one
	// lookup.
	GetSession(ctx context.Context, id []byte) (Session, User, error)
	// TouchSession sets the session's SeenAt; ErrNotFound if it is gone.
	TouchSession(ctx context.Context, id []byte, seenAt time.Time) error
	// DeleteSession removes the session; ErrNotFound if there is none.
	DeleteSession(ctx context.Context, id []byte) error
	// DeleteUserSessions removes every session of the user but except
	// (which may be nil) and returns how many it removed.
	DeleteUserSessions(ctx context.Context, userID string, except []byte) (int, error)
	// PruneSessions removes up to limit sessions that expired at now or
	// were last seen before idleBefore, and returns how many it removed.
	PruneSessions(ctx context.Context, now, idleBefore time.Time, limit int) (int, error)
}
