package storetest

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testAPIKeys(t *testing.T, open Opener) {
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		hash := func(s string) []byte { b := sha256.Sum256([]byte(s)); return b[:] }
		admin := auth.APIKey{
			ID: webhook.NewID(auth.PrefixAPIKey), Name: "deploy bot", Prefix: "hl_live_ab12",
			Scopes: []string{auth.ScopeAdmin, auth.ScopePublish}, CreatedAt: at(time.Microsecond),
			ExpiresAt: timePtr(at(30 * 24 * time.Hour)),
		}
		// An expired key is still found: the caller decides.
		expired := auth.APIKey{
			ID: webhook.NewID(auth.PrefixAPIKey), Name: "old", Prefix: "hl_live_cd34",
			Scopes: []string{auth.ScopePublish}, CreatedAt: t0, ExpiresAt: timePtr(at(-time.Hour)),
		}
		forever := auth.APIKey{
			ID: webhook.NewID(auth.PrefixAPIKey), Name: "publisher", Prefix: "hl_live_ef56",
			Scopes: []string{auth.ScopePublish}, CreatedAt: t0,
		}
		keys := []auth.APIKey{admin, expired, forever}
		for _, k := range keys {
			ok(t, h.s.APIKeyCreate(h.ctx, k, hash(k.ID)), "APIKeyCreate")
		}
		for _, k := range keys {
			got, err := h.s.APIKeyByHash(h.ctx, hash(k.ID))
			ok(t, err, "APIKeyByHash")
			equal(t, "APIKeyByHash "+k.Name, got, k, normAPIKey)
		}
		_, err := h.s.APIKeyByHash(h.ctx, hash("unknown"))
		wantCode(t, err, webhook.ENOTFOUND, "APIKeyByHash of an unknown hash")

		list, err := h.s.APIKeyList(h.ctx, auth.AllTenants())
		ok(t, err, "APIKeyList")
		byID := map[string]auth.APIKey{}
		for _, k := range list {
			byID[k.ID] = k
		}
		if len(list) != len(keys) || len(byID) != len(keys) {
			t.Fatalf("APIKeyList: got %d keys, want %d", len(list), len(keys))
		}
		for _, k := range keys {
			equal(t, "APIKeyList "+k.Name, byID[k.ID], k, normAPIKey)
		}

		// Revoking is idempotent: the first time sticks.
		ok(t, h.s.APIKeyRevoke(h.ctx, auth.AllTenants(), admin.ID, at(time.Hour)), "APIKeyRevoke")
		ok(t, h.s.APIKeyRevoke(h.ctx, auth.AllTenants(), admin.ID, at(2*time.Hour)), "APIKeyRevoke again")
		wantCode(t, h.s.APIKeyRevoke(h.ctx, auth.AllTenants(), webhook.NewID(auth.PrefixAPIKey), t0), webhook.ENOTFOUND, "APIKeyRevoke of a missing key")
		got, err := h.s.APIKeyByHash(h.ctx, hash(admin.ID))
		ok(t, err, "APIKeyByHash of a revoked key")
		if !sameTimePtr(got.RevokedAt, timePtr(at(time.Hour))) {
			t.Errorf("RevokedAt: got %s, want the first revocation %s", fmtTimePtr(got.RevokedAt), at(time.Hour))
		}
		if got, _ := h.s.APIKeyByHash(h.ctx, hash(forever.ID)); got.RevokedAt != nil {
			t.Errorf("revoking one key revoked another: %+v", got)
		}

		ok(t, h.s.APIKeyTouch(h.ctx, forever.ID, at(3*time.Hour)), "APIKeyTouch")
		ok(t, h.s.APIKeyTouch(h.ctx, forever.ID, at(4*time.Hour)), "APIKeyTouch again")
		want := forever
		want.LastUsedAt = timePtr(at(4 * time.Hour))
		got, err = h.s.APIKeyByHash(h.ctx, hash(forever.ID))
		ok(t, err, "APIKeyByHash")
		equal(t, "key after touches", got, want, normAPIKey)
	})

	t.Run("ConcurrentTouches", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		k := auth.APIKey{ID: webhook.NewID(auth.PrefixAPIKey), Name: "k", Prefix: "hl_x", Scopes: []string{auth.ScopePublish}, CreatedAt: t0}
		ok(t, h.s.APIKeyCreate(h.ctx, k, []byte("hash")), "APIKeyCreate")
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				if err := h.s.APIKeyTouch(h.ctx, k.ID, at(time.Duration(i)*time.Second)); err != nil {
					t.Errorf("APIKeyTouch: %v", err)
				}
			})
		}
		wg.Wait()
		got, err := h.s.APIKeyByHash(h.ctx, []byte("hash"))
		ok(t, err, "APIKeyByHash")
		if got.LastUsedAt == nil {
			t.Error("LastUsedAt not set after touches")
		}
	})
}

func testConcurrency(t *testing.T, open Opener) {
	// Many publishers at once: every write lands exactly once (on SQLite
	// this exercises the group commit, many events per transaction).
	t.Run("EventCreate", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		var hooks []webhook.Webhook
		for range 3 {
			hooks = append(hooks, h.createWebhook())
		}
		const publishers, perPublisher = 20, 50
		var mu sync.Mutex
		ids := map[string]bool{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for p := range publishers {
			wg.Go(func() {
				<-start
				for i := range perPublisher {
					ev := newEvent(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(p*perPublisher+i)*time.Millisecond))
					res, err := h.s.EventCreate(h.ctx, store.EventCreateParams{Event: ev, IdempotencySince: t0})
					if err != nil {
						t.Errorf("publisher %d, event %d: %v", p, i, err)
						return
					}
					mu.Lock()
					for _, d := range res.Deliveries {
						if ids[d.ID] {
							t.Errorf("delivery ID %s returned twice", d.ID)
						}
						ids[d.ID] = true
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()

		const want = publishers * perPublisher * 3
		if len(ids) != want {
			t.Errorf("distinct delivery IDs returned: %d, want %d", len(ids), want)
		}
		c, err := h.s.DeliveryCounts(h.ctx)
		ok(t, err, "DeliveryCounts")
		if c[webhook.DeliveryPending] != want {
			t.Errorf("pending deliveries stored: %d, want %d", c[webhook.DeliveryPending], want)
		}
		stored := map[string]bool{}
		p := store.DeliveryListParams{Scope: auth.AllTenants(), Limit: 1000}
		for range want/1000 + 2 {
			page, err := h.s.DeliveryList(h.ctx, p)
			ok(t, err, "DeliveryList")
			for _, d := range page.Deliveries {
				if !ids[d.ID] || stored[d.ID] {
					t.Fatalf("stored delivery %s: not returned by EventCreate, or listed twice", d.ID)
				}
				stored[d.ID] = true
			}
			if page.Next == "" {
				break
			}
			p.Cursor = page.Next
		}
		if len(stored) != want {
			t.Errorf("deliveries listed: %d, want %d", len(stored), want)
		}
		for _, w := range hooks {
			if got := h.webhook(w.ID).Stats.Deliveries; got != publishers*perPublisher {
				t.Errorf("webhook %s: stats.deliveries %d, want %d", w.ID, got, publishers*perPublisher)
			}
		}
	})
}
