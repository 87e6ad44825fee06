package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// TestResult is what a test send shows the user.
type TestResult struct {
	Attempt webhook.Attempt
}

// SendTest delivers the example payload of eventType (default: the
// webhook's first subscribed type) to the webhook now, synchronously, and
// logs the attempt as a test. It works on inactive webhooks too: testing
// one before turning it on is the point.
func (r *Registry) SendTest(ctx context.Context, id, eventType string) (webhook.Attempt, error) {
	w, err := r.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), id)
	if err != nil {
		return webhook.Attempt{}, err
	}
	if eventType == "" {
		eventType = w.Events[0]
		if eventType == webhook.AllEvents {
			types, err := r.cfg.Store.EventTypeList(ctx)
			if err != nil {
				return webhook.Attempt{}, err
			}
			if len(types) == 0 {
				return webhook.Attempt{}, webhook.FieldError(webhook.EUNPROCESSABLE, "event_type", "the catalog is empty")
			}
			eventType = types[0].Slug
		}
	}
	et, err := r.cfg.Store.EventTypeGet(ctx, eventType)
	if webhook.ErrorCode(err) == webhook.ENOTFOUND {
		return webhook.Attempt{}, webhook.FieldError(webhook.EUNPROCESSABLE, "event_type", "unknown event type %q", eventType)
	}
	if err != nil {
		return webhook.Attempt{}, err
	}
	secrets, err := r.cfg.Store.WebhookSecrets(ctx, auth.ScopeFrom(ctx), id, r.cfg.Now())
	if err != nil {
		return webhook.Attempt{}, err
	}
	values := make([]string, len(secrets))
	for i, s := range secrets {
		values[i] = s.Value
	}
	signer, err := signing.NewSigner(values)
	if err != nil {
		return webhook.Attempt{}, err
	}
	ev := webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: w.Tenant, Type: et.Slug,
		Data: et.Example, CreatedAt: r.cfg.Now().UTC(),
	}
	// The same sender as real deliveries: what the endpoint answers here
	// is what it will answer them. A test send is never retried: it was
	// delivered or it failed.
	a, v := r.cfg.Sender.Send(ctx, deliver.Task{Webhook: w, Signer: signer, Event: ev, Number: 1, Test: true})
	switch {
	case a.Outcome == webhook.OutcomeSkipped:
		// The webhook's transform cancelled it: nothing was sent.
	case v.Kind == deliver.Delivered:
		a.Outcome = webhook.OutcomeDelivered
	default:
		a.Outcome = webhook.OutcomeFailed
	}
	if err := r.cfg.Store.AttemptRecord(ctx, []store.AttemptResult{{Attempt: a}}); err != nil {
		return a, err
	}
	r.audit(ctx, "webhook.test", id, et.Slug+": "+testOutcome(a))
	return a, nil
}

// Replay re-delivers the webhook's events since the given time.
func (r *Registry) Replay(ctx context.Context, id string, since time.Time) (int, error) {
	now := r.cfg.Now()
	if since.After(now) {
		return 0, webhook.FieldError(webhook.EINVALID, "since", "is in the future")
	}
	n, err := r.cfg.Store.WebhookReplay(ctx, auth.ScopeFrom(ctx), id, since, now)
	if err != nil {
		return 0, err
	}
	r.audit(ctx, "webhook.replay", id, fmt.Sprintf("%d events since %s", n, since.Format(time.RFC3339)))
	return n, nil
}

// Retry makes a delivery due now, whatever its state.
func (r *Registry) Retry(ctx context.Context, id string) (webhook.Delivery, error) {
	d, err := r.cfg.Store.DeliveryRetry(ctx, auth.ScopeFrom(ctx), id, r.cfg.Now())
	if err != nil {
		return d, err
	}
	r.audit(ctx, "delivery.retry", id, "")
	return d, nil
}

func testOutcome(a webhook.Attempt) string {
	if a.Outcome == webhook.OutcomeSkipped {
		return "skipped by the transform"
	}
	if a.Success() {
		return fmt.Sprintf("succeeded (%d)", a.StatusCode)
	}
	if a.StatusCode != 0 {
		return fmt.Sprintf("failed (%d)", a.StatusCode)
	}
	return "failed (" + string(a.ErrorClass) + ")"
}
