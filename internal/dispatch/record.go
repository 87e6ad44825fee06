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
// batch commits, the next one gathers. The writes go through the lease
// component, which fences them.
type recorder struct {
	leases *leases
	log    *slog.Logger
	// retryDue is told when a stored result scheduled a retry, so the
	// poller looks at the earliest due time again, and when a FIFO
	// delivery ended, so the poller claims the next of its key.
	retryDue func()
	// retryNow cuts a backoff short when storage is known to be back.
	retryNow chan struct{}
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []store.AttemptResult
	// ordered holds the attempt IDs in buf of FIFO deliveries.
	ordered map[string]bool
	closed  bool
}

func newRecorder(k *leases, log *slog.Logger, retryDue func()) *recorder {
	r := &recorder{leases: k, log: log, retryDue: retryDue, retryNow: make(chan struct{}, 1), ordered: map[string]bool{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// add queues a result; ordered says it is a FIFO delivery's.
func (r *recorder) add(res store.AttemptResult, ordered bool) {
	r.mu.Lock()
	r.buf = append(r.buf, res)
	if ordered {
		r.ordered[res.Attempt.ID] = true
	}
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
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := r.leases.record(ctx, batch)
			cancel()
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
		wake := false
		r.mu.Lock()
		for i := range batch {
			res := &batch[i]
			if r.ordered[res.Attempt.ID] {
				delete(r.ordered, res.Attempt.ID)
				wake = wake || res.Outcome != store.OutcomeRetry
			}
			wake = wake || res.Outcome == store.OutcomeRetry
		}
		r.mu.Unlock()
		if wake {
			r.retryDue()
		}
	}
}
