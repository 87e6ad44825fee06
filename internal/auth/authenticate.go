package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// Authenticator checks keys, with a short cache so that a busy publisher
// costs no database read per request.
type Authenticator struct {
	store KeyStore
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
func NewAuthenticator(s KeyStore, ttl time.Duration, now func() time.Time) *Authenticator {
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
