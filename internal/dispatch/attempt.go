package dispatch

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/retry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/webhook"
)

// run makes one attempt of a task and hands its result to the recorder,
// or gives the delivery back at once when it cannot be attempted now. It
// returns what the attempt tells the lane's breaker. tk is what the
// scheduler said when it handed the task out: the start time its rate
// limiter counted, and whether that limit made the attempt wait.
func (d *Dispatcher) run(ctx context.Context, t store.Task, tk ticket) result {
	id := t.Delivery.ID
	if !d.leaseOutlastsAttempt(ctx, id) {
		return resultNone
	}
	number := t.Delivery.Attempts + 1
	ctx, span := d.startSpan(ctx, t, number)
	defer span.End()
	h, err := d.hooks.get(ctx, t.Delivery.WebhookID)
	if err == nil && h.webhook.Active {
		d.followRate(h.webhook)
		return d.send(ctx, span, t, h, number, tk)
	}
	if ctx.Err() != nil {
		d.leases.forget(id) // shutting down: Run releases every lease
		return resultNone
	}
	if err != nil && webhook.ErrorCode(err) != webhook.ENOTFOUND {
		// Storage trouble: give the delivery back now rather than hold
		// it until its lease runs out; the poller claims it again.
		d.cfg.Logger.Warn("loading webhook failed; released the delivery", "webhook_id", t.Delivery.WebhookID,
			"delivery_id", id, "err", err)
		tracing.Fail(span, err, false)
		d.release(ctx, id)
		return resultNone
	}
	destination := webhook.DestinationHTTP // a deleted webhook's type is not known any more
	if err == nil {
		destination = deliver.TypeOf(h.webhook)
	}
	a := webhook.Attempt{
		ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: id,
		WebhookID: t.Delivery.WebhookID, EventID: t.Event.ID, EventType: t.Event.Type,
		Number: number, StartedAt: d.cfg.Now(), ErrorClass: webhook.ErrClassCancelled,
		Error: "not sent: the webhook is disabled or deleted", Destination: destination,
		Answer: webhook.ErrClassCancelled.Answer(),
	}
	d.finish(span, t, a, store.OutcomeFailed, time.Time{}, "", false)
	return resultNone
}

// leaseOutlastsAttempt makes sure the delivery's lease lasts until an
// attempt started now would end, renewing it if not. It reports false
// when the delivery must not be sent: its lease was lost (another claim
// has it) or could not be renewed (it is released, or runs out if storage
// is down).
func (d *Dispatcher) leaseOutlastsAttempt(ctx context.Context, id string) bool {
	l, ok := d.leases.get(id)
	if !ok {
		return false // lost while it waited
	}
	need := d.cfg.Now().Add(d.cfg.AttemptTimeout)
	if l.Until.After(need) {
		return true
	}
	lost, err := d.leases.renew(ctx, need.Add(time.Microsecond), id)
	if err != nil {
		d.cfg.Logger.Warn("renewing a lease before its attempt failed; released the delivery", "delivery_id", id, "err", err)
		d.release(ctx, id)
		return false
	}
	return lost == 0
}

// release gives a delivery back for claiming at once.
func (d *Dispatcher) release(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.leases.release(ctx, id); err != nil {
		d.cfg.Logger.Warn("releasing a delivery failed; its lease will run out", "delivery_id", id, "err", err)
	}
	d.Wake()
}

// send makes the attempt through the sender and applies its verdict.
func (d *Dispatcher) send(ctx context.Context, span trace.Span, t store.Task, h *cachedHook, number int, tk ticket) result {
	spanTarget(span, h.webhook.URL)
	a, v := d.cfg.Sender.Send(ctx, deliver.Task{
		Webhook: h.webhook, Signer: h.signer, Event: t.Event, DeliveryID: t.Delivery.ID, Number: number,
		Start: tk.start,
	})
	if ctx.Err() != nil && v.Kind != deliver.Delivered {
		// Cut short by shutdown: not the endpoint's fault; the released
		// lease makes it run again.
		span.SetAttributes(attribute.String("hookline.outcome", "interrupted"))
		d.leases.forget(t.Delivery.ID)
		return resultNone
	}
	// A recovered delivery has the whole schedule again: its retries
	// count from the attempts it had when it was recovered.
	outcome, next, disable := d.apply(v, number-t.Delivery.RetryBase)
	d.finish(span, t, a, outcome, next, disable, tk.throttled)
	if v.Down {
		return resultDown
	}
	return resultUp
}

// apply turns a sender's verdict into the delivery's next step after its
// attempt number `number` of the schedule: the retry schedule bounds the number of attempts, and a wait the destination asked
// for replaces the scheduled one (within retry.MinAfter..MaxAfter).
func (d *Dispatcher) apply(v deliver.Verdict, number int) (store.Outcome, time.Time, string) {
	switch v.Kind {
	case deliver.Delivered:
		return store.OutcomeSucceeded, time.Time{}, ""
	case deliver.Disable:
		return store.OutcomeFailed, time.Time{}, v.Reason
	case deliver.Permanent:
		return store.OutcomeFailed, time.Time{}, ""
	}
	delay, ok := retry.NextRetry(d.cfg.RetrySchedule, number, retry.Rand())
	if !ok {
		return store.OutcomeFailed, time.Time{}, ""
	}
	if v.Kind == deliver.RetryAfter {
		delay = retry.ClampAfter(v.After)
	}
	return store.OutcomeRetry, d.cfg.Now().Add(delay), ""
}

// finish reports an attempt and queues its result for storing.
func (d *Dispatcher) finish(span trace.Span, t store.Task, a webhook.Attempt, outcome store.Outcome, next time.Time, disable string, throttled bool) {
	if a.Outcome != webhook.OutcomeSkipped {
		// A delivery its transform cancelled succeeded with nothing sent;
		// its attempt says so.
		a.Outcome = store.OutcomeName(outcome, disable)
	}
	endSpan(span, &a, outcome, next, disable)
	d.logAttempt(span, &a, outcome, next, disable)
	if disable != "" {
		// Until the recorder has stored the disable, the database still
		// says active: keep the cached copy, marked off, so queued
		// deliveries to this webhook are not sent.
		w := d.hooks.disable(a.WebhookID, disable)
		if f := d.cfg.Observer.Disabled; f != nil && w.ID != "" {
			f(w, disable)
		}
	}
	if f := d.cfg.Observer.Attempt; f != nil {
		f(&a, outcome)
	}
	d.rec.add(store.AttemptResult{Attempt: a, Outcome: outcome, NextAttemptAt: next, DisableReason: disable,
		Lease: t.Lease, Throttled: throttled}, t.Delivery.Sequence > 0)
}
