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
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// AdminUser is the account created on first start, an owner.
const AdminUser = "admin"

// UserStore is what bootstrap and recovery (EnsureAdmin, ResetPassword)
// need from storage.
type UserStore interface {
	UserCount(ctx context.Context) (int, error)
	UserGet(ctx context.Context, username string) (User, error)
	// UserSave creates the user (with its Role, owner when empty) or, when
	// it exists, replaces its password hash alone.
	UserSave(ctx context.Context, u User) error
	SessionDeleteUser(ctx context.Context, username string) error
}

// EnsureAdmin creates the admin account, an owner, when no account exists
// yet. The password is the given one (--admin-password,
// HOOKLINE_ADMIN_PASSWORD), or a generated one that is logged once (the
// only time it is shown; `hookline admin reset-password` sets a new one).
//
// The given password makes the first account only. On a later start it
// changes nothing, since the account's password may have been changed
// since; but that is said in the log rather than silently ignored, when
// it no longer signs in as admin.
func EnsureAdmin(ctx context.Context, st UserStore, password string, now time.Time, log *slog.Logger) error {
	n, err := st.UserCount(ctx)
	if err != nil {
		return fmt.Errorf("checking dashboard accounts: %w", err)
	}
	if n > 0 {
		if password != "" {
			warnStaleAdminPassword(ctx, st, password, log)
		}
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
	u := User{Username: AdminUser, Role: RoleOwner, PasswordHash: hash, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
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

// warnStaleAdminPassword says in the log that a configured admin password
// was not applied, when it does not sign in as admin: the account was
// removed, or its password changed since it was made.
func warnStaleAdminPassword(ctx context.Context, st UserStore, password string, log *slog.Logger) {
	const ignored = "the configured admin password (--admin-password, HOOKLINE_ADMIN_PASSWORD) only sets the password of the first account, made on the first start; "
	u, err := st.UserGet(ctx, AdminUser)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		log.Warn(ignored + "there is no admin account any more, so it was ignored")
	case err != nil:
		log.Warn("checking the configured admin password failed", "err", err)
	case !CheckPassword(u.PasswordHash, password):
		log.Warn(ignored + "the admin account's password has changed since, so it was ignored: " +
			"sign in with the current password, or set a new one with 'hookline admin reset-password'")
	}
}

// ResetPassword sets a user's password (creating the user, as an owner,
// if needed: it is the way back in) and ends its sessions. It is the
// command line's recovery on the database; the surfaces use
// Users.SetPassword.
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
		u = User{Username: username, Role: RoleOwner, CreatedAt: now.UTC()}
	case err != nil:
		return err
	}
	u.PasswordHash, u.UpdatedAt = hash, now.UTC()
	if err := st.UserSave(ctx, u); err != nil {
		return err
	}
	return st.SessionDeleteUser(ctx, username)
}
