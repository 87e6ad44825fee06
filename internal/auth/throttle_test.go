package auth

import (
	"testing"
	"time"

	"github.com/hookline/hookline/internal/fakeclock"
)

func TestThrottleBacksOff(t *testing.T) {
	t.Parallel()
	clk := fakeclock.New(time.Unix(1_000_000, 0))
	th := newThrottle(clk.Now)
	for range SignInFreeFailures - 1 {
		th.fail("ip:1")
	}
	if w := th.wait("ip:1"); w != 0 {
		t.Fatalf("locked after %d failures: %v", SignInFreeFailures-1, w)
	}
	th.fail("ip:1")
	if w := th.wait("ip:1", "user:x"); w != SignInFirstLockout {
		t.Fatalf("first lockout %v", w)
	}
	th.fail("ip:1")
	if w := th.wait("ip:1"); w != 2*SignInFirstLockout {
		t.Fatalf("second lockout %v", w)
	}
	for range 20 {
		th.fail("ip:1")
	}
	if w := th.wait("ip:1"); w != SignInMaxLockout {
		t.Fatalf("lockout not capped: %v", w)
	}
	th.succeed("ip:1")
	if w := th.wait("ip:1"); w != 0 {
		t.Fatalf("success did not clear: %v", w)
	}
}
