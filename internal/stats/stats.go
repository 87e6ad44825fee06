// Package stats turns the attempt rollup (store.StatsStore) into the
// health series that the API, the dashboard and the CLI show: a window of
// UTC buckets, every bucket present (empty ones too), with counts,
// latency percentiles and the window's success rate.
package stats

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Limits of a query. A bucket is a whole number of minutes; the window
// holds at most MaxBuckets of them.
const (
	MinBucket  = time.Minute
	MaxBucket  = 24 * time.Hour
	MaxWindow  = store.StatsWindowMax
	MaxBuckets = 1440
	// DefaultSince is the window when none is asked for.
	DefaultSince = 24 * time.Hour
)

// Query is a checked window and bucket size.
type Query struct {
	Since  time.Duration
	Bucket time.Duration
}

// defaultBuckets are the bucket sizes a query without one picks from:
// the smallest that keeps the chart at most 300 bars (1 h: 1 min, 24 h:
// 5 min, 7 d: 1 h, 30 d: 6 h).
var defaultBuckets = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour,
	6 * time.Hour, 24 * time.Hour}

// DefaultBucket is the bucket size for a window when none is asked for.
func DefaultBucket(since time.Duration) time.Duration {
	for _, b := range defaultBuckets {
		if since/b <= 300 {
			return b
		}
	}
	return MaxBucket
}

// ParseQuery checks the since and bucket parameters ("" takes the
// default): durations as Go writes them ("90m", "24h") or whole days
// ("7d"). A bad one is an EUNPROCESSABLE error naming its parameter.
func ParseQuery(since, bucket string) (Query, error) {
	var v webhook.Validation
	q := Query{Since: DefaultSince}
	if since != "" {
		d, err := parseDuration(since)
		switch {
		case err != nil:
			v.Add(webhook.EUNPROCESSABLE, webhook.Param("since"), "%s", err)
		case d < MinBucket || d > MaxWindow:
			v.Add(webhook.EUNPROCESSABLE, webhook.Param("since"), "must be from 1m to 30d, not %s", since)
		case d%time.Minute != 0:
			v.Add(webhook.EUNPROCESSABLE, webhook.Param("since"), "must be a whole number of minutes, not %s", since)
		default:
			q.Since = d
		}
	}
	if bucket == "" {
		q.Bucket = DefaultBucket(q.Since)
		return q, v.Err()
	}
	d, err := parseDuration(bucket)
	switch {
	case err != nil:
		v.Add(webhook.EUNPROCESSABLE, webhook.Param("bucket"), "%s", err)
	case d < MinBucket || d > MaxBucket:
		v.Add(webhook.EUNPROCESSABLE, webhook.Param("bucket"), "must be from 1m to 1d, not %s", bucket)
	case d%time.Minute != 0:
		v.Add(webhook.EUNPROCESSABLE, webhook.Param("bucket"), "must be a whole number of minutes, not %s", bucket)
	case v.Len() == 0 && buckets(q.Since, d) > MaxBuckets:
		v.Add(webhook.EUNPROCESSABLE, webhook.Param("bucket"),
			"makes %d buckets of %s; at most %d: take a larger bucket or a shorter window",
			buckets(q.Since, d), FormatDuration(q.Since), MaxBuckets)
	default:
		q.Bucket = d
	}
	return q, v.Err()
}

// buckets is how many buckets of b cover since.
func buckets(since, b time.Duration) int64 {
	return int64((since + b - 1) / b)
}

// parseDuration reads "7d" as whole days and anything else as
// time.ParseDuration does.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("is not a duration: %q (write 90m, 24h or 7d)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("is not a duration: %q (write 90m, 24h or 7d)", s)
	}
	return d, nil
}

// FormatDuration writes d as a query takes it: "5m", "1h", "6h", "7d",
// "90m".
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// Window is the span of q's buckets at now: buckets are aligned to
// multiples of the bucket size since the Unix epoch (so hours start on
// the hour, days at 00:00 UTC), the last one holds now, and there are
// enough to cover Since.
func (q Query) Window(now time.Time) (from, to time.Time) {
	b := int64(q.Bucket / time.Minute)
	m := store.UnixMinute(now)
	start := m - m%b
	if m%b < 0 { // before the epoch: % keeps the sign
		start -= b
	}
	to = time.Unix((start+b)*60, 0).UTC()
	return to.Add(-time.Duration(buckets(q.Since, q.Bucket)) * q.Bucket), to
}

// Series is the health of a selection over a window.
type Series struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Bucket string    `json:"bucket"`
	// Buckets are every bucket of the window, in order, empty ones too.
	Buckets []Bucket `json:"buckets"`
	// SuccessRate is delivered / (delivered + failed) over the window:
	// of the deliveries that ended, the share that succeeded; nil when
	// none ended.
	SuccessRate *float64 `json:"success_rate"`
	Totals      Totals   `json:"totals"`
}

// Bucket is one bucket of a series.
type Bucket struct {
	Start time.Time `json:"start"`
	store.Counts
	// P50 and P95 are the attempts' latency percentiles in milliseconds;
	// nil without attempts.
	P50 *float64 `json:"p50_ms"`
	P95 *float64 `json:"p95_ms"`
}

// Totals are the window's counts and latency percentiles.
type Totals struct {
	store.Counts
	P50 *float64 `json:"p50_ms"`
	P95 *float64 `json:"p95_ms"`
}

// Build makes the series of q's window at from..to out of rollup rows
// (one selection, in order, as store.Stats returns them).
func Build(rows []store.StatsRow, q Query, from, to time.Time) Series {
	n := int(to.Sub(from) / q.Bucket)
	s := Series{From: from, To: to, Bucket: FormatDuration(q.Bucket), Buckets: make([]Bucket, n)}
	var all store.Latency
	lat := make([]store.Latency, n)
	for _, r := range rows {
		i := int(r.Start.Sub(from) / q.Bucket)
		if r.Start.Before(from) || i >= n {
			continue
		}
		s.Buckets[i].Counts.Add(r.Counts)
		lat[i].Merge(&r.Latency)
		s.Totals.Counts.Add(r.Counts)
		all.Merge(&r.Latency)
	}
	for i := range s.Buckets {
		b := &s.Buckets[i]
		b.Start = from.Add(time.Duration(i) * q.Bucket)
		b.P50, b.P95 = percentiles(&lat[i])
	}
	s.Totals.P50, s.Totals.P95 = percentiles(&all)
	if ended := s.Totals.Delivered + s.Totals.Failed; ended > 0 {
		rate := float64(s.Totals.Delivered) / float64(ended)
		s.SuccessRate = &rate
	}
	return s
}

// percentiles are the p50 and p95 of h, rounded to 0.1 ms; nil when h is
// empty.
func percentiles(h *store.Latency) (p50, p95 *float64) {
	at := func(q float64) *float64 {
		v, ok := h.Quantile(q)
		if !ok {
			return nil
		}
		v = math.Round(v*10) / 10
		return &v
	}
	return at(0.5), at(0.95)
}

// Selection is whose attempts a series counts: every webhook in Scope,
// narrowed to one tenant or one webhook.
type Selection struct {
	Scope     auth.Scope
	Tenant    string
	WebhookID string
}

// Read is the series of sel for q at now.
func Read(ctx context.Context, st store.StatsStore, sel Selection, q Query, now time.Time) (Series, error) {
	from, to := q.Window(now)
	p := store.StatsParams{Scope: sel.Scope, Tenant: sel.Tenant, From: from, To: to, Bucket: q.Bucket}
	if sel.WebhookID != "" {
		p.WebhookIDs = []string{sel.WebhookID}
	}
	rows, err := st.Stats(ctx, p)
	if err != nil {
		return Series{}, err
	}
	return Build(rows, q, from, to), nil
}

// ReadEach is the series of each webhook in ids (all in scope's reach
// when ids is empty) for q at now, in one read: the webhooks list's
// sparklines, the overview's worst endpoints. A webhook with no attempt
// in the window has no entry.
func ReadEach(ctx context.Context, st store.StatsStore, scope auth.Scope, ids []string, q Query, now time.Time) (map[string]Series, error) {
	from, to := q.Window(now)
	rows, err := st.Stats(ctx, store.StatsParams{Scope: scope, WebhookIDs: ids, ByWebhook: true, From: from, To: to, Bucket: q.Bucket})
	if err != nil {
		return nil, err
	}
	out := map[string]Series{}
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].WebhookID == rows[start].WebhookID {
			end++
		}
		out[rows[start].WebhookID] = Build(rows[start:end], q, from, to)
		start = end
	}
	return out, nil
}
