package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// webhookColumns reads a webhook as w; stats.deliveries is the sum of its
// counter shards.
const webhookColumns = `w.id, w.tenant, w.name, w.url, w.description, w.events, w.active, w.headers,
	w.format, w.integration, w.disabled_reason, w.created_at, w.updated_at,
	(SELECT COALESCE(sum(c.deliveries), 0)::bigint FROM webhook_counters c WHERE c.webhook_id = w.id),
	w.stat_attempts, w.stat_succeeded, w.stat_failed, w.last_success_at, w.last_failure_at, w.failing_since,
	w.destination_type, w.secret_headers, w.filter, w.signature, w.destination,
	w.ordering, w.ordering_key, w.rate_per_second, w.rate_per_minute, w.stat_throttled, w.transform`

// scanWebhook reads a row of webhookColumns; sealer opens the sealed
// destination URL.
func scanWebhook(sealer store.Sealer, r scanner) (webhook.Webhook, error) {
	var w webhook.Webhook
	var format string
	var filter, dest, transform *string
	var headers []byte
	var perSecond, perMinute int
	err := r.Scan(&w.ID, &w.Tenant, &w.Name, &w.URL, &w.Description, &w.Events, &w.Active, &headers,
		&format, &w.Integration, &w.DisabledReason, &w.CreatedAt, &w.UpdatedAt, &w.Stats.Deliveries,
		&w.Stats.Attempts, &w.Stats.Succeeded, &w.Stats.Failed, &w.Stats.LastSuccessAt,
		&w.Stats.LastFailureAt, &w.Stats.FailingSince, &w.Destination.Type, &w.SecretHeaders, &filter, &w.Signature, &dest,
		&w.Ordering, &w.OrderingKey, &perSecond, &perMinute, &w.Stats.Throttled, &transform)
	if err != nil {
		return w, err
	}
	if transform != nil {
		w.Transform = *transform
	}
	if dest != nil {
		if err := store.OpenDestination(sealer, *dest, &w.Destination); err != nil {
			return w, fmt.Errorf("webhook %s: %w", w.ID, err)
		}
	}
	if filter != nil {
		w.Filter = json.RawMessage(*filter)
	}
	if w.Headers, err = openHeaders(sealer, headers); err != nil {
		return w, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	w.Format = webhook.Format(format)
	w.RateLimit = store.RateLimitOf(perSecond, perMinute)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	w.Stats.LastSuccessAt, w.Stats.LastFailureAt = utcPtr(w.Stats.LastSuccessAt), utcPtr(w.Stats.LastFailureAt)
	w.Stats.FailingSince = utcPtr(w.Stats.FailingSince)
	return w, nil
}

// sealHeaders is the jsonb value of a webhook's headers: a JSON string
// holding them sealed (store.SealHeaders), or {} for none.
func sealHeaders(s store.Sealer, h map[string]string) json.RawMessage {
	text := store.SealHeaders(s, h)
	if text == "{}" {
		return json.RawMessage(text)
	}
	b, _ := json.Marshal(text) // a string always marshals
	return b
}

// openHeaders reads the jsonb value of sealHeaders, or the plain object of
// rows written before headers were sealed.
func openHeaders(s store.Sealer, raw []byte) (map[string]string, error) {
	var sealed string
	if json.Unmarshal(raw, &sealed) == nil {
		return store.OpenHeaders(s, sealed)
	}
	return store.OpenHeaders(s, string(raw))
}

func headersOrEmpty(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}

// mustAffect is a batch callback: no row changed means no such what.
func mustAffect(what string) func(pgconn.CommandTag) error {
	return func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return errNotFound(what)
		}
		return nil
	}
}

// queueSubscriptions rewrites the subscription index of webhook id from its
// stored tenant and the given event types.
func queueSubscriptions(b *pgx.Batch, id string, events []string) {
	b.Queue(`DELETE FROM subscriptions WHERE webhook_id = $1`, id)
	b.Queue(`INSERT INTO subscriptions (tenant, event_type, webhook_id)
		SELECT DISTINCT w.tenant, e, w.id FROM webhooks w, unnest($2::text[]) AS e WHERE w.id = $1`,
		id, nonNilStrings(events))
}

// WebhookCreate implements store.WebhookStore.
func (s *Store) WebhookCreate(ctx context.Context, w webhook.Webhook, secret string) error {
	sealed := s.sealer.Seal(secret)
	perSecond, perMinute := store.RateColumns(w)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`INSERT INTO webhooks (id, tenant, name, url, description, events, active, headers, format,
			integration, disabled_reason, secret, created_at, updated_at, destination_type, secret_headers, filter,
			signature, destination, ordering, ordering_key, rate_per_second, rate_per_minute, transform)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
				$20, $21, $22, $23, $24)`,
			w.ID, w.Tenant, w.Name, w.URL, w.Description, nonNilStrings(w.Events), w.Active,
			sealHeaders(s.sealer, w.Headers), string(w.Format), w.Integration, w.DisabledReason, sealed,
			w.CreatedAt, w.UpdatedAt, store.DestinationType(w), nonNilStrings(w.SecretHeaders), filterText(w.Filter),
			store.SignatureScheme(w), s.destinationText(w.Destination), store.OrderingMode(w), w.OrderingKey,
			perSecond, perMinute, optionalText(w.Transform))
		b.Queue(qTenantEnsure, w.Tenant, w.CreatedAt)
		queueSubscriptions(&b, w.ID, w.Events)
		s.queueWebhookNotice(&b, w.ID)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// WebhookGet implements store.WebhookStore.
func (s *Store) WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error) {
	w, err := scanWebhook(s.sealer, s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = $1`+inScope("w.tenant", 2),
		id, scope.All(), scope.Tenant()))
	return w, s.notFound(err, "webhook")
}

// WebhookList implements store.WebhookStore.
func (s *Store) WebhookList(ctx context.Context, p store.WebhookListParams) (store.WebhookPage, error) {
	var wh where
	wh.scope("w.tenant", p.Scope)
	if p.Tenant != "" {
		wh.add("w.tenant = ?", p.Tenant)
	}
	if p.EventType != "" {
		typ, wildcard := wh.arg(p.EventType), wh.arg(webhook.Wildcard(p.EventType))
		wh.conds = append(wh.conds, "w.id IN (SELECT webhook_id FROM subscriptions WHERE event_type IN ("+typ+", "+wildcard+"))")
	}
	if p.Active != nil {
		wh.add("w.active = ?", *p.Active)
	}
	if p.Search != "" {
		// strpos, not LIKE: the search is a literal substring.
		wh.add("(strpos(lower(w.name), lower(?)) > 0 OR strpos(lower(w.url), lower(?)) > 0)", p.Search)
	}
	if p.Cursor != "" {
		wh.add("w.id < ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	q := `SELECT ` + webhookColumns + ` FROM webhooks w` + wh.String() + ` ORDER BY w.id DESC LIMIT ` + wh.arg(limit+1)
	var page store.WebhookPage
	var err error
	page.Webhooks, err = s.webhooks(ctx, q, wh.args...)
	if err != nil {
		return store.WebhookPage{}, err
	}
	if len(page.Webhooks) > limit {
		page.Webhooks = page.Webhooks[:limit]
		page.Next = page.Webhooks[limit-1].ID
	}
	return page, nil
}

func (s *Store) webhooks(ctx context.Context, q string, args ...any) ([]webhook.Webhook, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Webhook, error) { return scanWebhook(s.sealer, r) })
	return out, s.fail(err)
}

// WebhookUpdate implements store.WebhookStore.
func (s *Store) WebhookUpdate(ctx context.Context, scope auth.Scope, w webhook.Webhook) error {
	perSecond, perMinute := store.RateColumns(w)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`UPDATE webhooks SET name = $1, url = $2, description = $3, events = $4, active = $5,
			headers = $6, format = $7, integration = $8, disabled_reason = $9, updated_at = $10,
			destination_type = $11, secret_headers = $12, filter = $16, signature = $17, destination = $18,
			ordering = $19, ordering_key = $20, rate_per_second = $21, rate_per_minute = $22, transform = $23
			WHERE id = $13`+inScope("tenant", 14),
			w.Name, w.URL, w.Description, nonNilStrings(w.Events), w.Active, sealHeaders(s.sealer, w.Headers),
			string(w.Format), w.Integration, w.DisabledReason, w.UpdatedAt, store.DestinationType(w),
			nonNilStrings(w.SecretHeaders), w.ID, scope.All(), scope.Tenant(), filterText(w.Filter), store.SignatureScheme(w),
			s.destinationText(w.Destination), store.OrderingMode(w), w.OrderingKey, perSecond, perMinute,
			optionalText(w.Transform)).Exec(mustAffect("webhook"))
		if store.OrderingMode(w) != webhook.OrderingFIFO {
			// No ordering any more: what waits goes in parallel now.
			b.Queue(`UPDATE deliveries SET seq = NULL, ordering_key = NULL, next_attempt_at = COALESCE(next_attempt_at, $2)
				WHERE webhook_id = $1 AND status = 'pending' AND seq IS NOT NULL`, w.ID, w.UpdatedAt)
		}
		queueSubscriptions(&b, w.ID, w.Events)
		s.queueWebhookNotice(&b, w.ID)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// WebhookDelete implements store.WebhookStore. Deleting the row waits for
// ingests holding it (they lock the webhooks they match), so the update
// after it sees, and fails, every delivery they made.
func (s *Store) WebhookDelete(ctx context.Context, scope auth.Scope, id string) error {
	now := time.Now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`DELETE FROM webhooks WHERE id = $1`+inScope("tenant", 2), id, scope.All(), scope.Tenant()).
			Exec(mustAffect("webhook"))
		b.Queue(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL,
			last_error = 'webhook deleted', updated_at = $2
			WHERE webhook_id = $1 AND status = 'pending'`, id, now)
		b.Queue(`DELETE FROM fifo_sequences WHERE webhook_id = $1`, id)
		s.queueWebhookNotice(&b, id)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// WebhookDisable implements store.WebhookStore.
func (s *Store) WebhookDisable(ctx context.Context, scope auth.Scope, id, reason string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`UPDATE webhooks SET active = false, disabled_reason = $1, updated_at = $2 WHERE id = $3`+inScope("tenant", 4),
			reason, now, id, scope.All(), scope.Tenant()).Exec(mustAffect("webhook"))
		s.queueWebhookNotice(&b, id)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// WebhookSecrets implements store.WebhookStore.
func (s *Store) WebhookSecrets(ctx context.Context, scope auth.Scope, id string, now time.Time) ([]webhook.Secret, error) {
	var cur string
	var prev *string
	var until *time.Time
	err := s.pool.QueryRow(ctx, `SELECT secret, prev_secret, prev_secret_until FROM webhooks WHERE id = $1`+inScope("tenant", 2),
		id, scope.All(), scope.Tenant()).Scan(&cur, &prev, &until)
	if err != nil {
		return nil, s.notFound(err, "webhook")
	}
	plain, err := s.sealer.Open(cur)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: open secret: %w", id, err)
	}
	out := []webhook.Secret{{Value: plain}}
	if prev != nil && until != nil && until.After(now) {
		p, err := s.sealer.Open(*prev)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: open previous secret: %w", id, err)
		}
		out = append(out, webhook.Secret{Value: p, ExpiresAt: utcPtr(until)})
	}
	return out, nil
}

// WebhookRotateSecret implements store.WebhookStore.
func (s *Store) WebhookRotateSecret(ctx context.Context, scope auth.Scope, id, secret string, previousUntil time.Time) error {
	sealed := s.sealer.Seal(secret)
	now := time.Now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`UPDATE webhooks SET prev_secret = secret, prev_secret_until = $1, secret = $2, updated_at = $3
			WHERE id = $4`+inScope("tenant", 5), previousUntil, sealed, now, id, scope.All(), scope.Tenant()).Exec(mustAffect("webhook"))
		s.queueWebhookNotice(&b, id)
		return tx.SendBatch(ctx, &b).Close()
	})
}

// WebhookFailingSince implements store.WebhookStore.
func (s *Store) WebhookFailingSince(ctx context.Context, t time.Time) ([]webhook.Webhook, error) {
	return s.webhooks(ctx, `SELECT `+webhookColumns+` FROM webhooks w
		WHERE w.active AND w.failing_since IS NOT NULL AND w.failing_since < $1 ORDER BY w.id`, t)
}

// optionalText is an optional text column as stored: NULL for "".
func optionalText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// filterText is a webhook's filter as stored: NULL for none.
func filterText(f json.RawMessage) *string {
	if len(f) == 0 {
		return nil
	}
	s := string(f)
	return &s
}

// destinationText is a webhook's destination configuration as stored:
// sealed JSON, or nil (NULL) for one that has only a type.
func (s *Store) destinationText(d webhook.Destination) *string {
	if text, ok := store.SealDestination(s.sealer, d); ok {
		return &text
	}
	return nil
}

// sealPlainHeaders seals the headers of rows written before headers were
// sealed. Instances starting together may both try: each row changes only
// while it still holds the plain object read.
func (s *Store) sealPlainHeaders(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT id, headers FROM webhooks
		WHERE jsonb_typeof(headers) = 'object' AND headers <> '{}'::jsonb`)
	if err != nil {
		return err
	}
	type plain struct {
		id  string
		raw []byte
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plain, error) {
		var p plain
		return p, r.Scan(&p.id, &p.raw)
	})
	if err != nil {
		return err
	}
	for _, p := range found {
		h, err := store.OpenHeaders(s.sealer, string(p.raw))
		if err != nil {
			return fmt.Errorf("webhook %s: %w", p.id, err)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE webhooks SET headers = $1 WHERE id = $2 AND headers = $3::jsonb`,
			sealHeaders(s.sealer, h), p.id, p.raw); err != nil {
			return err
		}
	}
	return nil
}
