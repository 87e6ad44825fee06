package auth

import (
	"testing"
	"time"

	"github.com/hookline/hookline/internal/fakeclock"
)

// failN makes n attempts from remote on account, one after the other, and
// fails each; it stops at a refusal and returns it.
func failN(t *testing.T, th *throttle, remote, account string, n int) *ThrottledError {
	t.Helper()
	for range n {
		r, refused := th.reserve(remote, account)
		if refused != nil {
			return refused
		}
		th.settle(r, false)
	}
	return nil
}

func TestThrottleBacksOff(t *testing.T) {
	t.Parallel()
	clk := fakeclock.New(time.Unix(1_000_000, 0))
	th := newThrottle(clk.Now)
	if refused := failN(t, th, "192.0.2.1", "ada", SignInFreeFailures); refused != nil {
		t.Fatalf("refused within the free failures: %v", refused)
	}
	_, refused := th.reserve("192.0.2.1", "bob")
	if refused == nil || refused.Wait != SignInFirstLockout || refused.Busy {
		t.Fatalf("after %d failures: %+v, want the first lockout", SignInFreeFailures, refused)
	}
	clk.Add(SignInFirstLockout)
	failN(t, th, "192.0.2.1", "ada", 1)
	if _, refused := th.reserve("192.0.2.1", "ada"); refused == nil || refused.Wait != 2*SignInFirstLockout {
		t.Fatalf("second lockout %+v", refused)
	}
	for range 20 {
		clk.Add(SignInMaxLockout)
		failN(t, th, "192.0.2.1", "ada", 1)
	}
	if _, refused := th.reserve("192.0.2.1", "ada"); refused == nil || refused.Wait != SignInMaxLockout {
		t.Fatalf("lockout not capped: %+v", refused)
	}
	clk.Add(SignInMaxLockout)
	r, refused := th.reserve("192.0.2.1", "ada")
	if refused != nil {
		t.Fatalf("after the lockout: %v", refused)
	}
	th.settle(r, true)
	if len(th.entries) != 0 {
		t.Fatalf("a success left %d records", len(th.entries))
	}
}

// TestThrottleReservesBeforeChecking: attempts in flight count against
// the limit, so no more than SignInFreeFailures are checked however many
// arrive at once, the right password among them included.
func TestThrottleReservesBeforeChecking(t *testing.T) {
	t.Parallel()
	th := newThrottle(fakeclock.New(time.Unix(1_000_000, 0)).Now)
	var held []reservation
	for i := range 40 {
		r, refused := th.reserve("192.0.2.1", "ada")
		if refused == nil {
			held = append(held, r)
		} else if !refused.Busy || i < SignInFreeFailures {
			t.Fatalf("attempt %d: %+v, want a busy refusal past the free failures", i, refused)
		}
	}
	if len(held) != SignInFreeFailures {
		t.Fatalf("%d attempts reserved at once, want %d", len(held), SignInFreeFailures)
	}
	for _, r := range held {
		th.settle(r, false)
	}
	if _, refused := th.reserve("192.0.2.1", "ada"); refused == nil || refused.Busy {
		t.Fatalf("after the failures settled: %+v, want a lockout", refused)
	}
}

// TestThrottleCleanAddressPassesAccountLock: failures from a few
// addresses lock the account for them, but an address with no failures
// still gets one attempt at a time; a failure makes it one of the locked.
func TestThrottleCleanAddressPassesAccountLock(t *testing.T) {
	t.Parallel()
	th := newThrottle(fakeclock.New(time.Unix(1_000_000, 0)).Now)
	for _, a := range []string{"198.51.100.1", "198.51.100.2"} {
		failN(t, th, a, "ada", 3)
	}
	if _, refused := th.reserve("198.51.100.1", "ada"); refused == nil {
		t.Fatal("an address that failed got past the account's lock")
	}
	r, refused := th.reserve("203.0.113.7", "ada")
	if refused != nil {
		t.Fatalf("a clean address was refused: %+v", refused)
	}
	if _, refused := th.reserve("203.0.113.7", "ada"); refused == nil {
		t.Fatal("a second attempt in flight from the clean address got through the account's lock")
	}
	th.settle(r, false)
	if _, refused := th.reserve("203.0.113.7", "ada"); refused == nil {
		t.Fatal("an address that has failed still passes the account's lock")
	}
	// Another account from the same address is not locked by this one.
	if _, refused := th.reserve("203.0.113.7", "bob"); refused != nil {
		t.Fatalf("another account: %+v", refused)
	}
}

func TestThrottleRefundCountsNothing(t *testing.T) {
	t.Parallel()
	th := newThrottle(fakeclock.New(time.Unix(1_000_000, 0)).Now)
	for range 3 * SignInFreeFailures {
		r, refused := th.reserve("192.0.2.1", "ada")
		if refused != nil {
			t.Fatalf("refused after refunds: %+v", refused)
		}
		th.refund(r)
	}
	if len(th.entries) != 0 {
		t.Fatalf("refunds left %d records", len(th.entries))
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":             "192.0.2.1",
		"::ffff:192.0.2.1":      "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":  "2001:db8:1:2::/64",
		"not an address":        "not an address",
		"2001:db8:1:3:3:4:5:6":  "2001:db8:1:3::/64",
		"[2001:db8::1]:8080":    "[2001:db8::1]:8080",
		"2001:db8:0:0:0:0:0:1%": "2001:db8:0:0:0:0:0:1%",
	} {
		if got := AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
