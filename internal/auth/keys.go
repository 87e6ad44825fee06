package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/webhook"
)

// KeyPrefix starts every API key. A key is "hkl_" + 43 base64url
// characters (256 random bits); the recognisable prefix lets secret
// scanners find leaked keys. Only a SHA-256 hash is stored: the key's
// entropy makes a slow hash unnecessary, and a hash lookup keeps
// per-request cost to one index read.
const KeyPrefix = "hkl_"

// PrefixAPIKey starts every API key's ID (not the key itself).
const PrefixAPIKey = "key_"

// API key scopes: what a key may do. Not to be confused with Scope, which
// says which tenants a principal may act on.
const (
	ScopeAdmin   = "admin"
	ScopePublish = "publish"
)

// APIKey is a credential for the REST API. Only its hash is stored.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Store is what auth needs from storage.
type Store interface {
	APIKeyCreate(ctx context.Context, k APIKey, hash []byte) error
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	APIKeyTouch(ctx context.Context, id string, now time.Time) error
}

// Hash returns the stored form of an API key or a session token: their
// 256 random bits make a slow hash unnecessary.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// NewKey returns a new random key.
func NewKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateParams describe a key to create.
type CreateParams struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
}

// Create makes and stores a new key and returns it with its plaintext,
// which is never stored or shown again.
func Create(ctx context.Context, s Store, p CreateParams, now time.Time) (APIKey, string, error) {
	name := strings.TrimSpace(p.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return APIKey{}, "", webhook.FieldError(webhook.EINVALID, "name", "must be 1 to 200 characters")
	}
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = []string{ScopeAdmin}
	}
	for _, sc := range scopes {
		if sc != ScopeAdmin && sc != ScopePublish {
			return APIKey{}, "", webhook.FieldError(webhook.EINVALID, "scopes",
				"unknown scope %q (use admin or publish)", sc)
		}
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
		return APIKey{}, "", webhook.FieldError(webhook.EINVALID, "expires_at", "must be in the future")
	}
	key := NewKey()
	k := APIKey{
		ID: webhook.NewID(PrefixAPIKey), Name: name, Prefix: key[:len(KeyPrefix)+6],
		Scopes: scopes, CreatedAt: now.UTC(), ExpiresAt: p.ExpiresAt,
	}
	if err := s.APIKeyCreate(ctx, k, Hash(key)); err != nil {
		return APIKey{}, "", err
	}
	return k, key, nil
}

// FromRequest extracts a presented key: "Authorization: Bearer KEY", HTTP
// Basic with the key as user name (what Zapier-style platforms let users
// configure), or "X-API-Key: KEY".
func FromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme name is case-insensitive (RFC 9110 section 11.1).
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		if u, _, ok := r.BasicAuth(); ok {
			return u
		}
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// Authenticator checks keys, with a short cache so that a busy publisher
// costs no database read per request.
type Authenticator struct {
	store Store
	now   func() time.Time
	ttl   time.Duration
	mu    sync.Mutex
	cache map[[32]byte]cached
}

type cached struct {
	key     APIKey
	ok      bool
	expires time.Time
}

// NewAuthenticator returns an Authenticator. ttl bounds how long a revoked
// key may still pass on another instance (this one forgets at once).
func NewAuthenticator(s Store, ttl time.Duration, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{store: s, now: now, ttl: ttl, cache: make(map[[32]byte]cached)}
}

// ErrUnauthorized is the one answer to a missing, unknown, revoked or
// expired key: which of them it was is not revealed.
var ErrUnauthorized = &webhook.Error{Code: webhook.EUNAUTHORIZED, Message: "a valid API key is required"}

// Authenticate returns the key behind a presented plaintext key.
func (a *Authenticator) Authenticate(ctx context.Context, presented string) (APIKey, error) {
	if !strings.HasPrefix(presented, KeyPrefix) || len(presented) > 100 {
		return APIKey{}, ErrUnauthorized
	}
	var h [32]byte
	copy(h[:], Hash(presented))
	now := a.now()
	a.mu.Lock()
	c, hit := a.cache[h]
	a.mu.Unlock()
	if !hit || now.After(c.expires) {
		k, err := a.store.APIKeyByHash(ctx, h[:])
		switch {
		case err == nil:
			c = cached{key: k, ok: true, expires: now.Add(a.ttl)}
			// Recording last use is best effort and at most once per ttl.
			_ = a.store.APIKeyTouch(ctx, k.ID, now)
		case webhook.ErrorCode(err) == webhook.ENOTFOUND:
			c = cached{expires: now.Add(a.ttl)}
		default:
			return APIKey{}, err
		}
		a.mu.Lock()
		if len(a.cache) > 10000 {
			clear(a.cache)
		}
		a.cache[h] = c
		a.mu.Unlock()
	}
	// The lookup was by hash of the whole key, so no secret comparison
	// remains that could leak timing.
	if !c.ok || c.key.RevokedAt != nil || (c.key.ExpiresAt != nil && !now.Before(*c.key.ExpiresAt)) {
		return APIKey{}, ErrUnauthorized
	}
	return c.key, nil
}

// Forget drops cached keys, after a revocation.
func (a *Authenticator) Forget() {
	a.mu.Lock()
	clear(a.cache)
	a.mu.Unlock()
}
