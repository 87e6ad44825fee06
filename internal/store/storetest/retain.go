package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func (h *harness) retain(p store.RetainParams, want store.RetainResult) {
	h.t.Helper()
	got, err := h.s.Retain(h.ctx, p)
	ok(h.t, err, "Retain")
	if got != want {
		h.t.Errorf("Retain(events before %s, attempts before %s, bodies before %s, batch %d):\n got %+v\nwant %+v",
			fmtRetainTime(p.EventsBefore), fmtRetainTime(p.AttemptsBefore), fmtRetainTime(p.BodiesBefore), p.Batch, got, want)
	}
}

func fmtRetainTime(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return "t0+" + t.Sub(t0).String()
}

// testSend is a failed test send to w (an attempt without a delivery).
func testSend(w webhook.Webhook, start time.Time) store.AttemptResult {
	a := attemptOf(webhook.Delivery{WebhookID: w.ID, EventID: "evt_sample", EventType: typeOrderCreated}, start, 500)
	a.Test = true
	return store.AttemptResult{Attempt: a, Outcome: store.OutcomeFailed}
}

// withBodies gives r's attempt request and response headers and bodies.
func withBodies(r store.AttemptResult) store.AttemptResult {
	a := &r.Attempt
	a.RequestHeaders = header("Content-Type", "application/json", "Webhook-Id", a.ID)
	a.RequestBody = []byte(`{"type":"` + a.EventType + `","data":{"big":"payload"}}`)
	a.ResponseHeaders = header("Content-Type", "text/plain", "X-Multi", "a", "X-Multi", "b")
	a.ResponseBody = []byte("\xff answer of " + a.ID)
	return r
}

// withoutBodies is a as retention leaves it once its bodies are cleared.
func withoutBodies(a webhook.Attempt) webhook.Attempt {
	a.RequestBody, a.ResponseBody, a.RequestBodyOf = nil, nil, ""
	return a
}

func (h *harness) attempts(deliveryID string) []webhook.Attempt {
	h.t.Helper()
	as, err := h.s.AttemptList(h.ctx, auth.AllTenants(), deliveryID)
	ok(h.t, err, "AttemptList")
	return as
}

func (h *harness) webhookAttempts(webhookID string) []webhook.Attempt {
	h.t.Helper()
	as, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), webhookID, 1000)
	ok(h.t, err, "AttemptListByWebhook")
	return as
}

// checkAttempts compares the attempts got with want, ignoring order.
func checkAttempts(t *testing.T, what string, got []webhook.Attempt, want ...webhook.Attempt) {
	t.Helper()
	if !sameSet(attemptIDs(got), attemptIDs(want)) {
		t.Errorf("%s: got attempts %v, want %v", what, attemptIDs(got), attemptIDs(want))
		return
	}
	byID := map[string]webhook.Attempt{}
	for _, a := range got {
		byID[a.ID] = a
	}
	for _, a := range want {
		equal(t, what+": attempt "+a.ID, byID[a.ID], a, normAttempt)
	}
}

func (h *harness) eventGone(id, what string) {
	h.t.Helper()
	_, err := h.s.EventGet(h.ctx, auth.AllTenants(), id)
	wantCode(h.t, err, webhook.ENOTFOUND, what+": EventGet")
}

func (h *harness) eventKept(id, what string) {
	h.t.Helper()
	_, err := h.s.EventGet(h.ctx, auth.AllTenants(), id)
	ok(h.t, err, what+": EventGet")
}

func (h *harness) deliveryGone(id, what string) {
	h.t.Helper()
	_, err := h.s.DeliveryGet(h.ctx, auth.AllTenants(), id)
	wantCode(h.t, err, webhook.ENOTFOUND, what+": DeliveryGet")
}

func (h *harness) counts(what string, want map[webhook.DeliveryStatus]int64) {
	h.t.Helper()
	got, err := h.s.DeliveryCounts(h.ctx)
	ok(h.t, err, "DeliveryCounts")
	for _, st := range []webhook.DeliveryStatus{webhook.DeliveryPending, webhook.DeliverySucceeded, webhook.DeliveryFailed} {
		if got[st] != want[st] {
			h.t.Errorf("%s: DeliveryCounts[%s] = %d, want %d", what, st, got[st], want[st])
		}
	}
}

func testRetain(t *testing.T, open Opener) {
	s := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	cutoff := at(time.Hour)
	later := at(2 * time.Hour)

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		paid := h.createWebhook(subscribed(typeOrderPaid))
		done := h.deliver(s(1))
		gaveUp := h.deliver(s(2))
		pending := h.deliver(s(3))
		mixed := h.publish(webhook.DefaultTenant, typeOrderPaid, s(4)) // to w and paid
		orphan := h.publish(tenantOther, typeOrderCreated, s(5))       // to nobody
		edge := h.deliver(cutoff)                                      // not created before the cutoff
		fresh := h.deliver(later)
		if len(mixed.Deliveries) != 2 || len(orphan.Deliveries) != 0 {
			t.Fatalf("set-up: %d and %d deliveries, want 2 and 0", len(mixed.Deliveries), len(orphan.Deliveries))
		}
		mixedDone, mixedPending := mixed.Deliveries[0], mixed.Deliveries[1]
		if mixedDone.WebhookID != w.ID {
			mixedDone, mixedPending = mixedPending, mixedDone
		}
		if mixedPending.WebhookID != paid.ID {
			t.Fatalf("set-up: deliveries to %s and %s, want %s and %s", mixedDone.WebhookID, mixedPending.WebhookID, w.ID, paid.ID)
		}
		if n := len(h.claim("a", later, 100)); n != 7 {
			t.Fatalf("set-up: claimed %d deliveries, want 7", n)
		}
		// paid's delivery of mixed stays leased, and so pending, throughout.
		h.record(retried(done, later.Add(1*time.Second), later.Add(30*time.Second)),
			failed(gaveUp, later.Add(2*time.Second)),
			retried(pending, later.Add(3*time.Second), at(3*time.Hour)),
			succeeded(mixedDone, later.Add(4*time.Second)),
			succeeded(edge, later.Add(5*time.Second)),
			succeeded(fresh, later.Add(6*time.Second)))
		if n := len(h.claim("a", later.Add(30*time.Second), 100)); n != 1 {
			t.Fatalf("set-up: claimed %d deliveries for the retry, want 1", n)
		}
		h.record(succeeded(h.delivery(done.ID), later.Add(31*time.Second)))
		if n := len(h.webhookAttempts(w.ID)); n != 7 {
			t.Fatalf("set-up: %d attempts, want 7", n)
		}

		// done (2 attempts), gaveUp (1) and orphan (no delivery) go.
		h.retain(store.RetainParams{EventsBefore: cutoff, Batch: 100}, store.RetainResult{Events: 3, Deliveries: 2, Attempts: 3})
		for _, d := range []webhook.Delivery{done, gaveUp} {
			h.eventGone(d.EventID, "old event with a final delivery")
			h.deliveryGone(d.ID, "delivery of a removed event")
			if as := h.attempts(d.ID); len(as) != 0 {
				t.Errorf("attempts of a removed delivery: %v", attemptIDs(as))
			}
		}
		h.eventGone(orphan.Event.ID, "old event without deliveries")

		for what, d := range map[string]webhook.Delivery{
			"old event with a pending delivery": pending, "old event with one delivery final, one pending": mixedDone,
			"event created at the cutoff": edge, "new event": fresh,
		} {
			h.eventKept(d.EventID, what)
			h.delivery(d.ID)
			if as := h.attempts(d.ID); len(as) != 1 {
				t.Errorf("%s: %d attempts, want 1", what, len(as))
			}
		}
		if n := len(h.webhookAttempts(w.ID)); n != 4 {
			t.Errorf("attempts left: %d, want 4", n)
		}
		h.counts("after retention", map[webhook.DeliveryStatus]int64{webhook.DeliveryPending: 2, webhook.DeliverySucceeded: 3})
		if got := h.delivery(mixedPending.ID); got.Status != webhook.DeliveryPending {
			t.Errorf("pending delivery of a kept event: %q, want still pending", got.Status)
		}

		h.retain(store.RetainParams{EventsBefore: cutoff, Batch: 100}, store.RetainResult{})
	})

	// Batch bounds each write, not the total: every old row goes.
	t.Run("Batches", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		// The oldest events still have pending deliveries, more of them
		// than one batch holds: they must not stop the others going.
		var pending, final []webhook.Delivery
		for i := range 3 {
			pending = append(pending, h.deliver(s(i)))
		}
		for i := range 7 {
			final = append(final, h.deliver(s(10+i)))
		}
		if n := len(h.claim("a", at(time.Minute), 100)); n != 10 {
			t.Fatalf("set-up: claimed %d, want 10", n)
		}
		var results []store.AttemptResult
		for i, d := range final {
			results = append(results, succeeded(d, at(time.Minute+time.Duration(i)*time.Second)))
		}
		for i := range 5 {
			results = append(results, withBodies(testSend(w, s(20+i))))
		}
		h.record(results...)

		h.retain(store.RetainParams{EventsBefore: cutoff, Batch: 2}, store.RetainResult{Events: 7, Deliveries: 7, Attempts: 7})
		h.retain(store.RetainParams{BodiesBefore: cutoff, Batch: 2}, store.RetainResult{Bodies: 5})
		for _, a := range h.webhookAttempts(w.ID) {
			if len(a.RequestBody) != 0 || len(a.ResponseBody) != 0 {
				t.Errorf("attempt %s keeps its bodies", a.ID)
			}
		}
		h.retain(store.RetainParams{AttemptsBefore: cutoff, Batch: 2}, store.RetainResult{Attempts: 5})

		page, err := h.s.EventList(h.ctx, store.EventListParams{Scope: auth.AllTenants(), Limit: 100})
		ok(t, err, "EventList")
		var want []string
		for _, d := range slices.Backward(pending) {
			want = append(want, d.EventID)
		}
		if got := eventIDs(page.Events); !slices.Equal(got, want) {
			t.Errorf("events left: %v, want the pending ones %v", got, want)
		}
		if as := h.webhookAttempts(w.ID); len(as) != 0 {
			t.Errorf("attempts left: %v", attemptIDs(as))
		}
		h.counts("after retention", map[webhook.DeliveryStatus]int64{webhook.DeliveryPending: 3})
		h.retain(store.RetainParams{EventsBefore: cutoff, AttemptsBefore: cutoff, BodiesBefore: cutoff, Batch: 2}, store.RetainResult{})
	})

	t.Run("Attempts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		d2 := h.deliver(t0)
		h.claim("a", t0, 10)
		old := retried(d, s(1), later)
		edge := succeeded(d2, cutoff) // started at the cutoff, not before
		oldTest, newTest := testSend(w, s(2)), testSend(w, at(3*time.Hour))
		h.record(old, edge, oldTest, newTest)
		h.claim("a", later, 10)
		fresh := succeeded(h.delivery(d.ID), later)
		h.record(fresh)

		h.retain(store.RetainParams{AttemptsBefore: cutoff, Batch: 100}, store.RetainResult{Attempts: 2})
		checkAttempts(t, "AttemptList(d)", h.attempts(d.ID), fresh.Attempt)
		checkAttempts(t, "AttemptList(d2)", h.attempts(d2.ID), edge.Attempt)
		checkAttempts(t, "AttemptListByWebhook", h.webhookAttempts(w.ID), fresh.Attempt, edge.Attempt, newTest.Attempt)
		// Events and deliveries are another part, skipped here.
		for _, x := range []webhook.Delivery{d, d2} {
			h.eventKept(x.EventID, "event of a retained attempt")
			if got := h.delivery(x.ID); got.Status != webhook.DeliverySucceeded {
				t.Errorf("delivery %s: %q, want still succeeded", x.ID, got.Status)
			}
		}

		h.retain(store.RetainParams{AttemptsBefore: cutoff, Batch: 100}, store.RetainResult{})
	})

	t.Run("Bodies", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		old := withBodies(retried(d, s(1), later))
		oldTest, newTest := withBodies(testSend(w, s(2))), withBodies(testSend(w, at(3*time.Hour)))
		h.record(old, oldTest, newTest)
		h.claim("a", later, 1)
		fresh := withBodies(succeeded(h.delivery(d.ID), later))
		edge := withBodies(testSend(w, cutoff))
		h.record(fresh, edge)

		h.retain(store.RetainParams{BodiesBefore: cutoff, Batch: 100}, store.RetainResult{Bodies: 2})
		clearedOld, clearedTest := withoutBodies(old.Attempt), withoutBodies(oldTest.Attempt)
		checkAttempts(t, "AttemptList", h.attempts(d.ID), clearedOld, fresh.Attempt)
		checkAttempts(t, "AttemptListByWebhook", h.webhookAttempts(w.ID),
			clearedOld, clearedTest, fresh.Attempt, edge.Attempt, newTest.Attempt)
		h.eventKept(d.EventID, "event of an attempt whose bodies went")

		h.retain(store.RetainParams{BodiesBefore: cutoff, Batch: 100}, store.RetainResult{})
	})

	// A zero time skips its part, whatever the others do.
	t.Run("ZeroTimes", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		sent, test := withBodies(succeeded(d, s(1))), withBodies(testSend(w, s(2)))
		h.record(sent, test)

		h.retain(store.RetainParams{Batch: 10}, store.RetainResult{})
		checkAttempts(t, "after retaining nothing", h.webhookAttempts(w.ID), sent.Attempt, test.Attempt)
		h.eventKept(d.EventID, "after retaining nothing")

		h.retain(store.RetainParams{BodiesBefore: cutoff, Batch: 10}, store.RetainResult{Bodies: 2})
		checkAttempts(t, "after clearing bodies only", h.webhookAttempts(w.ID), withoutBodies(sent.Attempt), withoutBodies(test.Attempt))
		h.eventKept(d.EventID, "after clearing bodies only")

		h.retain(store.RetainParams{AttemptsBefore: cutoff, Batch: 10}, store.RetainResult{Attempts: 2})
		checkAttempts(t, "after removing attempts only", h.webhookAttempts(w.ID))
		h.eventKept(d.EventID, "after removing attempts only")
		h.delivery(d.ID)

		h.retain(store.RetainParams{EventsBefore: cutoff, Batch: 10}, store.RetainResult{Events: 1, Deliveries: 1})
		h.eventGone(d.EventID, "after removing events")
		h.deliveryGone(d.ID, "after removing events")
	})
}
