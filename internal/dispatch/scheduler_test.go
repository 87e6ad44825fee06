package dispatch

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

var s0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func task(webhookID string, n int) store.Task {
	return store.Task{Delivery: webhook.Delivery{ID: fmt.Sprintf("%s-%d", webhookID, n), WebhookID: webhookID}}
}

// newTestScheduler has more workers than the tests use, and a minute's
// attempt timeout: fairness and the slow throttle stay out of the way of
// the tests that are not about them.
func newTestScheduler(perLane, backlog int) *scheduler {
	return newScheduler(schedLimits{perLane: perLane, backlog: backlog, capacity: 20 * backlog, workers: 100000,
		attemptTimeout: time.Minute})
}

// take runs next until nothing may run, and returns the deliveries in the
// order they were handed out (all still in flight).
func take(s *scheduler, now time.Time) ([]string, []ticket) {
	var ids []string
	var tickets []ticket
	for {
		t, tk, _, ok := s.next(now)
		if !ok {
			return ids, tickets
		}
		ids = append(ids, t.Delivery.ID)
		tickets = append(tickets, tk)
	}
}

func TestSchedulerRoundRobin(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(2, 100)
	for i := range 4 {
		s.add(task("a", i), true, s0)
	}
	s.add(task("b", 0), true, s0)
	s.add(task("c", 0), true, s0)
	s.add(task("c", 1), true, s0)
	got, _ := take(s, s0)
	// One at a time from each lane in turn, each lane up to its limit of 2.
	want := []string{"a-0", "b-0", "c-0", "a-1", "c-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if s.queued != 2 {
		t.Fatalf("queued %d, want 2 (a's rest, held back by its limit)", s.queued)
	}
}

func TestSchedulerLimitFreesOnDone(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(1, 100)
	s.add(task("a", 0), true, s0)
	s.add(task("a", 1), true, s0)
	got, lanes := take(s, s0)
	if !slices.Equal(got, []string{"a-0"}) {
		t.Fatalf("first round %v, want only a-0 (limit 1)", got)
	}
	s.done(lanes[0], resultUp, s0)
	if got, _ := take(s, s0); !slices.Equal(got, []string{"a-1"}) {
		t.Fatalf("after done: %v, want a-1", got)
	}
}

func TestSchedulerFreshBeforeBacklog(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 100)
	s.add(task("a", 0), false, s0) // claimed backlog
	s.add(task("a", 1), false, s0)
	s.add(task("a", 2), true, s0) // handed over by ingest
	got, _ := take(s, s0)
	if want := []string{"a-2", "a-0", "a-1"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want fresh first %v", got, want)
	}
}

func TestSchedulerFullAndRoomAgain(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(100, 4)
	for i := range 4 {
		s.add(task("a", i), true, s0)
	}
	if got := s.full(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("full() = %v, want [a]", got)
	}
	if got := s.saturated(10); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("saturated() = %v, want [a]", got)
	}
	// saturated is a query: asking twice changes nothing.
	if got := s.saturated(10); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("saturated() again = %v", got)
	}
	var room []bool
	for {
		_, _, roomAgain, ok := s.next(s0)
		if !ok {
			break
		}
		room = append(room, roomAgain)
	}
	// Room again once fewer than half the bound wait: after the third.
	if want := []bool{false, false, true, false}; !slices.Equal(room, want) {
		t.Fatalf("roomAgain per next = %v, want %v", room, want)
	}
	if s.full() != nil || s.saturated(10) != nil {
		t.Fatalf("still full after draining: %v %v", s.full(), s.saturated(10))
	}
}

// TestSchedulerBreaker: five failures in a row that say "down" open the
// breaker: the lane pauses for a cool-down, then sends one probe at a
// time; a failed probe doubles the cool-down (to at most 5 s); a success
// closes the breaker. Other lanes are not held up meanwhile.
func TestSchedulerBreaker(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	for i := range 30 {
		s.add(task("down", i), true, s0)
	}
	_, lanes := take(s, s0)
	if len(lanes) != 10 {
		t.Fatalf("%d in flight, want the limit of 10", len(lanes))
	}
	changes := []breakerChange{}
	for _, l := range lanes[:breakerThreshold] {
		changes = append(changes, s.done(l, resultDown, s0).breaker)
	}
	if changes[breakerThreshold-1] != breakerOpened || slices.Contains(changes[:breakerThreshold-1], breakerOpened) {
		t.Fatalf("breaker changes %v, want opened at the %dth failure", changes, breakerThreshold)
	}
	// The other five in flight fail too: no new cool-down for them.
	for _, l := range lanes[breakerThreshold:] {
		s.done(l, resultDown, s0)
	}
	if got, _ := take(s, s0); len(got) != 0 {
		t.Fatalf("sent %v during the cool-down", got)
	}
	if at := s.wakeAt(); !at.Equal(s0.Add(breakerMinCooldown)) {
		t.Fatalf("wakeAt = %v, want the end of the first cool-down", at)
	}
	// Another webhook runs meanwhile.
	s.add(task("ok", 0), true, s0)
	if got, _ := take(s, s0); !slices.Equal(got, []string{"ok-0"}) {
		t.Fatalf("healthy lane: %v, want ok-0", got)
	}

	now := s0.Add(breakerMinCooldown)
	cooldown := breakerMinCooldown
	for range 4 { // failed probes double the cool-down: 2 s, 4 s, then 5 s, 5 s
		got, probe := take(s, now)
		if len(got) != 1 {
			t.Fatalf("at %v: sent %v, want one probe", now.Sub(s0), got)
		}
		s.done(probe[0], resultDown, now)
		cooldown = min(2*cooldown, breakerMaxCooldown)
		if at := s.wakeAt(); !at.Equal(now.Add(cooldown)) {
			t.Fatalf("after a failed probe at %v: wakeAt in %v, want %v", now.Sub(s0), at.Sub(now), cooldown)
		}
		if got, _ := take(s, now.Add(cooldown-time.Millisecond)); len(got) != 0 {
			t.Fatalf("sent %v before the cool-down ended", got)
		}
		now = now.Add(cooldown)
	}
	got, probe := take(s, now)
	if len(got) != 1 {
		t.Fatalf("sent %v, want one probe", got)
	}
	if c := s.done(probe[0], resultUp, now).breaker; c != breakerClosed {
		t.Fatalf("a working probe: change %v, want closed", c)
	}
	if got, _ := take(s, now); len(got) != 10 {
		t.Fatalf("after the breaker closed: %d in flight, want the full limit of 10", len(got))
	}
}

// TestSchedulerNoResultLeavesBreaker: a task given back without a request
// (released, or its webhook disabled) neither trips nor resets the
// breaker.
func TestSchedulerNoResultLeavesBreaker(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	for i := range 6 {
		s.add(task("a", i), true, s0)
	}
	_, lanes := take(s, s0)
	for _, l := range lanes[:4] {
		s.done(l, resultDown, s0)
	}
	s.done(lanes[4], resultNone, s0)
	if f := s.lanes["a"].br.fails; f != 4 {
		t.Fatalf("fails = %d after 4 down and one without a request, want 4", f)
	}
}

func TestSchedulerDropsIdleLanes(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	s.add(task("a", 0), true, s0)
	_, lanes := take(s, s0)
	s.done(lanes[0], resultUp, s0)
	if len(s.lanes) != 0 || s.queued != 0 {
		t.Fatalf("lanes %d, queued %d after the only task finished; want none", len(s.lanes), s.queued)
	}
}

// TestSchedulerFreshEventProbesSooner: behind an open breaker at its
// longest cool-down, a new event (handed to the lane, or stored because
// the lane is full) brings the next probe forward to a second after the
// last one; a claimed (backlog) delivery does not.
func TestSchedulerFreshEventProbesSooner(t *testing.T) {
	t.Parallel()
	for _, which := range []string{"handed over", "left stored"} {
		t.Run(which, func(t *testing.T) { testFreshEventProbesSooner(t, which) })
	}
}

func testFreshEventProbesSooner(t *testing.T, which string) {
	s := newTestScheduler(10, 1000)
	for i := range 30 {
		s.add(task("down", i), false, s0)
	}
	_, lanes := take(s, s0)
	for _, l := range lanes {
		s.done(l, resultDown, s0)
	}
	// Failed probes until the cool-down is the longest.
	now := s0.Add(breakerMinCooldown)
	for {
		got, probe := take(s, now)
		if len(got) != 1 {
			t.Fatalf("at %v: sent %v, want one probe", now.Sub(s0), got)
		}
		s.done(probe[0], resultDown, now)
		if s.wakeAt().Sub(now) == breakerMaxCooldown {
			break
		}
		now = s.wakeAt()
	}
	last := now

	s.arrived("unknown", last) // no lane: nothing to do
	s.add(task("down", 100), false, last.Add(100*time.Millisecond))
	if at := s.wakeAt(); !at.Equal(last.Add(breakerMaxCooldown)) {
		t.Fatalf("a backlog delivery moved the probe to %v after the last, want %v", at.Sub(last), breakerMaxCooldown)
	}
	// A new event, handed to the lane or (its lane full) left in the
	// database, brings the probe forward.
	arrive := map[string]func(time.Time){
		"handed over": func(at time.Time) { s.add(task("down", 101), true, at) },
		"left stored": func(at time.Time) { s.arrived("down", at) },
	}[which]
	arrive(last.Add(200 * time.Millisecond))
	if at := s.wakeAt(); !at.Equal(last.Add(breakerFreshProbe)) {
		t.Fatalf("a new event (%s): next probe %v after the last, want %v", which, at.Sub(last), breakerFreshProbe)
	}
	if got, _ := take(s, last.Add(breakerFreshProbe-time.Millisecond)); len(got) != 0 {
		t.Fatalf("sent %v before the early probe was due", got)
	}
	if got, _ := take(s, last.Add(breakerFreshProbe)); len(got) != 1 {
		t.Fatalf("sent %v when the early probe was due, want one probe", got)
	}
}
