package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// UserCount implements store.UserStore.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, s.fail(err)
}

const userCols = `username, role, password_hash, created_at, updated_at`

func scanUser(row pgx.Row) (auth.User, error) {
	var u auth.User
	err := row.Scan(&u.Username, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (auth.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	return u, s.notFound(err, "user")
}

// UserList implements store.UserStore.
func (s *Store) UserList(ctx context.Context) ([]auth.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.User, error) { return scanUser(r) })
	return out, s.fail(err)
}

func roleOrOwner(r auth.Role) auth.Role {
	if r == "" {
		return auth.RoleOwner
	}
	return r
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u auth.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (username, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO UPDATE
		SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
		u.Username, roleOrOwner(u.Role), u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	return err
}

const insertUser = `INSERT INTO users (username, role, password_hash, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING`

func userExists(u auth.User) error {
	return webhook.Errorf(webhook.ECONFLICT, "user %q exists", u.Username)
}

// UserCreate implements store.UserStore.
func (s *Store) UserCreate(ctx context.Context, u auth.User) error {
	n, err := s.exec(ctx, insertUser, u.Username, roleOrOwner(u.Role), u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	if err == nil && n == 0 {
		return userExists(u)
	}
	return err
}

// keepsOwner refuses (ECONFLICT) a change to username's row that takes
// away an owner when it is the last one. It locks every owner's row
// first: two owners demoting each other at once take turns, and the
// second then finds the first is no owner any more.
func keepsOwner(ctx context.Context, tx pgx.Tx, username string) error {
	rows, err := tx.Query(ctx, `SELECT username FROM users WHERE role = 'owner' ORDER BY username FOR UPDATE`)
	if err != nil {
		return err
	}
	owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	isOwner := false
	for _, o := range owners {
		isOwner = isOwner || o == username
	}
	if isOwner && len(owners) == 1 {
		return &webhook.Error{Code: webhook.ECONFLICT, Message: "the last owner must stay an owner"}
	}
	return nil
}

// UserSetRole implements store.UserStore.
func (s *Store) UserSetRole(ctx context.Context, username string, role auth.Role, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if role != auth.RoleOwner {
			if err := keepsOwner(ctx, tx, username); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE username = $3`, role, now, username)
		if err == nil && tag.RowsAffected() == 0 {
			return errNotFound("user")
		}
		return err
	})
}

// UserSetPassword implements store.UserStore.
func (s *Store) UserSetPassword(ctx context.Context, username, hash string, now time.Time) error {
	n, err := s.exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3`, hash, now, username)
	if err == nil && n == 0 {
		return errNotFound("user")
	}
	return err
}

// UserDelete implements store.UserStore.
func (s *Store) UserDelete(ctx context.Context, username string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := keepsOwner(ctx, tx, username); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE username = $1`, username)
		if err == nil && tag.RowsAffected() == 0 {
			return errNotFound("user")
		}
		return err
	})
}

// SessionCreate implements store.UserStore.
func (s *Store) SessionCreate(ctx context.Context, se auth.Session, tokenHash []byte) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, id, username, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tokenHash, se.ID, se.Username, se.CreatedAt, se.ExpiresAt)
	return err
}

// SessionGet implements store.UserStore.
func (s *Store) SessionGet(ctx context.Context, tokenHash []byte) (auth.Session, error) {
	var se auth.Session
	err := s.pool.QueryRow(ctx, `SELECT s.id, s.username, u.role, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.username = s.username
		WHERE s.token_hash = $1`, tokenHash).Scan(&se.ID, &se.Username, &se.Role, &se.CreatedAt, &se.ExpiresAt)
	se.CreatedAt, se.ExpiresAt = se.CreatedAt.UTC(), se.ExpiresAt.UTC()
	return se, s.notFound(err, "session")
}

// SessionDelete implements store.UserStore.
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// SessionDeleteUser implements store.UserStore.
func (s *Store) SessionDeleteUser(ctx context.Context, username string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE username = $1`, username)
	return err
}

const inviteCols = `id, role, note, created_by, created_at, expires_at, accepted_at, accepted_by`

func scanInvite(row pgx.Row) (auth.Invite, error) {
	var inv auth.Invite
	err := row.Scan(&inv.ID, &inv.Role, &inv.Note, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.AcceptedAt, &inv.AcceptedBy)
	inv.CreatedAt, inv.ExpiresAt, inv.AcceptedAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC(), utcPtr(inv.AcceptedAt)
	return inv, err
}

// InviteCreate implements store.UserStore.
func (s *Store) InviteCreate(ctx context.Context, inv auth.Invite, tokenHash []byte) error {
	_, err := s.exec(ctx, `INSERT INTO invites (token_hash, id, role, note, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tokenHash, inv.ID, inv.Role, inv.Note, inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt)
	return err
}

// InviteList implements store.UserStore.
func (s *Store) InviteList(ctx context.Context) ([]auth.Invite, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+inviteCols+` FROM invites ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.Invite, error) { return scanInvite(r) })
	return out, s.fail(err)
}

// InviteByToken implements store.UserStore.
func (s *Store) InviteByToken(ctx context.Context, tokenHash []byte) (auth.Invite, error) {
	inv, err := scanInvite(s.pool.QueryRow(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = $1`, tokenHash))
	return inv, s.notFound(err, "invitation")
}

// InviteAccept implements store.UserStore. Claiming the invitation is
// the first statement: of two acceptances at once, the second waits on
// its row and then finds it used.
func (s *Store) InviteAccept(ctx context.Context, tokenHash []byte, u auth.User, now time.Time) (auth.Invite, error) {
	var inv auth.Invite
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		inv, err = scanInvite(tx.QueryRow(ctx, `UPDATE invites SET accepted_at = $1, accepted_by = $2
			WHERE token_hash = $3 AND accepted_at IS NULL AND expires_at > $1
			RETURNING `+inviteCols, now, u.Username, tokenHash))
		if err != nil {
			return s.notFound(err, "invitation")
		}
		u.Role = inv.Role
		tag, err := tx.Exec(ctx, insertUser, u.Username, u.Role, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
		if err == nil && tag.RowsAffected() == 0 {
			return userExists(u) // rolls the claim back
		}
		return err
	})
	return inv, err
}

// InviteDelete implements store.UserStore.
func (s *Store) InviteDelete(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM invites WHERE id = $1`, id)
	if err == nil && n == 0 {
		return errNotFound("invitation")
	}
	return err
}
