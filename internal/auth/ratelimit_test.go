package auth

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	l := NewLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatalf("request %d within the burst was refused", i)
		}
	}
	ok, wait := l.Allow("k")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("after the burst: ok=%v wait=%v, want refused with 500ms", ok, wait)
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("a token should have refilled after 500ms")
	}
	if ok, _ := NewLimiter(0, 0, nil).Allow("k"); !ok {
		t.Fatal("a zero rate must not limit")
	}
}

func TestLimiterWaitTakesNothing(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	l := NewLimiter(1, 2, func() time.Time { return now })
	for range 5 {
		if w := l.Wait("k"); w != 0 {
			t.Fatalf("Wait on a fresh key = %v", w)
		}
	}
	l.Allow("k")
	l.Allow("k")
	if w := l.Wait("k"); w != time.Second {
		t.Fatalf("Wait after the burst = %v, want 1s", w)
	}
	now = now.Add(time.Second)
	if w := l.Wait("k"); w != 0 {
		t.Fatalf("Wait after a refill = %v", w)
	}
}
