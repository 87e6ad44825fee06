package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline/internal/store"
)

// poll claims due work from the database until ctx ends.
func (d *Dispatcher) poll(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := 100 * time.Millisecond
	woken := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
			woken = true
		}
		wait, err := d.claimOnce(ctx, woken)
		woken = false
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.cfg.Logger.Warn("claiming due deliveries failed; will retry", "err", err, "in", backoff)
			wait = backoff
			backoff = min(backoff*2, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
		timer.Reset(wait)
	}
}

// room is how many deliveries the poller may claim now. Claims fill at
// most half the queue capacity, so a draining backlog leaves room for
// ingest to keep handing fresh deliveries over (and their latency low).
func (d *Dispatcher) room() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return 0
	}
	return d.cfg.QueueCapacity/2 - d.sched.queued
}

// claimOnce claims what is due now and room allows, and returns how long to
// wait before looking again. Woken by news of work, it claims at once: the
// look at the next due time, a round trip of its own, is only needed when
// that claim finds nothing.
func (d *Dispatcher) claimOnce(ctx context.Context, woken bool) (time.Duration, error) {
	for {
		now := d.cfg.Now()
		if !woken {
			due, err := d.cfg.Store.DeliveryNextDue(ctx)
			if err != nil {
				return 0, err
			}
			if due.IsZero() {
				return d.cfg.PollInterval, nil
			}
			if due.After(now) {
				return min(due.Sub(now), d.cfg.PollInterval), nil
			}
		}
		room := d.room()
		if room <= 0 {
			if f := d.cfg.Observer.Claim; f != nil {
				f(0, true)
			}
			// Full: a finishing attempt does not wake us, so look again soon.
			return 50 * time.Millisecond, nil
		}
		limit := min(room, d.cfg.claimBatch())
		shards, shard := d.Shard()
		d.mu.Lock()
		skip := d.sched.saturated(500)
		d.mu.Unlock()
		tasks, claimed, err := d.leases.claim(ctx, store.DeliveryClaimParams{
			Now: now, Limit: limit, ExcludeWebhooks: skip, Shards: shards, Shard: shard,
			RecentSince: now.Add(-recentWindow),
		})
		if err != nil {
			return 0, err
		}
		d.rec.storageBack()
		if f := d.cfg.Observer.Claim; f != nil {
			f(claimed, false)
		}
		if !d.add(tasks, false) {
			return d.cfg.PollInterval, nil // stopping: Run releases them
		}
		if woken && claimed == 0 {
			// The news was not (or no longer) ours: look at the due
			// times as a timer would have.
			woken = false
			continue
		}
		woken = false
		if claimed < limit {
			// Everything due (and not skipped) is claimed.
			return d.cfg.PollInterval, nil
		}
	}
}
