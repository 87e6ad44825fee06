package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const deliveryColumns = `id, tenant, event_id, event_type, webhook_id, status, attempts,
	next_attempt_at, last_status_code, last_error, created_at, updated_at, lease_owner, seq, ordering_key, retry_base`

// scanDelivery reads a delivery. A leased row's next_attempt_at column
// holds its lease end: that is the lease, not a next attempt (one is
// under way), so NextAttemptAt stays nil.
func scanDelivery(r scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var status string
	var owner, key *string
	var seq *int64
	err := r.Scan(&d.ID, &d.Tenant, &d.EventID, &d.EventType, &d.WebhookID, &status, &d.Attempts,
		&d.NextAttemptAt, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &owner, &seq, &key, &d.RetryBase)
	if seq != nil && key != nil {
		d.Sequence, d.OrderingKey = *seq, *key
	}
	d.Status = webhook.DeliveryStatus(status)
	d.NextAttemptAt = utcPtr(d.NextAttemptAt)
	if owner != nil {
		d.NextAttemptAt = nil
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, err
}

// DeliveryGet implements store.DeliveryStore.
func (s *Store) DeliveryGet(ctx context.Context, scope auth.Scope, id string) (webhook.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`+inScope("tenant", 2),
		id, scope.All(), scope.Tenant()))
	if err != nil {
		return d, s.notFound(err, "delivery")
	}
	ds := []webhook.Delivery{d}
	err = s.fillBlockedBy(ctx, ds)
	return ds[0], err
}

// DeliveryList implements store.DeliveryStore.
func (s *Store) DeliveryList(ctx context.Context, p store.DeliveryListParams) (store.DeliveryPage, error) {
	var wh where
	wh.scope("tenant", p.Scope)
	if p.Tenant != "" {
		wh.add("tenant = ?", p.Tenant)
	}
	if p.WebhookID != "" {
		wh.add("webhook_id = ?", p.WebhookID)
	}
	if p.EventID != "" {
		wh.add("event_id = ?", p.EventID)
	}
	switch len(p.Statuses) {
	case 0:
	case 1:
		// Plain equality, so that a webhook's rows come in id order off
		// deliveries_status (= ANY would be sorted).
		wh.add("status = ?", string(p.Statuses[0]))
	default:
		sts := make([]string, len(p.Statuses))
		for i, st := range p.Statuses {
			sts[i] = string(st)
		}
		wh.add("status = ANY(?)", sts)
	}
	if p.EventType != "" {
		wh.add("event_type = ?", p.EventType)
	}
	if !p.Since.IsZero() {
		wh.add("created_at >= ?", p.Since)
	}
	if !p.Until.IsZero() {
		wh.add("created_at < ?", p.Until)
	}
	switch q := p.Query; {
	case q == "":
	case webhook.HasPrefix(q, webhook.PrefixDelivery):
		wh.add("id = ?", q)
	case webhook.HasPrefix(q, webhook.PrefixEvent):
		wh.add("event_id = ?", q)
	default:
		wh.add("(starts_with(id, ?) OR starts_with(event_id, ?))", q)
	}
	if p.Cursor != "" {
		wh.add("id < ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries`+wh.String()+
		` ORDER BY id DESC LIMIT `+wh.arg(limit+1), wh.args...)
	if err != nil {
		return store.DeliveryPage{}, s.fail(err)
	}
	var page store.DeliveryPage
	page.Deliveries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return store.DeliveryPage{}, s.fail(err)
	}
	if len(page.Deliveries) > limit {
		page.Deliveries = page.Deliveries[:limit]
		page.Next = page.Deliveries[limit-1].ID
	}
	return page, s.fillBlockedBy(ctx, page.Deliveries)
}

// fifoHead holds for a delivery of the deliveries row being claimed
// that may go now as far as ordering goes: one without a sequence, or
// the head of its ordering key, that is no pending delivery of the key
// comes before it or is out under a live lease ($1 is now). The second
// keeps one in flight per key even when an earlier delivery is sent again
// by hand; an expired lease does not count, so a dead instance's head
// blocks nothing once its lease is over (it is due itself then).
const fifoHead = `(seq IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p
		WHERE p.webhook_id = deliveries.webhook_id AND p.ordering_key = deliveries.ordering_key
			AND p.status = 'pending' AND p.seq IS NOT NULL AND p.id <> deliveries.id
			AND (p.seq < deliveries.seq OR (p.lease_owner IS NOT NULL AND p.next_attempt_at > $1))))`

// qClaim leases due deliveries in one statement: first those that came
// due since $8, newest first, then older ones, oldest first (two range
// scans of the due index). SKIP LOCKED passes over rows another claimer is
// taking right now; a row claimed and committed since this statement's
// snapshot is re-checked when locked, no longer due (its next_attempt_at
// is now a lease end), and left out. The claimed rows come back in claim
// order, with the due time read before the lease overwrote it.
const qClaim = `WITH recent AS (
		SELECT id, next_attempt_at AS due_at FROM deliveries
		WHERE status = 'pending' AND next_attempt_at <= $1 AND next_attempt_at >= $8
			AND webhook_id <> ALL ($2::text[])
			AND ($6::int <= 1 OR abs(hashtext(webhook_id)::bigint) % $6::int = $7::int)
			AND ` + fifoHead + `
		ORDER BY next_attempt_at DESC, id DESC
		LIMIT $3
		FOR UPDATE SKIP LOCKED
	), older AS (
		SELECT id, next_attempt_at AS due_at FROM deliveries
		WHERE status = 'pending' AND next_attempt_at < $8 AND webhook_id <> ALL ($2::text[])
			AND ($6::int <= 1 OR abs(hashtext(webhook_id)::bigint) % $6::int = $7::int)
			AND ` + fifoHead + `
		ORDER BY next_attempt_at, id
		LIMIT greatest(0, $3 - (SELECT count(*) FROM recent))
		FOR UPDATE SKIP LOCKED
	), due AS (
		SELECT id, due_at, 0 AS part FROM recent
		UNION ALL
		SELECT id, due_at, 1 AS part FROM older
	), claimed AS (
		UPDATE deliveries d SET lease_owner = $4, next_attempt_at = $5
		FROM due WHERE d.id = due.id
		RETURNING d.id, d.tenant, d.event_id, d.event_type, d.webhook_id, d.status, d.attempts,
			d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at, due.due_at, due.part,
			d.seq, d.ordering_key, d.retry_base
	)
	SELECT c.id, c.tenant, c.event_id, c.event_type, c.webhook_id, c.status, c.attempts,
		c.next_attempt_at, c.last_status_code, c.last_error, c.created_at, c.updated_at, c.seq, c.ordering_key, c.retry_base,
		e.id, e.tenant, e.type, e.data, e.idempotency_key, e.created_at, e.trace_parent, e.hops
	FROM claimed c JOIN events e ON e.id = c.event_id
	ORDER BY c.part, CASE WHEN c.part = 0 THEN c.due_at END DESC, CASE WHEN c.part = 0 THEN c.id END DESC, c.due_at, c.id`

// DeliveryClaim implements store.DeliveryStore in one statement (no
// transaction around it is needed).
func (s *Store) DeliveryClaim(ctx context.Context, p store.DeliveryClaimParams) ([]store.Task, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	if s.closed.Load() {
		return nil, errClosed
	}
	recent := p.Now.Add(time.Microsecond) // none recent unless asked
	if !p.RecentSince.IsZero() && !p.RecentSince.After(p.Now) {
		recent = p.RecentSince
	}
	rows, err := s.pool.Query(ctx, qClaim, p.Now, nonNilStrings(p.ExcludeWebhooks), p.Limit, p.Lease.Owner, p.Lease.Until,
		p.Shards, p.Shard, recent)
	if err != nil {
		return nil, s.fail(err)
	}
	tasks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Task, error) {
		var t store.Task
		d, e := &t.Delivery, &t.Event
		var status string
		var key, trace, okey *string
		var seq *int64
		var data []byte
		var until time.Time
		err := r.Scan(&d.ID, &d.Tenant, &d.EventID, &d.EventType, &d.WebhookID, &status, &d.Attempts,
			&until, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &seq, &okey, &d.RetryBase,
			&e.ID, &e.Tenant, &e.Type, &data, &key, &e.CreatedAt, &trace, &e.Hops)
		d.Status = webhook.DeliveryStatus(status)
		t.Lease = store.Lease{Owner: p.Lease.Owner, Until: until.UTC()}
		d.CreatedAt, d.UpdatedAt, e.CreatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC(), e.CreatedAt.UTC()
		e.Data = data
		if key != nil {
			e.IdempotencyKey = *key
		}
		if trace != nil {
			e.TraceParent = *trace
		}
		if seq != nil && okey != nil {
			d.Sequence, d.OrderingKey = *seq, *okey
		}
		return t, err
	})
	return tasks, s.fail(err)
}

// DeliveryReleaseLeases implements store.DeliveryStore.
func (s *Store) DeliveryReleaseLeases(ctx context.Context, owner string, now time.Time) (int, error) {
	n, err := s.exec(ctx, `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = $1
		WHERE status = 'pending' AND lease_owner IS NOT NULL AND ($2 = '' OR lease_owner = $2)`, now, owner)
	if n > 0 {
		s.wake()
	}
	return int(n), err
}

// Renewals and releases apply only to a delivery still under exactly the
// lease given (owner and end): the fence.
const (
	qLeaseRenew = `UPDATE deliveries d SET next_attempt_at = $4
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS h (id, owner, until)
		WHERE d.id = h.id AND d.status = 'pending' AND d.lease_owner = h.owner AND d.next_attempt_at = h.until
		RETURNING d.id`
	qLeaseRelease = `UPDATE deliveries d SET lease_owner = NULL, next_attempt_at = $4
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS h (id, owner, until)
		WHERE d.id = h.id AND d.status = 'pending' AND d.lease_owner = h.owner AND d.next_attempt_at = h.until`
)

// heldColumns spreads held leases into the arrays the lease statements
// take.
func heldColumns(held []store.Held) (ids, owners []string, until []time.Time) {
	ids, owners, until = make([]string, len(held)), make([]string, len(held)), make([]time.Time, len(held))
	for i, h := range held {
		ids[i], owners[i], until[i] = h.DeliveryID, h.Lease.Owner, h.Lease.Until
	}
	return ids, owners, until
}

// LeaseRenew implements store.DeliveryStore.
func (s *Store) LeaseRenew(ctx context.Context, held []store.Held, until time.Time) ([]string, error) {
	if len(held) == 0 {
		return nil, nil
	}
	ids, owners, ends := heldColumns(held)
	rows, err := s.pool.Query(ctx, qLeaseRenew, ids, owners, ends, until)
	if err != nil {
		return nil, s.fail(err)
	}
	renewed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return renewed, s.fail(err)
}

// LeaseRelease implements store.DeliveryStore.
func (s *Store) LeaseRelease(ctx context.Context, held []store.Held, now time.Time) (int, error) {
	if len(held) == 0 {
		return 0, nil
	}
	ids, owners, ends := heldColumns(held)
	n, err := s.exec(ctx, qLeaseRelease, ids, owners, ends, now)
	if n > 0 {
		s.wake()
	}
	return int(n), err
}

// DeliveryNextDue implements store.DeliveryStore.
func (s *Store) DeliveryNextDue(ctx context.Context) (time.Time, error) {
	var t *time.Time
	err := s.pool.QueryRow(ctx, `SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'`).Scan(&t)
	if err != nil || t == nil {
		return time.Time{}, s.fail(err)
	}
	return t.UTC(), nil
}

// DeliveryRetry implements store.DeliveryStore.
func (s *Store) DeliveryRetry(ctx context.Context, scope auth.Scope, id string, now time.Time) (webhook.Delivery, error) {
	var d webhook.Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		var owner *string
		var next *time.Time
		err := tx.QueryRow(ctx, `SELECT status, lease_owner, next_attempt_at FROM deliveries
			WHERE id = $1`+inScope("tenant", 2)+` FOR UPDATE`, id, scope.All(), scope.Tenant()).Scan(&status, &owner, &next)
		if err != nil {
			return s.notFound(err, "delivery")
		}
		if status == string(webhook.DeliveryPending) && owner != nil && next != nil && next.After(now) {
			return &webhook.Error{Code: webhook.ECONFLICT, Message: "the delivery is being attempted right now"}
		}
		d, err = scanDelivery(tx.QueryRow(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = $1,
			lease_owner = NULL, updated_at = $1 WHERE id = $2 RETURNING `+deliveryColumns, now, id))
		if err != nil {
			return err
		}
		// The webhook's succeeded and failed counters count deliveries in
		// that final state: one sent again is in neither until it ends.
		switch status {
		case string(webhook.DeliverySucceeded):
			_, err = tx.Exec(ctx, `UPDATE webhooks SET stat_succeeded = greatest(stat_succeeded - 1, 0) WHERE id = $1`, d.WebhookID)
		case string(webhook.DeliveryFailed):
			_, err = tx.Exec(ctx, `UPDATE webhooks SET stat_failed = greatest(stat_failed - 1, 0) WHERE id = $1`, d.WebhookID)
		}
		return err
	})
	if err != nil {
		return webhook.Delivery{}, err
	}
	s.wake()
	return d, nil
}

// replayChunk bounds the deliveries one statement of WebhookReplay makes.
const replayChunk = 5000

// WebhookReplay implements store.DeliveryStore.
func (s *Store) WebhookReplay(ctx context.Context, scope auth.Scope, webhookID string, since, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		n = 0
		var tenant, ordering, keyPath string
		var events []string
		var flt []byte
		// KEY SHARE, as at ingest: a concurrent delete waits, then fails
		// what is made here.
		err := tx.QueryRow(ctx, `SELECT tenant, events, filter, ordering, ordering_key FROM webhooks
			WHERE id = $1`+inScope("tenant", 2)+` FOR KEY SHARE`,
			webhookID, scope.All(), scope.Tenant()).Scan(&tenant, &events, &flt, &ordering, &keyPath)
		if err != nil {
			return s.notFound(err, "webhook")
		}
		if len(events) == 0 {
			return nil
		}
		// An event's data is read only when the webhook's filter or
		// ordering key needs it.
		fifo := ordering == webhook.OrderingFIFO
		cols := `id, type, NULL::bytea, NULL::timestamptz`
		if len(flt) > 0 || fifo {
			cols = `id, type, data, created_at`
		}
		q := `SELECT ` + cols + ` FROM events WHERE tenant = $1 AND created_at >= $2`
		args := []any{tenant, since}
		if !slices.Contains(events, webhook.AllEvents) {
			q += ` AND type = ANY($3)`
			args = append(args, events)
		} else {
			q += ` AND NOT starts_with(type, $3)`
			args = append(args, webhook.OperatorEventPrefix)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		var ids, types []string
		var keys []*string // the ordering key of each, for a FIFO webhook
		var ev webhook.Event
		var created *time.Time
		if _, err := pgx.ForEachRow(rows, []any{&ev.ID, &ev.Type, &ev.Data, &created}, func() error {
			var judge *filter.Judge
			if created != nil {
				ev.Tenant, ev.CreatedAt = tenant, *created
				judge = s.filters.For(ev)
			}
			// The webhook's filter decides, as at publish time.
			if len(flt) > 0 && !judge.Passes(flt) {
				return nil
			}
			ids, types = append(ids, ev.ID), append(types, ev.Type)
			if fifo {
				k := judge.Key(keyPath)
				keys = append(keys, &k)
			} else {
				keys = append(keys, nil)
			}
			return nil
		}); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		var b pgx.Batch
		if fifo {
			// Replayed deliveries go after every one numbered so far, in
			// the events' order (see fifo.go).
			b.Queue(qSequencesTake, []string{webhookID}, []int64{int64(len(ids))})
		}
		for chunk := range slices.Chunk(ids, replayChunk) {
			dids := make([]string, len(chunk))
			ranks := make([]int64, len(chunk))
			for i := range dids {
				dids[i] = webhook.NewID(webhook.PrefixDelivery)
				ranks[i] = int64(n + i + 1)
			}
			// FIFO ones wait; the heads are made due below.
			b.Queue(`INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status,
				next_attempt_at, created_at, updated_at, seq, ordering_key)
				SELECT d.id, $4, d.event_id, d.event_type, $5, 'pending', CASE WHEN d.fkey IS NULL THEN $6::timestamptz END, $6, $6,
					CASE WHEN d.fkey IS NOT NULL THEN
						(SELECT f.last FROM fifo_sequences f WHERE f.webhook_id = $5) - $9 + d.rank END, d.fkey
				FROM unnest($1::text[], $2::text[], $3::text[], $7::text[], $8::bigint[])
					AS d (id, event_id, event_type, fkey, rank)`,
				dids, chunk, types[n:n+len(chunk)], tenant, webhookID, now, keys[n:n+len(chunk)], ranks, int64(len(ids)))
			n += len(chunk)
		}
		if fifo {
			b.Queue(qPromoteHeads, webhookID, now)
		}
		queueCountDeliveries(&b, []string{webhookID}, n)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.wake()
	}
	return n, nil
}

// DeliveryRecover implements store.DeliveryStore: the candidates are read
// a batch at a time, in ID order, and each batch is re-queued in one
// transaction that checks their state again.
func (s *Store) DeliveryRecover(ctx context.Context, p store.DeliveryRecoverParams) (int, error) {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = $1`+inScope("tenant", 2),
		p.WebhookID, p.Scope.All(), p.Scope.Tenant()).Scan(&one)
	if err != nil {
		return 0, s.notFound(err, "webhook")
	}
	var types []string
	if len(p.EventTypes) > 0 {
		types = p.EventTypes
	}
	// $1 webhook, $2 state, $3 and $4 the window, $5 the types (NULL: any).
	const cond = `webhook_id = $1 AND status = $2 AND created_at >= $3 AND created_at < $4
		AND ($5::text[] IS NULL OR event_type = ANY($5))`
	total := 0
	for _, st := range p.Statuses {
		if p.DryRun {
			var n int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE `+cond,
				p.WebhookID, string(st), p.Since, p.Until, types).Scan(&n); err != nil {
				return total, s.fail(err)
			}
			total += n
			continue
		}
		for after := ""; ; {
			rows, err := s.pool.Query(ctx, `SELECT id FROM deliveries WHERE `+cond+` AND id > $6 ORDER BY id LIMIT $7`,
				p.WebhookID, string(st), p.Since, p.Until, types, after, store.RecoverBatch)
			if err != nil {
				return total, s.fail(err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return total, s.fail(err)
			}
			if len(ids) == 0 {
				break
			}
			n, err := s.requeue(ctx, p.WebhookID, st, ids, p.Now)
			total += n
			if err != nil {
				return total, err
			}
			if n > 0 {
				s.wake()
			}
			after = ids[len(ids)-1]
		}
	}
	return total, nil
}

// requeue makes the deliveries among ids still in state st pending and
// due at now with a fresh retry schedule, in one transaction, and returns
// how many.
func (s *Store) requeue(ctx context.Context, webhookID string, st webhook.DeliveryStatus, ids []string, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, lease_owner = NULL,
			retry_base = attempts, updated_at = $1 WHERE id = ANY($2) AND status = $3`, now, ids, string(st))
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		// As for a retry by hand: the counters count deliveries in that
		// final state, and these are in none until they end again.
		switch st {
		case webhook.DeliveryFailed:
			_, err = tx.Exec(ctx, `UPDATE webhooks SET stat_failed = greatest(stat_failed - $1, 0) WHERE id = $2`, n, webhookID)
		case webhook.DeliverySucceeded:
			_, err = tx.Exec(ctx, `UPDATE webhooks SET stat_succeeded = greatest(stat_succeeded - $1, 0) WHERE id = $2`, n, webhookID)
		}
		return err
	})
	return n, err
}

// DeliveryCounts implements store.DeliveryStore.
func (s *Store) DeliveryCounts(ctx context.Context) (map[webhook.DeliveryStatus]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return nil, s.fail(err)
	}
	out := map[webhook.DeliveryStatus]int64{}
	var st string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error {
		out[webhook.DeliveryStatus(st)] = n
		return nil
	})
	if err != nil {
		return nil, s.fail(err)
	}
	return out, nil
}

// fillBlockedBy sets BlockedBy of the pending FIFO deliveries among ds:
// the head of their ordering key when it is not themselves.
func (s *Store) fillBlockedBy(ctx context.Context, ds []webhook.Delivery) error {
	var b pgx.Batch
	for i := range ds {
		d := &ds[i]
		if d.Status != webhook.DeliveryPending || d.Sequence == 0 {
			continue
		}
		b.Queue(`SELECT id FROM deliveries WHERE webhook_id = $1 AND ordering_key = $2 AND status = 'pending'
			AND seq IS NOT NULL AND seq < $3 ORDER BY seq LIMIT 1`, d.WebhookID, d.OrderingKey, d.Sequence).
			QueryRow(func(row pgx.Row) error {
				err := row.Scan(&d.BlockedBy)
				if errors.Is(err, pgx.ErrNoRows) {
					return nil
				}
				return err
			})
	}
	if b.Len() == 0 {
		return nil
	}
	return s.fail(s.pool.SendBatch(ctx, &b).Close())
}
