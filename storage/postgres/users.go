package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iamd/iamd/users"
)

const userColumns = `u.id, u.org_id, u.name, u.display_name, u.email, u.password_hash, u.must_change_password,
	u.disabled_at, u.created_at, u.created_by, u.updated_at, u.password_changed_at, u.last_login_at`

func scanUser(s pgx.Row, extra ...any) (users.User, error) {
	var u users.User
	var disabled, login *time.Time
	dest := append([]any{&u.ID, &u.OrgID, &u.Name, &u.DisplayName, &u.Email, &u.PasswordHash, &u.MustChangePassword,
		&disabled, &u.CreatedAt, &u.CreatedBy, &u.UpdatedAt, &u.PasswordChangedAt, &login}, extra...)
	if err := s.Scan(dest...); err != nil {
		return users.User{}, mapErr(err)
	}
	u.DisabledAt, u.LastLoginAt = fromTS(disabled), fromTS(login)
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.PasswordChangedAt.UTC()
	return u, nil
}

// CreateUser implements users.Store.
func (d *DB) CreateUser(ctx context.Context, u users.User) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO users (id, org_id, name, display_name, email, password_hash,
		must_change_password, disabled_at, created_at, created_by, updated_at, password_changed_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.ID, u.OrgID, u.Name, u.DisplayName, u.Email, u.PasswordHash, u.MustChangePassword, ts(u.DisabledAt),
		ts(u.CreatedAt), u.CreatedBy, ts(u.UpdatedAt), ts(u.PasswordChangedAt), ts(u.LastLoginAt))
	return mapErr(err)
}

// GetUser implements users.Store.
func (d *DB) GetUser(ctx context.Context, id string) (users.User, error) {
	return d.getUser(ctx, id, "")
}

func (d *DB) getUser(ctx context.Context, id, lock string) (users.User, error) {
	return scanUser(d.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`+lock, id))
}

// GetUserByName implements users.Store.
func (d *DB) GetUserByName(ctx context.Context, name string) (users.User, error) {
	return scanUser(d.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.name = $1`, name))
}

// GetUsers implements users.Store.
func (d *DB) GetUsers(ctx context.Context, ids []string) ([]users.User, error) {
	rows, err := d.q(ctx).Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)`, orEmpty(ids))
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (users.User, error) { return scanUser(r) })
}

// ListUsers implements users.Store.
func (d *DB) ListUsers(ctx context.Context, opts users.ListOptions) ([]users.User, error) {
	where := []string{`u.name > $1`}
	args := []any{opts.AfterName}
	if opts.OrgID != "" {
		args = append(args, opts.OrgID)
		where = append(where, fmt.Sprintf(`u.org_id = $%d`, len(args)))
	}
	if opts.OrgIDs != nil {
		args = append(args, opts.OrgIDs)
		where = append(where, fmt.Sprintf(`u.org_id = ANY($%d)`, len(args)))
	}
	switch opts.Status {
	case users.StatusActive:
		where = append(where, `u.disabled_at IS NULL`)
	case users.StatusDisabled:
		where = append(where, `u.disabled_at IS NOT NULL`)
	}
	args = append(args, opts.Limit)
	rows, err := d.q(ctx).Query(ctx, `SELECT `+userColumns+` FROM users u WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY u.name LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return collect(rows, func(r pgx.Row) (users.User, error) { return scanUser(r) })
}

// UpdateUser implements users.Store.
func (d *DB) UpdateUser(ctx context.Context, id string, fn func(users.User) (users.User, error)) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		u, err := d.getUser(ctx, id, forUpdate)
		if err != nil {
			return err
		}
		if u, err = fn(u); err != nil {
			return err
		}
		return d.execOne(ctx, `UPDATE users SET org_id = $1, display_name = $2, email = $3, password_hash = $4,
			must_change_password = $5, disabled_at = $6, updated_at = $7, password_changed_at = $8, last_login_at = $9
			WHERE id = $10`,
			u.OrgID, u.DisplayName, u.Email, u.PasswordHash, u.MustChangePassword, ts(u.DisabledAt),
			ts(u.UpdatedAt), ts(u.PasswordChangedAt), ts(u.LastLoginAt), id)
	})
}

// DeleteUser implements users.Store: its sessions go with it (ON DELETE
// CASCADE), its assignments and memberships with its subject row (a
// trigger, then ON DELETE CASCADE), and its accounts lose their owner (ON
// DELETE SET NULL).
func (d *DB) DeleteUser(ctx context.Context, id string) error {
	return d.execOne(ctx, `DELETE FROM users WHERE id = $1`, id)
}

const sessionColumns = `s.id, s.user_id, s.created_at, s.seen_at, s.expires_at`

// CreateSession implements users.Store.
func (d *DB) CreateSession(ctx context.Context, s users.Session) error {
	_, err := d.q(ctx).Exec(ctx, `INSERT INTO sessions (id, user_id, created_at, seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, s.ID, s.UserID, ts(s.CreatedAt), ts(s.SeenAt), ts(s.ExpiresAt))
	return mapErr(err)
}

// GetSession implements users.Store.
func (d *DB) GetSession(ctx context.Context, id []byte) (users.Session, users.User, error) {
	var s users.Session
	u, err := scanUser(d.q(ctx).QueryRow(ctx, `SELECT `+userColumns+`, `+sessionColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id),
		&s.ID, &s.UserID, &s.CreatedAt, &s.SeenAt, &s.ExpiresAt)
	if err != nil {
		return users.Session{}, users.User{}, err
	}
	s.CreatedAt, s.SeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.SeenAt.UTC(), s.ExpiresAt.UTC()
	return s, u, nil
}

// TouchSession implements users.Store.
func (d *DB) TouchSession(ctx context.Context, id []byte, seenAt time.Time) error {
	return d.execOne(ctx, `UPDATE sessions SET seen_at = $1 WHERE id = $2`, ts(seenAt), id)
}

// DeleteSession implements users.Store.
func (d *DB) DeleteSession(ctx context.Context, id []byte) error {
	return d.execOne(ctx, `DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteUserSessions implements users.Store.
func (d *DB) DeleteUserSessions(ctx context.Context, userID string, except []byte) (int, error) {
	// IS DISTINCT FROM, unlike <>, is true of every ID when except is nil
	// (NULL).
	tag, err := d.q(ctx).Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2::bytea`,
		userID, except)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneSessions implements users.Store. Expired sessions are found through
// sessions_expiry; idle ones have no index of their own (there is none on
// seen_at), so finding them scans the table, which holds one row per
// signed-in console user.
func (d *DB) PruneSessions(ctx context.Context, now, idleBefore time.Time, limit int) (int, error) {
	tag, err := d.q(ctx).Exec(ctx, `DELETE FROM sessions WHERE id IN
		(SELECT id FROM sessions WHERE expires_at <= $1 OR seen_at < $2 LIMIT $3)`,
		ts(now), ts(idleBefore), limit)
	if err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}
