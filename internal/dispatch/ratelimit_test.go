package dispatch

import (
	"fmt"
	"testing"
	"time"
)

// TestLimiterWindow: the sliding window lets n starts into any interval
// of one period, and says when the next may start.
func TestLimiterWindow(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Time { return s0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		n      int
		period time.Duration
		starts []int // ms after s0, taken in order
		at     int   // ms after s0
		want   int   // ms after s0 of nextAt
	}{
		{name: "empty", n: 2, period: time.Second, at: 0, want: 0},
		{name: "under the limit", n: 2, period: time.Second, starts: []int{0}, at: 10, want: 10},
		{name: "at the limit waits for the oldest", n: 2, period: time.Second, starts: []int{0, 300}, at: 400, want: 1000},
		{name: "the oldest left the window", n: 2, period: time.Second, starts: []int{0, 300}, at: 1000, want: 1000},
		{name: "the start on the edge has left", n: 1, period: time.Second, starts: []int{0}, at: 1000, want: 1000},
		{name: "a lowered limit waits for more to leave", n: 1, period: time.Second, starts: []int{0, 200, 500}, at: 600, want: 1500},
		{name: "per minute", n: 3, period: time.Minute, starts: []int{0, 1, 2}, at: 30000, want: 60000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &limiter{n: tt.n, period: tt.period}
			for _, st := range tt.starts {
				r.take(ms(st))
			}
			if got := r.nextAt(ms(tt.at)); !got.Equal(ms(tt.want)) {
				t.Fatalf("nextAt(%dms) = %v, want %dms", tt.at, got.Sub(s0), tt.want)
			}
			if got := r.allows(ms(tt.at)); got != (tt.want == tt.at) {
				t.Fatalf("allows(%dms) = %v", tt.at, got)
			}
		})
	}
}

// TestSchedulerRateLimit: a lane with a rate limit starts at most n per
// period on the scheduler's clock, waits parked (wakeAt says until when)
// and marks the attempts that waited; other lanes are not held up.
func TestSchedulerRateLimit(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	s.setRate("a", 3, time.Second, s0)
	for i := range 10 {
		s.add(task("a", i), true, s0)
	}
	s.add(task("b", 0), true, s0)
	got, tks := take(s, s0)
	if len(got) != 4 || count(got, "b-0") != 1 {
		t.Fatalf("at s0: %v, want 3 of a and b-0", got)
	}
	for _, tk := range tks {
		if tk.throttled {
			t.Fatalf("a first start marked throttled")
		}
		s.done(tk, resultUp, s0)
	}
	if at := s.wakeAt(); !at.Equal(s0.Add(time.Second)) {
		t.Fatalf("wakeAt = %v, want s0+1s (when the first start leaves the window)", at)
	}
	if got, _ := take(s, s0.Add(999*time.Millisecond)); len(got) != 0 {
		t.Fatalf("within the window: %v started", got)
	}
	// Window by window: three starts each, each marked as having waited.
	starts := map[int]int{}
	now := s0.Add(time.Second)
	for sent := 3; sent < 10; {
		got, tks := take(s, now)
		for _, tk := range tks {
			if !tk.throttled {
				t.Fatalf("an attempt after a wait not marked throttled at %v", now.Sub(s0))
			}
			s.done(tk, resultUp, now)
		}
		sent += len(got)
		starts[int(now.Sub(s0)/time.Second)] += len(got)
		next := s.wakeAt()
		if sent < 10 && !next.After(now) {
			t.Fatalf("nothing to wait for at %v with %d left", now.Sub(s0), 10-sent)
		}
		now = next
	}
	for w, n := range starts {
		if n > 3 {
			t.Fatalf("window %d: %d starts, limit 3", w, n)
		}
	}
	if len(starts) != 3 { // 3+3+1 in windows 1, 2, 3
		t.Fatalf("windows %v, want three", starts)
	}
}

// TestSchedulerRateLimitOutlivesLane: a lane that empties and comes back
// within the window still finds the starts it made.
func TestSchedulerRateLimitOutlivesLane(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	s.setRate("a", 2, time.Second, s0)
	for i := range 2 {
		s.add(task("a", i), true, s0)
	}
	_, tks := take(s, s0)
	for _, tk := range tks {
		s.done(tk, resultUp, s0)
	}
	if s.lanes["a"] != nil {
		t.Fatal("lane a kept after it emptied")
	}
	s.add(task("a", 2), true, s0.Add(500*time.Millisecond))
	if got, _ := take(s, s0.Add(500*time.Millisecond)); len(got) != 0 {
		t.Fatalf("a new lane ignored the window: %v", got)
	}
	if got, _ := take(s, s0.Add(time.Second)); len(got) != 1 {
		t.Fatalf("after the window: %v, want a-2", got)
	}
}

// TestSchedulerRateLimitChange: lifting a limit resumes a waiting lane
// at once; a limit set on a running lane applies to its next start.
func TestSchedulerRateLimitChange(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	s.setRate("a", 1, time.Minute, s0)
	for i := range 3 {
		s.add(task("a", i), true, s0)
	}
	if got, _ := take(s, s0); len(got) != 1 {
		t.Fatalf("1/min: %v started", got)
	}
	s.setRate("a", 0, 0, s0)
	if got, _ := take(s, s0); len(got) != 2 {
		t.Fatalf("limit lifted: %v started, want the other two", got)
	}
	s.setRate("b", 1, time.Second, s0)
	for i := range 2 {
		s.add(task("b", i), true, s0)
	}
	if got, _ := take(s, s0); fmt.Sprint(got) != "[b-0]" {
		t.Fatalf("b at 1/s: %v", got)
	}
}

func count(list []string, v string) int {
	n := 0
	for _, s := range list {
		if s == v {
			n++
		}
	}
	return n
}

// TestSetRateReportsChange: followRate runs before every attempt and
// wakes the idle workers only when setRate reports a change, so the same
// limit (or none) set again must report none.
func TestSetRateReportsChange(t *testing.T) {
	t.Parallel()
	s := newTestScheduler(10, 1000)
	steps := []struct {
		n      int
		period time.Duration
		want   bool
	}{
		{0, 0, false},           // no limit, none before
		{5, time.Second, true},  // a limit
		{5, time.Second, false}, // the same again
		{5, time.Minute, true},  // another period
		{0, 0, true},            // lifted
		{0, 0, false},           // still none
	}
	for i, st := range steps {
		if got := s.setRate("a", st.n, st.period, s0); got != st.want {
			t.Errorf("step %d: setRate(%d, %v) changed = %v, want %v", i, st.n, st.period, got, st.want)
		}
	}
}
