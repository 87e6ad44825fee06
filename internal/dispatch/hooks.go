package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/webhook"
)

// hookCache keeps webhooks and their signers in memory, so an attempt costs
// no database read; entries live for ttl (changes made by other instances)
// and are dropped at once on local changes.
type hookCache struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	m     map[string]*cachedHook
	// gen counts invalidations. A get whose database read began before
	// one must not store what it read: it may be the settings from before
	// the change, which would then be served until ttl ends.
	gen uint64
}

type cachedHook struct {
	webhook webhook.Webhook
	signer  *signing.Signer
	expires time.Time
	// valid until the earliest secret expiry, so an overlap ends on time
}

func newHookCache(s Store, ttl time.Duration, now func() time.Time) *hookCache {
	return &hookCache{store: s, ttl: ttl, now: now, m: make(map[string]*cachedHook)}
}

func (c *hookCache) invalidate(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.gen++
	c.mu.Unlock()
}

func (c *hookCache) invalidateAll() {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
}

// cached returns webhook id from the cache while it is fresh, without
// reading the database.
func (c *hookCache) cached(id string) (*cachedHook, bool) {
	now := c.now()
	c.mu.Lock()
	h, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Before(h.expires) {
		return h, true
	}
	return nil, false
}

func (c *hookCache) get(ctx context.Context, id string) (*cachedHook, error) {
	now := c.now()
	c.mu.Lock()
	h, ok := c.m[id]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(h.expires) {
		return h, nil
	}
	w, err := c.store.WebhookGet(ctx, auth.AllTenants(), id)
	if err != nil {
		return nil, err
	}
	secrets, err := c.store.WebhookSecrets(ctx, auth.AllTenants(), id, now)
	if err != nil {
		return nil, err
	}
	expires := now.Add(c.ttl)
	values := make([]string, len(secrets))
	for i, s := range secrets {
		values[i] = s.Value
		if s.ExpiresAt != nil && s.ExpiresAt.Before(expires) {
			expires = *s.ExpiresAt
		}
	}
	signer, err := signing.NewSigner(values)
	if err != nil {
		return nil, err
	}
	h = &cachedHook{webhook: w, signer: signer, expires: expires}
	c.mu.Lock()
	if len(c.m) > 100000 {
		// Bound memory with many webhooks: start over rather than track LRU.
		clear(c.m)
	}
	if c.gen == gen {
		c.m[id] = h
	}
	c.mu.Unlock()
	return h, nil
}

// disable marks a cached webhook inactive ahead of the database and
// returns it (zero when it was not cached).
func (c *hookCache) disable(id, reason string) webhook.Webhook {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[id]
	if !ok {
		return webhook.Webhook{}
	}
	w := h.webhook
	w.Active, w.DisabledReason = false, reason
	c.m[id] = &cachedHook{webhook: w, signer: h.signer, expires: h.expires}
	return w
}
