package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/store"
)

// recordBatch bounds how many results one write stores.
const recordBatch = 512

// recorder batches attempt results into few durable writes: while one
// batch commits, the next one gathers.
type recorder struct {
	store Store
	log   *slog.Logger
	onDue func(time.Time)
	// fence returns the current lease end of a delivery this process
	// holds (a claim may have renewed it while the result waited), and
	// stored releases deliveries whose results are stored.
	fence  func(deliveryID string) (time.Time, bool)
	stored func(results []store.AttemptResult)
	// claims is held by the poller from a claim until its tasks are in
	// memory. Reading the fences and writing the results under it means
	// a claim that renews a held delivery's lease is either seen in full
	// (the new lease end fences the result) or not begun; without it, a
	// result fenced with the old lease end could be refused by a lease
	// renewed a moment earlier, and the delivery sent again.
	claims sync.Locker
	// retryNow cuts a backoff short when storage is known to be back.
	retryNow chan struct{}
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []store.AttemptResult
	closed   bool
}

func newRecorder(s Store, log *slog.Logger, onDue func(time.Time), fence func(string) (time.Time, bool),
	stored func([]store.AttemptResult), claims sync.Locker) *recorder {
	r := &recorder{store: s, log: log, onDue: onDue, fence: fence, stored: stored, claims: claims,
		retryNow: make(chan struct{}, 1)}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *recorder) add(res store.AttemptResult) {
	r.mu.Lock()
	r.buf = append(r.buf, res)
	r.mu.Unlock()
	r.cond.Signal()
}

// storageBack cuts a retry backoff short: storage answered again.
func (r *recorder) storageBack() {
	select {
	case r.retryNow <- struct{}{}:
	default:
	}
}

// close makes run return once everything added so far is stored.
func (r *recorder) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *recorder) run() {
	backoff := 100 * time.Millisecond
	for {
		r.mu.Lock()
		for len(r.buf) == 0 && !r.closed {
			r.cond.Wait()
		}
		if len(r.buf) == 0 && r.closed {
			r.mu.Unlock()
			return
		}
		n := min(len(r.buf), recordBatch)
		batch := make([]store.AttemptResult, n)
		copy(batch, r.buf)
		r.buf = append(r.buf[:0], r.buf[n:]...)
		r.mu.Unlock()

		for {
			r.claims.Lock()
			for i := range batch {
				if until, ok := r.fence(batch[i].Attempt.DeliveryID); ok && batch[i].LeaseOwner != "" {
					batch[i].LeaseUntil = until
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := r.store.AttemptRecord(ctx, batch)
			cancel()
			r.claims.Unlock()
			if err == nil {
				backoff = 100 * time.Millisecond
				break
			}
			// Keep the results and try again: the deliveries stay leased
			// meanwhile, and if this process dies their leases run out and
			// they are delivered again (at least once).
			r.log.Error("storing attempt results failed; retrying", "err", err, "count", len(batch), "in", backoff)
			select {
			case <-time.After(backoff):
			case <-r.retryNow:
			}
			backoff = min(backoff*2, 5*time.Second)
		}
		r.stored(batch)
		var earliest time.Time
		for i := range batch {
			if batch[i].Outcome == store.OutcomeRetry && (earliest.IsZero() || batch[i].NextAttemptAt.Before(earliest)) {
				earliest = batch[i].NextAttemptAt
			}
		}
		if !earliest.IsZero() {
			r.onDue(earliest)
		}
	}
}
