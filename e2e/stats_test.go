package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// TestStatsOverHTTP: a webhook's, its tenant's and the server's health
// count the attempts the real dispatcher made to a real receiver (each
// delivery fails once, then succeeds), leave test sends out, keep
// tenants apart, and refuse bad windows with a 422 naming the parameter.
func TestStatsOverHTTP(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(10*time.Millisecond))
	rc := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n%2 == 0 { // the first attempt of each delivery (they go one at a time)
			return 503, nil, "busy"
		}
		return 200, nil, "ok"
	})
	acme := s.createWebhookWith(map[string]any{"name": "acme", "url": rc.URL, "events": []string{"payment_received"}, "tenant": "acme"})
	globex := s.createWebhookWith(map[string]any{"name": "globex", "url": "http://127.0.0.1:1/never", "events": []string{"*"}, "tenant": "globex"})
	const n = 5
	for i := range n {
		id, _ := s.publishRaw(fmt.Sprintf(`{"type":"payment_received","tenant":"acme","data":{"n":%d}}`, i))
		// One at a time, so the receiver's answers alternate per delivery.
		s.waitDelivery(s.onlyDelivery(id).ID, "delivered", func(d deliveryResp) bool { return d.Status == "succeeded" })
	}
	s.mustDo(200, "POST", "/api/v1/webhooks/"+acme.ID+"/test", map[string]any{}, nil)

	c := client.New(s.URL, s.Key)
	ctx := context.Background()
	st, err := c.WebhookStats(ctx, acme.ID, client.StatsParams{Since: time.Hour, Bucket: time.Minute})
	if err != nil {
		t.Fatalf("WebhookStats: %v", err)
	}
	if len(st.Buckets) != 60 || st.Bucket != "1m" || !st.To.Equal(st.Buckets[59].Start.Add(time.Minute)) {
		t.Fatalf("1h of 1m buckets: %d buckets of %s, want 60 ending at %s", len(st.Buckets), st.Bucket, st.To)
	}
	tot := st.Totals
	if tot.Delivered != n || tot.Failed != 0 || tot.Attempts != 2*n || tot.FailedAttempts != n || tot.Retried != n ||
		tot.P50MS == nil || tot.P95MS == nil {
		t.Errorf("totals %+v, want %d delivered, %d attempts of which %d failed and %d retried (the test send not counted)",
			fmtJSON(tot), n, 2*n, n, n)
	}
	if st.SuccessRate == nil || *st.SuccessRate != 1 {
		t.Errorf("success rate %v, want 1", st.SuccessRate)
	}
	var sum int64
	for _, b := range st.Buckets {
		sum += b.Delivered
		if b.Attempts == 0 && (b.P50MS != nil || b.P95MS != nil) {
			t.Errorf("empty bucket %s has percentiles", b.Start)
		}
		if b.Start.Location() != time.UTC || b.Start.Second() != 0 {
			t.Errorf("bucket start %s is not a whole UTC minute", b.Start)
		}
	}
	if sum != n {
		t.Errorf("buckets add up to %d delivered, want %d", sum, n)
	}

	// The tenant's own key reads its tenant and its webhook, nothing else.
	key := s.tenantKey("acme", "read").Key
	var ts client.Stats
	if got := s.doKey(key, "GET", "/api/v1/tenants/acme/stats?since=24h", nil, &ts); got != 200 || ts.Totals.Delivered != n || ts.Bucket != "5m" {
		t.Errorf("acme's key on acme's stats: %d, %s", got, fmtJSON(ts))
	}
	s.problemAs(key, 404, "GET", "/api/v1/tenants/globex/stats", nil)
	s.problemAs(key, 404, "GET", "/api/v1/webhooks/"+globex.ID+"/stats", nil)
	s.problemAs(key, 403, "GET", "/api/v1/stats", nil)
	s.mustDo(404, "GET", "/api/v1/tenants/nobody/stats", nil, nil)

	all, err := c.ServerStats(ctx, client.StatsParams{Since: 30 * 24 * time.Hour})
	if err != nil || all.Totals.Delivered != n || all.Bucket != "6h" || len(all.Buckets) != 120 {
		t.Errorf("server stats over 30 days: %v %+v", err, all)
	}
	other, err := c.TenantStats(ctx, "globex", client.StatsParams{})
	if err != nil || other.Totals.Attempts != 0 || other.SuccessRate != nil {
		t.Errorf("globex's stats: %v %+v, want nothing counted", err, other)
	}

	for _, tc := range []struct{ query, field string }{
		{"since=45d", "since"}, {"since=soon", "since"}, {"bucket=30s", "bucket"},
		{"since=7d&bucket=1m", "bucket"}, {"bucket=2d", "bucket"},
	} {
		p := s.sendProblem(422, "GET", "/api/v1/webhooks/"+acme.ID+"/stats?"+tc.query, nil)
		if p.Field != tc.field || len(p.Errors) == 0 || p.Errors[0].Parameter != tc.field {
			t.Errorf("%s: problem %+v, want one naming the parameter %s", tc.query, p, tc.field)
		}
	}
	_, err = c.WebhookStats(ctx, acme.ID, client.StatsParams{Since: 45 * 24 * time.Hour})
	var e *client.Error
	if !client.IsInvalid(err) || !errors.As(err, &e) || e.Field != "since" {
		t.Errorf("client with a 45-day window: %v, want IsInvalid at since", err)
	}

	// The CLI: a table of the buckets with activity and a summary, the
	// API's JSON with --json, and the server's problem for a bad window.
	cl := newCLI(t, s, true)
	out := cl.ok("webhooks", "stats", acme.ID, "--since", "1h", "--bucket", "1h")
	mustContain(t, "webhooks stats", out, "START (UTC)", "DELIVERED", "P95", "Success rate: 100.0 % (5 delivered, 0 failed)",
		"Attempts:     10 (5 failed, 5 retries)", "1 bucket of 1h")
	var js client.Stats
	cl.json(&js, "stats", "tenant", "acme", "--since", "7d")
	if js.Bucket != "1h" || len(js.Buckets) != 168 || js.Totals.Delivered != n {
		t.Errorf("stats tenant --json: %d buckets of %s, %d delivered", len(js.Buckets), js.Bucket, js.Totals.Delivered)
	}
	mustContain(t, "stats server", cl.ok("stats", "server", "--since", "90m", "--empty"), "90 buckets of 1m", "Latency:      p50 ")
	mustContain(t, "stats tenant globex", cl.ok("tenants", "stats", "globex"), "Success rate: - (no delivery ended in the window)")
	cl.fails(1, []string{"since", "from 1m to 30d"}, "webhooks", "stats", acme.ID, "--since", "45d")
	cl.fails(2, []string{"--bucket", "not a duration"}, "stats", "server", "--bucket", "soon")
	cl.fails(1, []string{"webhook", "wh_nope", "not found"}, "stats", "webhook", "wh_nope")
}
