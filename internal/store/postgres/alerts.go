package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const alertChannelColumns = `id, type, url, recipients, kinds, tenant, created_at`

func (s *Store) scanAlertChannel(r scanner) (alert.Channel, error) {
	var c alert.Channel
	var sealed string
	var to, kinds []byte
	if err := r.Scan(&c.ID, &c.Type, &sealed, &to, &kinds, &c.Tenant, &c.CreatedAt); err != nil {
		return c, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if sealed != "" {
		u, err := s.sealer.Open(sealed)
		if err != nil {
			return c, fmt.Errorf("alert channel %s: open url: %w", c.ID, err)
		}
		c.URL = u
	}
	if err := json.Unmarshal(to, &c.To); err != nil {
		return c, err
	}
	if len(c.To) == 0 {
		c.To = nil
	}
	return c, json.Unmarshal(kinds, &c.Kinds)
}

// jsonList is a list as stored: a JSON array, never null.
func jsonList[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// AlertChannelCreate implements store.AlertStore.
func (s *Store) AlertChannelCreate(ctx context.Context, c alert.Channel) error {
	sealed := ""
	if c.URL != "" {
		sealed = s.sealer.Seal(c.URL)
	}
	_, err := s.exec(ctx, `INSERT INTO alert_channels (`+alertChannelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.Type, sealed, jsonList(c.To), jsonList(c.Kinds), c.Tenant, c.CreatedAt)
	return err
}

// AlertChannelGet implements store.AlertStore.
func (s *Store) AlertChannelGet(ctx context.Context, id string) (alert.Channel, error) {
	c, err := s.scanAlertChannel(s.pool.QueryRow(ctx,
		`SELECT `+alertChannelColumns+` FROM alert_channels WHERE id = $1`, id))
	return c, s.notFound(err, "alert channel")
}

// AlertChannelList implements store.AlertStore.
func (s *Store) AlertChannelList(ctx context.Context) ([]alert.Channel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertChannelColumns+` FROM alert_channels ORDER BY created_at, id`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.Channel, error) { return s.scanAlertChannel(r) })
	return out, s.fail(err)
}

// AlertChannelDelete implements store.AlertStore.
func (s *Store) AlertChannelDelete(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM alert_channels WHERE id = $1`, id)
	if err == nil && n == 0 {
		return &webhook.Error{Code: webhook.ENOTFOUND, Message: "alert channel not found"}
	}
	return err
}

// AlertOpen implements store.AlertStore.
func (s *Store) AlertOpen(ctx context.Context, p store.AlertOpenParams) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO alert_states (webhook_id, kind, tenant, detail, opened_at, notice)
		VALUES ($1, $2, $3, $4, $5, 'open')
		ON CONFLICT (webhook_id, kind) DO UPDATE SET tenant = excluded.tenant, detail = excluded.detail,
			opened_at = excluded.opened_at, closed_at = NULL, notice = 'open', notified = false
		WHERE alert_states.closed_at IS NOT NULL`,
		p.WebhookID, string(p.Kind), p.Tenant, p.Detail, p.Now)
	return n == 1, err
}

// AlertResolve implements store.AlertStore.
func (s *Store) AlertResolve(ctx context.Context, webhookID string, kind alert.Kind, openedAt, now time.Time) (bool, error) {
	n, err := s.exec(ctx, `UPDATE alert_states SET closed_at = $1,
			notice = CASE WHEN notified THEN 'recovery' ELSE '' END
		WHERE webhook_id = $2 AND kind = $3 AND opened_at = $4 AND closed_at IS NULL`,
		now, webhookID, string(kind), openedAt)
	return n == 1, err
}

// AlertClaim implements store.AlertStore.
func (s *Store) AlertClaim(ctx context.Context, p store.AlertClaimParams) (bool, error) {
	opening := p.Notice == alert.NoticeOpen
	n, err := s.exec(ctx, `UPDATE alert_states SET notice = '',
			notified = CASE WHEN $1 THEN $2 ELSE notified END,
			last_sent_at = CASE WHEN $1 AND $2 THEN $3 ELSE last_sent_at END
		WHERE webhook_id = $4 AND kind = $5 AND notice = $6`,
		opening, p.Sent, p.Now, p.WebhookID, string(p.Kind), string(p.Notice))
	return n == 1, err
}

// AlertList implements store.AlertStore.
func (s *Store) AlertList(ctx context.Context) ([]alert.State, error) {
	rows, err := s.pool.Query(ctx, `SELECT webhook_id, kind, tenant, detail, opened_at, closed_at, notice,
			notified, last_sent_at
		FROM alert_states WHERE closed_at IS NULL OR notice <> '' ORDER BY opened_at, webhook_id, kind`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (alert.State, error) {
		var a alert.State
		err := r.Scan(&a.WebhookID, &a.Kind, &a.Tenant, &a.Detail, &a.OpenedAt, &a.ClosedAt, &a.Notice,
			&a.Notified, &a.LastSentAt)
		a.OpenedAt = a.OpenedAt.UTC()
		if a.ClosedAt != nil {
			*a.ClosedAt = a.ClosedAt.UTC()
		}
		if a.LastSentAt != nil {
			*a.LastSentAt = a.LastSentAt.UTC()
		}
		return a, err
	})
	return out, s.fail(err)
}

// attemptSuccess is the SQL of webhook.Attempt.Success.
const attemptSuccess = `(error_class = '' AND (status_code BETWEEN 200 AND 299 OR COALESCE(destination, 'http') <> 'http'))`

// AttemptFailureRates implements store.AlertStore.
func (s *Store) AttemptFailureRates(ctx context.Context, since time.Time, minAttempts int) ([]store.FailureRate, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.webhook_id, COALESCE(w.tenant, ''), a.n, a.failed FROM (
			SELECT webhook_id, count(*) AS n, count(*) FILTER (WHERE NOT `+attemptSuccess+`) AS failed
			FROM attempts WHERE started_at >= $1 AND NOT test AND error_class <> $2
				AND webhook_id IN (SELECT id FROM webhooks WHERE last_failure_at >= $1)
			GROUP BY webhook_id HAVING count(*) >= $3) a
		LEFT JOIN webhooks w ON w.id = a.webhook_id ORDER BY a.webhook_id`,
		since, string(webhook.ErrClassCancelled), max(minAttempts, 1))
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FailureRate, error) {
		var f store.FailureRate
		err := r.Scan(&f.WebhookID, &f.Tenant, &f.Attempts, &f.Failed)
		return f, err
	})
	return out, s.fail(err)
}

// AttemptSucceededSince implements store.AlertStore.
func (s *Store) AttemptSucceededSince(ctx context.Context, webhookID string, t time.Time) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM attempts
		WHERE webhook_id = $1 AND started_at > $2 AND NOT test AND `+attemptSuccess+`)`, webhookID, t).Scan(&ok)
	return ok, s.fail(err)
}
