package dispatch

import (
	"slices"
	"testing"
	"time"
)

// TestBreakerFreshArrived: a new event brings an open breaker's next probe
// forward to breakerFreshProbe after the cool-down started, however many
// events arrive. Counted from the cool-down's current end, each event took
// another cool-down off, and a dead endpoint with traffic was probed with
// nearly every event (measured: 9,505 probes in 20 s at 1,000 events/s).
func TestBreakerFreshArrived(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name     string
		cooldown time.Duration // the cool-down started at s0
		arrivals []time.Duration
		want     time.Duration // the next probe, after s0
		// moved is how many of the events brought the probe forward
		// (the dispatcher wakes a worker for each).
		moved int
	}{
		{"no events", 5 * time.Second, nil, 5 * time.Second, 0},
		{"one event", 5 * time.Second, []time.Duration{10 * ms}, breakerFreshProbe, 1},
		{"many events", 5 * time.Second, []time.Duration{1 * ms, 2 * ms, 3 * ms, 4 * ms, 5 * ms, 100 * ms, 200 * ms}, breakerFreshProbe, 1},
		{"events after the early probe was due", 4 * time.Second, []time.Duration{1500 * ms, 1600 * ms}, 1500 * ms, 1},
		{"the shortest cool-down", breakerMinCooldown, []time.Duration{1 * ms, 2 * ms}, breakerFreshProbe, 1},
		{"a longer one, events through it", 2 * time.Second, []time.Duration{100 * ms, 1100 * ms, 1900 * ms}, breakerFreshProbe, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := breaker{fails: breakerThreshold + 1, cooldown: tt.cooldown,
				openUntil: s0.Add(tt.cooldown), armedAt: s0}
			moved := 0
			for _, at := range tt.arrivals {
				if b.freshArrived(s0.Add(at)) {
					moved++
				}
			}
			if got := b.openUntil.Sub(s0); got != tt.want || moved != tt.moved {
				t.Fatalf("next probe at %v, brought forward by %d events; want %v, by %d", got, moved, tt.want, tt.moved)
			}
		})
	}
}

// TestSchedulerProbesOncePerCooldown: a lane whose endpoint is down, with
// events arriving every millisecond, sends a probe every breakerFreshProbe
// (the early probe) rather than one per event: the probes take deliveries off
// the lane, which let ingest lease it more, until the queue in memory
// was full and every webhook's new events waited for claims.
func TestSchedulerProbesOncePerCooldown(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	now := s0
	for i := range 1500 {
		s.add(task("down", i), true, now)
	}
	attempts := 0
	for i := range 10000 { // 10 s of events, one a millisecond
		now = now.Add(time.Millisecond)
		s.add(task("down", 1500+i), true, now)
		for {
			_, tk, _, ok := s.next(now)
			if !ok {
				break
			}
			attempts++
			s.done(tk, resultDown, now)
		}
	}
	// 10 in flight at first (5 open the breaker, 5 were in flight), then
	// a probe every breakerFreshProbe.
	if most := 10 + int(10*time.Second/breakerFreshProbe); attempts > most {
		t.Fatalf("%d attempts in 10 s of events to a dead endpoint, want at most %d (10, then a probe every %v)",
			attempts, most, breakerFreshProbe)
	}
	if full := s.full(); len(full) != 1 || full[0] != "down" {
		t.Fatalf("full lanes %v, want the dead endpoint's (ingest leaves its events in the database)", full)
	}
}

// TestSchedulerDeadLaneStaysSkipped: ingest reserves before it stores and
// hands over after, so events in flight when a dead endpoint's lane
// stopped being skipped all land in it. A probe takes one delivery off
// the full lane a second; the lane stays skipped until it has drained to
// half, so the lane does not grow with every probe (it grew by the
// events in flight each time, until the whole queue was the dead
// webhook's).
func TestSchedulerDeadLaneStaysSkipped(t *testing.T) {
	t.Parallel()
	const bound, inFlight = 1000, 20
	s := newTestScheduler(10, bound)
	now := s0
	n := 0
	for ; n < bound; n++ { // the outage so far
		s.add(task("down", n), true, now)
	}
	var reserved []bool // per event in flight: whether its reservation skipped the lane
	for range 30000 {   // 30 s of events, one a millisecond
		now = now.Add(time.Millisecond)
		skip := slices.Contains(s.full(), "down")
		reserved = append(reserved, skip)
		if len(reserved) > inFlight { // stored: handed over unless skipped
			if reserved[0] {
				s.arrived("down", now) // ingest tells of what it left stored
			} else {
				s.add(task("down", n), true, now)
				n++
			}
			reserved = reserved[1:]
		}
		for {
			_, tk, _, ok := s.next(now)
			if !ok {
				break
			}
			s.done(tk, resultDown, now)
		}
	}
	if s.queued > bound+inFlight {
		t.Fatalf("%d deliveries of the dead webhook in memory after 30 s, want at most the bound %d and the %d in flight",
			s.queued, bound, inFlight)
	}
}
