package deliver_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
)

// fakeConn is a connection that knows whether it was closed.
type fakeConn struct {
	key    string
	mu     sync.Mutex
	closed bool
	dead   bool
	done   chan struct{} // closed by Close
}

func (c *fakeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	return nil
}

func (c *fakeConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// TestPool: one connection per key, reused; a dead one replaced before
// use; an idle one (a webhook whose URL changed) closed; at most Max kept;
// Close closes the rest; a failed dial is not kept.
func TestPool(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var dials []*fakeConn
	p := &deliver.Pool[*fakeConn]{
		Max: 2, Idle: time.Minute, Now: func() time.Time { return now },
		Dial: func(_ context.Context, key string) (*fakeConn, error) {
			if key == "bad" {
				return nil, errors.New("refused")
			}
			c := &fakeConn{key: key, done: make(chan struct{})}
			dials = append(dials, c)
			return c, nil
		},
		Alive: func(c *fakeConn) bool { return !c.dead },
	}
	ctx := context.Background()
	get := func(key string) *fakeConn {
		t.Helper()
		c, err := p.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
		return c
	}
	a := get("a")
	if get("a") != a || len(dials) != 1 {
		t.Fatalf("the connection of a was not reused: %d dials", len(dials))
	}
	a.dead = true
	if a2 := get("a"); a2 == a || len(dials) != 2 {
		t.Fatalf("a dead connection was not replaced: %d dials", len(dials))
	}
	if _, err := p.Get(ctx, "bad"); err == nil {
		t.Fatal("a failed dial: no error")
	}
	if _, err := p.Get(ctx, "bad"); err == nil || len(dials) != 2 {
		t.Fatalf("a failed dial was kept: %d dials", len(dials))
	}

	// Idle past a minute: closed at the next Get (of any key).
	now = now.Add(2 * time.Minute)
	b := get("b")
	waitClosed(t, dials[1])
	if b.isClosed() {
		t.Error("the fresh connection of b was closed")
	}

	// Max 2: a third key closes the oldest.
	c := get("c")
	get("d")
	waitClosed(t, b)
	if c.isClosed() {
		t.Error("c was closed, not the oldest")
	}
	p.Close()
	for _, k := range dials[len(dials)-2:] {
		if !k.isClosed() {
			t.Errorf("after Close: %s open", k.key)
		}
	}
}

// waitClosed waits for c's close, which the pool does in the background
// (closing may wait on the network).
func waitClosed(t *testing.T, c *fakeConn) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not closed", c.key)
	}
}

// TestPoolRelease: a connection is closed as soon as no webhook uses it
// (Release, or the webhook acquiring another key), but only after the
// attempts under way on it; one shared with another webhook stays.
func TestPoolRelease(t *testing.T) {
	var dials []*fakeConn
	p := &deliver.Pool[*fakeConn]{
		Dial: func(_ context.Context, key string) (*fakeConn, error) {
			c := &fakeConn{key: key, done: make(chan struct{})}
			dials = append(dials, c)
			return c, nil
		},
	}
	ctx := context.Background()
	acquire := func(user, key string) (*fakeConn, func()) {
		t.Helper()
		c, release, err := p.Acquire(ctx, user, key)
		if err != nil {
			t.Fatalf("Acquire %s %s: %v", user, key, err)
		}
		return c, release
	}
	x, done := acquire("wh_1", "x")
	if y, d := acquire("wh_2", "x"); y != x {
		t.Fatal("two webhooks on one key got two connections")
	} else {
		d()
	}
	// wh_1 moves to key z while its attempt on x is under way: x stays,
	// wh_2 uses it.
	_, dz := acquire("wh_1", "z")
	dz()
	done()
	p.Release("wh_2")
	// Nobody is left on x: closed.
	waitClosed(t, x)

	// An attempt under way keeps its connection open until it ends.
	z, d1 := acquire("wh_1", "z")
	p.Release("wh_1")
	if z.isClosed() {
		t.Fatal("closed under an attempt")
	}
	d1()
	d1() // release is idempotent
	waitClosed(t, z)
	if z2, d2 := acquire("wh_1", "z"); z2 == z || z2.isClosed() {
		t.Error("after release, the next attempt did not get a new connection")
	} else {
		d2()
	}
	p.Close()
}
