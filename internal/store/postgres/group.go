package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Group commit of ingest. Each event alone in its transaction costs a
// commit, so a WAL flush (an fsync), and four round trips; under load the
// backends then wait on WALWrite and WALSync (pg_stat_activity) while the
// server's CPU idles. As in the SQLite backend, the events waiting at one
// moment share one transaction instead: a few committers each take every
// EventCreate queued when they are free, and run them as one transaction
// of two pipelined round trips plus begin and commit, whatever the number
// of events.
//
// Only the common path is grouped: an event whose idempotency key is held
// or whose tenant must exist and does not makes the group roll back and
// run again one event per transaction (eventCreateOne), which has the
// exact semantics; so does a group that fails for any other reason, so
// that each event gets its own answer.

const (
	// groupCommitters is how many groups may be in flight at once: one
	// gathers while the other commits. More make smaller groups, so more
	// commits per event: with 1, 2, 4 and 8 on 2 cores, 0.13, 0.18, 0.25
	// and 0.37 commits per event, and server plus PostgreSQL CPU per
	// 1,000 events of 0.54, 0.56, 0.58 and 0.62 s (means of 4 noisy runs).
	groupCommitters = 2
	// maxGroup bounds one group, so a flood still commits in pieces.
	maxGroup = 256
	// groupTimeout bounds one group's transaction. The group does not run
	// under any one caller's context: a caller that gives up must not
	// abort the others' events.
	groupTimeout = 30 * time.Second
)

// errIrregular rolls a group back so that its events run one by one.
var errIrregular = errors.New("postgres: group needs the one-event path")

// ingestReq is one EventCreate waiting for its group.
type ingestReq struct {
	ctx  context.Context
	p    store.EventCreateParams
	res  store.EventCreateResult
	err  error
	done chan struct{}
	// hint names the owners of the deliveries no one leased.
	hint wakeHint
}

// EventCreate implements store.EventStore. It returns once the event is
// committed, in a group with the others waiting at that moment.
func (s *Store) EventCreate(ctx context.Context, p store.EventCreateParams) (store.EventCreateResult, error) {
	if s.closed.Load() {
		return store.EventCreateResult{}, errClosed
	}
	r := &ingestReq{ctx: ctx, p: p, done: make(chan struct{})}
	// Unbuffered: a request is taken by a running committer or not at
	// all, so none is left behind at Close.
	select {
	case s.ingest <- r:
	case <-ctx.Done():
		return store.EventCreateResult{}, ctx.Err()
	case <-s.ctx.Done():
		return store.EventCreateResult{}, errClosed
	}
	// Once taken, wait for the outcome even if ctx ends: the caller must
	// not report failure for an event that then commits.
	<-r.done
	return r.res, r.err
}

// committer runs groups until Close. Each committer adds to its own
// counter shard (shard), so two groups never wait for each other's commit
// on a counter row.
func (s *Store) committer(shard int16) {
	defer s.committers.Done()
	group := make([]*ingestReq, 0, maxGroup)
	for {
		select {
		case <-s.ctx.Done():
			return
		case r := <-s.ingest:
			group = append(group[:0], r)
		}
	fill:
		for len(group) < maxGroup {
			select {
			case r := <-s.ingest:
				group = append(group, r)
			default:
				break fill
			}
		}
		s.commitGroup(group, shard)
	}
}

// commitGroup stores the events of group and answers each request. It
// reports whether they were committed together (false: one by one).
func (s *Store) commitGroup(group []*ingestReq, shard int16) bool {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err // its caller has gone before anything was written
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	switch {
	case len(live) == 0:
		return false
	case len(live) == 1 && (live[0].p.Event.IdempotencyKey != "" || live[0].p.TenantMustExist):
		// Alone and possibly irregular: straight to the exact path rather
		// than a group that might roll back first. A plain event alone
		// takes the group path, two round trips instead of four.
		r := live[0]
		r.res, r.err = s.eventCreateOne(r.ctx, r.p)
		close(r.done)
		return false
	}
	ctx, cancel := context.WithTimeout(s.ctx, groupTimeout)
	defer cancel()
	gen := s.tenants.gen()
	ensured, err := s.groupTx(ctx, live, shard)
	if err != nil {
		// Each event alone, for its own answer (errIrregular: the exact
		// path for idempotency keys held and strict tenants).
		for _, r := range live {
			r.res, r.err = s.eventCreateOne(r.ctx, r.p)
			close(r.done)
		}
		return false
	}
	for _, t := range ensured {
		s.tenants.add(t, gen)
	}
	var hint wakeHint
	for _, r := range live {
		hint.merge(r.hint)
		close(r.done)
	}
	s.wakeFor(hint)
	return true
}

const (
	// qGroupEventsInsert stores the events of a group; those whose
	// idempotency key is taken are not inserted (and not returned).
	qGroupEventsInsert = `INSERT INTO events (id, tenant, type, data, idempotency_key, created_at, trace_parent, hops)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::timestamptz[], $7::text[], $8::int[])
		ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING id`
	// qGroupMatch is qMatch for every event of a group at once: the
	// active webhooks of each event's tenant subscribed to its type or
	// its wildcard, by the event's position (from 1), locked in ID order,
	// with each webhook's payload filter.
	qGroupMatch = `SELECT e.i, w.id, w.filter, w.ordering, w.ordering_key FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS e (tenant, type, wild, i),
			webhooks w
		WHERE w.tenant = e.tenant AND w.active
		  AND w.id IN (SELECT s.webhook_id FROM subscriptions s WHERE s.tenant = e.tenant AND s.event_type IN (e.type, e.wild))
		ORDER BY w.id, e.i
		FOR KEY SHARE OF w`
	// qGroupDeliveriesInsert is qDeliveriesInsert for a group: one row per
	// delivery, each with its event's lease request ($6 owner, NULL when
	// unleased; $7 shards and $8 shard; $9 the webhook's lane was full).
	qGroupDeliveriesInsert = `INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status,
		next_attempt_at, lease_owner, created_at, updated_at, seq, ordering_key)
		SELECT d.id, d.tenant, d.event_id, d.event_type, d.webhook_id, 'pending',
			CASE WHEN NOT hd.head THEN NULL WHEN l.mine THEN d.until ELSE d.created END, CASE WHEN l.mine THEN d.owner END,
			d.created, d.created, ` + fifoSeq + `, d.fkey
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
				$9::bool[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::int[], $14::int[], $15::bool[])
			AS d (id, webhook_id, tenant, event_id, event_type, owner, shards, shard, skip, until, created,
				fkey, rank, cnt, first),
			LATERAL (SELECT ` + fifoHeadAtInsert + ` AS head) hd,
			LATERAL (SELECT hd.head AND d.owner IS NOT NULL AND (d.shards <= 1 OR abs(hashtext(d.webhook_id)::bigint) % d.shards = d.shard)
				AND NOT d.skip AS mine) l
		RETURNING id, lease_owner IS NOT NULL, seq, next_attempt_at IS NULL, abs(hashtext(webhook_id)::bigint)`
)

// groupTx stores every event of group in one transaction of two
// pipelined round trips (txBatches), with one statement per kind of row
// whatever the number of events: first the tenants, events and matches,
// then the deliveries and the counters. It sets each request's result and
// returns the tenants whose rows it made sure of.
func (s *Store) groupTx(ctx context.Context, group []*ingestReq, shard int16) ([]string, error) {
	// Tenants not known to exist, made sure of in one sorted statement, so
	// two groups creating the same new tenants lock them in one order;
	// and those that must exist, checked (and held, as queueTenantForEvent
	// does) in another.
	var ensure, strict []string
	var ensureAt []time.Time
	n := len(group)
	ids, tenants, types, wilds := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	data := make([][]byte, n)
	keys, traces := make([]*string, n), make([]*string, n)
	created, hops := make([]time.Time, n), make([]int32, n)
	for i, r := range group {
		ev := &r.p.Event
		switch {
		case r.p.TenantMustExist:
			if !slices.Contains(strict, ev.Tenant) {
				strict = append(strict, ev.Tenant)
			}
		case !s.tenants.known(ev.Tenant) && !slices.Contains(ensure, ev.Tenant):
			ensure = append(ensure, ev.Tenant)
			ensureAt = append(ensureAt, ev.CreatedAt)
		}
		ids[i], tenants[i], types[i], wilds[i] = ev.ID, ev.Tenant, ev.Type, webhook.Wildcard(ev.Type)
		data[i], created[i], hops[i] = nonNil(ev.Data), ev.CreatedAt, int32(ev.Hops)
		if ev.IdempotencyKey != "" {
			keys[i] = &ev.IdempotencyKey
		}
		if ev.TraceParent != "" {
			traces[i] = &ev.TraceParent
		}
	}
	slices.Sort(strict)

	var irregular bool
	var hooks [][]matched
	first := func(b *pgx.Batch) {
		irregular, hooks = false, make([][]matched, n)
		if len(ensure) > 0 {
			b.Queue(`INSERT INTO tenants (id, name, created_at, updated_at)
				SELECT t, t, at, at FROM unnest($1::text[], $2::timestamptz[]) AS n (t, at) ORDER BY t
				ON CONFLICT (id) DO NOTHING`, ensure, ensureAt)
		}
		if len(strict) > 0 {
			b.Queue(`SELECT count(*) FROM (SELECT 1 FROM tenants WHERE id = ANY($1) ORDER BY id FOR KEY SHARE) t`, strict).
				QueryRow(func(row pgx.Row) error {
					var found int
					err := row.Scan(&found)
					irregular = irregular || found != len(strict)
					return err
				})
		}
		b.Queue(qGroupEventsInsert, ids, tenants, types, data, keys, created, traces, hops).Query(func(rows pgx.Rows) error {
			stored := 0
			for rows.Next() {
				stored++
			}
			irregular = irregular || stored != n
			return rows.Err()
		})
		b.Queue(qGroupMatch, tenants, types, wilds).Query(func(rows pgx.Rows) error {
			var i int64
			var m matched
			var flt []byte
			var ordering string
			// A filter decides per event; each event's envelope is built
			// once, by the first filter or ordering key that needs it.
			judges := make([]*filter.Judge, n)
			_, err := pgx.ForEachRow(rows, []any{&i, &m.id, &flt, &ordering, &m.key}, func() error {
				if judges[i-1] == nil && (len(flt) > 0 || ordering == webhook.OrderingFIFO) {
					judges[i-1] = s.filters.For(group[i-1].p.Event)
				}
				if len(flt) > 0 && !judges[i-1].Passes(flt) {
					return nil
				}
				hooks[i-1] = append(hooks[i-1], m.of(judges[i-1], ordering))
				return nil
			})
			return err
		})
	}
	second := func(b *pgx.Batch) error {
		if irregular {
			return errIrregular
		}
		var d groupDeliveries
		counts := map[string]int64{}
		for i, r := range group {
			r.res = store.EventCreateResult{Event: r.p.Event}
			// The order qMatch gives the one-event path.
			slices.SortFunc(hooks[i], func(a, b matched) int { return strings.Compare(a.id, b.id) })
			d.add(r, hooks[i])
			for _, h := range hooks[i] {
				counts[h.id]++
			}
		}
		if len(counts) > 0 {
			d.queue(b)
			queueCountDeliveriesBy(b, counts, shard)
		}
		return nil
	}
	if err := s.txBatches(ctx, first, second); err != nil {
		return nil, err
	}
	return ensure, nil
}

// groupDeliveries is one array per column of qGroupDeliveriesInsert.
type groupDeliveries struct {
	id, webhook, tenant, event, eventType []string
	owner                                 []*string
	shards, shard                         []int32
	skip                                  []bool
	until, created                        []time.Time
	fifo                                  fifoRows
	req                                   []*ingestReq // of each row
	index                                 []int        // into its request's Deliveries
}

// add adds r's deliveries to hooks, and fills r's result but for leases.
func (d *groupDeliveries) add(r *ingestReq, hooks []matched) {
	ev := r.p.Event
	var lr store.LeaseRequest
	var owner *string
	if r.p.Lease != nil && r.p.Lease.Lease.Held() {
		lr = *r.p.Lease
		owner = &r.p.Lease.Lease.Owner
	}
	r.res.Deliveries = make([]webhook.Delivery, len(hooks))
	for i, m := range hooks {
		h := m.id
		id := webhook.NewID(webhook.PrefixDelivery)
		r.res.Deliveries[i] = webhook.Delivery{
			ID: id, Tenant: ev.Tenant, EventID: ev.ID, EventType: ev.Type, WebhookID: h,
			Status: webhook.DeliveryPending, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt,
		}
		if m.fifo {
			r.res.Deliveries[i].OrderingKey = m.key
		}
		d.fifo.add(h, m.fifo, m.key)
		d.id, d.webhook, d.tenant = append(d.id, id), append(d.webhook, h), append(d.tenant, ev.Tenant)
		d.event, d.eventType, d.owner = append(d.event, ev.ID), append(d.eventType, ev.Type), append(d.owner, owner)
		d.shards, d.shard = append(d.shards, int32(lr.Shards)), append(d.shard, int32(lr.Shard))
		d.skip, d.until = append(d.skip, slices.Contains(lr.Skip, h)), append(d.until, lr.Lease.Until)
		d.created, d.req, d.index = append(d.created, ev.CreatedAt), append(d.req, r), append(d.index, i)
	}
}

// queue queues the insert; when it has run, each request's result says
// which deliveries are leased (its Leased) and when the others are due.
func (d *groupDeliveries) queue(b *pgx.Batch) {
	d.fifo.queueTake(b)
	b.Queue(qGroupDeliveriesInsert, d.id, d.webhook, d.tenant, d.event, d.eventType, d.owner,
		d.shards, d.shard, d.skip, d.until, d.created, d.fifo.key, d.fifo.rank, d.fifo.counts(), d.fifo.first).Query(func(rows pgx.Rows) error {
		leased := make(map[string]bool, len(d.id))
		seqs := map[string]int64{}
		waiting := map[string]bool{}
		hashes := make(map[string]int64, len(d.id))
		var id string
		var mine, wait bool
		var seq *int64
		var hash int64
		if _, err := pgx.ForEachRow(rows, []any{&id, &mine, &seq, &wait, &hash}, func() error {
			leased[id], waiting[id], hashes[id] = mine, wait, hash
			if seq != nil {
				seqs[id] = *seq
			}
			return nil
		}); err != nil {
			return err
		}
		for k, id := range d.id {
			r, i := d.req[k], d.index[k]
			r.res.Deliveries[i].Sequence = seqs[id]
			if leased[id] {
				r.res.Leased = append(r.res.Leased, store.Task{Delivery: r.res.Deliveries[i], Event: r.p.Event, Lease: r.p.Lease.Lease})
				continue
			}
			if !waiting[id] {
				at := d.created[k]
				r.res.Deliveries[i].NextAttemptAt = &at
				r.hint.addOwner(int(d.shards[k]), hashes[id])
			}
		}
		return nil
	})
}

// queueDeliveries queues the insert of p's deliveries to hooks, leased as
// p's lease request says, and fills res when the batch runs, and hint with
// the owners of those left for others to claim (other instances' shards,
// or full lanes): they need the wake-up; deliveries leased to this
// process are handed over in memory.
func queueDeliveries(b *pgx.Batch, p store.EventCreateParams, res *store.EventCreateResult, hooks []matched, hint *wakeHint) {
	ev := p.Event
	due, owner := ev.CreatedAt, (*string)(nil)
	var lr store.LeaseRequest
	if p.Lease != nil && p.Lease.Lease.Held() {
		lr = *p.Lease
		due, owner = lr.Lease.Until, &lr.Lease.Owner
	}
	ids := make([]string, len(hooks))
	res.Deliveries = make([]webhook.Delivery, len(hooks))
	var fifo fifoRows
	for i, m := range hooks {
		ids[i] = webhook.NewID(webhook.PrefixDelivery)
		res.Deliveries[i] = webhook.Delivery{
			ID: ids[i], Tenant: ev.Tenant, EventID: ev.ID, EventType: ev.Type, WebhookID: m.id,
			Status: webhook.DeliveryPending, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt,
		}
		if m.fifo {
			res.Deliveries[i].OrderingKey = m.key
		}
		fifo.add(m.id, m.fifo, m.key)
	}
	fifo.queueTake(b)
	b.Queue(qDeliveriesInsert, ids, fifo.hook, ev.Tenant, ev.ID, ev.Type, due, owner, ev.CreatedAt,
		lr.Shards, lr.Shard, nonNilStrings(lr.Skip), fifo.key, fifo.rank, fifo.counts(), fifo.first).Query(func(rows pgx.Rows) error {
		leased := make(map[string]bool, len(ids))
		seqs := map[string]int64{}
		waiting := map[string]bool{}
		for rows.Next() {
			var id string
			var mine, wait bool
			var seq *int64
			var hash int64
			if err := rows.Scan(&id, &mine, &seq, &wait, &hash); err != nil {
				return err
			}
			leased[id], waiting[id] = mine, wait
			if !mine && !wait {
				hint.addOwner(lr.Shards, hash)
			}
			if seq != nil {
				seqs[id] = *seq
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		res.Leased = res.Leased[:0]
		for i, id := range ids {
			res.Deliveries[i].Sequence = seqs[id]
			if leased[id] {
				res.Leased = append(res.Leased, store.Task{Delivery: res.Deliveries[i], Event: ev, Lease: lr.Lease})
				continue
			}
			if !waiting[id] {
				at := ev.CreatedAt
				res.Deliveries[i].NextAttemptAt = &at
			}
		}
		return nil
	})
}

// queueCountDeliveriesBy adds counts[h] to stats.deliveries of each webhook
// h, in shard, locking the rows in ID order (see queueCountDeliveries).
func queueCountDeliveriesBy(b *pgx.Batch, counts map[string]int64, shard int16) {
	hooks := make([]string, 0, len(counts))
	for h := range counts {
		hooks = append(hooks, h)
	}
	slices.Sort(hooks)
	ns := make([]int64, len(hooks))
	for i, h := range hooks {
		ns[i] = counts[h]
	}
	b.Queue(`INSERT INTO webhook_counters (webhook_id, shard, deliveries)
		SELECT h, $3, n FROM unnest($1::text[], $2::bigint[]) AS c (h, n) ORDER BY h
		ON CONFLICT (webhook_id, shard) DO UPDATE SET deliveries = webhook_counters.deliveries + excluded.deliveries`,
		hooks, ns, shard)
}
