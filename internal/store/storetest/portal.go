package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func normPortalLink(l auth.PortalLink) auth.PortalLink {
	l.CreatedAt, l.ExpiresAt = normTime(l.CreatedAt), normTime(l.ExpiresAt)
	l.OpenedAt, l.SessionExpiresAt = normTimePtr(l.OpenedAt), normTimePtr(l.SessionExpiresAt)
	return l
}

func testPortalLinks(t *testing.T, open Opener) {
	link := func(tenant string) auth.PortalLink {
		return auth.PortalLink{ID: webhook.NewID(auth.PrefixPortalLink), Tenant: tenant, ReadOnly: true,
			ReturnURL: "https://app.example.com/settings", EventTypes: []string{"payment_*", "order.created"},
			SessionTTL: time.Hour, CreatedAt: at(0), ExpiresAt: at(15 * time.Minute)}
	}

	// A link opens once, binding its session; the session is found by its
	// own hash, never by the link's.
	t.Run("OpenOnce", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		l := link("acme")
		ok(t, h.s.PortalLinkCreate(h.ctx, l, tokenHash("link-1")), "PortalLinkCreate")
		_, err := h.s.PortalSessionGet(h.ctx, tokenHash("link-1"))
		wantCode(t, err, webhook.ENOTFOUND, "PortalSessionGet by the link's hash")

		got, opened, err := h.s.PortalLinkOpen(h.ctx, tokenHash("link-1"), tokenHash("session-1"), at(time.Minute))
		ok(t, err, "PortalLinkOpen")
		if !opened {
			t.Fatal("PortalLinkOpen of a fresh link: not opened")
		}
		want := l
		want.OpenedAt, want.SessionExpiresAt = new(at(time.Minute)), new(at(time.Minute+time.Hour))
		equal(t, "PortalLinkOpen", got, want, normPortalLink)

		se, err := h.s.PortalSessionGet(h.ctx, tokenHash("session-1"))
		ok(t, err, "PortalSessionGet")
		equal(t, "PortalSessionGet", se, want, normPortalLink)

		again, opened, err := h.s.PortalLinkOpen(h.ctx, tokenHash("link-1"), tokenHash("session-2"), at(2*time.Minute))
		ok(t, err, "PortalLinkOpen again")
		if opened {
			t.Fatal("PortalLinkOpen of a used link: opened again")
		}
		equal(t, "PortalLinkOpen of a used link", again, want, normPortalLink)
		_, err = h.s.PortalSessionGet(h.ctx, tokenHash("session-2"))
		wantCode(t, err, webhook.ENOTFOUND, "PortalSessionGet of the refused second session")
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		l := link("acme")
		l.EventTypes = nil
		ok(t, h.s.PortalLinkCreate(h.ctx, l, tokenHash("link-1")), "PortalLinkCreate")
		got, opened, err := h.s.PortalLinkOpen(h.ctx, tokenHash("link-1"), tokenHash("session-1"), at(15*time.Minute))
		ok(t, err, "PortalLinkOpen")
		if opened {
			t.Fatal("PortalLinkOpen at its expiry: opened")
		}
		equal(t, "PortalLinkOpen of an expired link", got, l, normPortalLink)
		_, _, err = h.s.PortalLinkOpen(h.ctx, tokenHash("forged"), tokenHash("session-2"), at(time.Minute))
		wantCode(t, err, webhook.ENOTFOUND, "PortalLinkOpen of an unknown token")
	})

	// Deleting a tenant ends its portal links and sessions, so that none
	// comes back to life when the tenant is created anew; another tenant's
	// stay.
	t.Run("TenantDelete", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for _, tenant := range []string{"acme", "globex"} {
			ok(t, h.s.TenantCreate(h.ctx, webhook.Tenant{ID: tenant, Name: tenant, CreatedAt: t0, UpdatedAt: t0}), "TenantCreate")
			ok(t, h.s.PortalLinkCreate(h.ctx, link(tenant), tokenHash("link-"+tenant)), "PortalLinkCreate")
			_, _, err := h.s.PortalLinkOpen(h.ctx, tokenHash("link-"+tenant), tokenHash("session-"+tenant), at(time.Minute))
			ok(t, err, "PortalLinkOpen")
		}
		ok(t, h.s.PortalLinkCreate(h.ctx, link("acme"), tokenHash("unopened-acme")), "PortalLinkCreate")
		_, err := h.s.TenantDelete(h.ctx, store.TenantDeleteParams{ID: "acme", Now: at(2 * time.Minute)})
		ok(t, err, "TenantDelete")
		_, err = h.s.PortalSessionGet(h.ctx, tokenHash("session-acme"))
		wantCode(t, err, webhook.ENOTFOUND, "PortalSessionGet of the deleted tenant's session")
		_, _, err = h.s.PortalLinkOpen(h.ctx, tokenHash("unopened-acme"), tokenHash("session-2"), at(3*time.Minute))
		wantCode(t, err, webhook.ENOTFOUND, "PortalLinkOpen of the deleted tenant's link")
		_, err = h.s.PortalSessionGet(h.ctx, tokenHash("session-globex"))
		ok(t, err, "PortalSessionGet of another tenant's session")
	})

	// Links that can no longer open and sessions that have ended are
	// deleted; the rest stay.
	t.Run("Expire", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for _, name := range []string{"unopened", "opened", "stale"} {
			ok(t, h.s.PortalLinkCreate(h.ctx, link("acme"), tokenHash(name)), "PortalLinkCreate")
		}
		_, _, err := h.s.PortalLinkOpen(h.ctx, tokenHash("opened"), tokenHash("session"), at(10*time.Minute))
		ok(t, err, "PortalLinkOpen")
		n, err := h.s.PortalLinkExpire(h.ctx, at(14*time.Minute))
		ok(t, err, "PortalLinkExpire before any expiry")
		if n != 0 {
			t.Errorf("PortalLinkExpire before any expiry: %d, want 0", n)
		}
		// At 15 min the unopened links expire; the session lasts to 1h10m.
		n, err = h.s.PortalLinkExpire(h.ctx, at(15*time.Minute))
		ok(t, err, "PortalLinkExpire")
		if n != 2 {
			t.Errorf("PortalLinkExpire at the links' expiry: %d, want 2", n)
		}
		_, err = h.s.PortalSessionGet(h.ctx, tokenHash("session"))
		ok(t, err, "PortalSessionGet of the live session")
		n, err = h.s.PortalLinkExpire(h.ctx, at(70*time.Minute))
		ok(t, err, "PortalLinkExpire at the session's end")
		if n != 1 {
			t.Errorf("PortalLinkExpire at the session's end: %d, want 1", n)
		}
		_, err = h.s.PortalSessionGet(h.ctx, tokenHash("session"))
		wantCode(t, err, webhook.ENOTFOUND, "PortalSessionGet of the ended session")
	})

	// Requests racing with one link: exactly one opens it.
	t.Run("Race", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		ok(t, h.s.PortalLinkCreate(h.ctx, link("acme"), tokenHash("link-1")), "PortalLinkCreate")
		const n = 8
		var wg sync.WaitGroup
		results := make(chan bool, n)
		for i := range n {
			wg.Go(func() {
				_, opened, err := h.s.PortalLinkOpen(h.ctx, tokenHash("link-1"),
					tokenHash("session-"+string(rune('a'+i))), at(time.Minute))
				if err != nil {
					t.Errorf("PortalLinkOpen: %v", err)
				}
				results <- opened
			})
		}
		wg.Wait()
		close(results)
		count := 0
		for o := range results {
			if o {
				count++
			}
		}
		if count != 1 {
			t.Errorf("%d racing opens succeeded, want 1", count)
		}
	})
}
