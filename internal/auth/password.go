package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	return HashPasswordCost(password, PasswordIterations)
}

// HashPasswordCost is HashPassword with another work factor. Tests use it
// to sign in fast; the count is stored in the hash, so CheckPassword
// needs no setting.
func HashPasswordCost(password string, iter int) (string, error) {
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
