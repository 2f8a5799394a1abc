package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/iamd/iamd/users"
)

const userColumns = `u.id, u.org_id, u.name, u.display_name, u.email, u.password_hash, u.must_change_password,
	u.disabled_at, u.created_at, u.created_by, u.updated_at, u.password_changed_at, u.last_login_at`

func scanUser(s scanner, extra ...any) (users.User, error) {
	var u users.User
	var disabled, created, updated, changed, login sql.NullInt64
	dest := append([]any{&u.ID, &u.OrgID, &u.Name, &u.DisplayName, &u.Email, &u.PasswordHash, &u.MustChangePassword,
		&disabled, &created, &u.CreatedBy, &updated, &changed, &login}, extra...)
	if err := s.Scan(dest...); err != nil {
		return users.User{}, mapErr(err)
	}
	u.DisabledAt, u.CreatedAt, u.UpdatedAt = fromMS(disabled), fromMS(created), fromMS(updated)
	u.PasswordChangedAt, u.LastLoginAt = fromMS(changed), fromMS(login)
	return u, nil
}

// CreateUser implements users.Store.
func (d *DB) CreateUser(ctx context.Context, u users.User) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO users (id, org_id, name, display_name, email, password_hash,
		must_change_password, disabled_at, created_at, created_by, updated_at, password_changed_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Name, u.DisplayName, u.Email, u.PasswordHash, u.MustChangePassword, ms(u.DisabledAt),
		ms(u.CreatedAt), u.CreatedBy, ms(u.UpdatedAt), ms(u.PasswordChangedAt), ms(u.LastLoginAt))
	return mapErr(err)
}

// GetUser implements users.Store.
func (d *DB) GetUser(ctx context.Context, id string) (users.User, error) {
	return scanUser(d.q(ctx).QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
}

// GetUserByName implements users.Store.
func (d *DB) GetUserByName(ctx context.Context, name string) (users.User, error) {
	return scanUser(d.q(ctx).QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.name = ?`, name))
}

// GetUsers implements users.Store.
func (d *DB) GetUsers(ctx context.Context, ids []string) ([]users.User, error) {
	return collect(ctx, d.q(ctx), func(s scanner) (users.User, error) { return scanUser(s) },
		`SELECT `+userColumns+` FROM users u WHERE u.id IN (SELECT value FROM json_each(?))`, list(ids))
}

// ListUsers implements users.Store.
func (d *DB) ListUsers(ctx context.Context, opts users.ListOptions) ([]users.User, error) {
	where := []string{`u.name > ?`}
	args := []any{opts.AfterName}
	if opts.OrgID != "" {
		where, args = append(where, `u.org_id = ?`), append(args, opts.OrgID)
	}
	if opts.OrgIDs != nil {
		where, args = append(where, `u.org_id IN (SELECT value FROM json_each(?))`), append(args, list(opts.OrgIDs))
	}
	switch opts.Status {
	case users.StatusActive:
		where = append(where, `u.disabled_at IS NULL`)
	case users.StatusDisabled:
		where = append(where, `u.disabled_at IS NOT NULL`)
	}
	return collect(ctx, d.q(ctx), func(s scanner) (users.User, error) { return scanUser(s) },
		`SELECT `+userColumns+` FROM users u WHERE `+strings.Join(where, " AND ")+
			` ORDER BY u.name LIMIT ?`, append(args, opts.Limit)...)
}

// UpdateUser implements users.Store.
func (d *DB) UpdateUser(ctx context.Context, id string, fn func(users.User) (users.User, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		u, err := d.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if u, err = fn(u); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE users SET org_id = ?, display_name = ?, email = ?, password_hash = ?,
			must_change_password = ?, disabled_at = ?, updated_at = ?, password_changed_at = ?, last_login_at = ?
			WHERE id = ?`,
			u.OrgID, u.DisplayName, u.Email, u.PasswordHash, u.MustChangePassword, ms(u.DisabledAt),
			ms(u.UpdatedAt), ms(u.PasswordChangedAt), ms(u.LastLoginAt), id)
	})
}

// DeleteUser implements users.Store: its sessions go with it (ON DELETE
// CASCADE), its assignments and memberships with its subject row (a
// trigger, then ON DELETE CASCADE), and its accounts lose their owner (ON
// DELETE SET NULL).
func (d *DB) DeleteUser(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM users WHERE id = ?`, id)
}

const sessionColumns = `s.id, s.user_id, s.created_at, s.seen_at, s.expires_at`

// CreateSession implements users.Store.
func (d *DB) CreateSession(ctx context.Context, s users.Session) error {
	_, err := d.q(ctx).ExecContext(ctx, `INSERT INTO sessions (id, user_id, created_at, seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.UserID, ms(s.CreatedAt), ms(s.SeenAt), ms(s.ExpiresAt))
	return mapErr(err)
}

// GetSession implements users.Store.
func (d *DB) GetSession(ctx context.Context, id []byte) (users.Session, users.User, error) {
	var s users.Session
	var created, seen, expires sql.NullInt64
	u, err := scanUser(d.q(ctx).QueryRowContext(ctx, `SELECT `+userColumns+`, `+sessionColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id),
		&s.ID, &s.UserID, &created, &seen, &expires)
	if err != nil {
		return users.Session{}, users.User{}, err
	}
	s.CreatedAt, s.SeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return s, u, nil
}

// TouchSession implements users.Store.
func (d *DB) TouchSession(ctx context.Context, id []byte, seenAt time.Time) error {
	return d.execOne(ctx, `UPDATE sessions SET seen_at = ? WHERE id = ?`, ms(seenAt), id)
}

// DeleteSession implements users.Store.
func (d *DB) DeleteSession(ctx context.Context, id []byte) error {
	return d.execOne(ctx, `DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteUserSessions implements users.Store.
func (d *DB) DeleteUserSessions(ctx context.Context, userID string, except []byte) (int, error) {
	// IS NOT, unlike <>, is true of every ID when except is nil (NULL).
	return d.changes(ctx, `DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?`, userID, except)
}

// PruneSessions implements users.Store. Expired sessions are found through
// sessions_expiry; idle ones have no index of their own (there is none on
// seen_at), so finding them scans the table, which holds one row per
// signed-in console user.
func (d *DB) PruneSessions(ctx context.Context, now, idleBefore time.Time, limit int) (int, error) {
	return d.changes(ctx, `DELETE FROM sessions WHERE id IN
		(SELECT id FROM sessions WHERE expires_at <= ? OR seen_at < ? LIMIT ?)`,
		ms(now), ms(idleBefore), limit)
}
