package dashboard

import (
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// deliveryFilter is the delivery log's filter form (a GET form, so a
// filtered log is a link): the values as typed, and what was wrong with
// them.
type deliveryFilter struct {
	Status    string
	EventType string
	Since     string
	Until     string
	Q         string
	Errors    formErrors
}

// filterTimeLayouts are what a datetime-local input sends (read as UTC, as
// the labels say) and RFC 3339.
var filterTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// parseFormTime reads a time field of a dashboard form.
func parseFormTime(raw string) (time.Time, bool) {
	for _, l := range filterTimeLayouts {
		if t, err := time.ParseInLocation(l, raw, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// deliveryFilterFrom reads the filter form from a page's query into p.
func deliveryFilterFrom(q url.Values, p *store.DeliveryListParams) deliveryFilter {
	f := deliveryFilter{
		Status: q.Get("status"), EventType: truncate(strings.TrimSpace(q.Get("event_type")), 200),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
		Q: truncate(strings.TrimSpace(q.Get("q")), 100),
	}
	errs := formErrors{}
	if st := webhook.DeliveryStatus(f.Status); st != "" {
		if st.Valid() {
			p.Statuses = []webhook.DeliveryStatus{st}
		} else {
			errs.add("status", "Choose pending, succeeded or failed.")
		}
	}
	p.EventType = f.EventType
	for _, b := range []struct {
		name, raw string
		t         *time.Time
	}{{"since", f.Since, &p.Since}, {"until", f.Until, &p.Until}} {
		if b.raw == "" {
			continue
		}
		t, ok := parseFormTime(b.raw)
		if !ok {
			errs.add(b.name, "Enter a date and time such as 2026-06-01T14:30 (UTC).")
			continue
		}
		*b.t = t
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		errs.add("until", "Must be after From.")
	}
	if f.Q != "" {
		id, ok := registry.DeliveryQuery(f.Q)
		if !ok {
			errs.add("q", "Enter a delivery or event ID (dlv_… or evt_…), or its start.")
		}
		p.Query = id
	}
	if len(errs) > 0 {
		f.Errors = errs
	}
	return f
}

// Active reports whether any filter is set.
func (f deliveryFilter) Active() bool {
	return f.Status != "" || f.EventType != "" || f.Since != "" || f.Until != "" || f.Q != ""
}

// values are the filters to keep in the log's paging links.
func (f deliveryFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"status": f.Status, "event_type": f.EventType, "since": f.Since, "until": f.Until, "q": f.Q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}
