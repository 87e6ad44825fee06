package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testRateLimit: a webhook's rate limit is stored, changed and removed,
// and stats.throttled counts the attempts that waited for it (requests
// made only: a cancelled attempt made none).
func testRateLimit(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(func(w *webhook.Webhook) { w.RateLimit = &webhook.RateLimit{PerSecond: 50} })
	if got := h.webhook(w.ID).RateLimit; got == nil || *got != (webhook.RateLimit{PerSecond: 50}) {
		t.Fatalf("rate limit read back %+v", got)
	}
	w.RateLimit = &webhook.RateLimit{PerMinute: 600}
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.webhook(w.ID).RateLimit; got == nil || *got != (webhook.RateLimit{PerMinute: 600}) {
		t.Fatalf("rate limit after update %+v", got)
	}
	w.RateLimit = nil
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.webhook(w.ID).RateLimit; got != nil {
		t.Fatalf("rate limit after removal %+v", got)
	}

	d1, d2, d3 := h.deliver(t0), h.deliver(t0), h.deliver(t0)
	h.claim("a", t0, 3)
	waited := retried(d1, at(time.Second), at(time.Minute))
	waited.Throttled = true
	cancelled := failed(d3, at(time.Second))
	cancelled.Attempt.ErrorClass, cancelled.Throttled = webhook.ErrClassCancelled, true
	h.record(waited, succeeded(d2, at(time.Second)), cancelled)
	s := h.webhook(w.ID).Stats
	if s.Throttled != 1 || s.Attempts != 2 {
		t.Fatalf("throttled %d of %d attempts, want 1 of 2", s.Throttled, s.Attempts)
	}
}

// fifoHook makes a FIFO webhook keyed by data.k.
func fifoHook(w *webhook.Webhook) { w.Ordering, w.OrderingKey = webhook.OrderingFIFO, "data.k" }

// publishKey publishes an event with data {"k": key} at created, leased
// to owner when owner is not "".
func (h *harness) publishKey(key, owner string, created time.Time) store.EventCreateResult {
	h.t.Helper()
	ev := newEvent(webhook.DefaultTenant, typeOrderCreated, created)
	ev.Data = json.RawMessage(fmt.Sprintf(`{"k": %q}`, key))
	p := store.EventCreateParams{Event: ev, IdempotencySince: created.Add(-time.Hour)}
	if owner != "" {
		p.Lease = &store.LeaseRequest{Lease: store.Lease{Owner: owner, Until: created.Add(time.Minute)}}
	}
	return h.create(p)
}

// testFIFOIngest: a FIFO webhook's deliveries are numbered in publish
// order with their key; ingest leases one only as its key's head.
func testFIFOIngest(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(fifoHook)
	plain := h.createWebhook()
	type want struct {
		key    string
		seq    int64
		leased bool
	}
	for i, tt := range []want{{"a", 1, true}, {"b", 2, true}, {"a", 3, false}, {"", 4, true}} {
		var res store.EventCreateResult
		if tt.key != "" {
			res = h.publishKey(tt.key, "me", at(time.Duration(i)*time.Second))
		} else {
			ev := newEvent(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Second))
			ev.Data = json.RawMessage(`{"other": 1}`) // no key: the empty key
			res = h.create(store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour),
				Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "me", Until: at(time.Hour)}}})
		}
		var got *webhook.Delivery
		for j := range res.Deliveries {
			if res.Deliveries[j].WebhookID == w.ID {
				got = &res.Deliveries[j]
			}
		}
		if got == nil || got.Sequence != tt.seq || got.OrderingKey != tt.key {
			t.Fatalf("event %d: delivery %+v, want sequence %d key %q", i, got, tt.seq, tt.key)
		}
		leased := false
		for _, task := range res.Leased {
			if task.Delivery.ID == got.ID {
				leased = true
				if task.Delivery.Sequence != tt.seq {
					t.Errorf("event %d: leased task's sequence %d", i, task.Delivery.Sequence)
				}
			}
		}
		if leased != tt.leased {
			t.Errorf("event %d (key %q): leased %v, want %v", i, tt.key, leased, tt.leased)
		}
		stored := h.delivery(got.ID)
		if stored.Sequence != tt.seq || stored.OrderingKey != tt.key {
			t.Errorf("event %d: stored sequence %d key %q", i, stored.Sequence, stored.OrderingKey)
		}
		if tt.seq == 3 && (stored.BlockedBy == "" || stored.NextAttemptAt != nil || got.NextAttemptAt != nil) {
			t.Errorf("the second delivery of key a: blocked_by %q, next attempt %v (stored %v); want the head, none (it waits)",
				stored.BlockedBy, got.NextAttemptAt, stored.NextAttemptAt)
		}
	}
	// A webhook without ordering: no sequence, always leased.
	page, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: plain.ID, Limit: 10})
	ok(t, err, "DeliveryList")
	for _, d := range page.Deliveries {
		if d.Sequence != 0 || d.OrderingKey != "" || d.BlockedBy != "" {
			t.Errorf("a plain webhook's delivery has ordering: %+v", d)
		}
	}
}

// testFIFOClaim: only a key's head is claimed; a failing head blocks its
// key (not the other keys, not another webhook) through its retries, and
// the next goes once the head has ended either way.
func testFIFOClaim(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(fifoHook)
	a1 := h.publishKey("a", "", t0).Deliveries[0]
	a2 := h.publishKey("a", "", t0).Deliveries[0]
	a3 := h.publishKey("a", "", t0).Deliveries[0]
	b1 := h.publishKey("b", "", t0).Deliveries[0]
	claimIDs := func(now time.Time) []string {
		t.Helper()
		return taskIDs(h.claim("x", now, 100))
	}
	if got := claimIDs(at(time.Second)); !sameSet(got, []string{a1.ID, b1.ID}) {
		t.Fatalf("first claim %v, want the heads a1 and b1", got)
	}
	if got := h.delivery(a2.ID).BlockedBy; got != a1.ID {
		t.Errorf("a2 blocked by %q, want a1", got)
	}
	if got := claimIDs(at(2 * time.Second)); len(got) != 0 {
		t.Fatalf("claimed %v while the heads are out", got)
	}
	// a1 fails and is retried later: a2 waits through the retry.
	h.record(retried(a1, at(2*time.Second), at(time.Minute)), succeeded(b1, at(2*time.Second)))
	if got := claimIDs(at(3 * time.Second)); len(got) != 0 {
		t.Fatalf("claimed %v while a1 waits for its retry", got)
	}
	a1 = h.delivery(a1.ID)
	got := h.claim("x", at(time.Minute), 100)
	if !sameSet(taskIDs(got), []string{a1.ID}) {
		t.Fatalf("at a1's retry: %v, want a1 alone", taskIDs(got))
	}
	// a1 finally fails: a2 goes next, then a3.
	h.record(failed(got[0].Delivery, at(time.Minute)))
	got = h.claim("x", at(time.Minute+time.Second), 100)
	if !sameSet(taskIDs(got), []string{a2.ID}) || got[0].Delivery.Sequence != 2 {
		t.Fatalf("after a1 failed: %v, want a2", taskIDs(got))
	}
	h.record(succeeded(got[0].Delivery, at(time.Minute+time.Second)))
	if got := claimIDs(at(time.Minute + 2*time.Second)); !sameSet(got, []string{a3.ID}) {
		t.Fatalf("after a2: %v, want a3", got)
	}
	_ = w
}

// testFIFOLeases: a head whose lease ran out (its instance died) is
// claimed again, not its successor; a delivery sent again by hand while a
// later one of its key is out waits for it (one in flight per key).
func testFIFOLeases(t *testing.T, open Opener) {
	h := setup(t, open)
	h.createWebhook(fifoHook)
	a1 := h.publishKey("a", "", t0).Deliveries[0]
	a2 := h.publishKey("a", "", t0).Deliveries[0]
	h.claimUntil("dead", at(time.Second), at(10*time.Second), 100)
	if got := taskIDs(h.claim("x", at(11*time.Second), 100)); !sameSet(got, []string{a1.ID}) {
		t.Fatalf("after the lease ran out: %v, want a1 again", got)
	}
	h.record(failed(h.delivery(a1.ID), at(11*time.Second)))
	got := h.claim("x", at(12*time.Second), 100)
	if !sameSet(taskIDs(got), []string{a2.ID}) {
		t.Fatalf("after a1 failed: %v, want a2", taskIDs(got))
	}
	// a1 is sent again by hand while a2 is out: it waits for a2.
	_, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), a1.ID, at(13*time.Second))
	ok(t, err, "DeliveryRetry")
	if got := taskIDs(h.claim("y", at(14*time.Second), 100)); len(got) != 0 {
		t.Fatalf("claimed %v while a2 is out", got)
	}
	h.record(succeeded(got[0].Delivery, at(14*time.Second)))
	if got := taskIDs(h.claim("y", at(15*time.Second), 100)); !sameSet(got, []string{a1.ID}) {
		t.Fatalf("after a2: %v, want a1 (sent again by hand)", got)
	}
}

// testFIFOChanges: turning ordering off lets what waits go in parallel;
// replay numbers its deliveries after the existing ones.
func testFIFOChanges(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(fifoHook)
	ids := []string{h.publishKey("a", "", t0).Deliveries[0].ID, h.publishKey("a", "", t0).Deliveries[0].ID}
	n, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), w.ID, at(-time.Hour), at(time.Second))
	ok(t, err, "WebhookReplay")
	if n != 2 {
		t.Fatalf("replayed %d, want 2", n)
	}
	page, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w.ID, Limit: 10})
	ok(t, err, "DeliveryList")
	var seqs []int64
	for _, d := range page.Deliveries {
		seqs = append(seqs, d.Sequence)
		if d.OrderingKey != "a" {
			t.Errorf("delivery %s key %q, want a", d.ID, d.OrderingKey)
		}
	}
	slices.Sort(seqs)
	if !slices.Equal(seqs, []int64{1, 2, 3, 4}) {
		t.Fatalf("sequences %v, want 1..4 (replay after the published ones)", seqs)
	}
	if got := h.claim("x", at(2*time.Second), 100); len(got) != 1 || got[0].Delivery.ID != ids[0] {
		t.Fatalf("FIFO claim %v, want the first alone", taskIDs(got))
	}
	w.Ordering, w.OrderingKey = webhook.OrderingNone, ""
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.claim("x", at(3*time.Second), 100); len(got) != 3 {
		t.Fatalf("after ordering none: claimed %d, want the other 3 at once", len(got))
	}
	if got := h.webhook(w.ID); got.Ordering != webhook.OrderingNone || got.OrderingKey != "" {
		t.Fatalf("ordering read back %q %q", got.Ordering, got.OrderingKey)
	}
}

// testFIFOConcurrentIngest: events published at once to one FIFO webhook
// get distinct, gapless numbers, and exactly one delivery of the key is
// leased at ingest.
func testFIFOConcurrentIngest(t *testing.T, open Opener) {
	h := setup(t, open)
	w := h.createWebhook(fifoHook)
	const n = 40
	var wg sync.WaitGroup
	res := make([]store.EventCreateResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ev := newEvent(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Millisecond))
			ev.Data = json.RawMessage(`{"k": "same"}`)
			res[i], errs[i] = h.s.EventCreate(h.ctx, store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour),
				Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "me", Until: at(time.Hour)}}})
		})
	}
	wg.Wait()
	var seqs []int64
	leased := 0
	for i := range n {
		ok(t, errs[i], "EventCreate")
		seqs = append(seqs, res[i].Deliveries[0].Sequence)
		leased += len(res[i].Leased)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("sequences %v, want 1..%d", seqs, n)
		}
	}
	if leased != 1 {
		t.Fatalf("%d deliveries of one key leased at ingest, want 1 (the head)", leased)
	}
	if got := h.webhook(w.ID).Stats.Deliveries; got != n {
		t.Fatalf("stats.deliveries %d", got)
	}
}
