package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	qEventByKey  = `SELECT id, created_at FROM events WHERE tenant = ? AND idempotency_key = ?`
	qEventInsert = `INSERT INTO events (id, tenant, type, data, idempotency_key, created_at, trace_parent, hops)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qMatch = `SELECT DISTINCT s.webhook_id, w.filter, w.ordering, w.ordering_key FROM subscriptions s
		JOIN webhooks w ON w.id = s.webhook_id
		WHERE s.tenant = ? AND s.event_type IN (?, ?) AND w.active = 1`
	qDeliveryInsert = `INSERT INTO deliveries (id, tenant, event_id, event_type, webhook_id, status,
		next_attempt_at, lease_owner, created_at, updated_at, seq, ordering_key)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`
	// qSequenceTake numbers a FIFO webhook's next delivery. The single
	// writer makes the numbers follow commit order.
	qSequenceTake = `UPDATE webhooks SET fifo_seq = fifo_seq + 1 WHERE id = ? RETURNING fifo_seq`
	// qKeyPending says whether a FIFO key has a pending delivery: a new
	// one is then not its head and waits, pending with no due time (NULL),
	// until the head ends and its result makes the next one due
	// (qPromote). Claims never look at the waiting ones.
	qKeyPending = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = ? AND ordering_key = ?
		AND status = 'pending' AND seq IS NOT NULL)`
	// qWebhookCountDeliveries adds a group commit's new deliveries to a
	// webhook's counter: once per webhook and commit, not per delivery.
	qWebhookCountDeliveries = `UPDATE webhooks SET stat_deliveries = stat_deliveries + ? WHERE id = ?`
)

func init() {
	hotQueries = append(hotQueries, qEventByKey, qEventInsert, qMatch, qDeliveryInsert, qWebhookCountDeliveries,
		qSequenceTake, qKeyPending)
}

// hotQueries are prepared once at Open on the writer connection.
var hotQueries []string

// EventCreate implements store.EventStore.
func (s *Store) EventCreate(ctx context.Context, p store.EventCreateParams) (store.EventCreateResult, error) {
	var res store.EventCreateResult
	ev := p.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = store.EventCreateResult{}
		var key any
		if ev.IdempotencyKey != "" {
			key = ev.IdempotencyKey
			var id string
			var created int64
			rows, err := s.query(tx, qEventByKey, ev.Tenant, ev.IdempotencyKey)
			if err != nil {
				return err
			}
			found := rows.Next()
			if found {
				err = rows.Scan(&id, &created)
			}
			rows.Close()
			if err != nil {
				return err
			}
			if found {
				if created >= ts(p.IdempotencySince) {
					res.Duplicate = true
					res.Event.ID = id
					return nil
				}
				// The key is past its window: release it for reuse.
				if _, err := tx.Exec(`UPDATE events SET idempotency_key = NULL WHERE id = ?`, id); err != nil {
					return err
				}
			}
		}
		if err := s.tenantForEvent(tx, ev, p.TenantMustExist); err != nil {
			return err
		}
		created := ts(ev.CreatedAt)
		if _, err := s.exec(tx, qEventInsert, ev.ID, ev.Tenant, ev.Type, []byte(ev.Data), key, created,
			nullString(ev.TraceParent), ev.Hops); err != nil {
			return err
		}
		rows, err := s.query(tx, qMatch, ev.Tenant, ev.Type, webhook.Wildcard(ev.Type))
		if err != nil {
			return err
		}
		type match struct {
			id   string
			fifo bool
			path string // the ordering key's path
		}
		var hooks []match
		judge := s.filters.For(ev)
		for rows.Next() {
			var m match
			var filter []byte
			var ordering string
			if err := rows.Scan(&m.id, &filter, &ordering, &m.path); err != nil {
				rows.Close()
				return err
			}
			if judge.Passes(filter) {
				hooks = append(hooks, m)
				hooks[len(hooks)-1].fifo = ordering == webhook.OrderingFIFO
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var skip map[string]bool
		if p.Lease != nil && len(p.Lease.Skip) > 0 {
			skip = make(map[string]bool, len(p.Lease.Skip))
			for _, id := range p.Lease.Skip {
				skip[id] = true
			}
		}
		res.Leased = res.Leased[:0]
		res.Deliveries = make([]webhook.Delivery, 0, len(hooks))
		for _, m := range hooks {
			h := m.id
			d := webhook.Delivery{
				ID: webhook.NewID(webhook.PrefixDelivery), Tenant: ev.Tenant, EventID: ev.ID,
				EventType: ev.Type, WebhookID: h, Status: webhook.DeliveryPending,
				CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt,
			}
			// One process uses an SQLite database: shards do not apply.
			leased := p.Lease != nil && p.Lease.Lease.Held() && !skip[h]
			seq, key, waiting := any(nil), any(nil), false
			if m.fifo {
				d.OrderingKey = judge.Key(m.path)
				n, err := s.takeSequence(tx, h)
				if err != nil {
					return err
				}
				d.Sequence, seq, key = n, n, d.OrderingKey
				s.fifoLive = true
				var pending bool
				if err := s.queryRow(tx, qKeyPending, h, d.OrderingKey).Scan(&pending); err != nil {
					return err
				}
				waiting = pending
				leased = leased && !waiting
			}
			due, owner := any(created), any(nil)
			switch {
			case waiting:
				due = nil
			case leased:
				due, owner = ts(p.Lease.Lease.Until), p.Lease.Lease.Owner
			default:
				next := ev.CreatedAt
				d.NextAttemptAt = &next
			}
			if _, err := s.exec(tx, qDeliveryInsert, d.ID, d.Tenant, d.EventID, d.EventType, h, due, owner, created, created,
				seq, key); err != nil {
				return err
			}
			s.deferred.countDelivery(h)
			res.Deliveries = append(res.Deliveries, d)
			if leased {
				res.Leased = append(res.Leased, store.Task{Delivery: d, Event: ev, Lease: p.Lease.Lease})
			}
		}
		res.Event = ev
		return nil
	})
	if err != nil {
		return store.EventCreateResult{}, err
	}
	if res.Duplicate {
		orig, err := s.EventGet(ctx, auth.AllTenants(), res.Event.ID)
		if err != nil {
			return store.EventCreateResult{}, err
		}
		page, err := s.DeliveryList(ctx, store.DeliveryListParams{Scope: auth.AllTenants(), EventID: orig.ID, Limit: 1000})
		if err != nil {
			return store.EventCreateResult{}, err
		}
		return store.EventCreateResult{Event: orig, Deliveries: page.Deliveries, Duplicate: true}, nil
	}
	return res, nil
}

func scanEvent(r scanner) (webhook.Event, error) {
	var e webhook.Event
	var key, trace sql.NullString
	var created int64
	var data []byte
	if err := r.Scan(&e.ID, &e.Tenant, &e.Type, &data, &key, &created, &trace, &e.Hops); err != nil {
		return e, err
	}
	e.Data = data
	e.IdempotencyKey = key.String
	e.TraceParent = trace.String
	e.CreatedAt = fromTS(created)
	return e, nil
}

const eventColumns = `id, tenant, type, data, idempotency_key, created_at, trace_parent, hops`

// EventGet implements store.EventStore.
func (s *Store) EventGet(ctx context.Context, scope auth.Scope, id string) (webhook.Event, error) {
	e, err := scanEvent(s.rdb.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`+inScope,
		id, scopeAll(scope), scope.Tenant()))
	return e, notFound(err, "event")
}

// EventList implements store.EventStore.
func (s *Store) EventList(ctx context.Context, p store.EventListParams) (store.EventPage, error) {
	where := []string{"(? = 1 OR tenant = ?)"}
	args := []any{scopeAll(p.Scope), p.Scope.Tenant()}
	if p.Tenant != "" {
		where = append(where, "tenant = ?")
		args = append(args, p.Tenant)
	}
	if p.Type != "" {
		where = append(where, "type = ?")
		args = append(args, p.Type)
	}
	if p.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, p.Cursor)
	}
	q := `SELECT ` + eventColumns + ` FROM events WHERE ` + strings.Join(where, " AND ")
	limit := store.PageLimit(p.Limit)
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return store.EventPage{}, err
	}
	defer rows.Close()
	var page store.EventPage
	byID := map[string]int{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return page, err
		}
		byID[e.ID] = len(page.Events)
		page.Events = append(page.Events, store.EventSummary{Event: e, Deliveries: map[webhook.DeliveryStatus]int{}})
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	rows.Close()
	if len(page.Events) > limit {
		delete(byID, page.Events[limit].ID)
		page.Events = page.Events[:limit]
		page.Next = page.Events[limit-1].ID
	}
	if len(page.Events) == 0 {
		return page, nil
	}
	ids := make([]any, 0, len(page.Events))
	for _, e := range page.Events {
		ids = append(ids, e.ID)
	}
	crows, err := s.rdb.QueryContext(ctx, `SELECT event_id, status, COUNT(*) FROM deliveries
		WHERE event_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) GROUP BY event_id, status`, ids...)
	if err != nil {
		return page, err
	}
	defer crows.Close()
	for crows.Next() {
		var id, status string
		var n int
		if err := crows.Scan(&id, &status, &n); err != nil {
			return page, err
		}
		if i, ok := byID[id]; ok {
			page.Events[i].Deliveries[webhook.DeliveryStatus(status)] = n
		}
	}
	return page, crows.Err()
}

// EventSamples implements store.EventStore.
func (s *Store) EventSamples(ctx context.Context, scope auth.Scope, tenant, eventType string, limit int) ([]webhook.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE tenant = ? AND type = ?`+inScope+` ORDER BY id DESC LIMIT ?`,
		tenant, eventType, scopeAll(scope), scope.Tenant(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// takeSequence numbers the next delivery of FIFO webhook id.
func (s *Store) takeSequence(tx *sql.Tx, id string) (int64, error) {
	var n int64
	err := s.queryRow(tx, qSequenceTake, id).Scan(&n)
	return n, err
}
