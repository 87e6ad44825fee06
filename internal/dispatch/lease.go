package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/store"
)

// leases is this process's side of the delivery lease: it holds the lease
// of every delivery in memory (queued, running, or with its result not yet
// stored), and it makes every write of this process that sets or checks a
// lease: claims, renewals, releases and results. Those writes take turns
// (writeMu), so the lease a result is fenced with is always the one the
// database holds: a renewal or a re-claim cannot slip in between reading
// the fence and writing the result, and a delivery is forgotten only in
// the same turn its result is stored, so a claim right after sees it as
// new work rather than as one already held.
type leases struct {
	store    Store
	owner    string
	duration time.Duration
	now      func() time.Time

	writeMu sync.Mutex

	mu   sync.Mutex
	held map[string]store.Lease
}

func newLeases(s Store, owner string, duration time.Duration, now func() time.Time) *leases {
	return &leases{store: s, owner: owner, duration: duration, now: now, held: make(map[string]store.Lease)}
}

// fresh is this process's lease for work taken now.
func (k *leases) fresh() store.Lease { return store.NewLease(k.owner, k.now(), k.duration) }

// hold takes a leased task into memory and reports whether it is new. A
// task already held (a claim re-leased it after its lease ran out while it
// waited) only moves the held lease on.
func (k *leases) hold(t store.Task) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.held[t.Delivery.ID]; ok {
		if t.Lease.Until.After(old.Until) {
			k.held[t.Delivery.ID] = t.Lease
		}
		return false
	}
	k.held[t.Delivery.ID] = t.Lease
	return true
}

// get returns the lease a delivery is held under; false when this process
// no longer holds it (lost to a renewal that found it gone).
func (k *leases) get(id string) (store.Lease, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.held[id]
	return l, ok
}

func (k *leases) forget(ids ...string) {
	k.mu.Lock()
	for _, id := range ids {
		delete(k.held, id)
	}
	k.mu.Unlock()
}

// claim leases due work and returns the tasks that are new to this
// process, and how many were claimed in all.
func (k *leases) claim(ctx context.Context, p store.DeliveryClaimParams) ([]store.Task, int, error) {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	p.Lease = k.fresh()
	tasks, err := k.store.DeliveryClaim(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	n := len(tasks)
	out := tasks[:0]
	for _, t := range tasks {
		if k.hold(t) {
			out = append(out, t)
		}
	}
	return out, n, nil
}

// record stores attempt results fenced by the leases their deliveries are
// held under now (a renewal may have moved them on since the attempt
// began), then forgets those deliveries.
func (k *leases) record(ctx context.Context, results []store.AttemptResult) error {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	k.mu.Lock()
	for i := range results {
		r := &results[i]
		if l, ok := k.held[r.Attempt.DeliveryID]; ok && r.Lease.Held() {
			r.Lease = l
		}
	}
	k.mu.Unlock()
	if err := k.store.AttemptRecord(ctx, results); err != nil {
		return err
	}
	k.mu.Lock()
	for i := range results {
		delete(k.held, results[i].Attempt.DeliveryID)
	}
	k.mu.Unlock()
	return nil
}

// release gives deliveries back at once, due now, for this process's
// poller or any other instance to claim; it forgets them whether or not
// the write works (if it does not, their leases run out).
func (k *leases) release(ctx context.Context, ids ...string) error {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	held := make([]store.Held, 0, len(ids))
	k.mu.Lock()
	for _, id := range ids {
		if l, ok := k.held[id]; ok {
			held = append(held, store.Held{DeliveryID: id, Lease: l})
		}
		delete(k.held, id)
	}
	k.mu.Unlock()
	if len(held) == 0 {
		return nil
	}
	_, err := k.store.LeaseRelease(ctx, held, k.now())
	return err
}

// releaseTasks gives back tasks that were never taken into memory.
func (k *leases) releaseTasks(ctx context.Context, tasks []store.Task) error {
	held := make([]store.Held, len(tasks))
	for i, t := range tasks {
		held[i] = store.Held{DeliveryID: t.Delivery.ID, Lease: t.Lease}
	}
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	_, err := k.store.LeaseRelease(ctx, held, k.now())
	return err
}

// renew extends the leases of the given held deliveries (all of them when
// ids is empty) that end before `before`, and forgets the ones the
// database no longer has under this process's lease: they were lost (the
// lease ran out and another claim took them) and must not be sent.
// It returns how many were lost.
func (k *leases) renew(ctx context.Context, before time.Time, ids ...string) (int, error) {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	var due []store.Held
	k.mu.Lock()
	if len(ids) == 0 {
		for id, l := range k.held {
			if l.Until.Before(before) {
				due = append(due, store.Held{DeliveryID: id, Lease: l})
			}
		}
	} else {
		for _, id := range ids {
			if l, ok := k.held[id]; ok && l.Until.Before(before) {
				due = append(due, store.Held{DeliveryID: id, Lease: l})
			}
		}
	}
	k.mu.Unlock()
	if len(due) == 0 {
		return 0, nil
	}
	next := k.fresh()
	renewed, err := k.store.LeaseRenew(ctx, due, next.Until)
	if err != nil {
		return 0, err
	}
	ok := make(map[string]bool, len(renewed))
	for _, id := range renewed {
		ok[id] = true
	}
	lost := 0
	k.mu.Lock()
	for _, h := range due {
		if cur, held := k.held[h.DeliveryID]; !held || cur != h.Lease {
			// Forgotten while the write ran (an attempt cut short by
			// shutdown); claims and results cannot change it, as they
			// wait for writeMu.
			continue
		}
		if ok[h.DeliveryID] {
			k.held[h.DeliveryID] = next
		} else {
			delete(k.held, h.DeliveryID)
			lost++
		}
	}
	k.mu.Unlock()
	return lost, nil
}

// releaseAll gives back every delivery leased to this process, held in
// memory or not (shutdown).
func (k *leases) releaseAll(ctx context.Context) (int, error) {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	n, err := k.store.DeliveryReleaseLeases(ctx, k.owner, k.now())
	if err == nil {
		k.mu.Lock()
		clear(k.held)
		k.mu.Unlock()
	}
	return n, err
}

// releaseLeftOver gives back the leases of every owner: for a process that
// owns the database alone, they are left over from a run that died.
func (k *leases) releaseLeftOver(ctx context.Context) (int, error) {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	return k.store.DeliveryReleaseLeases(ctx, "", k.now())
}
