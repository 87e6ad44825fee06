package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// oneHookStore serves any webhook ID as an active webhook.
type oneHookStore struct{ Store }

func (oneHookStore) WebhookGet(_ context.Context, _ auth.Scope, id string) (webhook.Webhook, error) {
	return webhook.Webhook{ID: id, Active: true}, nil
}

func (oneHookStore) WebhookSecrets(context.Context, auth.Scope, string, time.Time) ([]webhook.Secret, error) {
	return []webhook.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nil
}

// BenchmarkRates is what every hand-over after a publish pays to learn its
// webhooks' rate limits, with the webhooks cached (the steady state).
func BenchmarkRates(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(map[int]string{1: "webhooks=1", 10: "webhooks=10"}[n], func(b *testing.B) {
			d := &Dispatcher{hooks: newHookCache(oneHookStore{}, time.Hour, time.Now)}
			tasks := make([]store.Task, n)
			for i := range tasks {
				tasks[i].Delivery.WebhookID = webhook.NewID(webhook.PrefixWebhook)
			}
			d.rates(tasks) // fills the cache
			b.ReportAllocs()
			for b.Loop() {
				d.rates(tasks)
			}
		})
	}
}
