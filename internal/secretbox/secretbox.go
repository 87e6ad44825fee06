// Package secretbox encrypts webhook signing secrets before they are
// stored, so that a copy of the database (a backup, a replica, a leaked
// dump) is not enough to forge webhooks: the server key is kept apart from
// the data, in a file or an environment variable.
//
// Values are sealed with AES-256-GCM under a random nonce and stored as
// text: "v1:" followed by base64 of nonce || ciphertext || tag. The version
// prefix leaves room for another algorithm or a key rotation later without
// guessing what an old row contains.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a server key: AES-256.
const KeySize = 32

// EnvKey is the environment variable that holds the server key, base64
// (standard encoding) of KeySize random bytes, e.g. from
// `openssl rand -base64 32`. Parse it with ParseKey.
const EnvKey = "HOOKLINE_SECRET_KEY"

// prefix marks the format of a sealed value; it is also authenticated, so a
// value cannot be relabelled as another version.
const prefix = "v1:"

var (
	// ErrInvalidKey means a key is not base64 of exactly KeySize bytes.
	ErrInvalidKey = errors.New("secretbox: key must be base64 of 32 bytes")

	// ErrMalformed means a stored value is not something Seal produced:
	// wrong version prefix, bad base64, or too short.
	ErrMalformed = errors.New("secretbox: malformed sealed value")

	// ErrDecrypt means a well-formed value failed authentication: it was
	// sealed with another key, or it was altered. GCM cannot tell the two
	// apart; a wrong key is by far the more common cause.
	ErrDecrypt = errors.New("secretbox: cannot decrypt: wrong key or tampered value")
)

// Box seals and opens values with one server key. It is safe for
// concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, ErrInvalidKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	// A random 96-bit nonce per value is safe far beyond the number of
	// secrets one key will ever seal, and needs no counter to persist.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext into a value safe for a TEXT column. Sealing the
// same plaintext twice gives different values.
func (b *Box) Seal(plaintext string) string {
	sealed := b.aead.Seal(nil, nil, []byte(plaintext), []byte(prefix))
	return prefix + base64.StdEncoding.EncodeToString(sealed)
}

// Open decrypts a value made by Seal. It returns ErrMalformed for a value
// that is not one, and ErrDecrypt when the key is wrong or the value was
// altered.
func (b *Box) Open(sealed string) (string, error) {
	encoded, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", fmt.Errorf("%w: missing %q prefix", ErrMalformed, prefix)
	}
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(data) < b.aead.Overhead() {
		return "", fmt.Errorf("%w: too short", ErrMalformed)
	}
	plaintext, err := b.aead.Open(nil, nil, data, []byte(prefix))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plaintext), nil
}

// NewKey returns a fresh random server key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key) // never returns an error; it crashes the program instead
	return key
}

// EncodeKey returns the text form of a key, as ParseKey, EnvKey and key
// files expect it.
func EncodeKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// ParseKey decodes a key given as text, e.g. from EnvKey. Surrounding
// whitespace is ignored so that a trailing newline from a file or a shell
// does not matter. The error never contains the key.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != KeySize {
		return nil, ErrInvalidKey
	}
	return key, nil
}

// LoadOrCreateKey returns the key stored at path, creating the file with a
// new key if it does not exist, so a single-node install needs no setup.
// created reports whether a new key was written: the caller should log
// that, because sealed values are unreadable without this file and it must
// be backed up.
//
// The file holds the key as base64 text followed by a newline (the same
// form as EnvKey), is created with mode 0600, and missing parent
// directories are created with mode 0700. An existing file is never
// overwritten, even if it is invalid: replacing a key would make every
// stored secret unreadable.
func LoadOrCreateKey(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("secretbox: create key directory: %w", err)
	}
	// O_EXCL: if another process creates the file first, use its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	key = NewKey()
	_, err = f.WriteString(EncodeKey(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave no half-written file behind to be mistaken for a key.
		os.Remove(path)
		return nil, false, fmt.Errorf("secretbox: write key file: %w", err)
	}
	return key, true, nil
}

// readKeyFile reads and parses a key file; a missing file is reported as
// an error wrapping fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secretbox: read key file: %w", err)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secretbox: key file %s: %w", path, err)
	}
	return key, nil
}
