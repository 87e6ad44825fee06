package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Chart geometry, in SVG user units.
const (
	chartMinutes = 60
	chartW       = 720
	chartH       = 160
	barGap       = 2
)

// Bounds on the work the overview does to build its chart from the
// per-webhook attempt lists, until the store has a per-minute query.
const (
	overviewWebhooks = 500
	overviewAttempts = 1000
)

type chartBar struct {
	X, W          float64
	OKY, OKH      float64
	BadY, BadH    float64
	Minute        time.Time
	OK, Bad       int
	HasAnyAttempt bool
}

type overviewView struct {
	base
	Bars           []chartBar
	ChartW, ChartH int
	MaxY           int
	TotalOK        int
	TotalBad       int
	Sampled        bool
	Pending        int64
	Succeeded      int64
	Failed         int64
	Queued         int
	Webhooks       int
	Failing        []webhook.Webhook
	Disabled       []webhook.Webhook
	From, To       time.Time
}

// overview shows the last hour of deliveries per minute, the queue and the
// webhooks that need attention.
func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := overviewView{base: d.base(r, "Overview", "overview"), ChartW: chartW, ChartH: chartH, Queued: d.cfg.Queued()}
	counts, err := d.cfg.Store.DeliveryCounts(ctx)
	if err != nil {
		return err
	}
	v.Pending, v.Succeeded, v.Failed = counts[webhook.DeliveryPending], counts[webhook.DeliverySucceeded], counts[webhook.DeliveryFailed]

	to := d.cfg.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	from := to.Add(-chartMinutes * time.Minute)
	v.From, v.To = from, to
	var ok, bad [chartMinutes]int
	err = d.eachWebhook(ctx, func(wh webhook.Webhook) error {
		v.Webhooks++
		switch {
		case !wh.Active:
			v.Disabled = append(v.Disabled, wh)
		case wh.Stats.FailingSince != nil:
			v.Failing = append(v.Failing, wh)
		}
		atts, err := d.cfg.Store.AttemptListByWebhook(ctx, auth.ScopeFrom(ctx), wh.ID, overviewAttempts)
		if err != nil {
			return err
		}
		if len(atts) == overviewAttempts && atts[len(atts)-1].StartedAt.After(from) {
			v.Sampled = true
		}
		for _, a := range atts {
			if a.Test || a.ErrorClass == webhook.ErrClassCancelled || a.StartedAt.Before(from) || !a.StartedAt.Before(to) {
				continue
			}
			i := int(a.StartedAt.Sub(from) / time.Minute)
			if a.Success() {
				ok[i]++
			} else {
				bad[i]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range chartMinutes {
		v.MaxY = max(v.MaxY, ok[i]+bad[i])
		v.TotalOK += ok[i]
		v.TotalBad += bad[i]
	}
	scale := 0.0
	if v.MaxY > 0 {
		scale = float64(chartH) / float64(v.MaxY)
	}
	bw := float64(chartW) / chartMinutes
	for i := range chartMinutes {
		b := chartBar{X: float64(i)*bw + barGap/2, W: bw - barGap, Minute: from.Add(time.Duration(i) * time.Minute),
			OK: ok[i], Bad: bad[i], HasAnyAttempt: ok[i]+bad[i] > 0}
		b.OKH = float64(ok[i]) * scale
		b.OKY = chartH - b.OKH
		b.BadH = float64(bad[i]) * scale
		b.BadY = b.OKY - b.BadH
		v.Bars = append(v.Bars, b)
	}
	d.render(w, r, http.StatusOK, "overview", v)
	return nil
}

// eachWebhook calls fn for up to overviewWebhooks webhooks, newest first.
func (d *Dashboard) eachWebhook(ctx context.Context, fn func(webhook.Webhook) error) error {
	cursor, n := "", 0
	for {
		page, err := d.cfg.Store.WebhookList(ctx, store.WebhookListParams{Scope: auth.ScopeFrom(ctx), Cursor: cursor, Limit: 100})
		if err != nil {
			return err
		}
		for _, wh := range page.Webhooks {
			if n == overviewWebhooks {
				return nil
			}
			n++
			if err := fn(wh); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		cursor = page.Next
	}
}
