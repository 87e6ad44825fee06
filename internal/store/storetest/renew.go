package storetest

import (
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testLeaseRenewRelease: renewals and releases are fenced by the exact
// lease, like results; a release makes the delivery claimable at once and
// a renewal keeps other claimers out until the new end.
func testLeaseRenewRelease(t *testing.T, open Opener) {
	t.Run("RenewKeepsOthersOut", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		d := h.deliver(t0)
		task := h.claimUntil("a", t0, at(time.Minute), 1)
		if len(task) != 1 || task[0].Lease != (store.Lease{Owner: "a", Until: at(time.Minute)}) {
			t.Fatalf("claim: %+v", task)
		}
		renewed, err := h.s.LeaseRenew(h.ctx, []store.Held{{DeliveryID: d.ID, Lease: task[0].Lease}}, at(10*time.Minute))
		ok(t, err, "LeaseRenew")
		if len(renewed) != 1 || renewed[0] != d.ID {
			t.Fatalf("LeaseRenew renewed %v, want [%s]", renewed, d.ID)
		}
		if got := h.claimUntil("b", at(5*time.Minute), at(6*time.Minute), 1); len(got) != 0 {
			t.Fatalf("claim inside the renewed lease took %v", taskIDs(got))
		}
		// The result is fenced by the renewed lease now, not the claimed one.
		stale := failed(d, at(time.Second))
		stale.Lease = task[0].Lease
		h.record(stale)
		if got := h.delivery(d.ID); got.Status != webhook.DeliveryPending || got.Attempts != 0 {
			t.Fatalf("a result under the replaced lease applied: %+v", got)
		}
		current := succeeded(d, at(2*time.Second))
		current.Lease = store.Lease{Owner: "a", Until: at(10 * time.Minute)}
		h.record(current)
		if got := h.delivery(d.ID); got.Status != webhook.DeliverySucceeded {
			t.Fatalf("the result under the renewed lease did not apply: %+v", got)
		}
	})
	t.Run("RenewAfterLossChangesNothing", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		d := h.deliver(t0)
		first := h.claimUntil("a", t0, at(time.Minute), 1)
		second := h.claimUntil("b", at(2*time.Minute), at(3*time.Minute), 1)
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("claims: %d then %d tasks", len(first), len(second))
		}
		renewed, err := h.s.LeaseRenew(h.ctx, []store.Held{{DeliveryID: d.ID, Lease: first[0].Lease}}, at(time.Hour))
		ok(t, err, "LeaseRenew")
		if len(renewed) != 0 {
			t.Fatalf("renewed a lease another owner holds now: %v", renewed)
		}
		n, err := h.s.LeaseRelease(h.ctx, []store.Held{{DeliveryID: d.ID, Lease: first[0].Lease}}, at(2*time.Minute))
		ok(t, err, "LeaseRelease")
		if n != 0 {
			t.Fatalf("released a lease another owner holds now: %d", n)
		}
		if got := h.claimUntil("c", at(150*time.Second), at(4*time.Minute), 1); len(got) != 0 {
			t.Fatalf("b's lease was broken: c claimed %v", taskIDs(got))
		}
	})
	t.Run("ReleaseMakesDueAtOnce", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		h.createWebhook()
		res := h.create(store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, typeOrderCreated, t0),
			Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "a", Until: at(time.Hour)}}})
		if len(res.Leased) != 2 {
			t.Fatalf("EventCreate leased %d of %d deliveries", len(res.Leased), len(res.Deliveries))
		}
		held := []store.Held{{DeliveryID: res.Leased[0].Delivery.ID, Lease: res.Leased[0].Lease}}
		n, err := h.s.LeaseRelease(h.ctx, held, at(time.Second))
		ok(t, err, "LeaseRelease")
		if n != 1 {
			t.Fatalf("LeaseRelease released %d, want 1", n)
		}
		got := h.delivery(held[0].DeliveryID)
		if got.Status != webhook.DeliveryPending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(at(time.Second)) {
			t.Fatalf("released delivery: %+v, want pending and due at the release", got)
		}
		if leased := h.delivery(res.Leased[1].Delivery.ID); leased.NextAttemptAt != nil {
			t.Fatalf("a leased delivery shows its lease end as next attempt: %v", leased.NextAttemptAt)
		}
		due, err := h.s.DeliveryNextDue(h.ctx)
		ok(t, err, "DeliveryNextDue")
		if !due.Equal(at(time.Second)) {
			t.Fatalf("DeliveryNextDue = %v, want the release time", due)
		}
		claimed := h.claimUntil("b", at(2*time.Second), at(time.Minute), 10)
		if len(claimed) != 1 || claimed[0].Delivery.ID != held[0].DeliveryID {
			t.Fatalf("claim after the release: %v, want only the released delivery", taskIDs(claimed))
		}
		// A release repeated with the old lease changes nothing.
		if n, err := h.s.LeaseRelease(h.ctx, held, at(3*time.Second)); err != nil || n != 0 {
			t.Fatalf("second release: %d, %v; want 0", n, err)
		}
	})
}
