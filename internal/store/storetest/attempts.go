package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func normStats(s webhook.WebhookStats) webhook.WebhookStats {
	return normWebhook(webhook.Webhook{Stats: s}).Stats
}

func (h *harness) checkStats(what string, id string, want webhook.WebhookStats) {
	h.t.Helper()
	equal(h.t, what+": stats", h.webhook(id).Stats, want, normStats)
}

// fanOut publishes one event that every webhook of the default tenant
// receives and returns its deliveries by webhook ID.
func (h *harness) fanOut(created time.Time) map[string]webhook.Delivery {
	h.t.Helper()
	res := h.publish(webhook.DefaultTenant, typeOrderCreated, created)
	out := map[string]webhook.Delivery{}
	for _, d := range res.Deliveries {
		out[d.WebhookID] = d
	}
	return out
}

func testAttempts(t *testing.T, open Opener) {
	t.Run("Success", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		start := at(time.Second)
		h.record(succeeded(d, start))

		got := h.delivery(d.ID)
		if got.Status != webhook.DeliverySucceeded || got.Attempts != 1 || got.LastStatusCode != 200 {
			t.Errorf("delivery after success: %+v, want succeeded after 1 attempt with status 200", got)
		}
		h.checkStats("after success", w.ID, webhook.WebhookStats{Deliveries: 1, Attempts: 1, Succeeded: 1, LastSuccessAt: &start})
		if tasks := h.claim("b", at(time.Hour), 10); len(tasks) != 0 {
			t.Errorf("claim after success: got %v, want none", taskIDs(tasks))
		}
	})

	t.Run("RetryThenFail", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		other := h.deliver(t0)
		h.claimUntil("a", t0, at(time.Hour), 10) // other stays leased throughout

		first, next := at(time.Second), at(time.Minute)
		h.record(retried(d, first, next))
		got := h.delivery(d.ID)
		if got.Status != webhook.DeliveryPending || got.Attempts != 1 || got.NextAttemptAt == nil ||
			!got.NextAttemptAt.Equal(next) || got.LastStatusCode != 503 || got.LastError == "" {
			t.Errorf("delivery after a retry: %+v, want pending after 1 attempt, due at %s, with status 503 and an error", got, next)
		}
		h.checkStats("after the first failure", w.ID, webhook.WebhookStats{
			Deliveries: 2, Attempts: 1, LastFailureAt: &first, FailingSince: &first,
		})
		if tasks := h.claim("b", next.Add(-time.Microsecond), 10); len(tasks) != 0 {
			t.Errorf("claim just before the retry time: got %v, want none", taskIDs(tasks))
		}
		if tasks := h.claim("b", next, 10); !slices.Equal(taskIDs(tasks), []string{d.ID}) {
			t.Fatalf("claim at the retry time: got %v, want [%s]", taskIDs(tasks), d.ID)
		}

		second := next.Add(time.Second)
		h.record(failed(d, second))
		got = h.delivery(d.ID)
		if got.Status != webhook.DeliveryFailed || got.Attempts != 2 || got.LastStatusCode != 500 {
			t.Errorf("delivery after the final failure: %+v, want failed after 2 attempts with status 500", got)
		}
		h.checkStats("after the final failure", w.ID, webhook.WebhookStats{
			Deliveries: 2, Attempts: 2, Failed: 1, LastFailureAt: &second, FailingSince: &first,
		})

		third := at(2 * time.Minute)
		h.record(succeeded(other, third))
		h.checkStats("after a later success", w.ID, webhook.WebhookStats{
			Deliveries: 2, Attempts: 3, Succeeded: 1, Failed: 1, LastSuccessAt: &third, LastFailureAt: &second,
		})
		if tasks := h.claim("b", at(time.Hour), 10); len(tasks) != 0 {
			t.Errorf("claim after both ended: got %v, want none", taskIDs(tasks))
		}
	})

	t.Run("FailingSinceRestartsAfterSuccess", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		var ds []webhook.Delivery
		for range 3 {
			ds = append(ds, h.deliver(t0))
		}
		h.claim("a", t0, 10)
		t1, t2, t3 := at(time.Second), at(2*time.Second), at(3*time.Second)
		h.record(retried(ds[0], t1, at(time.Hour)))
		h.record(succeeded(ds[1], t2))
		h.record(retried(ds[2], t3, at(time.Hour)))
		h.checkStats("fail, succeed, fail", w.ID, webhook.WebhookStats{
			Deliveries: 3, Attempts: 3, Succeeded: 1, LastSuccessAt: &t2, LastFailureAt: &t3, FailingSince: &t3,
		})
	})

	t.Run("DisableReason", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		r := store.AttemptResult{Attempt: attemptOf(d, at(time.Second), 410), Outcome: store.OutcomeFailed,
			DisableReason: "endpoint answered 410 Gone"}
		h.record(r)
		got := h.webhook(w.ID)
		if got.Active || got.DisabledReason != r.DisableReason {
			t.Errorf("webhook after a disabling result: active %v, reason %q; want inactive, %q", got.Active, got.DisabledReason, r.DisableReason)
		}
		if got := h.delivery(d.ID).Status; got != webhook.DeliveryFailed {
			t.Errorf("delivery: status %q, want failed", got)
		}
		if res := h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Minute)); len(res.Deliveries) != 0 {
			t.Errorf("event after disabling: %d deliveries, want 0", len(res.Deliveries))
		}
	})

	t.Run("TestAttempts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		test := func(start time.Time, status int, outcome store.Outcome) store.AttemptResult {
			a := attemptOf(webhook.Delivery{WebhookID: w.ID, EventID: "evt_sample", EventType: typeOrderCreated}, start, status)
			a.Test = true
			return store.AttemptResult{Attempt: a, Outcome: outcome}
		}
		bad, good := test(at(time.Second), 500, store.OutcomeFailed), test(at(2*time.Second), 200, store.OutcomeSucceeded)
		h.record(bad)
		h.record(good)

		got, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), w.ID, 10)
		ok(t, err, "AttemptListByWebhook")
		if len(got) != 2 {
			t.Fatalf("AttemptListByWebhook: got %d attempts, want the 2 tests", len(got))
		}
		equal(t, "newest test attempt", got[0], good.Attempt, normAttempt)
		equal(t, "older test attempt", got[1], bad.Attempt, normAttempt)
		h.checkStats("after test sends", w.ID, webhook.WebhookStats{Deliveries: 1})
		if got := h.delivery(d.ID); got.Status != webhook.DeliveryPending || got.Attempts != 0 {
			t.Errorf("real delivery after test sends: %+v, want pending and unattempted", got)
		}
		failing, err := h.s.WebhookFailingSince(h.ctx, at(time.Hour))
		ok(t, err, "WebhookFailingSince")
		if len(failing) != 0 {
			t.Errorf("WebhookFailingSince after a failed test send: %v, want none", webhookIDs(failing))
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		full := webhook.Attempt{
			ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: w.ID, EventID: d.EventID,
			EventType: d.EventType, Number: 1, StartedAt: at(time.Second + 7*time.Microsecond), DurationMS: 1234.5,
			URL:            "https://receiver.example.com/in?x=1&y=%20",
			RequestHeaders: header("Content-Type", "application/json", "Webhook-Id", d.ID, "X-Multi", "a", "X-Multi", "b"),
			RequestBody:    []byte(`{"id": "evt",  "data":{"é":"\u00e9"}}`), StatusCode: 502,
			ResponseHeaders:   header("Content-Type", "text/html", "Retry-After", "120"),
			ResponseBody:      []byte("<html>\x00\xff\xfe bad gateway</html>"),
			ResponseTruncated: true, ErrorClass: webhook.ErrClassHTTPStatus, Error: "HTTP 502 Bad Gateway",
		}
		test := webhook.Attempt{
			ID: webhook.NewID(webhook.PrefixAttempt), WebhookID: w.ID, EventID: "evt_sample", EventType: typeUserSignup,
			Number: 1, Test: true, StartedAt: at(time.Minute), DurationMS: 10000, URL: "https://receiver.example.com/t",
			RequestHeaders: header("Content-Type", "application/json"), RequestBody: []byte(`{}`),
			ErrorClass: webhook.ErrClassTimeout, Error: "timeout after 10s",
		}
		h.record(store.AttemptResult{Attempt: full, Outcome: store.OutcomeRetry, NextAttemptAt: at(time.Hour)},
			store.AttemptResult{Attempt: test, Outcome: store.OutcomeFailed})

		list, err := h.s.AttemptList(h.ctx, auth.AllTenants(), d.ID)
		ok(t, err, "AttemptList")
		if len(list) != 1 {
			t.Fatalf("AttemptList: got %d attempts, want 1", len(list))
		}
		equal(t, "AttemptList", list[0], full, normAttempt)
		for _, b := range []struct{ got, want []byte }{{list[0].RequestBody, full.RequestBody}, {list[0].ResponseBody, full.ResponseBody}} {
			if string(b.got) != string(b.want) {
				t.Errorf("body bytes changed: got %q, want %q", b.got, b.want)
			}
		}
		byHook, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), w.ID, 10)
		ok(t, err, "AttemptListByWebhook")
		if len(byHook) != 2 {
			t.Fatalf("AttemptListByWebhook: got %d attempts, want 2", len(byHook))
		}
		equal(t, "AttemptListByWebhook[0]", byHook[0], test, normAttempt)
		equal(t, "AttemptListByWebhook[1]", byHook[1], full, normAttempt)
	})

	t.Run("ListOrder", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d1 := h.deliver(t0)
		d2 := h.deliver(t0)
		h.claim("a", t0, 10)
		var all []store.AttemptResult // oldest first
		rec := func(r store.AttemptResult) {
			h.record(r)
			all = append(all, r)
		}
		rec(retried(d1, at(1*time.Second), at(time.Minute)))
		rec(retried(d2, at(2*time.Second), at(time.Minute)))
		h.claim("a", at(time.Minute), 10)
		rec(retried(d1, at(61*time.Second), at(2*time.Minute)))
		rec(succeeded(d2, at(62*time.Second)))
		h.claim("a", at(2*time.Minute), 10)
		rec(succeeded(d1, at(121*time.Second)))

		list, err := h.s.AttemptList(h.ctx, auth.AllTenants(), d1.ID)
		ok(t, err, "AttemptList")
		if want := []string{all[0].Attempt.ID, all[2].Attempt.ID, all[4].Attempt.ID}; !slices.Equal(attemptIDs(list), want) {
			t.Errorf("AttemptList(d1): got %v, want oldest first %v", attemptIDs(list), want)
		}
		var newest []string
		for _, r := range slices.Backward(all) {
			newest = append(newest, r.Attempt.ID)
		}
		for _, c := range []struct {
			limit int
			want  []string
		}{{10, newest}, {2, newest[:2]}} {
			got, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), w.ID, c.limit)
			ok(t, err, "AttemptListByWebhook")
			if !slices.Equal(attemptIDs(got), c.want) {
				t.Errorf("AttemptListByWebhook(limit %d): got %v, want newest first %v", c.limit, attemptIDs(got), c.want)
			}
		}
		if got := h.delivery(d1.ID); got.Status != webhook.DeliverySucceeded || got.Attempts != 3 {
			t.Errorf("d1: %+v, want succeeded after 3 attempts", got)
		}
		list, err = h.s.AttemptList(h.ctx, auth.AllTenants(), webhook.NewID(webhook.PrefixDelivery))
		ok(t, err, "AttemptList of an unknown delivery")
		if len(list) != 0 {
			t.Errorf("AttemptList of an unknown delivery: %d attempts", len(list))
		}
	})

	t.Run("StaleResults", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			name string
			// stale brings the store's only delivery d, claimed at t0 by
			// worker "a", to a state in which a's result is stale.
			stale func(h *harness, w webhook.Webhook, d webhook.Delivery)
			want  webhook.DeliveryStatus
		}{
			{"webhook deleted", func(h *harness, w webhook.Webhook, d webhook.Delivery) {
				ok(h.t, h.s.WebhookDelete(h.ctx, auth.AllTenants(), w.ID), "WebhookDelete")
			}, webhook.DeliveryFailed},
			{"retried by hand and delivered", func(h *harness, w webhook.Webhook, d webhook.Delivery) {
				// a's lease ran out; a user retried; b delivered.
				_, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), d.ID, at(2*time.Minute))
				ok(h.t, err, "DeliveryRetry")
				if len(h.claim("b", at(2*time.Minute), 1)) != 1 {
					h.t.Fatal("claim by b: want the retried delivery")
				}
				h.record(succeeded(d, at(2*time.Minute+time.Second)))
			}, webhook.DeliverySucceeded},
			{"retried by hand and failed", func(h *harness, w webhook.Webhook, d webhook.Delivery) {
				_, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), d.ID, at(2*time.Minute))
				ok(h.t, err, "DeliveryRetry")
				h.claim("b", at(2*time.Minute), 1)
				h.record(failed(d, at(2*time.Minute+time.Second)))
			}, webhook.DeliveryFailed},
		} {
			for _, late := range []struct {
				name   string
				result func(d webhook.Delivery) store.AttemptResult
			}{
				{"success", func(d webhook.Delivery) store.AttemptResult { return succeeded(d, at(time.Second)) }},
				{"retry", func(d webhook.Delivery) store.AttemptResult { return retried(d, at(time.Second), at(time.Hour)) }},
				{"failure", func(d webhook.Delivery) store.AttemptResult { return failed(d, at(time.Second)) }},
			} {
				t.Run(c.name+"/late "+late.name, func(t *testing.T) {
					t.Parallel()
					h := setup(t, open)
					w := h.createWebhook()
					d := h.deliver(t0)
					h.claim("a", t0, 1)
					c.stale(h, w, d)
					before := h.delivery(d.ID)
					if before.Status != c.want {
						t.Fatalf("set-up: delivery %q, want %q", before.Status, c.want)
					}
					var stats webhook.WebhookStats
					if c.want == webhook.DeliverySucceeded {
						stats = h.webhook(w.ID).Stats
					}

					h.record(late.result(d))
					after := h.delivery(d.ID)
					if after.Status != before.Status || !sameTimePtr(after.NextAttemptAt, before.NextAttemptAt) {
						t.Errorf("a late %s moved a %s delivery: %+v", late.name, before.Status, after)
					}
					if tasks := h.claim("c", at(2*time.Hour), 10); len(tasks) != 0 {
						t.Errorf("claim after a late result: got %v, want none", taskIDs(tasks))
					}
					if c.want == webhook.DeliverySucceeded {
						// The delivery's outcome counters stay as they were.
						got := h.webhook(w.ID).Stats
						if got.Succeeded != stats.Succeeded || got.Failed != stats.Failed {
							t.Errorf("late %s changed outcome counts: succeeded %d→%d, failed %d→%d",
								late.name, stats.Succeeded, got.Succeeded, stats.Failed, got.Failed)
						}
					}
				})
			}
		}
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		a, b, c := h.createWebhook(), h.createWebhook(), h.createWebhook()
		var fan []map[string]webhook.Delivery
		for i := range 4 {
			fan = append(fan, h.fanOut(at(time.Duration(i)*time.Millisecond)))
		}
		if tasks := h.claim("a", t0.Add(time.Second), 100); len(tasks) != 12 {
			t.Fatalf("claim: got %d, want 12", len(tasks))
		}
		s := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
		later := at(time.Hour)
		probe := attemptOf(webhook.Delivery{WebhookID: a.ID, EventID: "evt_sample", EventType: typeOrderCreated}, s(5), 500)
		probe.Test = true
		// Interleaved across webhooks and out of time order, as a batch of
		// results from concurrent workers arrives.
		batch := []store.AttemptResult{
			retried(fan[0][b.ID], s(3), later),
			succeeded(fan[3][c.ID], s(4)),
			failed(fan[0][a.ID], s(1)),
			retried(fan[1][b.ID], s(1), later),
			{Attempt: probe, Outcome: store.OutcomeFailed},
			succeeded(fan[2][c.ID], s(3)),
			retried(fan[1][a.ID], s(2), later),
			succeeded(fan[3][a.ID], s(4)),
			retried(fan[2][b.ID], s(2), later),
			succeeded(fan[1][c.ID], s(2)),
			succeeded(fan[2][a.ID], s(3)),
			failed(fan[3][b.ID], s(4)),
			succeeded(fan[0][c.ID], s(1)),
		}
		h.record(batch...)

		h.checkStats("webhook a", a.ID, webhook.WebhookStats{Deliveries: 4, Attempts: 4, Succeeded: 2, Failed: 1,
			LastSuccessAt: timePtr(s(4)), LastFailureAt: timePtr(s(2))})
		h.checkStats("webhook b", b.ID, webhook.WebhookStats{Deliveries: 4, Attempts: 4, Failed: 1,
			LastFailureAt: timePtr(s(4)), FailingSince: timePtr(s(1))})
		h.checkStats("webhook c", c.ID, webhook.WebhookStats{Deliveries: 4, Attempts: 4, Succeeded: 4,
			LastSuccessAt: timePtr(s(4))})
		for _, r := range batch {
			if r.Attempt.Test {
				continue
			}
			want := map[store.Outcome]webhook.DeliveryStatus{
				store.OutcomeSucceeded: webhook.DeliverySucceeded, store.OutcomeRetry: webhook.DeliveryPending,
				store.OutcomeFailed: webhook.DeliveryFailed,
			}[r.Outcome]
			if got := h.delivery(r.Attempt.DeliveryID); got.Status != want || got.Attempts != 1 {
				t.Errorf("delivery %s: %q after %d attempts, want %q after 1", got.ID, got.Status, got.Attempts, want)
			}
		}
		counts, err := h.s.DeliveryCounts(h.ctx)
		ok(t, err, "DeliveryCounts")
		want := map[webhook.DeliveryStatus]int64{webhook.DeliverySucceeded: 6, webhook.DeliveryPending: 4, webhook.DeliveryFailed: 2}
		for st, n := range want {
			if counts[st] != n {
				t.Errorf("DeliveryCounts[%s]: %d, want %d", st, counts[st], n)
			}
		}
		list, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), a.ID, 100)
		ok(t, err, "AttemptListByWebhook")
		if len(list) != 5 {
			t.Errorf("AttemptListByWebhook(a): %d attempts, want 5 (4 and a test)", len(list))
		}
	})

	t.Run("BatchFailingSince", func(t *testing.T) {
		t.Parallel()
		// Each step is one attempt result of its own delivery: a success or
		// a failure (to retry) at second n. FailingSince is "the time of the
		// first failed attempt after the last success", whether the results
		// came one call at a time or in one batch.
		type step struct {
			ok bool
			at int
		}
		for _, c := range []struct {
			name  string
			prior []step // each recorded in its own call
			batch []step // recorded in one call
			want  int    // FailingSince in seconds, 0 = nil
		}{
			{name: "failures", batch: []step{{false, 2}, {false, 1}}, want: 1},
			{name: "fail then succeed", batch: []step{{false, 1}, {true, 2}}, want: 0},
			{name: "succeed then fail", batch: []step{{true, 1}, {false, 2}, {false, 3}}, want: 2},
			{name: "fail succeed fail", batch: []step{{false, 1}, {true, 2}, {false, 3}}, want: 3},
			{name: "fail succeed fail out of order", batch: []step{{false, 3}, {true, 2}, {false, 1}}, want: 3},
			{name: "prior failure kept", prior: []step{{false, 1}}, batch: []step{{false, 2}}, want: 1},
			{name: "prior failure cleared by success", prior: []step{{false, 1}}, batch: []step{{true, 2}, {false, 3}}, want: 3},
			{name: "prior failure then success", prior: []step{{false, 1}}, batch: []step{{true, 2}}, want: 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				h := setup(t, open)
				w := h.createWebhook()
				result := func(s step) store.AttemptResult {
					d := h.deliver(t0)
					if len(h.claim("a", t0, 1)) != 1 {
						t.Fatal("claim: want the new delivery")
					}
					start := at(time.Duration(s.at) * time.Second)
					if s.ok {
						return succeeded(d, start)
					}
					return retried(d, start, at(time.Hour))
				}
				for _, s := range c.prior {
					h.record(result(s))
				}
				var batch []store.AttemptResult
				for _, s := range c.batch {
					batch = append(batch, result(s))
				}
				h.record(batch...)
				var want *time.Time
				if c.want != 0 {
					want = timePtr(at(time.Duration(c.want) * time.Second))
				}
				if got := h.webhook(w.ID).Stats.FailingSince; !sameTimePtr(got, want) {
					t.Errorf("FailingSince: got %s, want %s", fmtTimePtr(got), fmtTimePtr(want))
				}
			})
		}
	})

	t.Run("WebhookFailingSince", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		failing := h.createWebhook()
		disabled := h.createWebhook()
		healthy := h.createWebhook()
		recent := h.createWebhook()
		boundary := h.createWebhook()
		h.createWebhook() // never attempted
		byHook := h.fanOut(t0)
		h.claim("a", t0, 100)
		h.record(
			retried(byHook[failing.ID], at(1*time.Second), at(time.Hour)),
			retried(byHook[disabled.ID], at(1*time.Second), at(time.Hour)),
			succeeded(byHook[healthy.ID], at(1*time.Second)),
			retried(byHook[recent.ID], at(10*time.Second), at(time.Hour)),
			retried(byHook[boundary.ID], at(5*time.Second), at(time.Hour)),
		)
		ok(t, h.s.WebhookDisable(h.ctx, auth.AllTenants(), disabled.ID, "failing for too long", at(2*time.Second)), "WebhookDisable")

		for _, c := range []struct {
			t    time.Time
			want []string
		}{
			{at(1 * time.Second), nil},
			{at(5 * time.Second), []string{failing.ID}},
			{at(11 * time.Second), []string{failing.ID, boundary.ID, recent.ID}},
		} {
			got, err := h.s.WebhookFailingSince(h.ctx, c.t)
			ok(t, err, "WebhookFailingSince")
			if !sameSet(webhookIDs(got), c.want) {
				t.Errorf("WebhookFailingSince(%s): got %v, want %v", c.t, webhookIDs(got), c.want)
			}
			for _, w := range got {
				if w.Stats.FailingSince == nil || !w.Stats.FailingSince.Before(c.t) {
					t.Errorf("WebhookFailingSince(%s): %s failing since %s", c.t, w.ID, fmtTimePtr(w.Stats.FailingSince))
				}
			}
		}
	})
}

func attemptIDs(as []webhook.Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// testLateResult: an instance whose lease ran out, and whose delivery was
// re-claimed by another instance, records its result late. The attempt is
// logged but the delivery follows the owner that holds it now.
func testLateResult(t *testing.T, open Opener) {
	h := setup(t, open)
	h.createWebhook()
	d := h.deliver(t0)
	if got := h.claimUntil("a", t0, at(time.Minute), 1); len(got) != 1 {
		t.Fatalf("first claim: got %d tasks", len(got))
	}
	if got := h.claimUntil("b", at(2*time.Minute), at(3*time.Minute), 1); len(got) != 1 {
		t.Fatalf("claim after the lease ran out: got %d tasks", len(got))
	}
	late := failed(d, at(90*time.Second))
	late.Lease.Owner = "a"
	h.record(late)
	if got := h.delivery(d.ID); got.Status != webhook.DeliveryPending || got.Attempts != 0 {
		t.Fatalf("late result of a lost lease changed the delivery: %+v", got)
	}
	atts, err := h.s.AttemptList(h.ctx, auth.AllTenants(), d.ID)
	ok(t, err, "AttemptList")
	if len(atts) != 1 {
		t.Fatalf("the late attempt is not logged: %d attempts", len(atts))
	}
	current := succeeded(d, at(150*time.Second))
	current.Lease.Owner = "b"
	h.record(current)
	if got := h.delivery(d.ID); got.Status != webhook.DeliverySucceeded || got.Attempts != 1 {
		t.Fatalf("the current owner's result did not apply: %+v", got)
	}
}

// testReclaimedBySameOwner: the lease end fences results. A result that
// outlived its lease while the same owner re-claimed the delivery (a
// result stuck in a retrying write) does not apply to the new lease.
func testReclaimedBySameOwner(t *testing.T, open Opener) {
	h := setup(t, open)
	h.createWebhook()
	d := h.deliver(t0)
	first := h.claimUntil("a", t0, at(time.Minute), 1)
	second := h.claimUntil("a", at(2*time.Minute), at(3*time.Minute), 1)
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("claims: %d then %d tasks", len(first), len(second))
	}
	stale := failed(d, at(90*time.Second))
	stale.Lease = first[0].Lease
	h.record(stale)
	if got := h.delivery(d.ID); got.Status != webhook.DeliveryPending || got.Attempts != 0 {
		t.Fatalf("a result of the expired lease applied to the new one: %+v", got)
	}
	current := succeeded(d, at(150*time.Second))
	current.Lease = second[0].Lease
	h.record(current)
	if got := h.delivery(d.ID); got.Status != webhook.DeliverySucceeded || got.Attempts != 1 {
		t.Fatalf("the current lease's result did not apply: %+v", got)
	}
}

// testAttemptBodyOfEvent: an attempt whose body is its event's, in
// either format (webhook.Attempt.RequestBodyOf), is read back with that
// body byte for byte, though the store keeps only a reference; clearing
// bodies by retention forgets the reference too.
func testAttemptBodyOfEvent(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook()
	d, d2 := h.deliver(t0), h.deliver(t0.Add(time.Millisecond+time.Microsecond))
	h.claim("a", at(time.Second), 10)
	ofEvent := func(r store.AttemptResult, format webhook.Format) store.AttemptResult {
		ev, err := h.s.EventGet(h.ctx, auth.AllTenants(), r.Attempt.EventID)
		ok(t, err, "EventGet")
		r.Attempt.RequestBodyOf, r.Attempt.RequestBody = format, webhook.Body(format, ev)
		return r
	}
	env := ofEvent(succeeded(d, at(time.Second)), webhook.FormatEnvelope)
	raw := ofEvent(retried(d2, at(2*time.Second), at(time.Hour)), webhook.FormatRaw)
	if !strings.Contains(string(env.Attempt.RequestBody), `"timestamp":"`) || len(raw.Attempt.RequestBody) == 0 {
		t.Fatalf("set-up: bodies %s and %s", env.Attempt.RequestBody, raw.Attempt.RequestBody)
	}
	h.record(env, raw)
	checkAttempts(t, "AttemptList (envelope)", h.attempts(d.ID), env.Attempt)
	checkAttempts(t, "AttemptList (raw)", h.attempts(d2.ID), raw.Attempt)
	checkAttempts(t, "AttemptListByWebhook", h.webhookAttempts(w.ID), env.Attempt, raw.Attempt)

	h.retain(store.RetainParams{BodiesBefore: at(time.Hour), Batch: 100}, store.RetainResult{Bodies: 2})
	for _, a := range h.webhookAttempts(w.ID) {
		if len(a.RequestBody) != 0 || a.RequestBodyOf != "" {
			t.Errorf("attempt %s after its bodies were cleared: body %q of %q", a.ID, a.RequestBody, a.RequestBodyOf)
		}
	}
}
