package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func testLeader(t *testing.T, open Opener) {
	t.Run("Sequence", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		s := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
		for _, step := range []struct {
			what        string
			name, owner string
			now, until  time.Time
			want        bool
		}{
			{"the first owner takes it", "dispatch", "a", s(0), s(30), true},
			{"another owner while it is held", "dispatch", "b", s(10), s(40), false},
			{"the owner renews", "dispatch", "a", s(20), s(50), true},
			{"another owner after the first term, inside the renewed one", "dispatch", "b", s(40), s(70), false},
			{"another owner just before expiry", "dispatch", "b", s(50).Add(-time.Microsecond), s(80), false},
			{"a name of its own is independent", "retain", "b", s(45), s(75), true},
			{"another owner at expiry", "dispatch", "b", s(50), s(80), true},
			{"the former owner after losing it", "dispatch", "a", s(60), s(90), false},
			{"the other name is still held", "retain", "a", s(60), s(90), false},
			{"a third owner after expiry", "retain", "c", s(100), s(130), true},
			{"the new owner renews", "dispatch", "b", s(79), s(110), true},
			{"the old owner takes it back after expiry", "dispatch", "a", s(111), s(140), true},
		} {
			got, err := h.s.LeaderAcquire(h.ctx, step.name, step.owner, step.now, step.until)
			ok(t, err, "LeaderAcquire")
			if got != step.want {
				t.Fatalf("%s: LeaderAcquire(%s, %s, now %s) = %v, want %v", step.what, step.name, step.owner,
					step.now.Sub(t0), got, step.want)
			}
		}
	})

	// Instances starting together race for the same name: exactly one leads.
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		const n = 10
		won := make([]bool, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				got, err := h.s.LeaderAcquire(h.ctx, "dispatch", fmt.Sprintf("node-%d", i), t0, at(30*time.Second))
				if err != nil {
					t.Errorf("LeaderAcquire node-%d: %v", i, err)
				}
				won[i] = got
			})
		}
		close(start)
		wg.Wait()
		var winners []int
		for i, w := range won {
			if w {
				winners = append(winners, i)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("concurrent LeaderAcquire: winners %v, want exactly one", winners)
		}
		// The winner holds it: it renews, nobody else gets it.
		for i := range n {
			got, err := h.s.LeaderAcquire(h.ctx, "dispatch", fmt.Sprintf("node-%d", i), at(time.Second), at(31*time.Second))
			ok(t, err, "LeaderAcquire")
			if got != (i == winners[0]) {
				t.Errorf("LeaderAcquire node-%d after the race: %v, want %v", i, got, i == winners[0])
			}
		}
	})
}
