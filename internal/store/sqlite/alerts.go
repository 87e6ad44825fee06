package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const alertChannelColumns = `id, type, url, recipients, kinds, tenant, created_at`

func (s *Store) scanAlertChannel(r interface{ Scan(...any) error }) (alert.Channel, error) {
	var c alert.Channel
	var sealed, to, kinds string
	var created int64
	if err := r.Scan(&c.ID, &c.Type, &sealed, &to, &kinds, &c.Tenant, &created); err != nil {
		return c, err
	}
	c.CreatedAt = fromTS(created)
	if sealed != "" {
		u, err := s.sealer.Open(sealed)
		if err != nil {
			return c, fmt.Errorf("alert channel %s: open url: %w", c.ID, err)
		}
		c.URL = u
	}
	if err := json.Unmarshal([]byte(to), &c.To); err != nil {
		return c, err
	}
	if len(c.To) == 0 {
		c.To = nil
	}
	return c, json.Unmarshal([]byte(kinds), &c.Kinds)
}

// AlertChannelCreate implements store.AlertStore.
func (s *Store) AlertChannelCreate(ctx context.Context, c alert.Channel) error {
	sealed := ""
	if c.URL != "" {
		sealed = s.sealer.Seal(c.URL)
	}
	to, kinds := jsonList(c.To), jsonList(c.Kinds)
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO alert_channels (`+alertChannelColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Type, sealed, to, kinds, c.Tenant, ts(c.CreatedAt))
		return err
	})
}

// jsonList is a list as stored: a JSON array, never null.
func jsonList[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// AlertChannelGet implements store.AlertStore.
func (s *Store) AlertChannelGet(ctx context.Context, id string) (alert.Channel, error) {
	c, err := s.scanAlertChannel(s.rdb.QueryRowContext(ctx,
		`SELECT `+alertChannelColumns+` FROM alert_channels WHERE id = ?`, id))
	return c, notFound(err, "alert channel")
}

// AlertChannelList implements store.AlertStore.
func (s *Store) AlertChannelList(ctx context.Context) ([]alert.Channel, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+alertChannelColumns+` FROM alert_channels ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []alert.Channel
	for rows.Next() {
		c, err := s.scanAlertChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AlertChannelDelete implements store.AlertStore.
func (s *Store) AlertChannelDelete(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM alert_channels WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "alert channel not found"}
		}
		return nil
	})
}

// AlertOpen implements store.AlertStore.
func (s *Store) AlertOpen(ctx context.Context, p store.AlertOpenParams) (bool, error) {
	var opened bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO alert_states (webhook_id, kind, tenant, detail, opened_at, notice)
			VALUES (?, ?, ?, ?, ?, 'open')
			ON CONFLICT (webhook_id, kind) DO UPDATE SET tenant = excluded.tenant, detail = excluded.detail,
				opened_at = excluded.opened_at, closed_at = NULL, notice = 'open', notified = 0
			WHERE alert_states.closed_at IS NOT NULL`,
			p.WebhookID, string(p.Kind), p.Tenant, p.Detail, ts(p.Now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		opened = n == 1
		return err
	})
	return opened, err
}

// AlertResolve implements store.AlertStore.
func (s *Store) AlertResolve(ctx context.Context, webhookID string, kind alert.Kind, openedAt, now time.Time) (bool, error) {
	var closed bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE alert_states SET closed_at = ?,
				notice = CASE WHEN notified = 1 THEN 'recovery' ELSE '' END
			WHERE webhook_id = ? AND kind = ? AND opened_at = ? AND closed_at IS NULL`,
			ts(now), webhookID, string(kind), ts(openedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		closed = n == 1
		return err
	})
	return closed, err
}

// AlertClaim implements store.AlertStore.
func (s *Store) AlertClaim(ctx context.Context, p store.AlertClaimParams) (bool, error) {
	var claimed bool
	opening := p.Notice == alert.NoticeOpen
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE alert_states SET notice = '',
				notified = CASE WHEN ? THEN ? ELSE notified END,
				last_sent_at = CASE WHEN ? AND ? THEN ? ELSE last_sent_at END
			WHERE webhook_id = ? AND kind = ? AND notice = ?`,
			opening, p.Sent, opening, p.Sent, ts(p.Now), p.WebhookID, string(p.Kind), string(p.Notice))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	return claimed, err
}

// AlertList implements store.AlertStore.
func (s *Store) AlertList(ctx context.Context) ([]alert.State, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT webhook_id, kind, tenant, detail, opened_at, closed_at, notice,
			notified, last_sent_at
		FROM alert_states WHERE closed_at IS NULL OR notice <> '' ORDER BY opened_at, webhook_id, kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []alert.State
	for rows.Next() {
		var a alert.State
		var opened int64
		var closed, sent sql.NullInt64
		if err := rows.Scan(&a.WebhookID, &a.Kind, &a.Tenant, &a.Detail, &opened, &closed, &a.Notice,
			&a.Notified, &sent); err != nil {
			return nil, err
		}
		a.OpenedAt, a.ClosedAt, a.LastSentAt = fromTS(opened), fromNullTS(closed), fromNullTS(sent)
		out = append(out, a)
	}
	return out, rows.Err()
}

// attemptSuccess is the SQL of webhook.Attempt.Success.
const attemptSuccess = `(error_class = '' AND (status_code BETWEEN 200 AND 299 OR COALESCE(destination, 'http') <> 'http'))`

// AttemptFailureRates implements store.AlertStore.
func (s *Store) AttemptFailureRates(ctx context.Context, since time.Time, minAttempts int) ([]store.FailureRate, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT a.webhook_id, COALESCE(w.tenant, ''), a.n, a.failed FROM (
			SELECT webhook_id, count(*) AS n, sum(CASE WHEN `+attemptSuccess+` THEN 0 ELSE 1 END) AS failed
			FROM attempts WHERE started_at >= ? AND test = 0 AND error_class <> ?
				AND webhook_id IN (SELECT id FROM webhooks WHERE last_failure_at >= ?)
			GROUP BY webhook_id HAVING count(*) >= ?) a
		LEFT JOIN webhooks w ON w.id = a.webhook_id ORDER BY a.webhook_id`,
		ts(since), string(webhook.ErrClassCancelled), ts(since), max(minAttempts, 1))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.FailureRate
	for rows.Next() {
		var r store.FailureRate
		if err := rows.Scan(&r.WebhookID, &r.Tenant, &r.Attempts, &r.Failed); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AttemptSucceededSince implements store.AlertStore.
func (s *Store) AttemptSucceededSince(ctx context.Context, webhookID string, t time.Time) (bool, error) {
	var ok bool
	err := s.rdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM attempts
		WHERE webhook_id = ? AND started_at > ? AND test = 0 AND `+attemptSuccess+`)`, webhookID, ts(t)).Scan(&ok)
	return ok, err
}
