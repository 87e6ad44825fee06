package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

type eventRow struct {
	store.EventSummary
	Total int
}

type eventsView struct {
	base
	Rows   []eventRow
	Types  []webhook.EventType
	Type   string
	Tenant string
	pager
}

// events is the events log: recent events, newest first, with the states
// of their deliveries.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := eventsView{base: d.base(r, "Events", "events"), Type: q.Get("type"),
		Tenant: truncate(strings.TrimSpace(q.Get("tenant")), 200)}
	types, err := d.cfg.Store.EventTypeList(r.Context())
	if err != nil {
		return err
	}
	v.Types = types
	cursor := q.Get("cursor")
	page, err := d.cfg.Store.EventList(r.Context(), store.EventListParams{Scope: auth.ScopeFrom(r.Context()), Tenant: v.Tenant, Type: v.Type, Cursor: cursor, Limit: pageSize})
	if err != nil {
		return err
	}
	for _, e := range page.Events {
		row := eventRow{EventSummary: e}
		for _, n := range e.Deliveries {
			row.Total += n
		}
		v.Rows = append(v.Rows, row)
	}
	filters := url.Values{}
	if v.Type != "" {
		filters.Set("type", v.Type)
	}
	if v.Tenant != "" {
		filters.Set("tenant", v.Tenant)
	}
	v.pager = pageLinks("/events", filters, cursor, page.Next)
	d.render(w, r, http.StatusOK, "events", v)
	return nil
}

type eventDeliveryRow struct {
	webhook.Delivery
	WebhookName string
}

type eventView struct {
	base
	Event      webhook.Event
	Deliveries []eventDeliveryRow
	// Skipped are the subscribed webhooks whose payload filter kept the
	// event from them.
	Skipped []registry.FilterSkip
}

// event shows one event, its payload and its deliveries.
func (d *Dashboard) event(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ev, err := d.cfg.Store.EventGet(ctx, auth.ScopeFrom(ctx), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := eventView{base: d.base(r, "Event "+ev.ID, "events"), Event: ev}
	names := map[string]string{}
	cursor := ""
	for range 10 { // at most 1000 deliveries on one page
		page, err := d.cfg.Store.DeliveryList(ctx, store.DeliveryListParams{Scope: auth.ScopeFrom(ctx), EventID: ev.ID, Cursor: cursor, Limit: 100})
		if err != nil {
			return err
		}
		for _, dl := range page.Deliveries {
			name, ok := names[dl.WebhookID]
			if !ok {
				wh, err := d.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), dl.WebhookID)
				switch {
				case err == nil:
					name = wh.Name
				case webhook.ErrorCode(err) == webhook.ENOTFOUND:
					name = "(deleted webhook)"
				default:
					return err
				}
				names[dl.WebhookID] = name
			}
			v.Deliveries = append(v.Deliveries, eventDeliveryRow{Delivery: dl, WebhookName: name})
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if v.Skipped, err = d.cfg.Registry.SkippedByFilter(ctx, ev); err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "event", v)
	return nil
}
