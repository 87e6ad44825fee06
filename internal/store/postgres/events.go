package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	// qEventInsert stores an event unless its idempotency key is taken.
	// A concurrent insert of the same key makes it wait for that
	// transaction, then insert nothing if it committed.
	qEventInsert = `INSERT INTO events (id, tenant, type, data, idempotency_key, created_at, trace_parent, hops)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`
	// qMatch returns the active webhooks of the event's tenant subscribed
	// to its type, once the event ($3) is stored by this transaction. KEY
	// SHARE, the lock a foreign key takes, keeps them from being deleted
	// until commit and blocks no other ingest.
	qMatch = `SELECT w.id, w.filter, w.ordering, w.ordering_key FROM webhooks w
		WHERE w.tenant = $1 AND w.active
		  AND w.id IN (SELECT s.webhook_id FROM subscriptions s WHERE s.tenant = $1 AND s.event_type IN ($2, $4))
		  AND EXISTS (SELECT 1 FROM events e WHERE e.id = $3)
		ORDER BY w.id
		FOR KEY SHARE OF w`
	// qDeliveriesInsert stores a delivery per (id, webhook_id) pair. The
	// ones whose webhook is in the caller's shard ($9 shards, shard $10)
	// are leased to $7 until $6 (a FIFO one only as its key's head, see
	// fifo.go); the others are due at once ($8) for their shard's owner
	// to claim. $12-$15 are the fifoRows columns.
	qDeliveriesInsert = `INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status,
		next_attempt_at, lease_owner, created_at, updated_at, seq, ordering_key)
		SELECT d.id, $3, $4, $5, d.webhook_id, 'pending',
			CASE WHEN NOT hd.head THEN NULL WHEN l.mine THEN $6::timestamptz ELSE $8::timestamptz END,
			CASE WHEN l.mine THEN $7::text END, $8, $8, ` + fifoSeq + `, d.fkey
		FROM unnest($1::text[], $2::text[], $12::text[], $13::int[], $14::int[], $15::bool[])
				AS d (id, webhook_id, fkey, rank, cnt, first),
			LATERAL (SELECT ` + fifoHeadAtInsert + ` AS head) hd,
			LATERAL (SELECT hd.head AND $7::text IS NOT NULL AND ($9::int <= 1 OR abs(hashtext(d.webhook_id)::bigint) % $9::int = $10::int)
				AND NOT (d.webhook_id = ANY ($11::text[])) AS mine) l
		RETURNING id, lease_owner IS NOT NULL, seq, next_attempt_at IS NULL, abs(hashtext(webhook_id)::bigint)`
)

// counterShards is how many rows stats.deliveries of a webhook is spread
// over (see webhook_counters in the schema).
const counterShards = 16

// queueCountDeliveries adds n to stats.deliveries of each of hooks (sorted,
// distinct), in one shard picked at random. Rows are locked in ID order, so
// two transactions that picked the same shard queue rather than deadlock.
func queueCountDeliveries(b *pgx.Batch, hooks []string, n int) {
	b.Queue(`INSERT INTO webhook_counters (webhook_id, shard, deliveries)
		SELECT h, $2, $3 FROM unnest($1::text[]) AS h ORDER BY h
		ON CONFLICT (webhook_id, shard) DO UPDATE SET deliveries = webhook_counters.deliveries + excluded.deliveries`,
		hooks, randShard(), int64(n))
}

// randShard picks the counter shard a transaction adds to.
func randShard() int16 { return int16(rand.IntN(counterShards)) }

// maxKeyTries bounds the idempotency loop of insertEvent; each turn means
// another transaction took or released the key meanwhile.
const maxKeyTries = 8

// eventCreateOne is EventCreate alone in its transaction, of two
// pipelined round trips (with begin and commit), whatever the fan-out: the
// event insert and the subscription match, then every delivery and
// counter in one statement each. A group commit falls back to it for the
// events of a group that need more than the common path (see group.go).
func (s *Store) eventCreateOne(ctx context.Context, p store.EventCreateParams) (store.EventCreateResult, error) {
	ev := p.Event
	var res store.EventCreateResult
	var dupID string
	var ensured bool
	var hint wakeHint
	gen := s.tenants.gen()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		res, dupID = store.EventCreateResult{}, ""
		hooks, dup, ens, err := s.insertEvent(ctx, tx, p)
		ensured = ens
		if err != nil || dup != "" {
			dupID = dup
			return err
		}
		res.Event = ev
		if len(hooks) == 0 {
			return nil
		}
		var b pgx.Batch
		hint = wakeHint{}
		queueDeliveries(&b, p, &res, hooks, &hint)
		queueCountDeliveries(&b, matchedIDs(hooks), 1)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return store.EventCreateResult{}, err
	}
	if ensured {
		s.tenants.add(ev.Tenant, gen)
	}
	if dupID != "" {
		orig, err := s.EventGet(ctx, auth.AllTenants(), dupID)
		if err != nil {
			return store.EventCreateResult{}, err
		}
		page, err := s.DeliveryList(ctx, store.DeliveryListParams{Scope: auth.AllTenants(), EventID: orig.ID, Limit: 1000})
		if err != nil {
			return store.EventCreateResult{}, err
		}
		return store.EventCreateResult{Event: orig, Deliveries: page.Deliveries, Duplicate: true}, nil
	}
	s.wakeFor(hint)
	return res, nil
}

// insertEvent stores the event and returns the webhooks that receive it;
// or, when its idempotency key is held by an event created since
// p.IdempotencySince, stores nothing and returns that event's ID. ensured
// says the transaction made sure the tenant has a row.
func (s *Store) insertEvent(ctx context.Context, tx pgx.Tx, p store.EventCreateParams) (hooks []matched, dupID string, ensured bool, err error) {
	ev := p.Event
	var key, trace *string
	if ev.IdempotencyKey != "" {
		key = &ev.IdempotencyKey
	}
	if ev.TraceParent != "" {
		trace = &ev.TraceParent
	}
	for range maxKeyTries {
		var inserted bool
		var b pgx.Batch
		ensure := !p.TenantMustExist && !s.tenants.known(ev.Tenant)
		ensured = ensured || ensure
		tenantOK := queueTenantForEvent(&b, ev, p.TenantMustExist, ensure)
		b.Queue(qEventInsert, ev.ID, ev.Tenant, ev.Type, nonNil(ev.Data), key, ev.CreatedAt, trace, ev.Hops).
			Exec(func(tag pgconn.CommandTag) error {
				inserted = tag.RowsAffected() == 1
				return nil
			})
		b.Queue(qMatch, ev.Tenant, ev.Type, ev.ID, webhook.Wildcard(ev.Type)).Query(func(rows pgx.Rows) error {
			hooks = hooks[:0]
			judge := s.filters.For(ev)
			var m matched
			var filter []byte
			var ordering string
			_, err := pgx.ForEachRow(rows, []any{&m.id, &filter, &ordering, &m.key}, func() error {
				if judge.Passes(filter) {
					hooks = append(hooks, m.of(judge, ordering))
				}
				return nil
			})
			return err
		})
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return nil, "", false, err
		}
		if !*tenantOK {
			// The caller's transaction rolls the event back.
			return nil, "", false, store.ErrUnknownTenant(ev.Tenant)
		}
		if inserted {
			return hooks, "", ensured, nil
		}
		// The key is held: by an event inside the window (a duplicate), or
		// by an older one, whose key is then released for reuse.
		var id string
		var created time.Time
		err := tx.QueryRow(ctx, `SELECT id, created_at FROM events WHERE tenant = $1 AND idempotency_key = $2`,
			ev.Tenant, key).Scan(&id, &created)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue // released by another transaction meanwhile
		case err != nil:
			return nil, "", false, err
		case !created.Before(p.IdempotencySince):
			return nil, id, ensured, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET idempotency_key = NULL WHERE id = $1 AND idempotency_key = $2`,
			id, key); err != nil {
			return nil, "", false, err
		}
	}
	return nil, "", false, errors.New("postgres: idempotency key kept changing hands")
}

const eventColumns = `id, tenant, type, data, idempotency_key, created_at, trace_parent, hops`

func scanEvent(r scanner) (webhook.Event, error) {
	var e webhook.Event
	var key, trace *string
	var data []byte
	if err := r.Scan(&e.ID, &e.Tenant, &e.Type, &data, &key, &e.CreatedAt, &trace, &e.Hops); err != nil {
		return e, err
	}
	e.Data = data
	if key != nil {
		e.IdempotencyKey = *key
	}
	if trace != nil {
		e.TraceParent = *trace
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

func (s *Store) events(ctx context.Context, q string, args ...any) ([]webhook.Event, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Event, error) { return scanEvent(r) })
	return out, s.fail(err)
}

// EventGet implements store.EventStore.
func (s *Store) EventGet(ctx context.Context, scope auth.Scope, id string) (webhook.Event, error) {
	e, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`+inScope("tenant", 2),
		id, scope.All(), scope.Tenant()))
	return e, s.notFound(err, "event")
}

// EventList implements store.EventStore.
func (s *Store) EventList(ctx context.Context, p store.EventListParams) (store.EventPage, error) {
	var wh where
	wh.scope("tenant", p.Scope)
	if p.Tenant != "" {
		wh.add("tenant = ?", p.Tenant)
	}
	if p.Type != "" {
		wh.add("type = ?", p.Type)
	}
	if p.Cursor != "" {
		wh.add("id < ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	evs, err := s.events(ctx, `SELECT `+eventColumns+` FROM events`+wh.String()+
		` ORDER BY id DESC LIMIT `+wh.arg(limit+1), wh.args...)
	if err != nil {
		return store.EventPage{}, err
	}
	var page store.EventPage
	if len(evs) > limit {
		evs = evs[:limit]
		page.Next = evs[limit-1].ID
	}
	if len(evs) == 0 {
		return page, nil
	}
	byID := make(map[string]int, len(evs))
	ids := make([]string, len(evs))
	page.Events = make([]store.EventSummary, len(evs))
	for i, e := range evs {
		byID[e.ID], ids[i] = i, e.ID
		page.Events[i] = store.EventSummary{Event: e, Deliveries: map[webhook.DeliveryStatus]int{}}
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, status, count(*) FROM deliveries
		WHERE event_id = ANY($1) GROUP BY event_id, status`, ids)
	if err != nil {
		return store.EventPage{}, s.fail(err)
	}
	var id, status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &status, &n}, func() error {
		page.Events[byID[id]].Deliveries[webhook.DeliveryStatus(status)] = n
		return nil
	})
	if err != nil {
		return store.EventPage{}, s.fail(err)
	}
	return page, nil
}

// EventSamples implements store.EventStore.
func (s *Store) EventSamples(ctx context.Context, scope auth.Scope, tenant, eventType string, limit int) ([]webhook.Event, error) {
	return s.events(ctx, `SELECT `+eventColumns+` FROM events WHERE tenant = $1 AND type = $2`+inScope("tenant", 4)+`
		ORDER BY id DESC LIMIT $3`, tenant, eventType, max(limit, 0), scope.All(), scope.Tenant())
}

// matched is a webhook an event goes to: with FIFO ordering, under key.
type matched struct {
	id   string
	fifo bool
	key  string
}

// of completes a match read as (id, key path) with the webhook's
// ordering: the event's key when FIFO.
func (m matched) of(judge *filter.Judge, ordering string) matched {
	m.fifo = ordering == webhook.OrderingFIFO
	if m.fifo {
		m.key = judge.Key(m.key)
	} else {
		m.key = ""
	}
	return m
}

func matchedIDs(ms []matched) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.id
	}
	return out
}
