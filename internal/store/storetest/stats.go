package storetest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// statsOrigin is a whole hour, so buckets of the tests start on it.
var statsOrigin = t0.Truncate(time.Hour)

// testStats checks the attempt rollup against the attempts written.
func testStats(t *testing.T, open Opener) {
	t.Run("MatchesAttempts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		a := h.createWebhook()
		b := h.createWebhook(inTenant(tenantOther))
		rng := rand.New(rand.NewPCG(22, 7))
		// Deliveries of both webhooks, each attempted up to four times
		// over three hours, in batches of whatever is due together.
		var pending []store.AttemptResult
		flush := func() {
			if len(pending) > 0 {
				h.record(pending...)
				pending = nil
			}
		}
		for i := range 60 {
			for _, w := range []webhook.Webhook{a, b} {
				res := h.publish(w.Tenant, typeOrderCreated, statsOrigin)
				var d webhook.Delivery
				for _, x := range res.Deliveries {
					if x.WebhookID == w.ID {
						d = x
					}
				}
				start := statsOrigin.Add(time.Duration(rng.Int64N(int64(3 * time.Hour))))
				for n := 1; ; n++ {
					d.Attempts = n - 1
					r := attemptResult(rng, d, start, n)
					pending = append(pending, r)
					if len(pending) >= 7 {
						flush()
					}
					if r.Outcome != store.OutcomeRetry {
						break
					}
					start = start.Add(time.Duration(rng.Int64N(int64(20 * time.Minute))))
					flush() // the next attempt of a delivery comes in a later batch
				}
			}
			if i%10 == 0 {
				// Test sends count nowhere.
				test := attemptOf(webhook.Delivery{WebhookID: a.ID, EventID: "evt_sample", EventType: typeOrderCreated}, statsOrigin, 500)
				test.Test, test.DurationMS = true, 12
				pending = append(pending, store.AttemptResult{Attempt: test})
			}
		}
		flush()

		want := map[string][]store.StatsRow{}
		for _, w := range []webhook.Webhook{a, b} {
			atts, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), w.ID, 1000)
			ok(t, err, "AttemptListByWebhook")
			want[w.ID] = expectStats(atts, statsOrigin, 15*time.Minute)
		}
		p := store.StatsParams{Scope: auth.AllTenants(), From: statsOrigin, To: statsOrigin.Add(4 * time.Hour), Bucket: 15 * time.Minute}
		stats := func(what string, p store.StatsParams) []store.StatsRow {
			t.Helper()
			rows, err := h.s.Stats(h.ctx, p)
			ok(t, err, what)
			return rows
		}

		one := p
		one.WebhookIDs = []string{a.ID}
		equalStats(t, "webhook a", stats("Stats a", one), want[a.ID])
		one.WebhookIDs = []string{b.ID}
		equalStats(t, "webhook b", stats("Stats b", one), want[b.ID])
		tenant := p
		tenant.Tenant = tenantOther
		equalStats(t, "tenant "+tenantOther, stats("Stats tenant", tenant), want[b.ID])
		own := p
		own.Scope = auth.TenantScope(webhook.DefaultTenant)
		equalStats(t, "scope "+webhook.DefaultTenant, stats("Stats own scope", own), want[a.ID])
		own.WebhookIDs = []string{b.ID}
		equalStats(t, "another tenant's webhook", stats("Stats other scope", own), nil)
		equalStats(t, "server", stats("Stats server", p), sumStats(want[a.ID], want[b.ID]))

		by := p
		by.ByWebhook = true
		got := stats("Stats by webhook", by)
		split := map[string][]store.StatsRow{}
		for _, r := range got {
			split[r.WebhookID] = append(split[r.WebhookID], r)
		}
		for _, w := range []webhook.Webhook{a, b} {
			for i := range split[w.ID] {
				split[w.ID][i].WebhookID = ""
			}
			equalStats(t, "by webhook "+w.ID, split[w.ID], want[w.ID])
		}

		// The window's edges: the first bucket and the last.
		edge := one
		edge.WebhookIDs, edge.From, edge.To, edge.Bucket = []string{a.ID}, statsOrigin.Add(time.Hour), statsOrigin.Add(2*time.Hour), time.Hour
		var inside []store.StatsRow
		for _, r := range expectStats(mustAttempts(h, a.ID), edge.From, time.Hour) {
			if r.Start.Before(edge.To) {
				inside = append(inside, r)
			}
		}
		equalStats(t, "one hour", stats("Stats hour", edge), inside)
	})

	t.Run("LateResultIsNoDelivery", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(statsOrigin)
		h.claim("a", statsOrigin, 1)
		first := succeeded(d, statsOrigin.Add(time.Second))
		first.Lease = store.Lease{Owner: "a", Until: statsOrigin.Add(time.Minute)}
		h.record(first)
		// The same delivery's result from a lease that is gone: logged,
		// counted as an attempt, but it delivers nothing more.
		late := succeeded(d, statsOrigin.Add(2*time.Second))
		late.Lease = store.Lease{Owner: "b", Until: statsOrigin.Add(time.Minute)}
		late.Attempt.DurationMS = 3000
		h.record(late)
		cancelled := h.deliver(statsOrigin)
		gone := attemptOf(cancelled, statsOrigin.Add(3*time.Second), 0)
		gone.ErrorClass, gone.DurationMS = webhook.ErrClassCancelled, 0
		h.record(store.AttemptResult{Attempt: gone, Outcome: store.OutcomeFailed})
		rows, err := h.s.Stats(h.ctx, store.StatsParams{Scope: auth.AllTenants(), WebhookIDs: []string{w.ID},
			From: statsOrigin, To: statsOrigin.Add(time.Hour), Bucket: time.Hour})
		ok(t, err, "Stats")
		var lat store.Latency
		lat.Add(0)
		lat.Add(3000)
		equalStats(t, "late result", rows, []store.StatsRow{{Start: statsOrigin,
			Counts: store.Counts{Delivered: 1, Failed: 1, Attempts: 2}, Latency: lat}})
	})

	t.Run("MinuteEdges", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		edge := statsOrigin.Add(time.Minute)
		for _, start := range []time.Time{edge.Add(-time.Microsecond), edge, edge.Add(59 * time.Second)} {
			d := h.deliver(statsOrigin)
			h.record(succeeded(d, start))
		}
		rows, err := h.s.Stats(h.ctx, store.StatsParams{Scope: auth.AllTenants(), WebhookIDs: []string{w.ID},
			From: statsOrigin, To: statsOrigin.Add(3 * time.Minute), Bucket: time.Minute})
		ok(t, err, "Stats")
		var one, two store.Latency
		one.Add(0)
		two.Add(0)
		two.Add(0)
		equalStats(t, "minutes", rows, []store.StatsRow{
			{Start: statsOrigin, Counts: store.Counts{Delivered: 1, Attempts: 1}, Latency: one},
			{Start: edge, Counts: store.Counts{Delivered: 2, Attempts: 2}, Latency: two},
		})
	})

	t.Run("Retain", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		for _, start := range []time.Time{statsOrigin, statsOrigin.Add(time.Minute), statsOrigin.Add(2 * time.Minute)} {
			h.record(succeeded(h.deliver(statsOrigin), start))
		}
		res, err := h.s.Retain(h.ctx, store.RetainParams{RollupBefore: statsOrigin.Add(2 * time.Minute), Batch: 1})
		ok(t, err, "Retain")
		if res != (store.RetainResult{Rollups: 2}) {
			t.Errorf("Retain: got %+v, want 2 rollup rows", res)
		}
		rows, err := h.s.Stats(h.ctx, store.StatsParams{Scope: auth.AllTenants(), WebhookIDs: []string{w.ID},
			From: statsOrigin, To: statsOrigin.Add(time.Hour), Bucket: time.Minute})
		ok(t, err, "Stats")
		if len(rows) != 1 || !rows[0].Start.Equal(statsOrigin.Add(2*time.Minute)) {
			t.Errorf("after retention: got %+v, want the third minute only", rows)
		}
	})
}

// attemptResult is attempt number n of d at start with a random answer
// and duration; the fourth attempt is the last.
func attemptResult(rng *rand.Rand, d webhook.Delivery, start time.Time, n int) store.AttemptResult {
	var r store.AttemptResult
	switch x := rng.IntN(10); {
	case x < 5:
		r = succeeded(d, start)
	case x < 6:
		r = store.AttemptResult{Attempt: attemptOf(d, start, 422), Outcome: store.OutcomeFailed}
	case n == 4:
		r = failed(d, start)
	default:
		r = retried(d, start, start.Add(time.Minute))
	}
	if r.Outcome != store.OutcomeSucceeded && rng.IntN(2) == 0 {
		r.Attempt.StatusCode, r.Attempt.ErrorClass, r.Attempt.Error = 0, webhook.ErrClassTimeout, "timed out"
	}
	r.Attempt.Number = n
	// Log-uniform from 0.1 ms to 200 s: every bin, the open last one too.
	r.Attempt.DurationMS = 0.1 * float64(uint64(1)<<rng.IntN(21)) * (1 + rng.Float64())
	r.Attempt.Destination, r.Attempt.Outcome = webhook.DestinationHTTP, store.OutcomeName(r.Outcome, r.DisableReason)
	return r
}

func mustAttempts(h *harness, id string) []webhook.Attempt {
	h.t.Helper()
	atts, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), id, 1000)
	ok(h.t, err, "AttemptListByWebhook")
	return atts
}

// expectStats buckets attempts read back from the store as the rollup
// should, from the outcome each records: only non-empty buckets from
// from on, in order.
func expectStats(atts []webhook.Attempt, from time.Time, bucket time.Duration) []store.StatsRow {
	byStart := map[time.Time]*store.StatsRow{}
	var starts []time.Time
	for _, a := range atts {
		if a.Test || a.StartedAt.Before(from) {
			continue
		}
		s := from.Add(a.StartedAt.Sub(from) / bucket * bucket)
		r := byStart[s]
		if r == nil {
			r = &store.StatsRow{Start: s}
			byStart[s] = r
			starts = append(starts, s)
		}
		switch a.Outcome {
		case webhook.OutcomeDelivered:
			r.Delivered++
		case webhook.OutcomeFailed, webhook.OutcomeDisabled:
			r.Failed++
		}
		if a.ErrorClass == webhook.ErrClassCancelled {
			continue
		}
		r.Attempts++
		r.Latency.Add(a.DurationMS)
		if !a.Success() {
			r.FailedAttempts++
		}
		if a.Number > 1 {
			r.Retried++
		}
	}
	out := make([]store.StatsRow, 0, len(starts))
	for _, s := range sortedTimes(starts) {
		out = append(out, *byStart[s])
	}
	return out
}

func sortedTimes(ts []time.Time) []time.Time {
	slices.SortFunc(ts, time.Time.Compare)
	return ts
}

// sumStats adds series bucket by bucket.
func sumStats(series ...[]store.StatsRow) []store.StatsRow {
	byStart := map[time.Time]*store.StatsRow{}
	var starts []time.Time
	for _, s := range series {
		for _, r := range s {
			m := byStart[r.Start]
			if m == nil {
				m = &store.StatsRow{Start: r.Start}
				byStart[r.Start] = m
				starts = append(starts, r.Start)
			}
			m.Counts.Add(r.Counts)
			m.Latency.Merge(&r.Latency)
		}
	}
	out := make([]store.StatsRow, 0, len(starts))
	for _, s := range sortedTimes(starts) {
		out = append(out, *byStart[s])
	}
	return out
}

func equalStats(t *testing.T, what string, got, want []store.StatsRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d buckets, want %d:\n got %+v\nwant %+v", what, len(got), len(want), got, want)
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || g.WebhookID != w.WebhookID || g.Counts != w.Counts || g.Latency != w.Latency {
			t.Errorf("%s: bucket %d:\n got %s %+v %v\nwant %s %+v %v", what, i, g.Start, g.Counts, g.Latency,
				w.Start, w.Counts, w.Latency)
		}
	}
}
