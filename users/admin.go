package users

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/rbac"
	"github.com/iamd/iamd/storage"
)

// Rights on users.
var (
	readUsers    = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpRead}
	writeUsers   = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpWrite}
	archiveUsers = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpArchive}
	deleteUsers  = rbac.Right{Permission: rbac.PermUsers, Operation: rbac.OpDelete}
)

// MaxEmailLen bounds email addresses (RFC 5321 §4.5.3.1.3 and erratum 1690).
const MaxEmailLen = 254

// userView is a user as the audit log records it: never its password hash.
type userView struct {
	Name               string `json:"name"`
	Org                string `json:"org"`
	DisplayName        string `json:"display_name"`
	Email              string `json:"email"`
	Status             string `json:"status"`
	MustChangePassword bool   `json:"must_change_password"`
}

func view(u User) userView {
	return userView{Name: u.Name, Org: u.OrgID, DisplayName: u.DisplayName, Email: u.Email,
		Status: u.Status(), MustChangePassword: u.MustChangePassword}
}

func (s *Service) record(ctx context.Context, actor rbac.Actor, action string, u User, before, after any) error {
	return s.audit.Record(ctx, actor.ID, action, u.OrgID, ActorPrefix+u.Name, before, after)
}

// NewUser describes a user to create.
type NewUser struct {
	OrgID       string
	Name        string
	DisplayName string
	Email       string
	// Password is the first password; if empty, iamd generates one, which
	// Create returns.
	Password string
	// KeepPassword spares the user changing the password at first sign-in:
	// for a password the user chose, as at `iamd init`. Otherwise whoever
	// set it knows it, and the user must change it.
	KeepPassword bool
}

// Create creates a user with no role; it requires iam.users write on its
// organization. It returns the password it generated, if it did: shown
// once, stored only as a hash.
func (s *Service) Create(ctx context.Context, actor rbac.Actor, in NewUser) (User, string, error) {
	if !rbac.ValidID(in.Name) {
		return User{}, "", storage.Errorf(storage.ErrInvalid, "user name %s: must be %s", storage.Quote(in.Name), rbac.IDRule)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Name
	}
	u := User{ID: newID(), OrgID: in.OrgID, Name: in.Name, DisplayName: in.DisplayName, Email: in.Email,
		MustChangePassword: !in.KeepPassword || in.Password == "", CreatedBy: actor.ID}
	if err := checkUser(u); err != nil {
		return User{}, "", err
	}
	if err := actor.Need(in.OrgID, writeUsers); err != nil {
		return User{}, "", err
	}
	password, generated, err := s.password(in.Password, in.Name)
	if err != nil {
		return User{}, "", err
	}
	if u.PasswordHash, err = HashPassword(password); err != nil {
		return User{}, "", err
	}
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.orgs.LookupOrg(ctx, in.OrgID); err != nil {
			return err
		}
		now := storage.Time(s.now())
		u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = now, now, now
		if err := s.store.CreateUser(ctx, u); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return storage.Errorf(storage.ErrConflict, "user %s already exists", storage.Quote(u.Name))
			}
			return fmt.Errorf("create user %s: %w", storage.Quote(u.Name), err)
		}
		return s.record(ctx, actor, "user.create", u, nil, view(u))
	})
	if err != nil {
		return User{}, "", err
	}
	return u, generated, nil
}

// password returns the password to set: the one given if it passes
// CheckPassword, else a generated one, which it also returns as generated.
func (s *Service) password(given, name string) (password, generated string, err error) {
	if given != "" {
		return given, "", CheckPassword(given, name)
	}
	p := GeneratePassword()
	return p, p, nil
}

// GeneratePassword returns a random password of 100 bits, in five groups
// of four letters and digits that are easy to read out and type.
func GeneratePassword() string {
	b := make([]byte, 13)
	rand.Read(b) // never returns an error; crashes the program if it would
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20]
}

func checkUser(u User) error {
	if err := rbac.CheckName("display name", u.DisplayName); err != nil {
		return err
	}
	return checkEmail(u.Email)
}

// checkEmail accepts an empty address, or one that looks like an address:
// iamd sends no mail, so it checks no more than that.
func checkEmail(e string) error {
	if e == "" {
		return nil
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(e, " \t\r\n<>") || len(e) > MaxEmailLen {
		return storage.Errorf(storage.ErrInvalid, "email %s: must be an address such as ana@example.com, at most %d characters", storage.Quote(e), MaxEmailLen)
	}
	return rbac.CheckText("email", e, MaxEmailLen, false)
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b) // never returns an error; crashes the program if it would
	return "u" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Lookup returns the user of that name, checking no right: for the
// console and other services.
func (s *Service) Lookup(ctx context.Context, name string) (User, error) {
	u, err := s.store.GetUserByName(ctx, name)
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", storage.Quote(name), err)
	}
	return u, nil
}

// Get returns the user of that name; it requires iam.users read on its
// organization.
func (s *Service) Get(ctx context.Context, actor rbac.Actor, name string) (User, error) {
	return s.lookupFor(ctx, actor, name, readUsers)
}

func (s *Service) lookupFor(ctx context.Context, actor rbac.Actor, name string, right rbac.Right) (User, error) {
	u, err := s.Lookup(ctx, name)
	if err != nil {
		return User{}, err
	}
	if err := actor.Need(u.OrgID, right); err != nil {
		return User{}, err
	}
	return u, nil
}

// Names returns the names of the users with these internal IDs, for
// showing the owners of accounts; unknown IDs are left out. It checks no
// right: a name is what an account's owner field shows.
func (s *Service) Names(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	us, err := s.store.GetUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u.Name
	}
	return out, nil
}

// ReadableNames is Names for an actor: the names of the users with these
// internal IDs that the actor may read (iam.users read on their
// organization), in one query. A user the actor may not read is left out
// as an unknown one is, so that an owner field does not tell who exists.
func (s *Service) ReadableNames(ctx context.Context, actor rbac.Actor, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if ids, all := actor.Visible(readUsers); len(ids) == 0 && !all {
		return out, nil
	}
	if len(ids) == 0 {
		return out, nil
	}
	us, err := s.store.GetUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if actor.Can(u.OrgID, readUsers) {
			out[u.ID] = u.Name
		}
	}
	return out, nil
}

// List returns a page of the users the actor may read.
func (s *Service) List(ctx context.Context, actor rbac.Actor, opts ListOptions) ([]User, error) {
	switch opts.Status {
	case "", StatusActive, StatusDisabled:
	default:
		return nil, storage.Errorf(storage.ErrInvalid, "status must be %q or %q", StatusActive, StatusDisabled)
	}
	if opts.OrgID != "" {
		if err := actor.Need(opts.OrgID, readUsers); err != nil {
			return nil, err
		}
		if _, err := s.orgs.LookupOrg(ctx, opts.OrgID); err != nil {
			return nil, err
		}
	} else if ids, all := actor.Visible(readUsers); !all {
		opts.OrgIDs = ids
		if opts.OrgIDs == nil {
			opts.OrgIDs = []string{}
		}
	}
	if opts.Limit <= 0 {
		return nil, storage.Errorf(storage.ErrInvalid, "page size must be positive")
	}
	return s.store.ListUsers(ctx, opts)
}

// Changes lists the user fields to update; nil fields stay as they are.
type Changes struct {
	DisplayName *string
	Email       *string
}

// Update changes a user's display name or email; it requires iam.users
// write.
func (s *Service) Update(ctx context.Context, actor rbac.Actor, name string, ch Changes) (User, error) {
	return s.update(ctx, actor, name, writeUsers, "user.update", func(_ context.Context, u User) (User, error) {
		if ch.DisplayName != nil {
			u.DisplayName = *ch.DisplayName
		}
		if ch.Email != nil {
			u.Email = *ch.Email
		}
		return u, checkUser(u)
	})
}

// SetPassword gives the user a new password, generated if password is
// empty (and then returned), which the user must change at the next
// sign-in; the user's sessions end. It requires iam.users write, and,
// since whoever knows a user's password may act as the user, every right
// the user holds, as assigning them would.
func (s *Service) SetPassword(ctx context.Context, actor rbac.Actor, name, password string) (User, string, error) {
	// Refused before the hash is computed.
	if _, err := s.lookupFor(ctx, actor, name, writeUsers); err != nil {
		return User{}, "", err
	}
	password, generated, err := s.password(password, name)
	if err != nil {
		return User{}, "", err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, "", err
	}
	u, err := s.update(ctx, actor, name, writeUsers, "user.set-password", func(ctx context.Context, u User) (User, error) {
		if err := s.mayActAs(ctx, actor, u); err != nil {
			return u, err
		}
		if _, err := s.store.DeleteUserSessions(ctx, u.ID, nil); err != nil {
			return u, err
		}
		u.PasswordHash, u.MustChangePassword, u.PasswordChangedAt = hash, true, storage.Time(s.now())
		return u, nil
	})
	return u, generated, err
}

// mayActAs refuses to let the actor take over a user holding rights the
// actor does not hold. It runs under the lock of the authorization model,
// so the user's rights cannot grow between the check and the change.
func (s *Service) mayActAs(ctx context.Context, actor rbac.Actor, u User) error {
	if err := s.orgs.LockAuthz(ctx); err != nil {
		return err
	}
	held, err := s.orgs.SubjectRights(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := actor.NeedAll(held); err != nil {
		return fmt.Errorf("the password of %s acts with all its rights: %w", storage.Quote(u.Name), err)
	}
	return nil
}

// Disable stops a user from signing in and ends its sessions, keeping its
// assignments until Enable; it requires iam.users archive. Nobody
// disables themselves, which would lock them out at once.
func (s *Service) Disable(ctx context.Context, actor rbac.Actor, name string) (User, error) {
	return s.update(ctx, actor, name, archiveUsers, "user.disable", func(ctx context.Context, u User) (User, error) {
		if actor.ID == u.ActorID() {
			return u, storage.Errorf(storage.ErrForbidden, "you cannot disable yourself")
		}
		if u.DisabledAt.IsZero() {
			u.DisabledAt = storage.Time(s.now())
		}
		_, err := s.store.DeleteUserSessions(ctx, u.ID, nil)
		return u, err
	})
}

// Enable lets a disabled user sign in again; it requires iam.users
// archive.
func (s *Service) Enable(ctx context.Context, actor rbac.Actor, name string) (User, error) {
	return s.update(ctx, actor, name, archiveUsers, "user.enable", func(_ context.Context, u User) (User, error) {
		u.DisabledAt = time.Time{}
		return u, nil
	})
}

// update applies fn to the user in a transaction with its audit record.
func (s *Service) update(ctx context.Context, actor rbac.Actor, name string, right rbac.Right, action string, fn func(context.Context, User) (User, error)) (User, error) {
	u, err := s.lookupFor(ctx, actor, name, right)
	if err != nil {
		return User{}, err
	}
	var out User
	var ruleErr error
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		var before User
		err := s.store.UpdateUser(ctx, u.ID, func(u User) (User, error) {
			before = u
			if u, ruleErr = fn(ctx, u); ruleErr != nil {
				return u, ruleErr
			}
			u.UpdatedAt = storage.Time(s.now())
			out = u
			return u, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, actor, action, out, view(before), view(out))
	})
	if ruleErr != nil {
		return User{}, ruleErr
	}
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", storage.Quote(name), err)
	}
	return out, nil
}

// Delete deletes a user, its sessions and its assignments; the accounts it
// owned are left without an owner. It requires iam.users delete. Nobody
// deletes themselves.
func (s *Service) Delete(ctx context.Context, actor rbac.Actor, name string) error {
	u, err := s.lookupFor(ctx, actor, name, deleteUsers)
	if err != nil {
		return err
	}
	if actor.ID == u.ActorID() {
		return storage.Errorf(storage.ErrForbidden, "you cannot delete yourself")
	}
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.DeleteUser(ctx, u.ID); err != nil {
			return fmt.Errorf("delete user %s: %w", storage.Quote(name), err)
		}
		return s.record(ctx, actor, "user.delete", u, view(u), nil)
	})
}

// subject returns the user as the assignment rules see it.
func (s *Service) subject(ctx context.Context, name string) (User, rbac.Subject, error) {
	u, err := s.Lookup(ctx, name)
	if err != nil {
		return User{}, rbac.Subject{}, err
	}
	org, err := s.orgs.LookupOrg(ctx, u.OrgID)
	if err != nil {
		return User{}, rbac.Subject{}, err
	}
	return u, rbac.Subject{ID: u.ID, Kind: rbac.SubjectUser, Name: u.ActorID(), Org: org}, nil
}

// AssignRole gives the user a role (ORG/NAME) on each scope, under the
// rules of rbac.Service.AssignRole.
func (s *Service) AssignRole(ctx context.Context, actor rbac.Actor, name, role string, on []rbac.Scope) error {
	_, sub, err := s.subject(ctx, name)
	if err != nil {
		return err
	}
	return s.orgs.AssignRole(ctx, actor, sub, role, on)
}

// UnassignRole takes a role on an organization away from the user.
func (s *Service) UnassignRole(ctx context.Context, actor rbac.Actor, name, role, onOrg string) error {
	_, sub, err := s.subject(ctx, name)
	if err != nil {
		return err
	}
	return s.orgs.UnassignRole(ctx, actor, sub, role, onOrg)
}

// JoinGroup makes the user a member of a group (ORG/NAME).
func (s *Service) JoinGroup(ctx context.Context, actor rbac.Actor, name, group string) error {
	_, sub, err := s.subject(ctx, name)
	if err != nil {
		return err
	}
	return s.orgs.Join(ctx, actor, sub, group)
}

// LeaveGroup removes the user from a group.
func (s *Service) LeaveGroup(ctx context.Context, actor rbac.Actor, name, group string) error {
	_, sub, err := s.subject(ctx, name)
	if err != nil {
		return err
	}
	return s.orgs.Leave(ctx, actor, sub, group)
}

// Rights returns the user's effective rights, with where each comes from
// and the grants that are inactive, and why; it requires iam.assignments
// read on the user's organization.
func (s *Service) Rights(ctx context.Context, actor rbac.Actor, name string) (User, *rbac.Rights, error) {
	u, sub, err := s.subject(ctx, name)
	if err != nil {
		return User{}, nil, err
	}
	r, err := s.orgs.RightsOf(ctx, actor, sub)
	return u, r, err
}

// GrantBootstrap gives the user the bootstrap role, every right on every
// organization: for the first human admin, which `iamd init` creates.
// Only the system actor may.
func (s *Service) GrantBootstrap(ctx context.Context, actor rbac.Actor, name string) error {
	_, sub, err := s.subject(ctx, name)
	if err != nil {
		return err
	}
	// The role is iamd's own to give, to the admins init creates.
	sub.System = true
	return s.orgs.GrantBootstrap(ctx, actor, sub)
}
