package storetest

import (
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testDestinations: a webhook's destination configuration is stored as
// given (its URL's password included: the backends seal it, which the
// backends' own tests check on the raw rows), changed, and cleared by
// going back to HTTP.
func testDestinations(t *testing.T, open Opener) {
	t.Run("Stored", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		d := webhook.Destination{Type: "rabbitmq", URL: "amqp://app:pw@broker.example:5672/vh",
			Exchange: "events", RoutingKey: "hookline"}
		w := h.createWebhook(func(w *webhook.Webhook) { w.Destination = d })
		if got := h.webhook(w.ID).Destination; !got.Equal(d) {
			t.Fatalf("destination read back as %+v, want %+v", got, d)
		}
		w.Destination = webhook.Destination{Type: "redis", URL: "redis://:pw@cache.example:6379/2", Stream: "events", MaxLen: 1000}
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
		if got := h.webhook(w.ID).Destination; !got.Equal(w.Destination) {
			t.Fatalf("destination after update %+v, want %+v", got, w.Destination)
		}
		// Kafka's: a list of brokers, flags and a sealed password.
		w.Destination = webhook.Destination{Type: "kafka", Brokers: []string{"k1.example:9092", "k2.example:9093"},
			Topic: "orders", KeyPath: "data.customer.id", TLS: true, SASLMechanism: "scram-sha-512",
			Username: "app", Password: "pw"}
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
		if got := h.webhook(w.ID).Destination; !got.Equal(w.Destination) {
			t.Fatalf("kafka destination after update %+v, want %+v", got, w.Destination)
		}
		w.Destination = webhook.Destination{Type: webhook.DestinationHTTP}
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
		page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), Limit: 10})
		ok(t, err, "WebhookList")
		if len(page.Webhooks) != 1 || !page.Webhooks[0].Destination.Equal(w.Destination) {
			t.Errorf("listed %+v, want destination %+v", page.Webhooks, w.Destination)
		}
	})
}
