package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline/internal/auth"
)

// UserCount implements store.UserStore.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (auth.User, error) {
	var u auth.User
	var created, updated int64
	err := s.rdb.QueryRowContext(ctx, `SELECT username, password_hash, created_at, updated_at FROM users
		WHERE username = ?`, username).Scan(&u.Username, &u.PasswordHash, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(updated)
	return u, notFound(err, "user")
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u auth.User) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (username, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
			updated_at = excluded.updated_at`, u.Username, u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt))
		return err
	})
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
	err := s.rdb.QueryRowContext(ctx, `SELECT id, username, created_at, expires_at FROM sessions
		WHERE token_hash = ?`, tokenHash).Scan(&se.ID, &se.Username, &created, &expires)
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
