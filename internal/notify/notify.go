// Package notify turns operational incidents (a webhook auto-disabled, a
// delivery that finally failed, a growing backlog) into events of built-in
// types, so operators route them to Slack or e-mail with the same webhooks
// as everything else. They are recorded like any event and the dashboard
// shows recent ones as a banner.
package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Built-in notification event types.
const (
	TypeWebhookDisabled = "hookline.webhook.disabled"
	TypeDeliveryFailed  = "hookline.delivery.failed"
	TypeBacklogHigh     = "hookline.backlog.high"
)

// Prefix starts every notification type; deliveries of such events never
// cause notifications themselves (no loops). They go to the operator only
// (see webhook.OperatorEventPrefix).
const Prefix = webhook.OperatorEventPrefix

// Types returns the catalog entries of the notification types.
func Types(now time.Time) []webhook.EventType {
	return []webhook.EventType{
		{Slug: TypeWebhookDisabled, Name: "Webhook disabled",
			Description: "Hookline turned a webhook off: its endpoint answered 410 Gone, or every delivery failed for longer than the auto-disable period.",
			Example:     json.RawMessage(`{"webhook_id":"wh_01j9z3k4m5n6p7q8r9s0t1v2w3","name":"CRM sync","url":"https://crm.example.com/hooks","tenant":"default","reason":"endpoint answered 410 Gone"}`),
			CreatedAt:   now},
		{Slug: TypeDeliveryFailed, Name: "Delivery failed",
			Description: "A delivery used up its retries (or was stopped) without a 2xx answer.",
			Example:     json.RawMessage(`{"delivery_id":"dlv_01j9z3k4m5n6p7q8r9s0t1v2w3","event_id":"evt_01j9z3k4m5n6p7q8r9s0t1v2w3","event_type":"payment_received","webhook_id":"wh_01j9z3k4m5n6p7q8r9s0t1v2w3","attempts":8,"last_status_code":500,"last_error":"endpoint answered 500 Internal Server Error"}`),
			CreatedAt:   now},
		{Slug: TypeBacklogHigh, Name: "Delivery backlog high",
			Description: "More deliveries are pending than the configured threshold: receivers are down or slow, or Hookline needs more capacity.",
			Example:     json.RawMessage(`{"pending":25000,"threshold":10000}`),
			CreatedAt:   now},
	}
}

// Publisher stores an event (ingest).
type Publisher interface {
	Publish(ctx context.Context, in ingest.Input) (store.EventCreateResult, error)
}

// Notifier publishes notifications in the background: callers on the
// delivery path never wait for a database write, and a flood is dropped
// (and logged) rather than queued without bound.
type Notifier struct {
	pub Publisher
	log *slog.Logger
	ch  chan ingest.Input

	mu          sync.Mutex
	lastBacklog time.Time
}

// backlogEvery spaces backlog notifications while the backlog stays high.
const backlogEvery = time.Hour

// New returns a Notifier; call Run to start it.
func New(pub Publisher, log *slog.Logger) *Notifier {
	return &Notifier{pub: pub, log: log, ch: make(chan ingest.Input, 1024)}
}

// Run publishes queued notifications until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-n.ch:
			if _, err := n.pub.Publish(ctx, in); err != nil && ctx.Err() == nil {
				n.log.Warn("publishing a notification failed", "type", in.Type, "err", err)
			}
		}
	}
}

func (n *Notifier) send(typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	select {
	case n.ch <- ingest.Input{Type: typ, Data: b}:
	default:
		n.log.Warn("notification dropped: too many at once", "type", typ)
	}
}

// WebhookDisabled announces that Hookline turned a webhook off.
func (n *Notifier) WebhookDisabled(w webhook.Webhook, reason string) {
	n.send(TypeWebhookDisabled, map[string]any{
		"webhook_id": w.ID, "name": w.Name, "url": w.URL, "tenant": w.Tenant, "reason": reason,
	})
}

// DeliveryFailed announces a delivery's final failure (not for deliveries
// of notifications themselves).
func (n *Notifier) DeliveryFailed(a *webhook.Attempt) {
	if strings.HasPrefix(a.EventType, Prefix) || a.Test {
		return
	}
	n.send(TypeDeliveryFailed, map[string]any{
		"delivery_id": a.DeliveryID, "event_id": a.EventID, "event_type": a.EventType,
		"webhook_id": a.WebhookID, "attempts": a.Number, "last_status_code": a.StatusCode, "last_error": a.Error,
	})
}

// Backlog announces a high backlog, at most once an hour.
func (n *Notifier) Backlog(pending, threshold int64, now time.Time) {
	n.mu.Lock()
	due := now.Sub(n.lastBacklog) >= backlogEvery
	if due {
		n.lastBacklog = now
	}
	n.mu.Unlock()
	if due {
		n.send(TypeBacklogHigh, map[string]any{"pending": pending, "threshold": threshold})
	}
}
