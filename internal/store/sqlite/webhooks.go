package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const webhookColumns = `id, tenant, name, url, description, events, active, headers, format,
	integration, disabled_reason, created_at, updated_at, stat_deliveries, stat_attempts,
	stat_succeeded, stat_failed, last_success_at, last_failure_at, failing_since, destination_type,
	secret_headers, filter, signature, destination, ordering, ordering_key, rate_per_second,
	rate_per_minute, stat_throttled, transform`

type scanner interface{ Scan(dest ...any) error }

// scanWebhook reads a row of webhookColumns; sealer opens the sealed
// destination URL.
func scanWebhook(sealer store.Sealer, r scanner) (webhook.Webhook, error) {
	var w webhook.Webhook
	var events, headers, format, secret string
	var active int
	var created, updated int64
	var lastOK, lastFail, failing sql.NullInt64
	var filter, dest, transform sql.NullString
	var perSecond, perMinute int
	err := r.Scan(&w.ID, &w.Tenant, &w.Name, &w.URL, &w.Description, &events, &active, &headers,
		&format, &w.Integration, &w.DisabledReason, &created, &updated, &w.Stats.Deliveries,
		&w.Stats.Attempts, &w.Stats.Succeeded, &w.Stats.Failed, &lastOK, &lastFail, &failing,
		&w.Destination.Type, &secret, &filter, &w.Signature, &dest,
		&w.Ordering, &w.OrderingKey, &perSecond, &perMinute, &w.Stats.Throttled, &transform)
	if err != nil {
		return w, err
	}
	w.Transform = transform.String
	if dest.Valid {
		if err := store.OpenDestination(sealer, dest.String, &w.Destination); err != nil {
			return w, fmt.Errorf("webhook %s: %w", w.ID, err)
		}
	}
	if filter.Valid {
		w.Filter = json.RawMessage(filter.String)
	}
	if err := json.Unmarshal([]byte(secret), &w.SecretHeaders); err != nil {
		return w, fmt.Errorf("webhook %s: decode secret headers: %w", w.ID, err)
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return w, fmt.Errorf("webhook %s: decode events: %w", w.ID, err)
	}
	if w.Headers, err = store.OpenHeaders(sealer, headers); err != nil {
		return w, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	w.Active = active == 1
	w.Format = webhook.Format(format)
	w.RateLimit = store.RateLimitOf(perSecond, perMinute)
	w.CreatedAt, w.UpdatedAt = fromTS(created), fromTS(updated)
	w.Stats.LastSuccessAt, w.Stats.LastFailureAt = fromNullTS(lastOK), fromNullTS(lastFail)
	w.Stats.FailingSince = fromNullTS(failing)
	return w, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of strings and string slices reach here.
		panic(fmt.Sprintf("sqlite: marshal %T: %v", v, err))
	}
	return string(b)
}

func headersOrEmpty(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WebhookCreate implements store.WebhookStore.
func (s *Store) WebhookCreate(ctx context.Context, w webhook.Webhook, secret string) error {
	sealed := s.sealer.Seal(secret)
	perSecond, perMinute := store.RateColumns(w)
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO webhooks (id, tenant, name, url, description, events, active,
			headers, format, integration, disabled_reason, secret, created_at, updated_at, destination_type,
			secret_headers, filter, signature, destination, ordering, ordering_key, rate_per_second, rate_per_minute, transform)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.Tenant, w.Name, w.URL, w.Description, jsonText(w.Events), boolInt(w.Active),
			store.SealHeaders(s.sealer, w.Headers), string(w.Format), w.Integration, w.DisabledReason,
			sealed, ts(w.CreatedAt), ts(w.UpdatedAt), store.DestinationType(w), jsonText(stringsOrEmpty(w.SecretHeaders)),
			nullFilter(w.Filter), store.SignatureScheme(w), s.nullDestination(w.Destination),
			store.OrderingMode(w), w.OrderingKey, perSecond, perMinute, nullText(w.Transform))
		if err != nil {
			return err
		}
		if err := ensureTenant(tx, w.Tenant, w.CreatedAt); err != nil {
			return err
		}
		return writeSubscriptions(tx, w)
	})
}

func writeSubscriptions(tx *sql.Tx, w webhook.Webhook) error {
	if _, err := tx.Exec(`DELETE FROM subscriptions WHERE webhook_id = ?`, w.ID); err != nil {
		return err
	}
	for _, e := range w.Events {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO subscriptions (tenant, event_type, webhook_id)
			VALUES (?, ?, ?)`, w.Tenant, e, w.ID); err != nil {
			return err
		}
	}
	return nil
}

// WebhookGet implements store.WebhookStore.
func (s *Store) WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`+inScope, id, scopeAll(scope), scope.Tenant())
	w, err := scanWebhook(s.sealer, row)
	return w, notFound(err, "webhook")
}

// WebhookList implements store.WebhookStore.
func (s *Store) WebhookList(ctx context.Context, p store.WebhookListParams) (store.WebhookPage, error) {
	where := []string{"(? = 1 OR tenant = ?)"}
	args := []any{scopeAll(p.Scope), p.Scope.Tenant()}
	if p.Tenant != "" {
		where = append(where, "tenant = ?")
		args = append(args, p.Tenant)
	}
	if p.EventType != "" {
		where = append(where, "id IN (SELECT webhook_id FROM subscriptions WHERE event_type IN (?, ?))")
		args = append(args, p.EventType, webhook.Wildcard(p.EventType))
	}
	if p.Active != nil {
		where = append(where, "active = ?")
		args = append(args, boolInt(*p.Active))
	}
	if p.Search != "" {
		where = append(where, "(instr(lower(name), lower(?)) > 0 OR instr(lower(url), lower(?)) > 0)")
		args = append(args, p.Search, p.Search)
	}
	if p.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, p.Cursor)
	}
	q := `SELECT ` + webhookColumns + ` FROM webhooks WHERE ` + strings.Join(where, " AND ")
	limit := store.PageLimit(p.Limit)
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return store.WebhookPage{}, err
	}
	defer rows.Close()
	var page store.WebhookPage
	for rows.Next() {
		w, err := scanWebhook(s.sealer, rows)
		if err != nil {
			return page, err
		}
		page.Webhooks = append(page.Webhooks, w)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Webhooks) > limit {
		page.Webhooks = page.Webhooks[:limit]
		page.Next = page.Webhooks[limit-1].ID
	}
	return page, nil
}

// WebhookUpdate implements store.WebhookStore.
func (s *Store) WebhookUpdate(ctx context.Context, scope auth.Scope, w webhook.Webhook) error {
	perSecond, perMinute := store.RateColumns(w)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE webhooks SET name = ?, url = ?, description = ?, events = ?,
			active = ?, headers = ?, format = ?, integration = ?, disabled_reason = ?, updated_at = ?,
			destination_type = ?, secret_headers = ?, filter = ?, signature = ?, destination = ?,
			ordering = ?, ordering_key = ?, rate_per_second = ?, rate_per_minute = ?, transform = ?
			WHERE id = ?`+inScope,
			w.Name, w.URL, w.Description, jsonText(w.Events), boolInt(w.Active),
			store.SealHeaders(s.sealer, w.Headers), string(w.Format), w.Integration, w.DisabledReason,
			ts(w.UpdatedAt), store.DestinationType(w), jsonText(stringsOrEmpty(w.SecretHeaders)), nullFilter(w.Filter), store.SignatureScheme(w),
			s.nullDestination(w.Destination), store.OrderingMode(w), w.OrderingKey, perSecond, perMinute,
			nullText(w.Transform), w.ID,
			scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "webhook not found"}
		}
		if store.OrderingMode(w) != webhook.OrderingFIFO {
			// No ordering any more: what waits goes in parallel now.
			if _, err := tx.Exec(`UPDATE deliveries SET seq = NULL, ordering_key = NULL,
				next_attempt_at = COALESCE(next_attempt_at, ?)
				WHERE webhook_id = ? AND status = 'pending' AND seq IS NOT NULL`, ts(w.UpdatedAt), w.ID); err != nil {
				return err
			}
		}
		// Re-read the tenant: it is not editable.
		if err := tx.QueryRow(`SELECT tenant FROM webhooks WHERE id = ?`, w.ID).Scan(&w.Tenant); err != nil {
			return err
		}
		return writeSubscriptions(tx, w)
	})
}

// WebhookDelete implements store.WebhookStore.
func (s *Store) WebhookDelete(ctx context.Context, scope auth.Scope, id string) error {
	now := ts(time.Now())
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM webhooks WHERE id = ?`+inScope, id, scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "webhook not found"}
		}
		_, err = tx.Exec(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL,
			lease_owner = NULL, last_error = 'webhook deleted', updated_at = ?
			WHERE webhook_id = ? AND status = 'pending'`, now, id)
		return err
	})
}

// WebhookDisable implements store.WebhookStore.
func (s *Store) WebhookDisable(ctx context.Context, scope auth.Scope, id, reason string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE webhooks SET active = 0, disabled_reason = ?, updated_at = ?
			WHERE id = ?`+inScope, reason, ts(now), id, scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "webhook not found"}
		}
		return nil
	})
}

// WebhookSecrets implements store.WebhookStore.
func (s *Store) WebhookSecrets(ctx context.Context, scope auth.Scope, id string, now time.Time) ([]webhook.Secret, error) {
	var cur string
	var prev sql.NullString
	var until sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT secret, prev_secret, prev_secret_until FROM webhooks
		WHERE id = ?`+inScope, id, scopeAll(scope), scope.Tenant()).Scan(&cur, &prev, &until)
	if err != nil {
		return nil, notFound(err, "webhook")
	}
	plain, err := s.sealer.Open(cur)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: open secret: %w", id, err)
	}
	out := []webhook.Secret{{Value: plain}}
	if prev.Valid && until.Valid && until.Int64 > ts(now) {
		p, err := s.sealer.Open(prev.String)
		if err != nil {
			return nil, fmt.Errorf("webhook %s: open previous secret: %w", id, err)
		}
		out = append(out, webhook.Secret{Value: p, ExpiresAt: fromNullTS(until)})
	}
	return out, nil
}

// WebhookRotateSecret implements store.WebhookStore.
func (s *Store) WebhookRotateSecret(ctx context.Context, scope auth.Scope, id, secret string, previousUntil time.Time) error {
	sealed := s.sealer.Seal(secret)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE webhooks SET prev_secret = secret, prev_secret_until = ?,
			secret = ?, updated_at = ? WHERE id = ?`+inScope, ts(previousUntil), sealed, ts(time.Now()), id,
			scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "webhook not found"}
		}
		return nil
	})
}

// WebhookFailingSince implements store.WebhookStore.
func (s *Store) WebhookFailingSince(ctx context.Context, t time.Time) ([]webhook.Webhook, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE active = 1 AND failing_since IS NOT NULL AND failing_since < ?`, ts(t))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.Webhook
	for rows.Next() {
		w, err := scanWebhook(s.sealer, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// nullText is an optional text column as stored: NULL for "".
func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullFilter is a webhook's filter as stored: NULL for none.
func nullFilter(f json.RawMessage) any {
	if len(f) == 0 {
		return nil
	}
	return string(f)
}

// nullDestination is a webhook's destination configuration as stored:
// sealed JSON, or NULL for one that has only a type.
func (s *Store) nullDestination(d webhook.Destination) any {
	if text, ok := store.SealDestination(s.sealer, d); ok {
		return text
	}
	return nil
}

// sealPlainHeaders seals, in one transaction, the headers of rows written
// before headers were sealed.
func sealPlainHeaders(db *sql.DB, sealer store.Sealer) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite: seal webhook headers: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT id, headers FROM webhooks WHERE headers LIKE '{%' AND headers <> '{}'`)
	if err != nil {
		return fmt.Errorf("sqlite: seal webhook headers: %w", err)
	}
	plain := map[string]string{}
	for rows.Next() {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: seal webhook headers: %w", err)
		}
		plain[id] = h
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: seal webhook headers: %w", err)
	}
	if len(plain) == 0 {
		return nil
	}
	for id, text := range plain {
		h, err := store.OpenHeaders(sealer, text)
		if err != nil {
			return fmt.Errorf("sqlite: webhook %s: %w", id, err)
		}
		if _, err := tx.Exec(`UPDATE webhooks SET headers = ? WHERE id = ?`, store.SealHeaders(sealer, h), id); err != nil {
			return fmt.Errorf("sqlite: seal webhook headers: %w", err)
		}
	}
	return tx.Commit()
}
