package postgres

import (
	"context"

	"github.com/hookline/hookline/internal/auth"
)

// UserCount implements store.UserStore.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, s.fail(err)
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (auth.User, error) {
	var u auth.User
	err := s.pool.QueryRow(ctx, `SELECT username, password_hash, created_at, updated_at FROM users
		WHERE username = $1`, username).Scan(&u.Username, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, s.notFound(err, "user")
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u auth.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (username, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO UPDATE
		SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
		u.Username, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	return err
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
	err := s.pool.QueryRow(ctx, `SELECT id, username, created_at, expires_at FROM sessions
		WHERE token_hash = $1`, tokenHash).Scan(&se.ID, &se.Username, &se.CreatedAt, &se.ExpiresAt)
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
