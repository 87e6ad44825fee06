package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// MaxRecoverWindow is the longest window one recovery takes: a month of
// an outage at most, so that one request's work stays bounded (a longer
// outage is recovered a month at a time).
const MaxRecoverWindow = 31 * 24 * time.Hour

// RecoverInput is what a recovery asks for, as the API's body says it.
type RecoverInput struct {
	// Since is required; Until defaults to now.
	Since, Until *time.Time
	// Statuses default to ["failed"], the only final state a delivery
	// fails in; recovery takes no other.
	Statuses   []string
	EventTypes []string
	DryRun     bool
}

// RecoverResult is what a recovery did, or with DryRun would do.
type RecoverResult struct {
	DryRun bool
	// Count is how many deliveries matched (DryRun) or were re-queued.
	Count        int
	Since, Until time.Time
}

// Recover re-queues the webhook's failed deliveries created in a window
// (store.DeliveryStore.DeliveryRecover), or with DryRun counts them. Each
// goes again with the whole retry schedule, through the normal dispatch.
// A disabled webhook is refused (ECONFLICT): its deliveries would only
// fail again at once, so it must be enabled first. A real run is audited
// once, with the count.
func (r *Registry) Recover(ctx context.Context, id string, in RecoverInput) (RecoverResult, error) {
	now := r.cfg.Now().UTC()
	p, err := recoverParams(in, now)
	if err != nil {
		return RecoverResult{}, err
	}
	scope := auth.ScopeFrom(ctx)
	w, err := r.cfg.Store.WebhookGet(ctx, scope, id)
	if err != nil {
		return RecoverResult{}, err
	}
	if !w.Active && !in.DryRun {
		return RecoverResult{}, &webhook.Error{Code: webhook.ECONFLICT,
			Message: "the webhook is disabled: enable it first, or its recovered deliveries would fail again at once"}
	}
	p.Scope, p.WebhookID, p.DryRun, p.Now = scope, id, in.DryRun, now
	n, err := r.cfg.Store.DeliveryRecover(ctx, p)
	if n > 0 && !in.DryRun {
		// Audited even when a later batch failed: what was re-queued stays so.
		detail := fmt.Sprintf("%d failed deliveries created from %s to %s", n,
			p.Since.Format(time.RFC3339), p.Until.Format(time.RFC3339))
		if len(p.EventTypes) > 0 {
			detail += " of " + strings.Join(p.EventTypes, ", ")
		}
		r.audit(ctx, "webhook.recover", id, detail)
	}
	if err != nil {
		return RecoverResult{}, err
	}
	return RecoverResult{DryRun: in.DryRun, Count: n, Since: p.Since, Until: p.Until}, nil
}

// recoverParams checks a recovery's input, reporting every problem at
// once, and returns the selection it makes.
func recoverParams(in RecoverInput, now time.Time) (store.DeliveryRecoverParams, error) {
	var v webhook.Validation
	var p store.DeliveryRecoverParams
	p.Until = now
	if in.Until != nil {
		p.Until = in.Until.UTC()
	}
	switch {
	case in.Since == nil:
		v.Add(webhook.EUNPROCESSABLE, webhook.At("since"), "is required (an RFC 3339 time)")
	case in.Since.After(now):
		v.Add(webhook.EUNPROCESSABLE, webhook.At("since"), "is in the future")
	case !in.Since.Before(p.Until):
		v.Add(webhook.EUNPROCESSABLE, webhook.At("until"), "must be after since")
	case p.Until.Sub(*in.Since) > MaxRecoverWindow:
		v.Add(webhook.EUNPROCESSABLE, webhook.At("since"),
			"the window from since to until is at most 31 days; recover a longer outage a month at a time")
	default:
		p.Since = in.Since.UTC()
	}
	statuses := in.Statuses
	if statuses == nil {
		statuses = []string{string(webhook.DeliveryFailed)}
	}
	if len(statuses) == 0 {
		v.Add(webhook.EUNPROCESSABLE, webhook.At("status"), `must name at least one state: ["failed"]`)
	}
	for i, s := range statuses {
		if s != string(webhook.DeliveryFailed) {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("status").Index(i),
				"%q cannot be recovered: only failed deliveries are (pending ones are still queued; send a succeeded one again with a retry or replay)", s)
			continue
		}
		if len(p.Statuses) == 0 {
			p.Statuses = append(p.Statuses, webhook.DeliveryFailed)
		}
	}
	if len(in.EventTypes) > 100 {
		v.Add(webhook.EUNPROCESSABLE, webhook.At("event_types"), "names at most 100 event types")
	}
	for i, t := range in.EventTypes {
		if strings.TrimSpace(t) == "" || len(t) > 200 {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("event_types").Index(i), "must be an event type slug")
			continue
		}
		p.EventTypes = append(p.EventTypes, t)
	}
	return p, v.Err()
}

// DeliveryQuery checks the search text of a delivery log (a delivery ID,
// an event ID, or the start of either) and returns it as the store wants
// it: lower case, as IDs are. It reports false for text that cannot be
// (a part of) an ID.
func DeliveryQuery(q string) (string, bool) {
	q = strings.ToLower(strings.TrimSpace(q))
	if len(q) > 64 {
		return "", false
	}
	for _, c := range q {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return "", false
		}
	}
	return q, true
}
