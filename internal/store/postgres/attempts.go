package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	// qLockWebhooks locks, in ID order, the webhooks whose stats a batch
	// changes: AttemptRecord takes it first, so two batches touching the
	// same webhooks queue rather than deadlock, and so does a delete.
	qLockWebhooks   = `SELECT id FROM webhooks WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`
	qAttemptsInsert = `INSERT INTO attempts (id, delivery_id, webhook_id, event_id, event_type, number, test,
		started_at, duration_ms, url, request_headers, request_body, status_code, response_headers,
		response_body, response_truncated, error_class, error, destination, outcome, answer, request_body_of)
		SELECT a.id, NULLIF(a.delivery_id, ''), a.webhook_id, a.event_id, a.event_type, a.number, a.test,
			a.started_at, a.duration_ms, a.url, a.request_headers, a.request_body, a.status_code,
			a.response_headers, a.response_body, a.response_truncated, a.error_class, a.error,
			a.destination, a.outcome, a.answer, a.request_body_of
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bool[],
			$8::timestamptz[], $9::float8[], $10::text[], $11::text[], $12::bytea[], $13::int[],
			$14::text[], $15::bytea[], $16::bool[], $17::text[], $18::text[], $19::text[], $20::text[],
			$21::text[], $22::text[])
		AS a (id, delivery_id, webhook_id, event_id, event_type, number, test, started_at, duration_ms,
			url, request_headers, request_body, status_code, response_headers, response_body,
			response_truncated, error_class, error, destination, outcome, answer, request_body_of)`
	// qDeliveriesResult moves deliveries on. Only a pending delivery still
	// leased by the attempt's owner moves: one retried by hand, deleted,
	// or re-claimed by another instance after the lease ran out keeps its
	// newer state. It returns the IDs that moved.
	qDeliveriesResult = `UPDATE deliveries d SET status = r.status, attempts = d.attempts + 1,
		next_attempt_at = r.next_at, lease_owner = NULL, last_status_code = r.code, last_error = r.error,
		updated_at = r.at
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::timestamptz[], $7::text[],
			$8::timestamptz[]) AS r (id, status, next_at, code, error, at, owner, lease_until)
		WHERE d.id = r.id AND d.status = 'pending' AND (r.owner = '' OR d.lease_owner = r.owner)
			AND (r.lease_until IS NULL OR d.next_attempt_at = r.lease_until)
		RETURNING d.id, CASE WHEN d.seq IS NOT NULL AND d.status <> 'pending' THEN d.ordering_key END`
	qWebhookStats = `UPDATE webhooks w SET stat_attempts = w.stat_attempts + r.attempts,
		stat_throttled = w.stat_throttled + r.throttled,
		stat_succeeded = w.stat_succeeded + r.succeeded, stat_failed = w.stat_failed + r.failed,
		last_success_at = COALESCE(r.last_ok, w.last_success_at),
		last_failure_at = COALESCE(r.last_fail, w.last_failure_at),
		failing_since = CASE WHEN r.had_ok THEN r.since ELSE COALESCE(w.failing_since, r.since) END
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[],
			$6::timestamptz[], $7::bool[], $8::timestamptz[], $9::bigint[])
			AS r (id, attempts, succeeded, failed, last_ok, last_fail, had_ok, since, throttled)
		WHERE w.id = r.id`
	qWebhooksDisable = `UPDATE webhooks w SET active = false, disabled_reason = r.reason, updated_at = r.at
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS r (id, reason, at)
		WHERE w.id = r.id`
)

func headerJSON(h http.Header) string {
	if h == nil {
		return "{}"
	}
	b, err := json.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("postgres: marshal headers: %v", err)) // a map of string slices always marshals
	}
	return string(b)
}

// statDelta is what one batch changes in a webhook's stats; see the SQLite
// backend, whose rules this follows exactly.
type statDelta struct {
	attempts, succeeded, failed int64
	throttled                   int64
	lastOK, lastFail            *time.Time
	// failing_since is "the first failed attempt after the last success":
	// okStart is the start of the batch's latest success, fails the
	// starts of its failures.
	okStart *time.Time
	fails   []time.Time
}

// failingSince returns the earliest failure of the batch that started
// after its last success (nil when none did).
func (d *statDelta) failingSince() *time.Time {
	var out *time.Time
	for _, f := range d.fails {
		if d.okStart != nil && !f.After(*d.okStart) {
			continue
		}
		if out == nil || f.Before(*out) {
			out = &f
		}
	}
	return out
}

func later(cur *time.Time, t time.Time) *time.Time {
	if cur == nil || t.After(*cur) {
		return &t
	}
	return cur
}

// attemptColumns is one array per attempts column, for qAttemptsInsert.
type attemptColumns struct {
	id, delivery, webhook, event, eventType, url, reqH, respH, class, errText []string
	dest, outcome, answer, bodyOf                                             []string
	number, status                                                            []int32
	test, truncated                                                           []bool
	started                                                                   []time.Time
	duration                                                                  []float64
	reqBody, respBody                                                         [][]byte
}

func (c *attemptColumns) add(a *webhook.Attempt) {
	c.id, c.delivery, c.webhook = append(c.id, a.ID), append(c.delivery, a.DeliveryID), append(c.webhook, a.WebhookID)
	c.event, c.eventType = append(c.event, a.EventID), append(c.eventType, a.EventType)
	c.number, c.test = append(c.number, int32(a.Number)), append(c.test, a.Test)
	c.started, c.duration = append(c.started, a.StartedAt), append(c.duration, a.DurationMS)
	c.url, c.reqH = append(c.url, cleanText(a.URL)), append(c.reqH, headerJSON(a.RequestHeaders))
	body := nonNil(a.RequestBody)
	if a.RequestBodyOf != "" {
		body = []byte{} // read back from the event (scanAttempt)
	}
	c.reqBody, c.status = append(c.reqBody, body), append(c.status, int32(a.StatusCode))
	c.bodyOf = append(c.bodyOf, string(a.RequestBodyOf))
	c.respH, c.respBody = append(c.respH, headerJSON(a.ResponseHeaders)), append(c.respBody, nonNil(a.ResponseBody))
	c.truncated, c.class = append(c.truncated, a.ResponseTruncated), append(c.class, string(a.ErrorClass))
	c.errText = append(c.errText, cleanText(a.Error))
	c.dest, c.outcome = append(c.dest, a.Destination), append(c.outcome, string(a.Outcome))
	c.answer = append(c.answer, cleanText(a.Answer))
}

func (c *attemptColumns) args() []any {
	return []any{c.id, c.delivery, c.webhook, c.event, c.eventType, c.number, c.test, c.started, c.duration,
		c.url, c.reqH, c.reqBody, c.status, c.respH, c.respBody, c.truncated, c.class, c.errText,
		c.dest, c.outcome, c.answer, c.bodyOf}
}

// resultColumns is one round of delivery moves, for qDeliveriesResult. A
// round names each delivery once, as one UPDATE changes a row once.
type resultColumns struct {
	id, status, errText, owner []string
	next, leaseUntil           []*time.Time
	code                       []int32
	at                         []time.Time
	results                    []*store.AttemptResult
}

// AttemptRecord implements store.DeliveryStore: one transaction of two
// pipelined round trips (begin and commit included) however many results. The
// first locks the webhooks, logs every attempt and moves the deliveries;
// the second, knowing which deliveries moved, applies the stats.
func (s *Store) AttemptRecord(ctx context.Context, results []store.AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	var atts attemptColumns
	var rounds []*resultColumns
	seen := map[string]int{}
	var hooks []string
	retry := false
	for i := range results {
		r := &results[i]
		a := &r.Attempt
		atts.add(a)
		if a.Test {
			continue
		}
		status, next := webhook.DeliveryPending, (*time.Time)(nil)
		switch r.Outcome {
		case store.OutcomeSucceeded:
			status = webhook.DeliverySucceeded
		case store.OutcomeFailed:
			status = webhook.DeliveryFailed
		case store.OutcomeRetry:
			next, retry = &r.NextAttemptAt, true
		default:
			return fmt.Errorf("attempt %s: unknown outcome %d", a.ID, r.Outcome)
		}
		k := seen[a.DeliveryID]
		seen[a.DeliveryID]++
		if k == len(rounds) {
			rounds = append(rounds, &resultColumns{})
		}
		rc := rounds[k]
		rc.id, rc.status, rc.next = append(rc.id, a.DeliveryID), append(rc.status, string(status)), append(rc.next, next)
		rc.code, rc.errText = append(rc.code, int32(a.StatusCode)), append(rc.errText, cleanText(a.Error))
		rc.at, rc.owner = append(rc.at, a.StartedAt), append(rc.owner, r.Lease.Owner)
		var until *time.Time
		if !r.Lease.Until.IsZero() {
			until = &r.Lease.Until
		}
		rc.leaseUntil = append(rc.leaseUntil, until)
		rc.results = append(rc.results, r)
		hooks = append(hooks, a.WebhookID)
	}
	slices.Sort(hooks)
	hooks = slices.Compact(hooks)

	var moved map[*store.AttemptResult]bool
	var done ended // FIFO keys whose delivery ended: the next goes
	err := s.txBatches(ctx, func(b *pgx.Batch) {
		moved, done = map[*store.AttemptResult]bool{}, ended{}
		if len(hooks) > 0 {
			b.Queue(qLockWebhooks, hooks)
		}
		b.Queue(qAttemptsInsert, atts.args()...)
		for _, rc := range rounds {
			b.Queue(qDeliveriesResult, rc.id, rc.status, rc.next, rc.code, rc.errText, rc.at, rc.owner, rc.leaseUntil).
				Query(func(rows pgx.Rows) error {
					var ids []string
					keys := map[string]string{}
					var id string
					var key *string
					_, err := pgx.ForEachRow(rows, []any{&id, &key}, func() error {
						ids = append(ids, id)
						if key != nil {
							keys[id] = *key
						}
						return nil
					})
					for _, r := range rc.results {
						a := &r.Attempt
						moved[r] = slices.Contains(ids, a.DeliveryID)
						if k, ok := keys[a.DeliveryID]; ok {
							done.hooks, done.keys = append(done.hooks, a.WebhookID), append(done.keys, k)
							done.at = append(done.at, a.StartedAt.Add(time.Duration(a.DurationMS*float64(time.Millisecond))))
						}
					}
					return err
				})
		}
	}, func(b *pgx.Batch) error {
		done.queuePromote(b)
		if len(hooks) > 0 {
			s.queueStats(b, results, moved)
		}
		return nil
	})
	if err == nil && retry {
		s.wake()
	}
	return err
}

// queueStats adds the stats update (and any disabling) of a batch whose
// moved deliveries are known.
func (s *Store) queueStats(b *pgx.Batch, results []store.AttemptResult, moved map[*store.AttemptResult]bool) {
	stats := map[string]*statDelta{}
	disable := map[string]int{} // webhook ID -> index of the last result disabling it
	for i := range results {
		r := &results[i]
		a := &r.Attempt
		if a.Test {
			continue
		}
		d := stats[a.WebhookID]
		if d == nil {
			d = &statDelta{}
			stats[a.WebhookID] = d
		}
		if a.ErrorClass == webhook.ErrClassCancelled {
			// No request was made: only the delivery's end counts, as in
			// the SQLite backend (see store.AttemptResult).
			if moved[r] {
				d.failed++
			}
			continue
		}
		d.attempts++
		if r.Throttled {
			d.throttled++
		}
		end := a.StartedAt.Add(time.Duration(a.DurationMS * float64(time.Millisecond))).Truncate(time.Microsecond)
		if a.Success() {
			d.lastOK = later(d.lastOK, end)
			d.okStart = later(d.okStart, a.StartedAt)
		} else {
			d.lastFail = later(d.lastFail, end)
			d.fails = append(d.fails, a.StartedAt)
		}
		if moved[r] {
			switch r.Outcome {
			case store.OutcomeSucceeded:
				d.succeeded++
			case store.OutcomeFailed:
				d.failed++
			}
		}
		if r.DisableReason != "" {
			disable[a.WebhookID] = i
		}
	}
	var ids []string
	var attempts, succeeded, failed, throttled []int64
	var lastOK, lastFail, since []*time.Time
	var hadOK []bool
	for id, d := range stats {
		ids, attempts = append(ids, id), append(attempts, d.attempts)
		succeeded, failed = append(succeeded, d.succeeded), append(failed, d.failed)
		lastOK, lastFail = append(lastOK, d.lastOK), append(lastFail, d.lastFail)
		hadOK, since = append(hadOK, d.okStart != nil), append(since, d.failingSince())
		throttled = append(throttled, d.throttled)
	}
	b.Queue(qWebhookStats, ids, attempts, succeeded, failed, lastOK, lastFail, hadOK, since, throttled)
	queueRollup(b, store.Rollup(results, func(i int) bool { return moved[&results[i]] }))
	if len(disable) == 0 {
		return
	}
	var dids, reasons []string
	var ats []time.Time
	for id, i := range disable {
		a := &results[i].Attempt
		dids, reasons = append(dids, id), append(reasons, results[i].DisableReason)
		ats = append(ats, a.StartedAt.Add(time.Duration(a.DurationMS*float64(time.Millisecond))))
	}
	b.Queue(qWebhooksDisable, dids, reasons, ats)
	for _, id := range dids {
		s.queueWebhookNotice(b, id)
	}
}

// attemptSelect ends with the event's data and time for an attempt whose
// body is its event's (request_body_of), read by primary key.
const attemptSelect = `SELECT id, delivery_id, webhook_id, event_id, event_type, number, test, started_at,
	duration_ms, url, request_headers, request_body, status_code, response_headers, response_body,
	response_truncated, error_class, error, destination, outcome, answer, request_body_of,
	CASE WHEN request_body_of <> '' THEN (SELECT e.data FROM events e WHERE e.id = attempts.event_id) END,
	CASE WHEN request_body_of <> '' THEN (SELECT e.created_at FROM events e WHERE e.id = attempts.event_id) END
	FROM attempts `

func scanAttempt(r scanner) (webhook.Attempt, error) {
	var a webhook.Attempt
	var dlv, dest, outcome, answer *string
	var reqH, respH, class, bodyOf string
	var evData []byte
	var evCreated *time.Time
	err := r.Scan(&a.ID, &dlv, &a.WebhookID, &a.EventID, &a.EventType, &a.Number, &a.Test, &a.StartedAt,
		&a.DurationMS, &a.URL, &reqH, &a.RequestBody, &a.StatusCode, &respH, &a.ResponseBody,
		&a.ResponseTruncated, &class, &a.Error, &dest, &outcome, &answer, &bodyOf, &evData, &evCreated)
	if err != nil {
		return a, err
	}
	if bodyOf != "" && evCreated != nil {
		a.RequestBodyOf = webhook.Format(bodyOf)
		a.RequestBody = webhook.Body(a.RequestBodyOf, webhook.Event{
			ID: a.EventID, Type: a.EventType, CreatedAt: evCreated.UTC(), Data: evData})
	}
	if dlv != nil {
		a.DeliveryID = *dlv
	}
	a.StartedAt = a.StartedAt.UTC()
	a.ErrorClass = webhook.ErrorClass(class)
	if err := json.Unmarshal([]byte(reqH), &a.RequestHeaders); err != nil {
		return a, fmt.Errorf("attempt %s: request headers: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(respH), &a.ResponseHeaders); err != nil {
		return a, fmt.Errorf("attempt %s: response headers: %w", a.ID, err)
	}
	if dest == nil {
		store.FillOlderAttempt(&a)
		return a, nil
	}
	a.Destination, a.Outcome, a.Answer = *dest, webhook.AttemptOutcome(deref(outcome)), deref(answer)
	return a, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Store) attempts(ctx context.Context, q string, args ...any) ([]webhook.Attempt, error) {
	rows, err := s.pool.Query(ctx, attemptSelect+q, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Attempt, error) { return scanAttempt(r) })
	return out, s.fail(err)
}

// AttemptList implements store.DeliveryStore.
func (s *Store) AttemptList(ctx context.Context, scope auth.Scope, deliveryID string) ([]webhook.Attempt, error) {
	if ok, err := s.visible(ctx, scope, "deliveries", deliveryID); !ok {
		return nil, err
	}
	return s.attempts(ctx, `WHERE delivery_id = $1 ORDER BY id`, deliveryID)
}

// AttemptListByWebhook implements store.DeliveryStore.
func (s *Store) AttemptListByWebhook(ctx context.Context, scope auth.Scope, webhookID string, limit int) ([]webhook.Attempt, error) {
	if ok, err := s.visible(ctx, scope, "webhooks", webhookID); !ok {
		return nil, err
	}
	return s.attempts(ctx, `WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, webhookID, store.PageLimit(limit))
}
