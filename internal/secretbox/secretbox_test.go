package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/secretbox"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func newBox(t *testing.T) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	for _, plaintext := range []string{secret, "", "ünïcødé", strings.Repeat("x", 10000)} {
		sealed := b.Seal(plaintext)
		if !strings.HasPrefix(sealed, "v1:") {
			t.Errorf("sealed value %q lacks the version prefix", sealed)
		}
		got, err := b.Open(sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got != plaintext {
			t.Errorf("Open = %q, want %q", got, plaintext)
		}
	}
}

func TestSealHidesPlaintext(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	first, second := b.Seal(secret), b.Seal(secret)
	if first == second {
		t.Error("sealing twice gave the same value: the nonce is not random")
	}
	key := strings.TrimPrefix(secret, "whsec_")
	raw, _ := base64.StdEncoding.DecodeString(key)
	for _, sealed := range []string{first, second} {
		for _, leak := range []string{secret, key, base64.StdEncoding.EncodeToString([]byte(secret))} {
			if strings.Contains(sealed, leak) {
				t.Errorf("sealed value %q contains %q", sealed, leak)
			}
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, raw) {
			t.Errorf("ciphertext contains the plaintext")
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	b := newBox(t)
	sealed := b.Seal(secret)
	data, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	flip := func(i int) string {
		d := bytes.Clone(data)
		d[i] ^= 1
		return "v1:" + base64.StdEncoding.EncodeToString(d)
	}

	tests := []struct {
		name    string
		sealed  string
		wantErr error
	}{
		{name: "empty", sealed: "", wantErr: secretbox.ErrMalformed},
		{name: "plaintext stored by mistake", sealed: secret, wantErr: secretbox.ErrMalformed},
		{name: "unknown version", sealed: "v2:" + strings.TrimPrefix(sealed, "v1:"), wantErr: secretbox.ErrMalformed},
		{name: "bad base64", sealed: "v1:@@@@", wantErr: secretbox.ErrMalformed},
		{name: "too short", sealed: "v1:" + base64.StdEncoding.EncodeToString(data[:27]), wantErr: secretbox.ErrMalformed},
		{name: "truncated", sealed: "v1:" + base64.StdEncoding.EncodeToString(data[:len(data)-1]), wantErr: secretbox.ErrDecrypt},
		{name: "nonce altered", sealed: flip(0), wantErr: secretbox.ErrDecrypt},
		{name: "ciphertext altered", sealed: flip(12), wantErr: secretbox.ErrDecrypt},
		{name: "tag altered", sealed: flip(len(data) - 1), wantErr: secretbox.ErrDecrypt},
		{name: "extended", sealed: "v1:" + base64.StdEncoding.EncodeToString(append(bytes.Clone(data), 0)), wantErr: secretbox.ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.Open(tt.sealed)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

func TestOpenWrongKey(t *testing.T) {
	t.Parallel()
	sealed := newBox(t).Seal(secret)
	if _, err := newBox(t).Open(sealed); !errors.Is(err, secretbox.ErrDecrypt) {
		t.Fatalf("Open with another key = %v, want ErrDecrypt", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     []byte
		wantErr error
	}{
		{name: "32 bytes", key: make([]byte, 32)},
		{name: "nil", key: nil, wantErr: secretbox.ErrInvalidKey},
		{name: "AES-128 size", key: make([]byte, 16), wantErr: secretbox.ErrInvalidKey},
		{name: "33 bytes", key: make([]byte, 33), wantErr: secretbox.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := secretbox.New(tt.key); !errors.Is(err, tt.wantErr) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := secretbox.NewKey()
	encoded := secretbox.EncodeKey(key)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "base64", in: encoded},
		{name: "surrounding whitespace", in: "  " + encoded + "\n"},
		{name: "empty", in: "", wantErr: true},
		{name: "raw bytes", in: string(key), wantErr: true},
		{name: "too short", in: base64.StdEncoding.EncodeToString(key[:31]), wantErr: true},
		{name: "too long", in: base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 0)), wantErr: true},
		{name: "unpadded", in: strings.TrimRight(encoded, "="), wantErr: true},
		{name: "hex", in: strings.Repeat("ab", 32), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secretbox.ParseKey(tt.in)
			if tt.wantErr {
				if !errors.Is(err, secretbox.ErrInvalidKey) {
					t.Fatalf("ParseKey = %v, want ErrInvalidKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("ParseKey = %x, want %x", got, key)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "secret.key")

	key, created, err := secretbox.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false for a missing file")
	}
	if len(key) != secretbox.KeySize {
		t.Fatalf("key is %d bytes", len(key))
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := secretbox.EncodeKey(key) + "\n"; string(data) != want {
		t.Errorf("file holds %q, want %q", data, want)
	}

	again, created, err := secretbox.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true for an existing file")
	}
	if !bytes.Equal(again, key) {
		t.Error("reloading gave a different key")
	}

	// A value sealed before a restart opens after it.
	b1, _ := secretbox.New(key)
	b2, _ := secretbox.New(again)
	if got, err := b2.Open(b1.Seal(secret)); err != nil || got != secret {
		t.Errorf("Open after reload = %q, %v", got, err)
	}
}

func TestLoadOrCreateKeyExisting(t *testing.T) {
	t.Parallel()
	key := secretbox.NewKey()
	tests := []struct {
		name     string
		contents string
		wantErr  error
	}{
		{name: "written by an operator", contents: secretbox.EncodeKey(key)},
		{name: "with CRLF", contents: secretbox.EncodeKey(key) + "\r\n"},
		{name: "empty", contents: "", wantErr: secretbox.ErrInvalidKey},
		{name: "raw bytes", contents: string(key), wantErr: secretbox.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			got, created, err := secretbox.LoadOrCreateKey(path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadOrCreateKey = %v, want %v", err, tt.wantErr)
			}
			if created {
				t.Error("created = true for an existing file")
			}
			if err == nil && !bytes.Equal(got, key) {
				t.Error("wrong key")
			}
			// An invalid key file is reported, never replaced.
			after, _ := os.ReadFile(path)
			if string(after) != tt.contents {
				t.Errorf("file changed to %q", after)
			}
		})
	}
}

func TestLoadOrCreateKeyUnreadable(t *testing.T) {
	t.Parallel()
	// A directory where the file should be: neither readable as a key nor
	// replaceable.
	path := t.TempDir()
	_, _, err := secretbox.LoadOrCreateKey(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadOrCreateKey(dir) = %v, want a read error", err)
	}
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}
