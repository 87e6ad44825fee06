package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const deliveryColumns = `id, tenant, event_id, event_type, webhook_id, status, attempts,
	next_attempt_at, last_status_code, last_error, created_at, updated_at, lease_owner, seq, ordering_key, retry_base`

// scanDelivery reads a delivery. A leased row's next_attempt_at column
// holds its lease end: that is the lease, not a next attempt (one is
// under way), so NextAttemptAt stays nil.
func scanDelivery(r scanner) (webhook.Delivery, error) {
	d, _, err := scanLeased(r)
	return d, err
}

// scanLeased reads a delivery and its lease.
func scanLeased(r scanner) (webhook.Delivery, store.Lease, error) {
	var d webhook.Delivery
	var status string
	var next sql.NullInt64
	var created, updated int64
	var owner, key sql.NullString
	var seq sql.NullInt64
	err := r.Scan(&d.ID, &d.Tenant, &d.EventID, &d.EventType, &d.WebhookID, &status, &d.Attempts,
		&next, &d.LastStatusCode, &d.LastError, &created, &updated, &owner, &seq, &key, &d.RetryBase)
	if seq.Valid && key.Valid {
		d.Sequence, d.OrderingKey = seq.Int64, key.String
	}
	d.Status = webhook.DeliveryStatus(status)
	d.CreatedAt, d.UpdatedAt = fromTS(created), fromTS(updated)
	if owner.Valid && next.Valid {
		return d, store.Lease{Owner: owner.String, Until: fromTS(next.Int64)}, err
	}
	d.NextAttemptAt = fromNullTS(next)
	return d, store.Lease{}, err
}

// DeliveryGet implements store.DeliveryStore.
func (s *Store) DeliveryGet(ctx context.Context, scope auth.Scope, id string) (webhook.Delivery, error) {
	d, err := scanDelivery(s.rdb.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`+inScope,
		id, scopeAll(scope), scope.Tenant()))
	if err != nil {
		return d, notFound(err, "delivery")
	}
	ds := []webhook.Delivery{d}
	err = s.fillBlockedBy(ctx, ds)
	return ds[0], err
}

// DeliveryList implements store.DeliveryStore.
func (s *Store) DeliveryList(ctx context.Context, p store.DeliveryListParams) (store.DeliveryPage, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	where = append(where, "(? = 1 OR tenant = ?)")
	args = append(args, scopeAll(p.Scope), p.Scope.Tenant())
	if p.Tenant != "" {
		add("tenant = ?", p.Tenant)
	}
	if p.WebhookID != "" {
		add("webhook_id = ?", p.WebhookID)
	}
	if p.EventID != "" {
		add("event_id = ?", p.EventID)
	}
	if len(p.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(",?", len(p.Statuses)-1)+")")
		for _, st := range p.Statuses {
			args = append(args, string(st))
		}
	}
	if p.EventType != "" {
		add("event_type = ?", p.EventType)
	}
	if !p.Since.IsZero() {
		add("created_at >= ?", ts(p.Since))
	}
	if !p.Until.IsZero() {
		add("created_at < ?", ts(p.Until))
	}
	switch q := p.Query; {
	case q == "":
	case webhook.HasPrefix(q, webhook.PrefixDelivery):
		add("id = ?", q)
	case webhook.HasPrefix(q, webhook.PrefixEvent):
		add("event_id = ?", q)
	default:
		// A part of an ID: substr, not LIKE or GLOB, so no character of
		// it is a wildcard.
		where = append(where, "(substr(id, 1, ?) = ? OR substr(event_id, 1, ?) = ?)")
		args = append(args, len(q), q, len(q), q)
	}
	if p.Cursor != "" {
		add("id < ?", p.Cursor)
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE ` + strings.Join(where, " AND ")
	limit := store.PageLimit(p.Limit)
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return store.DeliveryPage{}, err
	}
	defer rows.Close()
	var page store.DeliveryPage
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return page, err
		}
		page.Deliveries = append(page.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Deliveries) > limit {
		page.Deliveries = page.Deliveries[:limit]
		page.Next = page.Deliveries[limit-1].ID
	}
	return page, s.fillBlockedBy(ctx, page.Deliveries)
}

// fillBlockedBy sets BlockedBy of the pending FIFO deliveries among ds:
// the head of their ordering key when it is not themselves.
func (s *Store) fillBlockedBy(ctx context.Context, ds []webhook.Delivery) error {
	for i := range ds {
		d := &ds[i]
		if d.Status != webhook.DeliveryPending || d.Sequence == 0 {
			continue
		}
		err := s.rdb.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE webhook_id = ? AND ordering_key = ?
			AND status = 'pending' AND seq IS NOT NULL AND seq < ? ORDER BY seq LIMIT 1`,
			d.WebhookID, d.OrderingKey, d.Sequence).Scan(&d.BlockedBy)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

const (
	qAttemptInsert = `INSERT INTO attempts (id, delivery_id, webhook_id, event_id, event_type, number,
		test, started_at, duration_ms, url, request_headers, request_body, status_code,
		response_headers, response_body, response_truncated, error_class, error, destination, outcome, answer,
		request_body_of)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// Only a pending delivery still leased by the attempt's owner moves on:
	// one retried by hand, deleted, or re-claimed by another instance after
	// the lease ran out keeps its newer state.
	qDeliveryResult = `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
		lease_owner = NULL, last_status_code = ?, last_error = ?, updated_at = ?
		WHERE id = ? AND status = 'pending' AND (? = '' OR lease_owner = ?) AND (? = 0 OR next_attempt_at = ?)`
	// qPromoteAfter is qPromote for the key of delivery ? (a no-op for a
	// delivery without ordering).
	qPromoteAfter = `UPDATE deliveries SET next_attempt_at = ?
		WHERE id = (SELECT n.id FROM deliveries e JOIN deliveries n ON n.webhook_id = e.webhook_id
			AND n.ordering_key = e.ordering_key AND n.status = 'pending' AND n.seq IS NOT NULL
			WHERE e.id = ? AND e.seq IS NOT NULL ORDER BY n.seq LIMIT 1) AND next_attempt_at IS NULL`
	qWebhookStats = `UPDATE webhooks SET stat_attempts = stat_attempts + ?, stat_throttled = stat_throttled + ?,
		stat_succeeded = stat_succeeded + ?, stat_failed = stat_failed + ?,
		last_success_at = COALESCE(?, last_success_at),
		last_failure_at = COALESCE(?, last_failure_at),
		failing_since = CASE WHEN ? THEN ? ELSE COALESCE(failing_since, ?) END
		WHERE id = ?`
)

func init() {
	hotQueries = append(hotQueries, qAttemptInsert, qDeliveryResult, qWebhookStats, qPromoteAfter)
}

// headerJSON stores h as a JSON object of string arrays, as json.Marshal
// writes it. Every attempt stores two, so the usual headers (printable
// ASCII that JSON keeps as it is) are written directly, without
// reflection; anything else goes through json.Marshal.
func headerJSON(h http.Header) string {
	if h == nil {
		return "{}"
	}
	keys := make([]string, 0, len(h))
	size := 2
	for k, vs := range h {
		if !plainJSON(k) {
			return jsonText(h)
		}
		keys = append(keys, k)
		size += len(k) + 6
		for _, v := range vs {
			if !plainJSON(v) {
				return jsonText(h)
			}
			size += len(v) + 3
		}
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	return string(b)
}

// plainJSON reports whether json.Marshal writes s unchanged between its
// quotes: printable ASCII other than the quote, the backslash and the
// three characters it escapes for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

type statDelta struct {
	attempts, succeeded, failed int64
	throttled                   int64
	lastOK, lastFail            sql.NullInt64
	// failing_since is "the first failed attempt after the last success":
	// lastOKStart is the start of the batch's latest success, failAfter
	// the earliest failure that started after it (or after nothing).
	lastOKStart sql.NullInt64
	fails       []int64
}

// failingSince returns whether the batch had a success and the failing
// since time it implies.
func (d *statDelta) failingSince() (bool, sql.NullInt64) {
	var out sql.NullInt64
	for _, f := range d.fails {
		if d.lastOKStart.Valid && f <= d.lastOKStart.Int64 {
			continue
		}
		if !out.Valid || f < out.Int64 {
			out = sql.NullInt64{Int64: f, Valid: true}
		}
	}
	return d.lastOKStart.Valid, out
}

// AttemptRecord implements store.DeliveryStore.
func (s *Store) AttemptRecord(ctx context.Context, results []store.AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	return s.writeBulk(ctx, func(tx *sql.Tx) error {
		stats := map[string]*statDelta{}
		moved := make([]bool, len(results))
		for i := range results {
			r := &results[i]
			a := &r.Attempt
			var dlv any
			if a.DeliveryID != "" {
				dlv = a.DeliveryID
			}
			started := ts(a.StartedAt)
			body := nonNil(a.RequestBody)
			if a.RequestBodyOf != "" {
				body = []byte{} // read back from the event (scanAttempt)
			}
			if _, err := s.exec(tx, qAttemptInsert, a.ID, dlv, a.WebhookID, a.EventID, a.EventType,
				a.Number, boolInt(a.Test), started, a.DurationMS, a.URL, headerJSON(a.RequestHeaders),
				body, a.StatusCode, headerJSON(a.ResponseHeaders), nonNil(a.ResponseBody),
				boolInt(a.ResponseTruncated), string(a.ErrorClass), a.Error, a.Destination, string(a.Outcome),
				a.Answer, string(a.RequestBodyOf)); err != nil {
				return err
			}
			if a.Test {
				continue
			}
			status, next := webhook.DeliveryPending, sql.NullInt64{}
			switch r.Outcome {
			case store.OutcomeSucceeded:
				status = webhook.DeliverySucceeded
			case store.OutcomeFailed:
				status = webhook.DeliveryFailed
			case store.OutcomeRetry:
				next = sql.NullInt64{Int64: ts(r.NextAttemptAt), Valid: true}
			default:
				return fmt.Errorf("attempt %s: unknown outcome %d", a.ID, r.Outcome)
			}
			res, err := s.exec(tx, qDeliveryResult, string(status), next, a.StatusCode, a.Error, started,
				a.DeliveryID, r.Lease.Owner, r.Lease.Owner, leaseTS(r.Lease.Until), leaseTS(r.Lease.Until))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			moved[i] = n == 1
			// Without a pending FIFO delivery in the database there is no
			// next of a key to promote (see Store.fifoLive).
			if n == 1 && s.fifoLive && status != webhook.DeliveryPending {
				// A FIFO delivery ended: the next of its key goes.
				end := started + int64(a.DurationMS*1000)
				if _, err := s.exec(tx, qPromoteAfter, end, a.DeliveryID); err != nil {
					return err
				}
			}
			d := stats[a.WebhookID]
			if d == nil {
				d = &statDelta{}
				stats[a.WebhookID] = d
			}
			if a.ErrorClass == webhook.ErrClassCancelled {
				// No request was made: only the delivery's end counts.
				if moved[i] {
					d.failed++
				}
				continue
			}
			d.attempts++
			if r.Throttled {
				d.throttled++
			}
			end := started + int64(a.DurationMS*1000)
			if a.Success() {
				d.lastOK = sql.NullInt64{Int64: max(end, d.lastOK.Int64), Valid: true}
				if !d.lastOKStart.Valid || started > d.lastOKStart.Int64 {
					d.lastOKStart = sql.NullInt64{Int64: started, Valid: true}
				}
			} else {
				d.lastFail = sql.NullInt64{Int64: max(end, d.lastFail.Int64), Valid: true}
				d.fails = append(d.fails, started)
			}
			if moved[i] {
				switch r.Outcome {
				case store.OutcomeSucceeded:
					d.succeeded++
				case store.OutcomeFailed:
					d.failed++
				}
			}
			if r.DisableReason != "" {
				if _, err := tx.Exec(`UPDATE webhooks SET active = 0, disabled_reason = ?, updated_at = ?
					WHERE id = ?`, r.DisableReason, end, a.WebhookID); err != nil {
					return err
				}
			}
		}
		for id, d := range stats {
			hadOK, since := d.failingSince()
			if _, err := s.exec(tx, qWebhookStats, d.attempts, d.throttled, d.succeeded, d.failed, d.lastOK,
				d.lastFail, boolInt(hadOK), since, since, id); err != nil {
				return err
			}
		}
		return s.rollupAdd(tx, store.Rollup(results, func(i int) bool { return moved[i] }))
	})
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// attemptColumns ends with the event's data and time for an attempt
// whose body is its event's (request_body_of), read by primary key.
const attemptColumns = `id, delivery_id, webhook_id, event_id, event_type, number, test, started_at,
	duration_ms, url, request_headers, request_body, status_code, response_headers, response_body,
	response_truncated, error_class, error, destination, outcome, answer, request_body_of,
	CASE WHEN request_body_of <> '' THEN (SELECT e.data FROM events e WHERE e.id = attempts.event_id) END,
	CASE WHEN request_body_of <> '' THEN (SELECT e.created_at FROM events e WHERE e.id = attempts.event_id) END`

func scanAttempt(r scanner) (webhook.Attempt, error) {
	var a webhook.Attempt
	var dlv, dest, outcome, answer sql.NullString
	var test, trunc int
	var started int64
	var reqH, respH, class, bodyOf string
	var evData []byte
	var evCreated sql.NullInt64
	err := r.Scan(&a.ID, &dlv, &a.WebhookID, &a.EventID, &a.EventType, &a.Number, &test, &started,
		&a.DurationMS, &a.URL, &reqH, &a.RequestBody, &a.StatusCode, &respH, &a.ResponseBody,
		&trunc, &class, &a.Error, &dest, &outcome, &answer, &bodyOf, &evData, &evCreated)
	if err != nil {
		return a, err
	}
	if bodyOf != "" && evCreated.Valid {
		a.RequestBodyOf = webhook.Format(bodyOf)
		a.RequestBody = webhook.Body(a.RequestBodyOf, webhook.Event{
			ID: a.EventID, Type: a.EventType, CreatedAt: fromTS(evCreated.Int64), Data: evData})
	}
	a.DeliveryID = dlv.String
	a.Test, a.ResponseTruncated = test == 1, trunc == 1
	a.StartedAt = fromTS(started)
	a.ErrorClass = webhook.ErrorClass(class)
	if err := json.Unmarshal([]byte(reqH), &a.RequestHeaders); err != nil {
		return a, fmt.Errorf("attempt %s: request headers: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(respH), &a.ResponseHeaders); err != nil {
		return a, fmt.Errorf("attempt %s: response headers: %w", a.ID, err)
	}
	a.Destination, a.Outcome, a.Answer = dest.String, webhook.AttemptOutcome(outcome.String), answer.String
	if !dest.Valid {
		store.FillOlderAttempt(&a)
	}
	return a, nil
}

func (s *Store) attempts(ctx context.Context, q string, args ...any) ([]webhook.Attempt, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+attemptColumns+` FROM attempts `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.Attempt
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AttemptList implements store.DeliveryStore.
func (s *Store) AttemptList(ctx context.Context, scope auth.Scope, deliveryID string) ([]webhook.Attempt, error) {
	if ok, err := s.visible(ctx, scope, "deliveries", deliveryID); !ok {
		return nil, err
	}
	return s.attempts(ctx, `WHERE delivery_id = ? ORDER BY id`, deliveryID)
}

// AttemptListByWebhook implements store.DeliveryStore.
func (s *Store) AttemptListByWebhook(ctx context.Context, scope auth.Scope, webhookID string, limit int) ([]webhook.Attempt, error) {
	if ok, err := s.visible(ctx, scope, "webhooks", webhookID); !ok {
		return nil, err
	}
	return s.attempts(ctx, `WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, webhookID, store.PageLimit(limit))
}

// DeliveryRetry implements store.DeliveryStore.
func (s *Store) DeliveryRetry(ctx context.Context, scope auth.Scope, id string, now time.Time) (webhook.Delivery, error) {
	var d webhook.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		var status string
		var owner sql.NullString
		var next sql.NullInt64
		err := tx.QueryRow(`SELECT status, lease_owner, next_attempt_at FROM deliveries WHERE id = ?`+inScope,
			id, scopeAll(scope), scope.Tenant()).Scan(&status, &owner, &next)
		if err != nil {
			return notFound(err, "delivery")
		}
		if status == string(webhook.DeliveryPending) && owner.Valid && next.Int64 > ts(now) {
			return &webhook.Error{Code: webhook.ECONFLICT, Message: "the delivery is being attempted right now"}
		}
		d, err = scanDelivery(tx.QueryRow(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?,
			lease_owner = NULL, updated_at = ? WHERE id = ? RETURNING `+deliveryColumns, ts(now), ts(now), id))
		if err != nil {
			return err
		}
		if d.Sequence != 0 {
			s.fifoLive = true
		}
		// The webhook's succeeded and failed counters count deliveries in
		// that final state: one sent again is in neither until it ends.
		switch status {
		case string(webhook.DeliverySucceeded):
			_, err = tx.Exec(`UPDATE webhooks SET stat_succeeded = max(stat_succeeded - 1, 0) WHERE id = ?`, d.WebhookID)
		case string(webhook.DeliveryFailed):
			_, err = tx.Exec(`UPDATE webhooks SET stat_failed = max(stat_failed - 1, 0) WHERE id = ?`, d.WebhookID)
		}
		return err
	})
	return d, err
}

// WebhookReplay implements store.DeliveryStore.
func (s *Store) WebhookReplay(ctx context.Context, scope auth.Scope, webhookID string, since, now time.Time) (int, error) {
	w, err := s.WebhookGet(ctx, scope, webhookID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		// An event's data is read only when the webhook's filter or
		// ordering key needs it.
		fifo := w.Ordering == webhook.OrderingFIFO
		cols := `id, type, NULL, 0`
		if len(w.Filter) > 0 || fifo {
			cols = `id, type, data, created_at`
		}
		q := `SELECT ` + cols + ` FROM events WHERE tenant = ? AND created_at >= ?`
		args := []any{w.Tenant, ts(since)}
		if len(w.Events) == 0 {
			return nil
		}
		if !slices.Contains(w.Events, webhook.AllEvents) {
			q += ` AND type IN (?` + strings.Repeat(",?", len(w.Events)-1) + `)`
			for _, e := range w.Events {
				args = append(args, e)
			}
		} else {
			q += ` AND type NOT LIKE ?`
			args = append(args, webhook.OperatorEventPrefix+"%")
		}
		rows, err := tx.Query(q+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		type ev struct{ id, typ, key string }
		var evs []ev
		for rows.Next() {
			var e webhook.Event
			var created int64
			var data []byte
			if err := rows.Scan(&e.ID, &e.Type, &data, &created); err != nil {
				rows.Close()
				return err
			}
			// The webhook's filter decides, as at publish time.
			e.Tenant, e.CreatedAt, e.Data = w.Tenant, fromTS(created), data
			judge := s.filters.For(e)
			if judge.Passes(w.Filter) {
				evs = append(evs, ev{e.ID, e.Type, judge.Key(w.OrderingKey)})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			// Replayed deliveries of a FIFO webhook go after every one
			// numbered so far, in the events' order.
			seq, key := any(nil), any(nil)
			if fifo {
				n, err := s.takeSequence(tx, w.ID)
				if err != nil {
					return err
				}
				seq, key = n, e.key
				s.fifoLive = true
			}
			// A FIFO one waits unless it is its key's head.
			due := any(ts(now))
			if fifo {
				var pending bool
				if err := s.queryRow(tx, qKeyPending, w.ID, e.key).Scan(&pending); err != nil {
					return err
				}
				if pending {
					due = nil
				}
			}
			if _, err := s.exec(tx, qDeliveryInsert, webhook.NewID(webhook.PrefixDelivery), w.Tenant, e.id,
				e.typ, w.ID, due, nil, ts(now), ts(now), seq, key); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE webhooks SET stat_deliveries = stat_deliveries + ? WHERE id = ?`, len(evs), w.ID); err != nil {
			return err
		}
		n = len(evs)
		return nil
	})
	return n, err
}

// recoverWhere is the condition of DeliveryRecover's deliveries but
// their state, and its arguments.
func recoverWhere(p store.DeliveryRecoverParams) (string, []any) {
	cond := `webhook_id = ? AND created_at >= ? AND created_at < ?`
	args := []any{p.WebhookID, ts(p.Since), ts(p.Until)}
	if len(p.EventTypes) > 0 {
		cond += ` AND event_type IN (?` + strings.Repeat(",?", len(p.EventTypes)-1) + `)`
		for _, t := range p.EventTypes {
			args = append(args, t)
		}
	}
	return cond, args
}

// DeliveryRecover implements store.DeliveryStore: the candidates are read
// off the writer a batch at a time, in ID order, and each batch is
// re-queued in one write that checks their state again.
func (s *Store) DeliveryRecover(ctx context.Context, p store.DeliveryRecoverParams) (int, error) {
	if _, err := s.WebhookGet(ctx, p.Scope, p.WebhookID); err != nil {
		return 0, err
	}
	cond, args := recoverWhere(p)
	total := 0
	for _, st := range p.Statuses {
		if p.DryRun {
			var n int
			if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = ? AND `+cond,
				append([]any{string(st)}, args...)...).Scan(&n); err != nil {
				return total, err
			}
			total += n
			continue
		}
		for after := ""; ; {
			ids, err := queryStrings(ctx, s.rdb, `SELECT id FROM deliveries WHERE status = ? AND `+cond+
				` AND id > ? ORDER BY id LIMIT ?`, append(append([]any{string(st)}, args...), after, store.RecoverBatch)...)
			if err != nil {
				return total, err
			}
			if len(ids) == 0 {
				break
			}
			n, err := s.requeue(ctx, p.WebhookID, st, ids, p.Now)
			total += n
			if err != nil {
				return total, err
			}
			after = ids[len(ids)-1]
		}
	}
	return total, nil
}

// requeue makes the deliveries among ids still in state st pending and
// due at now with a fresh retry schedule, in one write, and returns how
// many.
func (s *Store) requeue(ctx context.Context, webhookID string, st webhook.DeliveryStatus, ids []string, now time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		args := []any{ts(now), ts(now), string(st)}
		for _, id := range ids {
			args = append(args, id)
		}
		res, err := tx.Exec(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL,
			retry_base = attempts, updated_at = ?
			WHERE +status = ? AND id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...) // +: by primary key, see DeliveryClaim
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(m)
		if n > 0 {
			// Some may have a FIFO place: their results must promote
			// the next of their key (see Store.fifoLive).
			s.fifoLive = true
		}
		// As for a retry by hand: the counters count deliveries in that
		// final state, and these are in none until they end again.
		switch st {
		case webhook.DeliveryFailed:
			_, err = tx.Exec(`UPDATE webhooks SET stat_failed = max(stat_failed - ?, 0) WHERE id = ?`, n, webhookID)
		case webhook.DeliverySucceeded:
			_, err = tx.Exec(`UPDATE webhooks SET stat_succeeded = max(stat_succeeded - ?, 0) WHERE id = ?`, n, webhookID)
		}
		return err
	})
	return n, err
}

// DeliveryCounts implements store.DeliveryStore.
func (s *Store) DeliveryCounts(ctx context.Context) (map[webhook.DeliveryStatus]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT status, COUNT(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[webhook.DeliveryStatus]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[webhook.DeliveryStatus(st)] = n
	}
	return out, rows.Err()
}

// leaseTS is a lease end as stored, or 0 for none.
func leaseTS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ts(t)
}
