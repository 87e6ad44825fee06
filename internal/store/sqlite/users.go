package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// UserCount implements store.UserStore.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

const userCols = `username, role, password_hash, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var created, updated int64
	err := row.Scan(&u.Username, &u.Role, &u.PasswordHash, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(updated)
	return u, err
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (auth.User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, notFound(err, "user")
}

// UserList implements store.UserStore.
func (s *Store) UserList(ctx context.Context) ([]auth.User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func roleOrOwner(r auth.Role) auth.Role {
	if r == "" {
		return auth.RoleOwner
	}
	return r
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u auth.User) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (username, role, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
			updated_at = excluded.updated_at`, u.Username, roleOrOwner(u.Role), u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt))
		return err
	})
}

func insertUser(tx *sql.Tx, u auth.User) error {
	_, err := tx.Exec(`INSERT INTO users (username, role, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)`, u.Username, roleOrOwner(u.Role), u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt))
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return webhook.Errorf(webhook.ECONFLICT, "user %q exists", u.Username)
	}
	return err
}

// UserCreate implements store.UserStore.
func (s *Store) UserCreate(ctx context.Context, u auth.User) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertUser(tx, u) })
}

// keepsOwner refuses (ECONFLICT) a change to username's row that takes
// away an owner when it is the last one. Writes take turns (one writer),
// so nothing changes between this check and the change.
func keepsOwner(tx *sql.Tx, username string) error {
	var role string
	err := tx.QueryRow(`SELECT role FROM users WHERE username = ?`, username).Scan(&role)
	if err != nil {
		return notFound(err, "user")
	}
	if auth.Role(role) != auth.RoleOwner {
		return nil
	}
	var others int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM users WHERE role = 'owner' AND username <> ?`, username).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return &webhook.Error{Code: webhook.ECONFLICT, Message: "the last owner must stay an owner"}
	}
	return nil
}

// UserSetRole implements store.UserStore.
func (s *Store) UserSetRole(ctx context.Context, username string, role auth.Role, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if role != auth.RoleOwner {
			if err := keepsOwner(tx, username); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`UPDATE users SET role = ?, updated_at = ? WHERE username = ?`, role, ts(now), username)
		return affected(res, err, "user")
	})
}

// UserSetPassword implements store.UserStore.
func (s *Store) UserSetPassword(ctx context.Context, username, hash string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?`, hash, ts(now), username)
		return affected(res, err, "user")
	})
}

// UserDelete implements store.UserStore.
func (s *Store) UserDelete(ctx context.Context, username string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := keepsOwner(tx, username); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sessions WHERE username = ?`, username); err != nil {
			return err
		}
		res, err := tx.Exec(`DELETE FROM users WHERE username = ?`, username)
		return affected(res, err, "user")
	})
}

// affected is ENOTFOUND for what when an update or delete found no row.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = notFound(sql.ErrNoRows, what)
	}
	return err
}

// SessionCreate implements store.UserStore.
func (s *Store) SessionCreate(ctx context.Context, se auth.Session, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO sessions (token_hash, id, username, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, tokenHash, se.ID, se.Username, ts(se.CreatedAt), ts(se.ExpiresAt))
		return err
	})
}

// SessionGet implements store.UserStore.
func (s *Store) SessionGet(ctx context.Context, tokenHash []byte) (auth.Session, error) {
	var se auth.Session
	var created, expires int64
	err := s.rdb.QueryRowContext(ctx, `SELECT s.id, s.username, u.role, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.username = s.username
		WHERE s.token_hash = ?`, tokenHash).Scan(&se.ID, &se.Username, &se.Role, &created, &expires)
	se.CreatedAt, se.ExpiresAt = fromTS(created), fromTS(expires)
	return se, notFound(err, "session")
}

// SessionDelete implements store.UserStore.
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
}

// SessionDeleteUser implements store.UserStore.
func (s *Store) SessionDeleteUser(ctx context.Context, username string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE username = ?`, username)
		return err
	})
}

const inviteCols = `id, role, note, created_by, created_at, expires_at, accepted_at, accepted_by`

func scanInvite(row interface{ Scan(...any) error }) (auth.Invite, error) {
	var inv auth.Invite
	var created, expires int64
	var accepted sql.NullInt64
	err := row.Scan(&inv.ID, &inv.Role, &inv.Note, &inv.CreatedBy, &created, &expires, &accepted, &inv.AcceptedBy)
	inv.CreatedAt, inv.ExpiresAt, inv.AcceptedAt = fromTS(created), fromTS(expires), fromNullTS(accepted)
	return inv, err
}

// InviteCreate implements store.UserStore.
func (s *Store) InviteCreate(ctx context.Context, inv auth.Invite, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO invites (token_hash, id, role, note, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, tokenHash, inv.ID, inv.Role, inv.Note, inv.CreatedBy,
			ts(inv.CreatedAt), ts(inv.ExpiresAt))
		return err
	})
}

// InviteList implements store.UserStore.
func (s *Store) InviteList(ctx context.Context) ([]auth.Invite, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+inviteCols+` FROM invites ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Invite
	for rows.Next() {
		inv, err := scanInvite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// InviteByToken implements store.UserStore.
func (s *Store) InviteByToken(ctx context.Context, tokenHash []byte) (auth.Invite, error) {
	inv, err := scanInvite(s.rdb.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = ?`, tokenHash))
	return inv, notFound(err, "invitation")
}

// InviteAccept implements store.UserStore.
func (s *Store) InviteAccept(ctx context.Context, tokenHash []byte, u auth.User, now time.Time) (auth.Invite, error) {
	var inv auth.Invite
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		inv, err = scanInvite(tx.QueryRow(`SELECT `+inviteCols+` FROM invites
			WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?`, tokenHash, ts(now)))
		if err != nil {
			return notFound(err, "invitation")
		}
		u.Role = inv.Role
		if err := insertUser(tx, u); err != nil {
			return err
		}
		at := now.UTC()
		inv.AcceptedAt, inv.AcceptedBy = &at, u.Username
		_, err = tx.Exec(`UPDATE invites SET accepted_at = ?, accepted_by = ? WHERE token_hash = ?`, ts(at), u.Username, tokenHash)
		return err
	})
	return inv, err
}

// InviteDelete implements store.UserStore.
func (s *Store) InviteDelete(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM invites WHERE id = ?`, id)
		return affected(res, err, "invitation")
	})
}
