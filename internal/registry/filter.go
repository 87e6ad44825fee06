package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// FilterTest asks whether a payload filter lets an event through: a
// given event, or the example payload of an event type.
type FilterTest struct {
	Filter    json.RawMessage `json:"filter"`
	Event     *FilterEvent    `json:"event,omitempty"`
	EventType string          `json:"event_type,omitempty"`
}

// FilterEvent is the event a filter is tried on.
type FilterEvent struct {
	Type   string          `json:"type"`
	Tenant string          `json:"tenant,omitempty"`
	Data   json.RawMessage `json:"data"`
}

// FilterResult is what a filter made of the event.
type FilterResult struct {
	Matches bool `json:"matches"`
	// Explanation says which clause failed, or that every clause holds.
	Explanation string `json:"explanation"`
}

// TestFilter checks in.Filter as saving a webhook would, and tries it on
// the event. Every problem with the request is reported at once.
func (r *Registry) TestFilter(ctx context.Context, in FilterTest) (FilterResult, error) {
	var v webhook.Validation
	var f *filter.Filter
	if len(in.Filter) == 0 || string(in.Filter) == "null" {
		v.Add(webhook.EINVALID, webhook.At("filter"), "is required")
	} else {
		f = filter.Parse(in.Filter, webhook.At("filter"), &v)
	}
	ev := webhook.Event{ID: "evt_filter_test", Tenant: auth.ScopeFrom(ctx).Tenant(), CreatedAt: r.cfg.Now().UTC().Truncate(time.Millisecond)}
	switch {
	case (in.Event == nil) == (in.EventType == ""):
		v.Add(webhook.EINVALID, webhook.At("event"), `give either "event" ({"type", "data"}) or "event_type" (to try its example payload)`)
	case in.Event != nil:
		ev.Type, ev.Data = in.Event.Type, in.Event.Data
		if in.Event.Tenant != "" && ev.Tenant == "" {
			ev.Tenant = in.Event.Tenant
		}
		if ev.Tenant == "" {
			ev.Tenant = webhook.DefaultTenant
		}
	default:
		et, err := r.cfg.Store.EventTypeGet(ctx, in.EventType)
		switch {
		case webhook.ErrorCode(err) == webhook.ENOTFOUND:
			v.Add(webhook.EUNPROCESSABLE, webhook.At("event_type"), "unknown event type %q", in.EventType)
		case err != nil:
			return FilterResult{}, err
		default:
			ev.Type, ev.Data = et.Slug, et.Example
			if ev.Tenant == "" {
				ev.Tenant = webhook.DefaultTenant
			}
		}
	}
	if err := v.Err(); err != nil {
		return FilterResult{}, err
	}
	doc, err := filter.Envelope(ev)
	if err != nil {
		return FilterResult{}, webhook.FieldError(webhook.EINVALID, "event.data", "is not valid JSON")
	}
	ok, why := f.Match(doc)
	return FilterResult{Matches: ok, Explanation: why}, nil
}

// checkFilter returns the filter to store, compacted: nil for JSON null
// (no filter). Its problems are recorded in v at their JSON pointers.
func checkFilter(raw json.RawMessage, v *webhook.Validation) json.RawMessage {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	if filter.Parse(raw, webhook.At("filter"), v) == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil // Parse accepted it: cannot happen
	}
	if b.String() == "{}" {
		return nil // matches everything: the same as none
	}
	return b.Bytes()
}

// FilterSkip is a webhook subscribed to an event's type whose payload
// filter kept the event from it.
type FilterSkip struct {
	WebhookID string `json:"webhook_id"`
	Name      string `json:"name"`
	// Explanation is the clause of the filter that failed.
	Explanation string `json:"explanation"`
}

// SkippedByFilter lists the active webhooks of ev's tenant subscribed to
// its type whose filter, as it is now, excludes ev (a filter changed
// since the event was published is judged as it is now).
func (r *Registry) SkippedByFilter(ctx context.Context, ev webhook.Event) ([]FilterSkip, error) {
	active := true
	p := store.WebhookListParams{Scope: auth.ScopeFrom(ctx), Tenant: ev.Tenant, EventType: ev.Type, Active: &active, Limit: 500}
	doc, err := filter.Envelope(ev)
	if err != nil {
		return nil, err
	}
	skips := []FilterSkip{}
	var cache filter.Cache
	for {
		page, err := r.cfg.Store.WebhookList(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, w := range page.Webhooks {
			if len(w.Filter) == 0 {
				continue
			}
			f := cache.Get(w.Filter)
			if f == nil {
				skips = append(skips, FilterSkip{WebhookID: w.ID, Name: w.Name, Explanation: "the filter cannot be read"})
				continue
			}
			if ok, why := f.Match(doc); !ok {
				skips = append(skips, FilterSkip{WebhookID: w.ID, Name: w.Name, Explanation: why})
			}
		}
		if page.Next == "" {
			return skips, nil
		}
		p.Cursor = page.Next
	}
}
