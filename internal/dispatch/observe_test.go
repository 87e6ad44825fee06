package dispatch

import (
	"slices"
	"testing"
	"time"
)

// TestObserverSaysWhereWorkWaits: the observer hears why Reserve hands
// nothing over (the queue in memory is full, the dispatcher stopped) and,
// for each task a worker takes, where it came from and how long it
// waited in memory and since its event was published.
func TestObserverSaysWhereWorkWaits(t *testing.T) {
	t.Parallel()
	now := s0
	var handoffs []string
	type start struct {
		handed                 bool
		queued, sincePublished time.Duration
	}
	var starts []start
	d := New(Config{QueueCapacity: 2, Now: func() time.Time { return now }, Observer: Observer{
		Handoff: func(r string) { handoffs = append(handoffs, r) },
		Started: func(handed bool, q, p time.Duration) { starts = append(starts, start{handed, q, p}) },
	}})
	if d.Reserve() == nil {
		t.Fatal("Reserve refused with an empty queue")
	}
	published := task("a", 0)
	published.Event.CreatedAt = now.Add(-time.Second)
	retry := task("a", 1)
	retry.Delivery.Attempts = 2
	d.mu.Lock()
	d.sched.add(published, true, now)
	d.sched.add(retry, false, now)
	d.mu.Unlock()
	if d.Reserve() != nil {
		t.Fatal("Reserve handed work over with the queue at capacity")
	}
	now = now.Add(3 * time.Second)
	for range 2 {
		if _, _, ok := d.next(); !ok {
			t.Fatal("next found nothing to run")
		}
	}
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	if d.Reserve() != nil {
		t.Fatal("Reserve handed work over after stopping")
	}
	if want := []string{HandoffLeased, HandoffQueueFull, HandoffStopped}; !slices.Equal(handoffs, want) {
		t.Errorf("hand-offs %v, want %v", handoffs, want)
	}
	want := []start{
		{handed: true, queued: 3 * time.Second, sincePublished: 4 * time.Second},
		{handed: false, queued: 3 * time.Second}, // a retry: no time since publish
	}
	if !slices.Equal(starts, want) {
		t.Errorf("starts %+v, want %+v", starts, want)
	}
}
