package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The writer: one goroutine owns the single write connection and commits
// the writes queued by every caller in groups (group commit).

// write runs fn in the next group commit and returns once that commit is
// durable (or failed). fn's error rolls back fn's writes only.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(ctx, s.ops, fn)
}

// writeBulk is write for the dispatcher's bulk writes (claims, attempt
// results, lease renewals and releases: hundreds of rows each, nobody
// waiting on them but the dispatcher), which may wait one commit for
// the other writes: see writeLoop.
func (s *Store) writeBulk(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(ctx, s.bulk, fn)
}

func (s *Store) enqueue(ctx context.Context, ch chan *op, fn func(tx *sql.Tx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return errClosed
	}
	select {
	case ch <- o:
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	s.closeMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the caller must
	// not report failure for a write that then commits.
	return <-o.done
}

// writeLoop commits the queued writes in groups. A bulk write does not
// share a commit with the other writes queued at the same moment: they
// commit first, and the bulk write (at most one at a time waits; the
// dispatcher makes them one after another) goes with the next commit,
// joined by whatever was queued by then. So a published event waits for
// at most one bulk write's commit rather than for its own commit made as
// long as one: measured in a drain of 100,000 deliveries at 5,000/s, the
// claims and results were three quarters of the writer's time and an event's
// ingest took 35–65 ms at the median.
func (s *Store) writeLoop() {
	defer close(s.done)
	batch := make([]*op, 0, maxBatch)
	var bulk *op    // a bulk write waiting for its commit
	waited := false // bulk already let one commit go first
	for {
		batch = batch[:0]
		if bulk == nil {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			case o := <-s.bulk:
				bulk = o
			case <-s.stop:
				s.drain()
				return
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		if bulk == nil {
			select {
			case o := <-s.bulk:
				bulk = o
			default:
			}
		}
		switch {
		case bulk == nil:
		case len(batch) == 0 || waited:
			batch = append(batch, bulk)
			bulk, waited = nil, false
		default:
			waited = true
		}
		s.commit(batch)
	}
}

// drain commits what was queued before Close, one write at a time.
func (s *Store) drain() {
	for {
		select {
		case o := <-s.ops:
			s.commit([]*op{o})
		case o := <-s.bulk:
			s.commit([]*op{o})
		default:
			return
		}
	}
}

func (s *Store) commit(batch []*op) {
	s.commits.Add(1)
	results := make([]error, len(batch))
	err := func() error {
		tx, err := s.wdb.Begin()
		if err != nil {
			return err
		}
		// Statements bound to tx close with it.
		s.bound.tx = tx
		defer func() { s.bound.tx = nil; clear(s.bound.stmts) }()
		for i, o := range batch {
			if err := o.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := s.txStmt(tx, qSavepoint).Exec(); err != nil {
				tx.Rollback()
				return err
			}
			if err := runOp(o.fn, tx); err != nil {
				results[i] = err
				s.deferred.opDone(false)
				if _, rerr := s.txStmt(tx, qRollbackTo).Exec(); rerr != nil {
					tx.Rollback()
					return rerr
				}
			} else {
				s.deferred.opDone(true)
			}
			if _, err := s.txStmt(tx, qRelease).Exec(); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := s.flushDeferred(tx); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}()
	s.deferred.batchDone(err == nil, time.Now())
	for i, o := range batch {
		if err != nil {
			o.done <- unavailable(err)
			continue
		}
		if refused(results[i]) {
			s.health.Failed(results[i], time.Now())
			results[i] = unavailable(results[i])
		}
		o.done <- results[i]
	}
	if err != nil {
		s.health.Failed(err, time.Now())
	}
}

// runOp runs one write, turning a panic into an error: the writer
// goroutine serves every caller and must not die with one bad write.
func runOp(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", p)
		}
	}()
	return fn(tx)
}
