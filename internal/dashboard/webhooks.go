package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// pageSize is the number of rows per page in lists.
const pageSize = 25

type webhookRow struct {
	webhook.Webhook
	LastResult string // "succeeded", "failed" or "" (never delivered)
	LastAt     time.Time
	// Spark is the last 24 hours: success rate and hourly bars.
	Spark sparkView
}

// webhookRows makes the rows of a page of webhooks, with their last 24
// hours read in one go.
func (d *Dashboard) webhookRows(ctx context.Context, hooks []webhook.Webhook) ([]webhookRow, error) {
	ids := make([]string, len(hooks))
	for i, wh := range hooks {
		ids[i] = wh.ID
	}
	sparks, err := d.sparklines(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]webhookRow, len(hooks))
	for i, wh := range hooks {
		rows[i] = newWebhookRow(wh)
		rows[i].Spark = sparks[wh.ID]
	}
	return rows, nil
}

type webhooksView struct {
	base
	Rows     []webhookRow
	Types    []webhook.EventType
	Q        string
	Tenant   string
	Event    string
	Status   string
	Filtered bool
	pager
}

// webhooks is the main page: every webhook with its state, searchable and
// filterable, a page at a time.
func (d *Dashboard) webhooks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := webhooksView{base: d.base(r, "Webhooks", "webhooks"),
		Q: truncate(strings.TrimSpace(q.Get("q")), 200), Tenant: truncate(strings.TrimSpace(q.Get("tenant")), 200),
		Event: q.Get("event"), Status: q.Get("status")}
	p := store.WebhookListParams{Scope: auth.ScopeFrom(r.Context()), Search: v.Q, Tenant: v.Tenant, EventType: v.Event, Cursor: q.Get("cursor"), Limit: pageSize}
	switch v.Status {
	case "active":
		t := true
		p.Active = &t
	case "disabled":
		f := false
		p.Active = &f
	default:
		v.Status = ""
	}
	v.Filtered = v.Q != "" || v.Tenant != "" || v.Event != "" || v.Status != ""
	types, err := d.cfg.Store.EventTypeList(r.Context())
	if err != nil {
		return err
	}
	v.Types = types
	page, err := d.cfg.Store.WebhookList(r.Context(), p)
	if err != nil {
		return err
	}
	if v.Rows, err = d.webhookRows(r.Context(), page.Webhooks); err != nil {
		return err
	}
	filters := url.Values{}
	for k, val := range map[string]string{"q": v.Q, "tenant": v.Tenant, "event": v.Event, "status": v.Status} {
		if val != "" {
			filters.Set(k, val)
		}
	}
	v.pager = pageLinks("/", filters, p.Cursor, page.Next)
	d.render(w, r, http.StatusOK, "webhooks", v)
	return nil
}

func newWebhookRow(wh webhook.Webhook) webhookRow {
	row := webhookRow{Webhook: wh}
	s, f := derefTime(wh.Stats.LastSuccessAt), derefTime(wh.Stats.LastFailureAt)
	switch {
	case !s.IsZero() && !s.Before(f):
		row.LastResult, row.LastAt = "succeeded", s
	case !f.IsZero():
		row.LastResult, row.LastAt = "failed", f
	}
	return row
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
