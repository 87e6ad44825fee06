package postgres

import (
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// FIFO sequence numbers. A FIFO webhook's deliveries are numbered in the
// order their events commit: a transaction adds its count to the
// webhook's row of fifo_sequences (qSequencesTake) and holds that row
// locked until it commits, so a concurrent event for the same webhook
// waits and numbers after it. Its deliveries then take the numbers
// last-count+1 .. last in their order within the transaction (rank).
//
// A FIFO delivery stored as its key's head (the first of its key in the
// transaction, and no pending delivery of the key stored: the lock makes
// that answer current) is due, and leased at ingest like any other. The
// others wait: pending with no due time (next_attempt_at NULL), so claims
// never look at them, until the head ends and the result's write makes
// the next one of the key due (qPromote, under the same lock). Work per
// delivery is then the same whatever the length of a key's queue.

// qSequencesTake adds n to the sequence of each webhook h, locking the
// rows in ID order so that two transactions queue rather than deadlock.
const qSequencesTake = `INSERT INTO fifo_sequences (webhook_id, last)
	SELECT h, n FROM unnest($1::text[], $2::bigint[]) AS c (h, n) ORDER BY h
	ON CONFLICT (webhook_id) DO UPDATE SET last = fifo_sequences.last + excluded.last`

// fifoRows are the ordering columns of the deliveries one transaction
// inserts, one entry per delivery in insertion order.
type fifoRows struct {
	key   []*string // the ordering key; nil for a delivery without ordering
	rank  []int32   // place among the transaction's FIFO deliveries of its webhook, from 1
	first []bool    // the first of its webhook and key in the transaction
	hook  []string
	count map[string]int64 // FIFO deliveries per webhook
	seen  map[[2]string]bool
}

// add appends a delivery to webhook hook: with ordering when fifo, under
// key.
func (f *fifoRows) add(hook string, fifo bool, key string) {
	f.hook = append(f.hook, hook)
	if !fifo {
		f.key, f.rank, f.first = append(f.key, nil), append(f.rank, 0), append(f.first, false)
		return
	}
	if f.count == nil {
		f.count, f.seen = map[string]int64{}, map[[2]string]bool{}
	}
	f.count[hook]++
	k := [2]string{hook, key}
	f.key, f.rank, f.first = append(f.key, &key), append(f.rank, int32(f.count[hook])), append(f.first, !f.seen[k])
	f.seen[k] = true
}

// counts is each delivery's webhook's FIFO count (0 without ordering).
func (f *fifoRows) counts() []int32 {
	out := make([]int32, len(f.hook))
	for i, h := range f.hook {
		if f.key[i] != nil {
			out[i] = int32(f.count[h])
		}
	}
	return out
}

// queueTake queues the sequence numbers' reservation, when any delivery
// is ordered; it must run before the deliveries' insert.
func (f *fifoRows) queueTake(b *pgx.Batch) {
	if len(f.count) == 0 {
		return
	}
	hooks := make([]string, 0, len(f.count))
	for h := range f.count {
		hooks = append(hooks, h)
	}
	slices.Sort(hooks)
	ns := make([]int64, len(hooks))
	for i, h := range hooks {
		ns[i] = f.count[h]
	}
	b.Queue(qSequencesTake, hooks, ns)
}

// fifoSeq is the SQL of a FIFO delivery's sequence number in an insert
// over unnest(...) AS d (..., webhook_id, fkey, rank, cnt, first), after
// qSequencesTake ran in the same transaction.
const fifoSeq = `CASE WHEN d.fkey IS NOT NULL THEN
		(SELECT f.last FROM fifo_sequences f WHERE f.webhook_id = d.webhook_id) - d.cnt + d.rank END`

// fifoHeadAtInsert is the SQL condition under which a new delivery is
// due (and may be leased) as far as ordering goes: it is no FIFO one, or
// its key's head (see above).
const fifoHeadAtInsert = `(d.fkey IS NULL OR (d.first AND NOT EXISTS (SELECT 1 FROM deliveries p
		WHERE p.webhook_id = d.webhook_id AND p.ordering_key = d.fkey AND p.status = 'pending' AND p.seq IS NOT NULL)))`

const (
	// qSequencesLock locks the sequence rows of webhooks in ID order,
	// before their keys' next deliveries are made due: an ingest that
	// decided a new delivery waits has then committed, and is seen.
	qSequencesLock = `SELECT 1 FROM fifo_sequences WHERE webhook_id = ANY($1) ORDER BY webhook_id FOR UPDATE`
	// qPromote makes the first pending delivery of each (webhook, key)
	// due at the given time, when it is waiting: its predecessor ended.
	qPromote = `UPDATE deliveries d SET next_attempt_at = k.at
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k (webhook_id, okey, at),
			LATERAL (SELECT x.id FROM deliveries x
				WHERE x.webhook_id = k.webhook_id AND x.ordering_key = k.okey AND x.status = 'pending' AND x.seq IS NOT NULL
				ORDER BY x.seq LIMIT 1) h
		WHERE d.id = h.id AND d.next_attempt_at IS NULL`
	// qPromoteHeads makes due the head of every key of webhook $1 that
	// waits with nothing before it (after a replay).
	qPromoteHeads = `UPDATE deliveries d SET next_attempt_at = $2
		FROM (SELECT DISTINCT ON (ordering_key) id FROM deliveries
			WHERE webhook_id = $1 AND status = 'pending' AND seq IS NOT NULL ORDER BY ordering_key, seq) h
		WHERE d.id = h.id AND d.next_attempt_at IS NULL`
)

// ended are the FIFO keys whose delivery a batch of results ended: their
// next deliveries become due.
type ended struct {
	hooks, keys []string
	at          []time.Time
}

// queuePromote queues the lock and the promotion of e's keys.
func (e *ended) queuePromote(b *pgx.Batch) {
	if len(e.hooks) == 0 {
		return
	}
	hooks := slices.Clone(e.hooks)
	slices.Sort(hooks)
	b.Queue(qSequencesLock, slices.Compact(hooks))
	b.Queue(qPromote, e.hooks, e.keys, e.at)
}
