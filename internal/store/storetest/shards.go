package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testShards: with Shards > 1 each claimer gets only its shard's webhooks,
// the shards partition the work, and ingest leases only its own shard. A
// backend serving a single process may ignore shards (SQLite does); then
// only the invariants that hold either way are checked.
func testShards(t *testing.T, open Opener) {
	t.Run("ClaimsPartition", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for range 40 {
			h.createWebhook()
		}
		res := h.publish(webhook.DefaultTenant, "a", t0)
		if len(res.Deliveries) != 40 {
			t.Fatalf("deliveries = %d, want 40", len(res.Deliveries))
		}
		claim := func(shard int) []string {
			tasks, err := h.s.DeliveryClaim(h.ctx, store.DeliveryClaimParams{
				Lease: store.Lease{Owner: "o", Until: at(time.Minute)}, Now: t0, Limit: 100, Shards: 3, Shard: shard})
			ok(t, err, "DeliveryClaim")
			return taskIDs(tasks)
		}
		var all []string
		counts := []int{}
		for shard := range 3 {
			got := claim(shard)
			counts = append(counts, len(got))
			all = append(all, got...)
		}
		slices.Sort(all)
		if len(slices.Compact(all)) != len(all) {
			t.Fatal("two shards claimed the same delivery")
		}
		if !sameSet(all, deliveryIDs(res.Deliveries)) {
			t.Fatalf("shards claimed %d of 40 deliveries", len(all))
		}
		if counts[0] == 40 {
			t.Skip("backend ignores shards (single instance)")
		}
		for i, n := range counts {
			if n == 0 || n == 40 {
				t.Fatalf("shard %d claimed %d of 40: the hash does not spread webhooks (%v)", i, n, counts)
			}
		}
	})
	t.Run("IngestLeasesOwnShard", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for range 40 {
			h.createWebhook()
		}
		res := h.create(store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, "a", t0),
			Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "me", Until: at(time.Minute)}, Shards: 2, Shard: 1}})
		isLeased := map[string]bool{}
		for _, task := range res.Leased {
			if task.Lease != (store.Lease{Owner: "me", Until: at(time.Minute)}) || task.Event.ID != res.Event.ID {
				t.Errorf("leased task %s: lease %+v, event %s", task.Delivery.ID, task.Lease, task.Event.ID)
			}
			isLeased[task.Delivery.ID] = true
		}
		var leased, free []string
		for _, d := range res.Deliveries {
			if isLeased[d.ID] {
				leased = append(leased, d.ID)
			} else {
				free = append(free, d.ID)
			}
		}
		// Unleased deliveries are due at once; leased ones are not.
		tasks, err := h.s.DeliveryClaim(h.ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "other", Until: at(time.Minute)}, Now: t0, Limit: 100})
		ok(t, err, "DeliveryClaim")
		if !sameSet(taskIDs(tasks), free) {
			t.Fatalf("claimable now: %d, want the %d unleased", len(tasks), len(free))
		}
		if len(leased) == 0 {
			t.Fatal("nothing leased to the ingesting instance")
		}
		if len(free) == 0 {
			t.Log("every delivery leased: the backend ignores shards (single instance)")
		}
	})
}

// testInstances: heartbeats, liveness window, removal.
func testInstances(t *testing.T, open Opener) {
	h := setup(t, open)
	beat := func(id string, now time.Time) {
		ok(t, h.s.InstanceHeartbeat(h.ctx, id, now), "InstanceHeartbeat")
	}
	list := func(since time.Time) []string {
		ids, err := h.s.InstanceList(h.ctx, since)
		ok(t, err, "InstanceList")
		return ids
	}
	beat("b", t0)
	beat("a", t0)
	if got := list(t0); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("alive at t0 = %v, want [a b] sorted", got)
	}
	beat("a", at(10*time.Second))
	if got := list(at(5 * time.Second)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("alive since t0+5s = %v, want [a]", got)
	}
	ok(t, h.s.InstanceRemove(h.ctx, "a"), "InstanceRemove")
	if got := list(at(5 * time.Second)); len(got) != 0 {
		t.Fatalf("after removing a: %v", got)
	}
}

// testLeaseSkip: ingest leases nothing for the webhooks in LeaseSkip; their
// deliveries are due at once for a claim.
func testLeaseSkip(t *testing.T, open Opener) {
	h := setup(t, open)
	full := h.createWebhook()
	ok2 := h.createWebhook()
	res := h.create(store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, "a", t0),
		Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "me", Until: at(time.Minute)}, Skip: []string{full.ID}}})
	if len(res.Deliveries) != 2 || len(res.Leased) != 1 {
		t.Fatalf("got %d deliveries, %d leased", len(res.Deliveries), len(res.Leased))
	}
	if got := res.Leased[0].Delivery.WebhookID; got != ok2.ID {
		t.Errorf("leased the delivery to %s, want only the one to %s", got, ok2.ID)
	}
	tasks := h.claim("other", t0, 10)
	if len(tasks) != 1 || tasks[0].Delivery.WebhookID != full.ID {
		t.Fatalf("claimable now: %v, want only the skipped webhook's delivery", taskIDs(tasks))
	}
}
