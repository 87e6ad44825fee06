package dashboard

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// PasswordIterations is the PBKDF2-HMAC-SHA256 work factor for new
// hashes: OWASP's 2023 recommendation for this KDF. Stored hashes carry
// their own count, so raising it later does not lock anyone out.
const PasswordIterations = 600_000

// Password length limits. The upper bound keeps a sign-in from costing
// more than one KDF run's worth of hashing.
const (
	MinPassword = 8
	MaxPassword = 1024
)

const hashScheme = "pbkdf2-sha256"

// HashPassword returns the stored form of a password:
// pbkdf2-sha256$<iterations>$<salt>$<hash>, salt and hash in unpadded
// base64.
func HashPassword(password string) (string, error) {
	return hashPassword(password, PasswordIterations)
}

func hashPassword(password string, iter int) (string, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return hashScheme + "$" + strconv.Itoa(iter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// CheckPassword reports whether password matches a stored hash, comparing
// in constant time. A malformed hash never matches.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the user does not exist, so a sign-in
// for an unknown name takes as long as one with a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("hookline-dummy-password")
	return h
})

// CheckPasswordPolicy returns a user-facing error when a new password is
// unacceptable.
func CheckPasswordPolicy(password string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPassword {
		return webhook.FieldError(webhook.EINVALID, "password", "must be at least %d characters", MinPassword)
	}
	if len(password) > MaxPassword {
		return webhook.FieldError(webhook.EINVALID, "password", "must be at most %d bytes", MaxPassword)
	}
	return nil
}

// GeneratePassword returns a random password of 24 characters (120 bits)
// that is easy to copy from a terminal.
func GeneratePassword() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// AdminUser is the account created on first start.
const AdminUser = "admin"

// UserStore is what account management needs from storage.
type UserStore interface {
	UserCount(ctx context.Context) (int, error)
	UserGet(ctx context.Context, username string) (auth.User, error)
	UserSave(ctx context.Context, u auth.User) error
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
	u := auth.User{Username: AdminUser, PasswordHash: hash, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
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
		u = auth.User{Username: username, CreatedAt: now.UTC()}
	case err != nil:
		return err
	}
	u.PasswordHash, u.UpdatedAt = hash, now.UTC()
	if err := st.UserSave(ctx, u); err != nil {
		return err
	}
	return st.SessionDeleteUser(ctx, username)
}
