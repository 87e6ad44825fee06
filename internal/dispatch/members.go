package dispatch

import (
	"context"
	"slices"
	"sync/atomic"
	"time"
)

// Members is what membership needs from storage.
type Members interface {
	InstanceHeartbeat(ctx context.Context, id string, now time.Time) error
	InstanceList(ctx context.Context, since time.Time) ([]string, error)
	InstanceRemove(ctx context.Context, id string) error
}

// Heartbeat timing: an instance not seen for memberTTL is taken for dead,
// and its shards pass to the others (its leased work once leases end).
const (
	heartbeatEvery = 2 * time.Second
	memberTTL      = 10 * time.Second
)

// shard is this instance's place among the live ones: shard index of
// count. count 1 means everything is ours.
type shard struct{ count, index int }

type membership struct {
	cur atomic.Pointer[shard]
}

func (m *membership) get() shard {
	if s := m.cur.Load(); s != nil {
		return *s
	}
	return shard{count: 1}
}

// Shard returns how many shards there are and which one this instance
// serves (1, 0 when not sharded).
func (d *Dispatcher) Shard() (count, index int) {
	s := d.members.get()
	return s.count, s.index
}

// runMembership keeps this instance's heartbeat and shard current until
// ctx ends, then leaves the membership at once so others take over.
func (d *Dispatcher) runMembership(ctx context.Context) {
	m := d.cfg.Members
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		d.refreshMembership(ctx)
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := m.InstanceRemove(rctx, d.cfg.Owner); err != nil {
				d.cfg.Logger.Warn("leaving the instance list failed", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) refreshMembership(ctx context.Context) {
	m := d.cfg.Members
	now := d.cfg.Now()
	if err := m.InstanceHeartbeat(ctx, d.cfg.Owner, now); err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("instance heartbeat failed", "err", err)
		}
		return
	}
	ids, err := m.InstanceList(ctx, now.Add(-memberTTL))
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("listing instances failed", "err", err)
		}
		return
	}
	i := slices.Index(ids, d.cfg.Owner)
	if i < 0 { // our own heartbeat is not visible yet
		ids = append(ids, d.cfg.Owner)
		slices.Sort(ids)
		i = slices.Index(ids, d.cfg.Owner)
	}
	next := shard{count: len(ids), index: i}
	if prev := d.members.get(); prev != next {
		d.members.cur.Store(&next)
		d.cfg.Logger.Info("instances changed", "instances", next.count, "shard", next.index)
		d.Wake() // new shards may have due work
	}
}
