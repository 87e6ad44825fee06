package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// logAttempt logs an attempt with every id needed to find it again (and
// the trace id when tracing is on): each attempt at debug level, a
// delivery that finally failed or a webhook that was disabled at warn.
// Final failures are limited per webhook, so a dead endpoint with a
// thousand deliveries a second logs one line a minute, not a thousand.
func (d *Dispatcher) logAttempt(span trace.Span, a *webhook.Attempt, outcome store.Outcome, next time.Time, disable string) {
	lvl := slog.LevelDebug
	msg := "attempt"
	switch {
	case disable != "":
		lvl, msg = slog.LevelWarn, "webhook disabled by its endpoint's answer"
	case outcome == store.OutcomeFailed:
		lvl, msg = slog.LevelWarn, "delivery failed after its last attempt"
	}
	ctx := context.Background()
	if !d.cfg.Logger.Enabled(ctx, lvl) {
		return
	}
	var suppressed int
	if lvl == slog.LevelWarn && disable == "" {
		var ok bool
		if ok, suppressed = d.failLog.allow(a.WebhookID, d.cfg.Now()); !ok {
			return
		}
	}
	attrs := []slog.Attr{
		slog.String("delivery_id", a.DeliveryID), slog.String("event_id", a.EventID),
		slog.String("event_type", a.EventType), slog.String("webhook_id", a.WebhookID),
		slog.String("attempt_id", a.ID), slog.Int("attempt", a.Number),
		slog.Int("status", a.StatusCode), slog.Float64("duration_ms", a.DurationMS),
		slog.String("outcome", outcomeNames[outcome]),
	}
	if a.ErrorClass != "" {
		attrs = append(attrs, slog.String("error_class", string(a.ErrorClass)), slog.String("error", a.Error))
	}
	if !next.IsZero() {
		attrs = append(attrs, slog.Time("retry_at", next))
	}
	if disable != "" {
		attrs = append(attrs, slog.String("reason", disable))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("similar_not_logged", suppressed))
	}
	if sc := span.SpanContext(); sc.IsValid() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	d.cfg.Logger.LogAttrs(ctx, lvl, msg, attrs...)
}

// logLimit lets one line per key through per interval and counts the rest.
type logLimit struct {
	every time.Duration
	mu    sync.Mutex
	seen  map[string]*logSeen
}

type logSeen struct {
	last       time.Time
	suppressed int
}

// allow reports whether a line for key may be logged now, and how many
// were held back since the last one.
func (l *logLimit) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = make(map[string]*logSeen)
	}
	s := l.seen[key]
	if s != nil && now.Sub(s.last) < l.every {
		s.suppressed++
		return false, 0
	}
	if s == nil {
		if len(l.seen) >= 10000 {
			// Forget keys quiet for a whole interval; bounds memory when
			// many webhooks fail.
			for k, v := range l.seen {
				if now.Sub(v.last) >= l.every {
					delete(l.seen, k)
				}
			}
		}
		s = &logSeen{}
		l.seen[key] = s
	}
	n := s.suppressed
	s.last, s.suppressed = now, 0
	return true, n
}
