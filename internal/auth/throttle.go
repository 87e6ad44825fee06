package auth

import (
	"sync"
	"time"
)

// Sign-in throttling: after SignInFreeFailures failed attempts for one key
// (a client address or a username) further attempts are refused for
// SignInFirstLockout, doubling with each failure up to SignInMaxLockout. A
// success clears the key. It is per process and in memory: enough to make
// online guessing slow, without a store round trip.
const (
	SignInFreeFailures = 5
	SignInFirstLockout = 30 * time.Second
	SignInMaxLockout   = 15 * time.Minute
)

const (
	// forgetAfter drops a key's record when it has been quiet this long.
	forgetAfter = time.Hour
	// maxEntries bounds the memory an attack with many keys can take.
	maxEntries = 10000
)

type throttle struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures int
	until    time.Time
	last     time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, entries: map[string]*throttleEntry{}}
}

// wait returns how long the caller must wait before another attempt for
// any of keys; zero means go ahead.
func (t *throttle) wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var longest time.Duration
	for _, k := range keys {
		if e := t.entries[k]; e != nil && e.until.After(now) {
			longest = max(longest, e.until.Sub(now))
		}
	}
	return longest
}

// fail records a failed attempt for each key.
func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.entries) >= maxEntries {
		for k, e := range t.entries {
			if now.Sub(e.last) > forgetAfter && !e.until.After(now) {
				delete(t.entries, k)
			}
		}
	}
	for _, k := range keys {
		e := t.entries[k]
		if e == nil || now.Sub(e.last) > forgetAfter {
			if e == nil && len(t.entries) >= maxEntries {
				continue // full of active attackers: the other key still counts
			}
			e = &throttleEntry{}
			t.entries[k] = e
		}
		e.failures++
		e.last = now
		if e.failures >= SignInFreeFailures {
			d := SignInFirstLockout << min(e.failures-SignInFreeFailures, 10)
			e.until = now.Add(min(d, SignInMaxLockout))
		}
	}
}

// succeed clears the record of keys.
func (t *throttle) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.entries, k)
	}
}
