package dashboard

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/stats"
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

// overviewWebhooks bounds the webhooks the overview lists as failing or
// disabled.
const overviewWebhooks = 500

// worstShown is how many of the worst endpoints the overview lists.
const worstShown = 5

type chartBar struct {
	X, W          float64
	OKY, OKH      float64
	BadY, BadH    float64
	Minute        time.Time
	OK, Bad       int64
	HasAnyAttempt bool
}

type overviewView struct {
	base
	Bars           []chartBar
	ChartW, ChartH int
	MaxY           int64
	TotalOK        int64
	TotalBad       int64
	Pending        int64
	Succeeded      int64
	Failed         int64
	Queued         int
	Webhooks       int
	Failing        []webhook.Webhook
	Disabled       []webhook.Webhook
	From, To       time.Time
	// Worst are the endpoints with the lowest success rate in the last
	// 24 hours (then the most failed attempts), those with failures only.
	Worst []worstEndpoint
}

// worstEndpoint is one row of the overview's worst endpoints.
type worstEndpoint struct {
	Webhook webhook.Webhook
	Series  stats.Series
	Rate    string
	Spark   sparkView
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

	// The last hour per minute, from the attempt rollup: successful and
	// failed attempts of every webhook in scope.
	hour := stats.Query{Since: chartMinutes * time.Minute, Bucket: time.Minute}
	series, err := stats.Read(ctx, d.cfg.Store, stats.Selection{Scope: auth.ScopeFrom(ctx)}, hour, d.cfg.Now())
	if err != nil {
		return err
	}
	v.From, v.To = series.From, series.To
	err = d.eachWebhook(ctx, func(wh webhook.Webhook) error {
		v.Webhooks++
		switch {
		case !wh.Active:
			v.Disabled = append(v.Disabled, wh)
		case wh.Stats.FailingSince != nil:
			v.Failing = append(v.Failing, wh)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var ok, bad [chartMinutes]int64
	for i, b := range series.Buckets {
		ok[i], bad[i] = b.Attempts-b.FailedAttempts, b.FailedAttempts
	}
	for i := range chartMinutes {
		v.MaxY = max(v.MaxY, ok[i]+bad[i])
		v.TotalOK += ok[i]
		v.TotalBad += bad[i]
	}
	if v.Worst, err = d.worstEndpoints(ctx); err != nil {
		return err
	}
	scale := 0.0
	if v.MaxY > 0 {
		scale = float64(chartH) / float64(v.MaxY)
	}
	bw := float64(chartW) / chartMinutes
	for i := range chartMinutes {
		b := chartBar{X: float64(i)*bw + barGap/2, W: bw - barGap, Minute: v.From.Add(time.Duration(i) * time.Minute),
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

// worstEndpoints are the webhooks in scope that failed in the last 24
// hours, the lowest success rate first (then the most failed attempts),
// read from the rollup in one query.
func (d *Dashboard) worstEndpoints(ctx context.Context) ([]worstEndpoint, error) {
	all, err := stats.ReadEach(ctx, d.cfg.Store, auth.ScopeFrom(ctx), nil, sparkQuery, d.cfg.Now())
	if err != nil {
		return nil, err
	}
	type cand struct {
		id string
		s  stats.Series
	}
	var cands []cand
	for id, s := range all {
		if s.Totals.Failed+s.Totals.FailedAttempts > 0 {
			cands = append(cands, cand{id, s})
		}
	}
	rateOf := func(s stats.Series) float64 {
		if s.SuccessRate == nil {
			return 2 // none ended: after every rate
		}
		return *s.SuccessRate
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(rateOf(a.s), rateOf(b.s)),
			cmp.Compare(b.s.Totals.FailedAttempts, a.s.Totals.FailedAttempts), cmp.Compare(a.id, b.id))
	})
	var out []worstEndpoint
	for _, c := range cands {
		if len(out) == worstShown {
			break
		}
		wh, err := d.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), c.id)
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			continue // deleted since: its minutes stay in the rollup a while
		}
		if err != nil {
			return nil, err
		}
		spark := newSparkView(c.s)
		spark.Rate = "" // the table has its own column for it
		out = append(out, worstEndpoint{Webhook: wh, Series: c.s, Rate: rate(c.s.SuccessRate), Spark: spark})
	}
	return out, nil
}
