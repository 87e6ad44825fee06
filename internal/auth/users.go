package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// User is a dashboard account.
type User struct {
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// AdminUser is the account created on first start.
const AdminUser = "admin"

// UserStore is what account management (EnsureAdmin, ResetPassword) needs
// from storage.
type UserStore interface {
	UserCount(ctx context.Context) (int, error)
	UserGet(ctx context.Context, username string) (User, error)
	UserSave(ctx context.Context, u User) error
	SessionDeleteUser(ctx context.Context, username string) error
}

// EnsureAdmin creates the admin account when no account exists yet. The
// password is the given one, or a generated one that is logged once (the
// only time it is shown; `hookline admin reset-password` sets a new one).
func EnsureAdmin(ctx context.Context, st UserStore, password string, now time.Time, log *slog.Logger) error {
	n, err := st.UserCount(ctx)
	if err != nil {
		return fmt.Errorf("checking dashboard accounts: %w", err)
	}
	if n > 0 {
		return nil
	}
	generated := password == ""
	if generated {
		password = GeneratePassword()
	} else if err := CheckPasswordPolicy(password); err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u := User{Username: AdminUser, PasswordHash: hash, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if err := st.UserSave(ctx, u); err != nil {
		return fmt.Errorf("creating the dashboard admin account: %w", err)
	}
	// Another instance starting at the same moment on a shared database may
	// have saved its own password after ours: say so rather than print a
	// password that does not work.
	if got, err := st.UserGet(ctx, AdminUser); err == nil && got.PasswordHash != hash {
		log.Warn("another instance created the dashboard admin account at the same time; use the password it printed, or run 'hookline admin reset-password'")
		return nil
	}
	if generated {
		log.Warn("created the dashboard account; this password is shown only once (change it with 'hookline admin reset-password')",
			"username", AdminUser, "password", password)
	} else {
		log.Info("created the dashboard account with the configured password", "username", AdminUser)
	}
	return nil
}

// ResetPassword sets a user's password (creating the user if needed) and
// ends its sessions.
func ResetPassword(ctx context.Context, st UserStore, username, password string, now time.Time) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return err
	}
	username = strings.TrimSpace(username)
	if username == "" {
		return errors.New("username is required")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u, err := st.UserGet(ctx, username)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		u = User{Username: username, CreatedAt: now.UTC()}
	case err != nil:
		return err
	}
	u.PasswordHash, u.UpdatedAt = hash, now.UTC()
	if err := st.UserSave(ctx, u); err != nil {
		return err
	}
	return st.SessionDeleteUser(ctx, username)
}
