package dispatch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
)

func tenantTask(tenant, webhookID string, n int) store.Task {
	t := task(webhookID, n)
	t.Delivery.Tenant = tenant
	return t
}

// inflightBy counts the tickets in flight per lane.
func inflightBy(tickets []ticket) map[string]int {
	m := map[string]int{}
	for _, tk := range tickets {
		m[tk.l.id]++
	}
	return m
}

// TestFairShareKeepsReserveForNewWebhook: slow lanes with far more work
// than workers stop at the workers less the reserve; a webhook that shows
// up then starts at once, and keeps getting the workers that come free
// while the slow lanes, past their share, get none.
func TestFairShareKeepsReserveForNewWebhook(t *testing.T) {
	t.Parallel()
	s := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 32, attemptTimeout: time.Minute})
	for i := range 20 {
		for w := range 4 {
			s.add(task(fmt.Sprint("slow", w), i), true, s0)
		}
	}
	_, slow := take(s, s0)
	if len(slow) != 28 {
		t.Fatalf("%d in flight, want 28: 32 workers less a reserve of 4", len(slow))
	}
	for i := range 5 {
		s.add(task("ok", i), true, s0)
	}
	got, ok := take(s, s0)
	if len(got) == 0 || !strings.HasPrefix(got[0], "ok-") {
		t.Fatalf("the new webhook got %v, want its deliveries started at once", got)
	}
	if n := inflightBy(ok)["ok"]; n != len(ok) {
		t.Fatalf("handed out %v; a slow lane took from the reserve", got)
	}
	// Each attempt of "ok" that ends frees a worker for the next one; the
	// slow lanes, past their share, get none.
	delivered := len(ok)
	for range 10 {
		if delivered == 5 {
			break
		}
		s.done(ok[0], resultUp, s0)
		ok = ok[1:]
		got, more := take(s, s0)
		for _, id := range got {
			if !strings.HasPrefix(id, "ok-") {
				t.Fatalf("slow lane got %s while past its share", id)
			}
		}
		ok = append(ok, more...)
		delivered += len(more)
	}
	if delivered != 5 {
		t.Fatalf("%d of 5 deliveries of the healthy webhook started", delivered)
	}
}

// TestFairShareBetweenTenants: one tenant's ten busy webhooks hold the
// workers less the reserve; another tenant's webhook then gets the
// reserve at once and every worker that comes free until it holds its
// tenant's share, while the first tenant, past its share, waits.
func TestFairShareBetweenTenants(t *testing.T) {
	t.Parallel()
	s := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 32, attemptTimeout: time.Minute})
	for i := range 20 {
		for w := range 10 {
			s.add(tenantTask("a", fmt.Sprint("a", w), i), true, s0)
		}
	}
	_, a := take(s, s0)
	if len(a) != 28 {
		t.Fatalf("tenant a: %d in flight, want 28", len(a))
	}
	for i := range 40 {
		for w := range 2 {
			s.add(tenantTask("b", fmt.Sprint("b", w), i), true, s0)
		}
	}
	_, b := take(s, s0)
	if len(b) != 4 {
		t.Fatalf("tenant b: %d in flight, want the reserve of 4", len(b))
	}
	// The tenants' shares are 14 each: b gets every worker a gives back
	// until it holds 14.
	for i := range 10 {
		s.done(a[i], resultUp, s0)
		got, more := take(s, s0)
		if len(more) != 1 || !strings.HasPrefix(got[0], "b") {
			t.Fatalf("after a's attempt %d ended: handed out %v, want one of b's", i, got)
		}
		b = append(b, more...)
	}
	if n := s.tenants["b"].inflight; n != 14 {
		t.Fatalf("tenant b: %d in flight, want its share of 14", n)
	}
	// With both tenants at or past their share, the reserve stays idle.
	s.done(a[10], resultUp, s0)
	if got, _ := take(s, s0); len(got) != 0 {
		t.Fatalf("with both tenants at their share: handed out %v from the reserve", got)
	}
}

// TestSlowEndpointThrottled: a webhook whose attempt took more than half
// the attempt timeout drops to the slow limit until one is fast again; an
// attempt in flight that long already counts; and the throttle is kept
// across the lane emptying.
func TestSlowEndpointThrottled(t *testing.T) {
	t.Parallel()
	const timeout = 10 * time.Second
	s := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 100, attemptTimeout: timeout})
	for i := range 40 {
		s.add(task("a", i), true, s0)
	}
	_, first := take(s, s0)
	if len(first) != 10 {
		t.Fatalf("%d in flight, want the limit of 10", len(first))
	}
	slowAt := s0.Add(timeout/2 + time.Millisecond)
	if c := s.done(first[0], resultUp, slowAt); !c.slowed {
		t.Fatalf("an attempt of %v: change %+v, want slowed", slowAt.Sub(s0), c)
	}
	for _, tk := range first[1:] {
		s.done(tk, resultUp, slowAt)
	}
	got, second := take(s, slowAt)
	if len(got) != slowLimit(10) {
		t.Fatalf("slow endpoint: %d in flight, want %d", len(got), slowLimit(10))
	}
	fastAt := slowAt.Add(time.Second)
	if c := s.done(second[0], resultUp, fastAt); !c.fast {
		t.Fatalf("an attempt of 1s: change %+v, want fast", c)
	}
	s.done(second[1], resultUp, fastAt)
	if got, _ := take(s, fastAt); len(got) != 10 {
		t.Fatalf("fast again: %d in flight, want 10", len(got))
	}

	// In flight for more than half the timeout: slow before it ends.
	s2 := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 100, attemptTimeout: timeout})
	s2.add(task("b", 0), true, s0)
	take(s2, s0)
	for i := 1; i < 10; i++ {
		s2.add(task("b", i), true, s0)
	}
	if got, _ := take(s2, slowAt); len(got) != slowLimit(10)-1 {
		t.Fatalf("beside an attempt in flight for %v: started %d, want %d", slowAt.Sub(s0), len(got),
			slowLimit(10)-1)
	}

	// A slow lane that empties comes back throttled.
	s3 := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 100, attemptTimeout: timeout})
	s3.add(task("c", 0), true, s0)
	_, one := take(s3, s0)
	s3.done(one[0], resultUp, slowAt)
	if len(s3.lanes) != 0 {
		t.Fatal("the empty lane was kept")
	}
	for i := range 10 {
		s3.add(task("c", i+1), true, slowAt)
	}
	if got, _ := take(s3, slowAt); len(got) != slowLimit(10) {
		t.Fatalf("a slow webhook's new work: %d in flight, want %d", len(got), slowLimit(10))
	}
}

// TestFairNoReserveWithFewWorkers: under eight workers there is no
// reserve, so one webhook may use every worker.
func TestFairNoReserveWithFewWorkers(t *testing.T) {
	t.Parallel()
	s := newScheduler(schedLimits{perLane: 10, backlog: 1000, capacity: 20000, workers: 4, attemptTimeout: time.Minute})
	for i := range 10 {
		s.add(task("a", i), true, s0)
	}
	if got, _ := take(s, s0); len(got) != 4 {
		t.Fatalf("%d in flight, want all 4 workers", len(got))
	}
}

// TestLaneBoundShrinksWithLanes: with many webhooks backed up, each lane's
// bound shrinks so that together they hold at most half the queue; a
// webhook that shows up then still has room (before, 30 slow webhooks at
// a twentieth of the queue each filled it, and nothing more was leased
// or claimed for anyone).
func TestLaneBoundShrinksWithLanes(t *testing.T) {
	t.Parallel()
	const capacity = 2000
	s := newScheduler(schedLimits{perLane: 10, backlog: capacity / 20, capacity: capacity, workers: 1,
		attemptTimeout: time.Minute})
	for i := range 200 {
		full := map[string]bool{}
		for _, id := range s.full() {
			full[id] = true
		}
		for w := range 30 {
			if id := fmt.Sprint("slow", w); !full[id] { // what ingest does: skip the full lanes
				s.add(task(id, i), true, s0)
			}
		}
	}
	if len(s.full()) != 30 || s.queued > capacity/2 {
		t.Fatalf("%d lanes full, %d queued; want all 30 full within half the capacity (%d)", len(s.full()),
			s.queued, capacity/2)
	}
	s.add(task("ok", 0), true, s0)
	for _, id := range s.full() {
		if id == "ok" {
			t.Fatal("the new webhook's lane is full at once")
		}
	}
	if len(s.saturated(100)) != 30 {
		t.Fatalf("saturated = %v, want the 30 slow lanes", s.saturated(100))
	}
}
