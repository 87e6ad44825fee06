package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// receive returns the next payload from ch, failing t if none comes.
func receive(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("no notification: %s", what)
		return ""
	}
}

// listen runs s.Listen on channel until t ends and returns its payloads.
func listen(t *testing.T, s *postgres.Store, channel string) <-chan string {
	t.Helper()
	ch := make(chan string, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, channel, func(p string) { ch <- p }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: %v", err)
		}
	})
	return ch
}

func TestListen(t *testing.T) {
	t.Parallel()
	// A long schema name (Open creates it): the channel names are then
	// hashed to fit.
	schema := pgtest.SchemaName(t, "hl_"+strings.Repeat("x", 40))
	s := openStore(t, pgtest.URL(), schema)
	ctx := t.Context()

	t.Run("WorkAfterEventCreate", func(t *testing.T) {
		work := listen(t, s, postgres.ChannelWork)
		if p := receive(t, work, "listener ready"); p != "" {
			t.Fatalf("first call: payload %q, want the empty ready signal", p)
		}
		if err := s.WebhookCreate(ctx, newWebhook(), "whsec_x"); err != nil {
			t.Fatalf("WebhookCreate: %v", err)
		}
		ev := newEvent("")
		if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev}); err != nil {
			t.Fatalf("EventCreate: %v", err)
		}
		receive(t, work, "after EventCreate")
		// Sent after commit: what woke us is there to be read.
		if _, err := s.EventGet(ctx, auth.AllTenants(), ev.ID); err != nil {
			t.Errorf("EventGet after the notification: %v", err)
		}
	})

	// With sharding known, the notification names the shards whose
	// owners must claim what ingest did not lease, so that the other
	// instances need not wake.
	t.Run("WorkNamesOwners", func(t *testing.T) {
		own := openStore(t, pgtest.URL(), pgtest.NewSchema(t))
		work := listen(t, own, postgres.ChannelWork)
		receive(t, work, "listener ready")
		const shards = 4
		want := map[int]bool{}
		// Six webhooks, and more until one is not shard 0's.
		for i := 0; i < 6 || len(want) == 0; i++ {
			w := newWebhook()
			if err := own.WebhookCreate(ctx, w, "whsec_x"); err != nil {
				t.Fatal(err)
			}
			var owner int
			if err := pgtest.Admin(t).QueryRow(ctx, `SELECT (abs(hashtext($1)::bigint) % $2)::int`, w.ID, shards).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			if owner != 0 {
				want[owner] = true // shard 0's are leased at ingest below
			}
		}
		lease := &store.LeaseRequest{Lease: store.NewLease("me", t0, time.Hour), Shards: shards, Shard: 0}
		if _, err := own.EventCreate(ctx, store.EventCreateParams{Event: newEvent(""), Lease: lease}); err != nil {
			t.Fatal(err)
		}
		p := receive(t, work, "after EventCreate")
		for shard := range shards {
			if got := postgres.WorkConcerns(p, shards, shard); got != want[shard] {
				t.Errorf("payload %q concerns shard %d: %v, want %v (owners of unleased work: %v)", p, shard, got, want[shard], want)
			}
		}
	})

	t.Run("WebhooksScopedToSchema", func(t *testing.T) {
		hooks := listen(t, s, postgres.ChannelWebhooks)
		receive(t, hooks, "listener ready")
		other := openStore(t, pgtest.URL(), pgtest.NewSchema(t))
		// Committed first: if channels leaked across schemas, its notice
		// would arrive first.
		if err := other.WebhookCreate(ctx, newWebhook(), "whsec_x"); err != nil {
			t.Fatalf("WebhookCreate in another schema: %v", err)
		}
		w := newWebhook()
		if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
			t.Fatalf("WebhookCreate: %v", err)
		}
		if p := receive(t, hooks, "after WebhookCreate"); p != w.ID {
			t.Errorf("payload %q, want the webhook ID %s", p, w.ID)
		}
		if err := s.WebhookDisable(ctx, auth.AllTenants(), w.ID, "gone", t0); err != nil {
			t.Fatalf("WebhookDisable: %v", err)
		}
		if p := receive(t, hooks, "after WebhookDisable"); p != w.ID {
			t.Errorf("payload %q, want the webhook ID %s", p, w.ID)
		}
	})
}

func TestListenReconnects(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	prx, viaProxy := startProxy(t)
	listener := openStore(t, viaProxy, schema)
	writer := openStore(t, pgtest.URL(), schema)
	hooks := listen(t, listener, postgres.ChannelWebhooks)
	receive(t, hooks, "listener ready")

	prx.Drop()
	if p := receive(t, hooks, "ready again after the connection dropped"); p != "" {
		t.Fatalf("payload %q, want the empty signal that follows a reconnection", p)
	}
	w := newWebhook()
	if err := writer.WebhookCreate(t.Context(), w, "whsec_x"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	if p := receive(t, hooks, "after reconnecting"); p != w.ID {
		t.Errorf("payload %q, want %s", p, w.ID)
	}
}
