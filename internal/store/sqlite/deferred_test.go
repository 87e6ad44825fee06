package sqlite_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// A tenant whose row the writer remembers making is forgotten when it is
// deleted: the next event of that tenant makes the row again.
func TestDeletedTenantComesBackWithItsNextEvent(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "hookline.db"))
	ctx := t.Context()
	publish := func(at time.Time) {
		t.Helper()
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: "acme", Type: "order.created",
			Data: json.RawMessage(`{}`), CreatedAt: at}
		if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev}); err != nil {
			t.Fatalf("EventCreate: %v", err)
		}
	}
	publish(t0)
	if _, err := s.TenantGet(ctx, "acme"); err != nil {
		t.Fatalf("TenantGet after the first event: %v", err)
	}
	if _, err := s.TenantDelete(ctx, store.TenantDeleteParams{ID: "acme", Now: t0.Add(time.Second)}); err != nil {
		t.Fatalf("TenantDelete: %v", err)
	}
	if _, err := s.TenantGet(ctx, "acme"); err == nil {
		t.Fatal("TenantGet after the delete: found")
	}
	publish(t0.Add(2 * time.Second))
	if _, err := s.TenantGet(ctx, "acme"); err != nil {
		t.Errorf("TenantGet after an event of the deleted tenant: %v", err)
	}
}

// Results skip the FIFO promotion while no FIFO delivery is pending; a
// store opened on a database that holds some still promotes the next of
// a key when its head ends.
func TestFIFOPromotedAfterReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s := openStore(t, path)
	ctx := t.Context()
	w := newWebhook()
	w.Ordering, w.OrderingKey = webhook.OrderingFIFO, "data.k"
	if err := s.WebhookCreate(ctx, w, "whsec_fifo"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	lease := store.Lease{Owner: "node-1", Until: t0.Add(time.Minute)}
	var ds []webhook.Delivery
	for i := range 2 {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "order.created",
			Data: json.RawMessage(`{"k":"a"}`), CreatedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev, Lease: &store.LeaseRequest{Lease: lease}})
		if err != nil || len(res.Deliveries) != 1 {
			t.Fatalf("EventCreate %d: %d deliveries, %v", i, len(res.Deliveries), err)
		}
		ds = append(ds, res.Deliveries[0])
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, path)
	start := t0.Add(time.Second)
	a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: ds[0].ID, WebhookID: w.ID,
		EventID: ds[0].EventID, EventType: "order.created", Number: 1, StartedAt: start, DurationMS: 5,
		StatusCode: 204, RequestBody: []byte(`{}`), ResponseBody: []byte{}}
	if err := s.AttemptRecord(ctx, []store.AttemptResult{{Attempt: a, Outcome: store.OutcomeSucceeded, Lease: lease}}); err != nil {
		t.Fatalf("AttemptRecord: %v", err)
	}
	next, err := s.DeliveryGet(ctx, auth.AllTenants(), ds[1].ID)
	if err != nil {
		t.Fatalf("DeliveryGet: %v", err)
	}
	if next.NextAttemptAt == nil {
		t.Errorf("the key's next delivery is not due after its head succeeded (stored before the reopen)")
	}
}
