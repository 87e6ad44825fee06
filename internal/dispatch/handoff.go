package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Reserve is ingest's first step of the hand-off: the lease to put on the
// deliveries of an event about to be stored, or nil when this dispatcher
// takes no new work (stopping, or its queue is at capacity: the deliveries
// then wait unleased in the database for a claim). The request leaves out
// other instances' shards and the webhooks whose lanes cannot keep up.
func (d *Dispatcher) Reserve() *store.LeaseRequest {
	d.mu.Lock()
	refused := ""
	switch {
	case d.stopped:
		refused = HandoffStopped
	case d.sched.queued >= d.cfg.QueueCapacity:
		refused = HandoffQueueFull
	}
	if refused != "" {
		d.mu.Unlock()
		d.observeHandoff(refused)
		return nil
	}
	skip := d.sched.full()
	d.mu.Unlock()
	d.observeHandoff(HandoffLeased)
	shards, shard := d.Shard()
	return &store.LeaseRequest{Lease: d.leases.fresh(), Shards: shards, Shard: shard, Skip: skip}
}

// Submit takes the deliveries ingest leased with a Reserve, after they are
// committed. It never blocks on the queue; when the dispatcher has
// stopped, it gives the leases back at once so another instance (or the
// next start) delivers them.
func (d *Dispatcher) Submit(tasks []store.Task) {
	if len(tasks) == 0 {
		return
	}
	if d.add(tasks, true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.leases.releaseTasks(ctx, tasks); err != nil {
		d.cfg.Logger.Warn("releasing deliveries handed over during shutdown failed; their leases will run out",
			"count", len(tasks), "err", err)
	}
}

// Arrived implements ingest.Handoff: news of deliveries stored for
// webhooks whose lanes are full brings an open breaker's next probe
// forward, as a new delivery handed to the lane does.
func (d *Dispatcher) Arrived(webhookIDs []string) {
	if f := d.cfg.Observer.LaneFull; f != nil {
		f(len(webhookIDs))
	}
	d.mu.Lock()
	now := d.cfg.Now()
	sooner := false
	for _, id := range webhookIDs {
		sooner = d.sched.arrived(id, now) || sooner
	}
	d.mu.Unlock()
	if sooner {
		// One worker sets the timer earlier. Not a broadcast on every
		// call: this runs for every event a full lane skips (thousands
		// a second to a dead endpoint), and each woke every idle worker.
		d.cond.Signal()
	}
}

func (d *Dispatcher) observeHandoff(result string) {
	if f := d.cfg.Observer.Handoff; f != nil {
		f(result)
	}
}

// add queues leased tasks; false when the dispatcher has stopped (nothing
// was queued). A task already held is not queued twice.
func (d *Dispatcher) add(tasks []store.Task, fresh bool) bool {
	rates := d.rates(tasks)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return false
	}
	now := d.cfg.Now()
	for id, rl := range rates {
		n, per := rl.Window()
		d.sched.setRate(id, n, per, now)
	}
	for _, t := range tasks {
		if fresh && !d.leases.hold(t) {
			continue
		}
		d.sched.add(t, fresh, now)
		d.cond.Signal()
	}
	return true
}

// rates returns the rate limits of the webhooks of tasks (nil for none),
// from the webhook cache: a lane must know its limit before its first
// attempt. A webhook that cannot be loaded now is left out; its attempt
// loads it again (and gives the delivery back if that fails).
func (d *Dispatcher) rates(tasks []store.Task) map[string]*webhook.RateLimit {
	out := make(map[string]*webhook.RateLimit, 1)
	for _, t := range tasks {
		id := t.Delivery.WebhookID
		if _, ok := out[id]; ok {
			continue
		}
		// A cached webhook needs no context (and no timer) to read: this
		// runs for every published event.
		h, ok := d.hooks.cached(id)
		if !ok {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var err error
			h, err = d.hooks.get(ctx, id)
			cancel()
			if err != nil {
				continue
			}
		}
		out[id] = h.webhook.RateLimit
	}
	return out
}

// followRate applies a webhook's current rate limit to its lane: a change
// made after the lane learned it (the cache is refreshed as attempts run).
// It runs before every attempt, so it wakes the waiting workers only when
// the limit changed: a broadcast each time woke every idle worker (most of
// them, under load) to find nothing to do.
func (d *Dispatcher) followRate(w webhook.Webhook) {
	n, per := w.RateLimit.Window()
	d.mu.Lock()
	changed := d.sched.setRate(w.ID, n, per, d.cfg.Now())
	d.mu.Unlock()
	if changed {
		d.cond.Broadcast()
	}
}
