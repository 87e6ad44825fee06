package auth

import (
	"net/netip"
	"sync"
	"time"
)

// Sign-in throttling. Each client address and each account may have
// SignInFreeFailures failed attempts; then further attempts are refused
// for SignInFirstLockout, doubling with each failure up to
// SignInMaxLockout. A success clears the address and the account.
//
// An attempt is reserved before its password is checked and counts
// against both limits while it is checked, so attempts sent at once
// cannot all slip past the limit (issue 17: 40 guesses sent together were
// all checked). A locked account still takes one attempt at a time from
// an address with no failures on record: an attacker who locks an account
// from a few addresses cannot keep its owner out, while each address that
// guesses wrong joins the lock. IPv6 addresses count by /64, the block one
// client usually holds.
//
// It is per process and in memory: enough to make online guessing slow,
// without a store round trip.
const (
	SignInFreeFailures = 5
	SignInFirstLockout = 30 * time.Second
	SignInMaxLockout   = 15 * time.Minute
)

const (
	// forgetAfter drops a key's record when it has been quiet this long.
	forgetAfter = time.Hour
	// maxEntries bounds the memory an attack with many addresses can take
	// (about 100 bytes each).
	maxEntries = 100000
	// busyWait is the wait suggested when the attempts in flight hold the
	// rest of an allowance: they settle within a second.
	busyWait = time.Second
)

type throttle struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures int
	pending  int // attempts reserved and not settled
	until    time.Time
	last     time.Time
}

// reservation is an attempt counted in flight for its keys; settle or
// refund ends it.
type reservation struct {
	addr, account string
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, entries: map[string]*throttleEntry{}}
}

// AddressKey is what limits per client address count a remote address
// (an IP address without its port) by: the address itself, an IPv6
// address by its /64, the block one client usually holds; anything
// unparseable as it is.
func AddressKey(remote string) string {
	a, err := netip.ParseAddr(remote)
	if err != nil {
		return remote
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// blocked reports how long e refuses attempts (zero when it takes one),
// and whether that is for attempts in flight rather than a lockout.
func (e *throttleEntry) blocked(now time.Time) (time.Duration, bool) {
	if e == nil {
		return 0, false
	}
	if e.until.After(now) {
		return e.until.Sub(now), false
	}
	// After a lockout ends, one attempt at a time.
	if e.pending >= max(1, SignInFreeFailures-e.failures) {
		return busyWait, true
	}
	return 0, false
}

// clean reports whether an address has no failures and no attempt in
// flight on record.
func (e *throttleEntry) clean() bool { return e == nil || (e.failures == 0 && e.pending == 0) }

// reserve counts an attempt from remote on account in flight, or says
// why either limit refuses it (Busy when attempts in flight hold the rest
// of an allowance, or the throttle's memory is full of active addresses).
func (t *throttle) reserve(remote, account string) (reservation, *ThrottledError) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	r := reservation{addr: "ip:" + AddressKey(remote), account: "user:" + account}
	addr, acct := t.entry(r.addr, now), t.entry(r.account, now)
	if w, busy := addr.blocked(now); w > 0 {
		return r, &ThrottledError{Wait: w, Busy: busy}
	}
	if w, busy := acct.blocked(now); w > 0 && !addr.clean() {
		return r, &ThrottledError{Wait: w, Busy: busy}
	}
	if addr = t.create(r.addr, addr, now); addr == nil {
		return r, &ThrottledError{Wait: busyWait, Busy: true}
	}
	if acct = t.create(r.account, acct, now); acct == nil {
		t.drop(r.addr, addr)
		return r, &ThrottledError{Wait: busyWait, Busy: true}
	}
	addr.pending++
	acct.pending++
	return r, nil
}

// entry returns the record of key, nil when there is none or it has been
// quiet long enough to forget.
func (t *throttle) entry(key string, now time.Time) *throttleEntry {
	e := t.entries[key]
	if e != nil && e.pending == 0 && now.Sub(e.last) > forgetAfter && !e.until.After(now) {
		delete(t.entries, key)
		return nil
	}
	return e
}

// create returns e, or a new record for key when e is nil; nil when the
// memory bound is reached even after forgetting quiet records.
func (t *throttle) create(key string, e *throttleEntry, now time.Time) *throttleEntry {
	if e != nil {
		return e
	}
	if len(t.entries) >= maxEntries {
		for k, old := range t.entries {
			if old.pending == 0 && now.Sub(old.last) > forgetAfter && !old.until.After(now) {
				delete(t.entries, k)
			}
		}
		if len(t.entries) >= maxEntries {
			return nil
		}
	}
	e = &throttleEntry{last: now}
	t.entries[key] = e
	return e
}

// drop deletes a record that holds nothing any more.
func (t *throttle) drop(key string, e *throttleEntry) {
	if e.failures == 0 && e.pending == 0 {
		delete(t.entries, key)
	}
}

// settle ends a reserved attempt: a failure counts against both keys
// (and may start a lockout), a success clears them.
func (t *throttle) settle(r reservation, success bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, key := range []string{r.addr, r.account} {
		e := t.entries[key]
		if e == nil {
			continue // forgotten under memory pressure: nothing to count against
		}
		e.pending = max(0, e.pending-1)
		e.last = now
		if success {
			e.failures, e.until = 0, time.Time{}
			t.drop(key, e)
			continue
		}
		e.failures++
		if e.failures >= SignInFreeFailures {
			d := SignInFirstLockout << min(e.failures-SignInFreeFailures, 10)
			e.until = now.Add(min(d, SignInMaxLockout))
		}
	}
}

// refund ends a reserved attempt that was not checked (no hashing slot
// was free): it counts for nothing.
func (t *throttle) refund(r reservation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, key := range []string{r.addr, r.account} {
		if e := t.entries[key]; e != nil {
			e.pending = max(0, e.pending-1)
			t.drop(key, e)
		}
	}
}
