package maintain

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
)

func openStore(t *testing.T) *sqlite.Store { return sqlitetest.Open(t) }

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func seed(t *testing.T, s *sqlite.Store, ctx context.Context) webhook.Webhook {
	t.Helper()
	if err := s.EventTypeSeed(ctx, []webhook.EventType{{Slug: "a", Name: "A", Example: []byte(`{}`), CreatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: "default", Name: "w", URL: "http://x.example/",
		Events: []string{"a"}, Active: true, Format: webhook.FormatEnvelope, Integration: "manual", CreatedAt: t0, UpdatedAt: t0}
	if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
		t.Fatal(err)
	}
	return w
}

// publishAt stores an event created at `at` and records one attempt for its
// delivery with the given outcome.
func publishAt(t *testing.T, s *sqlite.Store, ctx context.Context, at time.Time, outcome store.Outcome) webhook.Event {
	t.Helper()
	ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "default", Type: "a", Data: []byte(`{"k":1}`), CreatedAt: at}
	res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: at})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("EventCreate: %v (%d deliveries)", err, len(res.Deliveries))
	}
	d := res.Deliveries[0]
	status := 200
	class := webhook.ErrClassNone
	if outcome != store.OutcomeSucceeded {
		status, class = 500, webhook.ErrClassHTTPStatus
	}
	a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: d.WebhookID,
		EventID: ev.ID, EventType: "a", Number: 1, StartedAt: at, StatusCode: status, ErrorClass: class,
		RequestBody: []byte("req"), ResponseBody: []byte("resp")}
	r := store.AttemptResult{Attempt: a, Outcome: outcome}
	if outcome == store.OutcomeRetry {
		r.NextAttemptAt = at.Add(time.Hour)
	}
	if err := s.AttemptRecord(ctx, []store.AttemptResult{r}); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestAutoDisable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	w := seed(t, s, ctx)
	publishAt(t, s, ctx, t0, store.OutcomeRetry)
	var disabled []string
	cfg := Config{Store: s, Owner: "me", AutoDisableAfter: 5 * 24 * time.Hour,
		Disabled: func(_ context.Context, w webhook.Webhook, _ string) { disabled = append(disabled, w.ID) }}

	cfg.Now = func() time.Time { return t0.Add(4 * 24 * time.Hour) }
	Round(ctx, cfg)
	if got, _ := s.WebhookGet(ctx, auth.AllTenants(), w.ID); !got.Active {
		t.Fatal("disabled after 4 days of failures, want only after 5")
	}
	cfg.Now = func() time.Time { return t0.Add(6 * 24 * time.Hour) }
	Round(ctx, cfg)
	got, _ := s.WebhookGet(ctx, auth.AllTenants(), w.ID)
	if got.Active || got.DisabledReason == "" {
		t.Fatalf("after 6 days of failures: active=%v reason=%q, want disabled with a reason", got.Active, got.DisabledReason)
	}
	if len(disabled) != 1 || disabled[0] != w.ID {
		t.Fatalf("Disabled hook called with %v", disabled)
	}
}

func TestRetentionKeepsRecentRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	seed(t, s, ctx)
	old := publishAt(t, s, ctx, t0, store.OutcomeSucceeded)
	pending := publishAt(t, s, ctx, t0, store.OutcomeRetry)
	recent := publishAt(t, s, ctx, t0.Add(29*24*time.Hour), store.OutcomeSucceeded)

	cfg := Config{Store: s, Owner: "me", Retention: 30 * 24 * time.Hour,
		Now: func() time.Time { return t0.Add(31 * 24 * time.Hour) }}
	Round(ctx, cfg)
	if _, err := s.EventGet(ctx, auth.AllTenants(), old.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("old delivered event: err = %v, want it deleted", err)
	}
	if _, err := s.EventGet(ctx, auth.AllTenants(), pending.ID); err != nil {
		t.Errorf("old event with a pending delivery was deleted: %v", err)
	}
	if _, err := s.EventGet(ctx, auth.AllTenants(), recent.ID); err != nil {
		t.Errorf("recent event was deleted: %v", err)
	}
}

func TestOnlyTheLeaderWorks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	w := seed(t, s, ctx)
	publishAt(t, s, ctx, t0, store.OutcomeRetry)
	now := func() time.Time { return t0.Add(6 * 24 * time.Hour) }
	if ok, err := s.LeaderAcquire(ctx, "maintenance", "other", now(), now().Add(time.Hour)); !ok || err != nil {
		t.Fatalf("LeaderAcquire: %v %v", ok, err)
	}
	Round(ctx, Config{Store: s, Owner: "me", AutoDisableAfter: time.Hour, Interval: time.Minute, Now: now})
	if got, _ := s.WebhookGet(ctx, auth.AllTenants(), w.ID); !got.Active {
		t.Fatal("a non-leader did the upkeep")
	}
}

// A round deletes portal links that can no longer open; a live one stays.
func TestPortalLinksExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	now := t0
	ps := auth.NewPortals(auth.PortalsConfig{Store: s, Audit: s, Now: func() time.Time { return now }})
	_, spent, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(auth.PortalOpenTTL)
	_, live, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	Round(ctx, Config{Store: s, Owner: "me", Now: func() time.Time { return now }})
	if _, _, err := s.PortalLinkOpen(ctx, auth.Hash(spent), auth.Hash("s1"), now); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("the expired link after a round: %v, want it deleted", err)
	}
	if _, opened, err := s.PortalLinkOpen(ctx, auth.Hash(live), auth.Hash("s2"), now); err != nil || !opened {
		t.Errorf("the live link after a round: opened %v, %v", opened, err)
	}
}
