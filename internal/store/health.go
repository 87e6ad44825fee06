package store

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// WriteHealth remembers that storage refused a write because it could not
// take it (disk full, I/O error, database unreachable), so that readiness
// can say so: a ping or an empty commit succeeds on a full disk while every
// publish fails. A store marks it from its write path and clears it only
// after a probe write that needs real space has committed — not after any
// small write, which can slip into space already allocated and would make
// readiness flap while events are refused.
type WriteHealth struct {
	mu    sync.Mutex
	err   error
	since time.Time
}

// Failed records that a write was refused as unavailable.
func (h *WriteHealth) Failed(err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.since = now
	}
	h.err = err
}

// Recovered clears a recorded failure.
func (h *WriteHealth) Recovered() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = nil
	h.since = time.Time{}
}

// Failing returns when the failing spell began and the last refusal; a
// nil error when writes are healthy.
func (h *WriteHealth) Failing() (since time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.since, h.err
}

// ProbeLeader is the row of the leaders table that readiness probes
// rewrite; no leader election uses the name.
const ProbeLeader = "hookline.readiness-probe"

// ProbeSize is how many bytes a readiness probe writes: more than a page
// of either database, so that it needs newly allocated space and fails
// where a real event would.
const ProbeSize = 64 << 10

// ProbeValue returns ProbeSize bytes of random text for a probe write:
// random so that PostgreSQL's compression cannot shrink it to nothing.
func ProbeValue() string {
	b := make([]byte, ProbeSize/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}
