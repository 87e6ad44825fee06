package dispatch

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/webhook"
)

// startSpan starts the span of one attempt as a child of the span that
// published the event (stored with it), so a trace shows the publish and
// every attempt of every delivery, retries minutes later included.
func (d *Dispatcher) startSpan(ctx context.Context, t store.Task, number int) (context.Context, trace.Span) {
	ctx, span := d.cfg.Tracer.Start(tracing.WithParent(ctx, t.Event.TraceParent), "hookline.deliver",
		trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() { // attributes cost allocations on every attempt
		span.SetAttributes(
			attribute.String("hookline.event.id", t.Event.ID),
			attribute.String("hookline.event.type", t.Event.Type),
			attribute.String("hookline.delivery.id", t.Delivery.ID),
			attribute.String("hookline.webhook.id", t.Delivery.WebhookID),
			attribute.Int("hookline.attempt.number", number),
			attribute.String("http.request.method", "POST"),
		)
	}
	return ctx, span
}

// spanTarget names where the attempt goes: scheme, host and port only, as
// paths and queries of webhook URLs often hold tokens.
func spanTarget(span trace.Span, raw string) {
	if !span.IsRecording() {
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, _ := strconv.Atoi(port)
	span.SetAttributes(
		attribute.String("url.scheme", u.Scheme),
		attribute.String("server.address", u.Hostname()),
		attribute.Int("server.port", n),
	)
}

// outcomeNames name store.Outcome values in spans.
var outcomeNames = map[store.Outcome]string{
	store.OutcomeSucceeded: "succeeded",
	store.OutcomeRetry:     "retry",
	store.OutcomeFailed:    "failed",
}

// endSpan records what the attempt came to (the caller ends the span).
func endSpan(span trace.Span, a *webhook.Attempt, outcome store.Outcome, next time.Time, disable string) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(
		attribute.String("hookline.attempt.id", a.ID),
		attribute.String("hookline.outcome", outcomeNames[outcome]),
	)
	if a.StatusCode != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", a.StatusCode))
	}
	if !next.IsZero() {
		span.SetAttributes(attribute.String("hookline.retry_at", next.UTC().Format(time.RFC3339Nano)))
	}
	if disable != "" {
		span.AddEvent("webhook disabled", trace.WithAttributes(attribute.String("hookline.reason", disable)))
	}
	if !a.Success() {
		span.SetAttributes(attribute.String("error.type", string(a.ErrorClass)))
		span.SetStatus(codes.Error, a.Error)
	}
}
