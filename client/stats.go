package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// StatsParams choose the window and bucket size of a health series. Zero
// values take the server's defaults (24 hours; the smallest of 1m, 5m,
// 15m, 1h, 6h, 1d that gives at most 300 buckets).
type StatsParams struct {
	// Since is the window, from 1 minute to 30 days in whole minutes.
	Since time.Duration
	// Bucket is the bucket size, from 1 minute to 1 day in whole minutes;
	// at most 1,440 buckets in the window.
	Bucket time.Duration
}

func (p StatsParams) query() url.Values {
	q := url.Values{}
	if p.Since > 0 {
		q.Set("since", durationParam(p.Since))
	}
	if p.Bucket > 0 {
		q.Set("bucket", durationParam(p.Bucket))
	}
	return q
}

// durationParam writes d in whole minutes, as the server reads it (a
// duration that is not is sent as is and refused by the server).
func durationParam(d time.Duration) string {
	if d%time.Minute != 0 {
		return d.String()
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// Stats is health over time: counts and latency per UTC bucket, every
// bucket of the window present, and the window's success rate.
type Stats struct {
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Bucket  string        `json:"bucket"`
	Buckets []StatsBucket `json:"buckets"`
	// SuccessRate is delivered / (delivered + failed) over the window;
	// nil when no delivery ended in it.
	SuccessRate *float64    `json:"success_rate"`
	Totals      StatsTotals `json:"totals"`
}

// StatsCounts are what a bucket counts. Test sends are not counted.
type StatsCounts struct {
	// Delivered is the deliveries that succeeded.
	Delivered int64 `json:"delivered"`
	// Failed is the deliveries that finally failed.
	Failed int64 `json:"failed"`
	// Attempts is the attempts that made a request.
	Attempts int64 `json:"attempts"`
	// FailedAttempts is the attempts that did not succeed.
	FailedAttempts int64 `json:"failed_attempts"`
	// Retried is the attempts that were not their delivery's first.
	Retried int64 `json:"retried"`
	// P50MS and P95MS are attempt latency percentiles in milliseconds;
	// nil without attempts.
	P50MS *float64 `json:"p50_ms"`
	P95MS *float64 `json:"p95_ms"`
}

// StatsBucket is one bucket of a series.
type StatsBucket struct {
	Start time.Time `json:"start"`
	StatsCounts
}

// StatsTotals are the window's counts and percentiles.
type StatsTotals struct {
	StatsCounts
}

// WebhookStats returns a webhook's health over time.
//
// GET /api/v1/webhooks/{id}/stats (read). A bad window or bucket is
// IsInvalid with the *Error's Field set to "since" or "bucket".
func (c *Client) WebhookStats(ctx context.Context, id string, p StatsParams) (*Stats, error) {
	return c.stats(ctx, pathf("/api/v1/webhooks/%s/stats", id), p)
}

// TenantStats returns a tenant's health over time, over all its
// webhooks. A tenant's key reads its own tenant only.
//
// GET /api/v1/tenants/{id}/stats (read).
func (c *Client) TenantStats(ctx context.Context, tenant string, p StatsParams) (*Stats, error) {
	return c.stats(ctx, pathf("/api/v1/tenants/%s/stats", tenant), p)
}

// ServerStats returns the whole server's health over time.
//
// GET /api/v1/stats (read; operators only).
func (c *Client) ServerStats(ctx context.Context, p StatsParams) (*Stats, error) {
	return c.stats(ctx, "/api/v1/stats", p)
}

func (c *Client) stats(ctx context.Context, path string, p StatsParams) (*Stats, error) {
	var s Stats
	if err := c.do(ctx, request{method: "GET", path: path, query: p.query()}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
