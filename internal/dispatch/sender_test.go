package dispatch_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// queueSender is a destination type that exists only in this test: it
// "publishes" to an in-memory queue, refusing the first try of each event
// (a broker's nack), so both its verdicts go through the dispatcher.
type queueSender struct {
	mu    sync.Mutex
	tries map[string]int
	got   chan deliver.Task
}

func (q *queueSender) Send(_ context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	q.mu.Lock()
	q.tries[t.Event.ID]++
	n := q.tries[t.Event.ID]
	q.mu.Unlock()
	a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: t.DeliveryID,
		WebhookID: t.Webhook.ID, EventID: t.Event.ID, EventType: t.Event.Type, Number: t.Number,
		StartedAt: time.Now()}
	if n == 1 {
		a.ErrorClass, a.Error = webhook.ErrClassConnection, "nack: queue full"
		return a, deliver.Verdict{Kind: deliver.RetryAfter, After: time.Millisecond, Reason: a.Error}
	}
	a.StatusCode = 200 // what the attempt log and stats count as delivered
	q.got <- t
	return a, deliver.Verdict{Kind: deliver.Delivered}
}

var testQueue = &queueSender{tries: map[string]int{}, got: make(chan deliver.Task, 10)}

func init() {
	deliver.Register("test-queue", func(deliver.Config) (deliver.Sender, error) { return testQueue, nil })
}

// TestRegisteredSenderPlugsIn: a destination type is one registration; the
// dispatcher routes a webhook of that type to it and applies its verdicts
// (here a retry-after, then delivered) like HTTP's, while HTTP webhooks
// keep going to the HTTP sender.
func TestRegisteredSenderPlugsIn(t *testing.T) {
	t.Parallel()
	senders, err := deliver.Open(deliver.Config{Client: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	if !senders.Known("test-queue") || !senders.Known("http") || senders.Known("smtp") {
		t.Fatalf("Known: test-queue %v, http %v, smtp %v", senders.Known("test-queue"), senders.Known("http"),
			senders.Known("smtp"))
	}
	h := newHarness(t, "http://127.0.0.1:1", 0, dispatch.Config{Sender: senders, RetrySchedule: []time.Duration{time.Hour}})
	w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "queue",
		URL: "http://127.0.0.1:1/unused", Events: []string{"t"}, Active: true, Format: webhook.FormatEnvelope,
		Destination: webhook.Destination{Type: "test-queue"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := h.store.WebhookCreate(context.Background(), w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		t.Fatal(err)
	}
	h.publish()
	var got deliver.Task
	select {
	case got = <-testQueue.got:
	case <-time.After(30 * time.Second):
		t.Fatalf("the test-queue sender never delivered; pending:\n%s", pending(t, h.store))
	}
	if got.Webhook.ID != w.ID || got.Number != 2 {
		t.Fatalf("delivered %+v, want webhook %s on attempt 2 (after the retry-after)", got, w.ID)
	}
	// The retry-after replaced the one-hour schedule; the second attempt
	// delivered, and the result was stored.
	deadline := time.After(30 * time.Second)
	for {
		page, err := h.store.DeliveryList(context.Background(), store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Deliveries) == 1 && page.Deliveries[0].Status == webhook.DeliverySucceeded {
			if page.Deliveries[0].Attempts != 2 {
				t.Fatalf("attempts = %d, want 2", page.Deliveries[0].Attempts)
			}
			return
		}
		select {
		case <-deadline:
			t.Fatalf("delivery not stored as succeeded: %+v", page.Deliveries)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
