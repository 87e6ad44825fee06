package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// StatsWindowMax is the longest window a chart shows; the rollup is kept
// at least this long (plus a day), whatever the attempts' retention.
const StatsWindowMax = 30 * 24 * time.Hour

// StatsStore reads the attempt rollup: per webhook and UTC minute, the
// counts of Counts and a Latency histogram, written by AttemptRecord in
// the same transaction as the attempts (test sends are not counted), so a
// chart of any window reads at most one row per webhook and minute and
// never the attempts themselves.
type StatsStore interface {
	// Stats sums the rollup rows that p selects into buckets of p.Bucket
	// counted from p.From. Only buckets with a row come back, in order
	// (by webhook first with ByWebhook).
	Stats(ctx context.Context, p StatsParams) ([]StatsRow, error)
}

// StatsParams select rollup rows and say how to bucket them.
type StatsParams struct {
	// Scope limits the rows to the tenants it reaches (the zero Scope
	// reads nothing); Tenant narrows it to one tenant.
	Scope  auth.Scope
	Tenant string
	// WebhookIDs, when not empty, reads only these webhooks.
	WebhookIDs []string
	// ByWebhook keeps each webhook's buckets apart (StatsRow.WebhookID).
	ByWebhook bool
	// From and To (exclusive) are whole UTC minutes; Bucket is a whole
	// number of minutes.
	From, To time.Time
	Bucket   time.Duration
}

// StatsRow is one bucket: its webhook (with ByWebhook), its start, and the
// sums of the rollup rows in it.
type StatsRow struct {
	WebhookID string
	Start     time.Time
	Counts
	Latency Latency
}

// Counts are what the rollup counts of a webhook's attempts in a minute
// (by the minute each attempt started).
type Counts struct {
	// Delivered is the deliveries that succeeded (the attempt that moved
	// the delivery to succeeded).
	Delivered int64 `json:"delivered"`
	// Failed is the deliveries that finally failed (no more attempts,
	// ended unsent, or the webhook disabled).
	Failed int64 `json:"failed"`
	// Attempts is the attempts that made a request (a delivery ended
	// unsent made none); their durations are the latency histogram.
	Attempts int64 `json:"attempts"`
	// FailedAttempts is the attempts that made a request and did not
	// succeed.
	FailedAttempts int64 `json:"failed_attempts"`
	// Retried is the attempts that made a request and were not their
	// delivery's first (number > 1).
	Retried int64 `json:"retried"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Delivered += o.Delivered
	c.Failed += o.Failed
	c.Attempts += o.Attempts
	c.FailedAttempts += o.FailedAttempts
	c.Retried += o.Retried
}

// RollupRow is what one AttemptRecord batch adds to a webhook's minute.
type RollupRow struct {
	WebhookID string
	Minute    int64 // Unix minutes, UTC
	Counts
	Latency Latency
}

// UnixMinute is t's minute since the Unix epoch (UTC).
func UnixMinute(t time.Time) int64 {
	s := t.Unix()
	if s < 0 && s%60 != 0 {
		return s/60 - 1
	}
	return s / 60
}

// Rollup is the rows a batch of results adds to the rollup, sorted by
// webhook and minute (the order both backends lock them in). moved(i)
// reports whether results[i] moved its delivery on: only then does it end
// the delivery as delivered or failed. Test sends count nowhere; an
// attempt ended unsent (webhook.ErrClassCancelled) counts only as a failed
// delivery.
func Rollup(results []AttemptResult, moved func(i int) bool) []RollupRow {
	type key struct {
		hook   string
		minute int64
	}
	rows := map[key]*RollupRow{}
	for i := range results {
		r := &results[i]
		a := &r.Attempt
		if a.Test {
			continue
		}
		k := key{a.WebhookID, UnixMinute(a.StartedAt)}
		row := rows[k]
		if row == nil {
			row = &RollupRow{WebhookID: k.hook, Minute: k.minute}
			rows[k] = row
		}
		if moved(i) {
			switch r.Outcome {
			case OutcomeSucceeded:
				row.Delivered++
			case OutcomeFailed:
				row.Failed++
			}
		}
		if a.ErrorClass == webhook.ErrClassCancelled {
			continue
		}
		row.Attempts++
		row.Latency.Add(a.DurationMS)
		if !a.Success() {
			row.FailedAttempts++
		}
		if a.Number > 1 {
			row.Retried++
		}
	}
	out := make([]RollupRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b RollupRow) int {
		return cmp.Or(cmp.Compare(a.WebhookID, b.WebhookID), cmp.Compare(a.Minute, b.Minute))
	})
	return out
}

// RollupColumns are the rollup's counting columns in the order of
// RollupRow.Values and StatsRow.ScanDest: the Counts, then the histogram
// (LatencyColumns).
var RollupColumns = append([]string{"delivered", "failed", "attempts", "failed_attempts", "retried"}, LatencyColumns...)

// Values are r's counts in RollupColumns order.
func (r *RollupRow) Values() []any {
	v := make([]any, 0, len(RollupColumns))
	v = append(v, r.Delivered, r.Failed, r.Attempts, r.FailedAttempts, r.Retried)
	for _, c := range r.Latency {
		v = append(v, c)
	}
	return v
}

// ScanDest points at r's counts in RollupColumns order, for rows.Scan.
func (r *StatsRow) ScanDest() []any {
	d := make([]any, 0, len(RollupColumns))
	d = append(d, &r.Delivered, &r.Failed, &r.Attempts, &r.FailedAttempts, &r.Retried)
	for i := range r.Latency {
		d = append(d, &r.Latency[i])
	}
	return d
}
