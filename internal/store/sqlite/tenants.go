package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	// qTenantEnsure creates a tenant named after its ID unless it exists.
	qTenantEnsure = `INSERT INTO tenants (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	qTenantExists = `SELECT 1 FROM tenants WHERE id = ?`
)

func init() {
	hotQueries = append(hotQueries, qTenantEnsure, qTenantExists)
}

// tenantColumns reads a tenant of t with its counts.
const tenantColumns = `t.id, t.name, t.contact_email, t.branding, t.metadata, t.created_at, t.updated_at,
	(SELECT count(*) FROM webhooks w WHERE w.tenant = t.id),
	(SELECT count(*) FROM webhooks w WHERE w.tenant = t.id AND w.active = 1 AND w.failing_since IS NOT NULL)`

func scanTenant(r scanner) (webhook.Tenant, error) {
	var t webhook.Tenant
	var branding sql.NullString
	var metadata string
	var created, updated int64
	err := r.Scan(&t.ID, &t.Name, &t.ContactEmail, &branding, &metadata, &created, &updated,
		&t.Webhooks, &t.FailingWebhooks)
	if err != nil {
		return t, err
	}
	if branding.Valid {
		t.Branding = new(webhook.Branding)
		if err := json.Unmarshal([]byte(branding.String), t.Branding); err != nil {
			return t, fmt.Errorf("tenant %s: decode branding: %w", t.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(metadata), &t.Metadata); err != nil {
		return t, fmt.Errorf("tenant %s: decode metadata: %w", t.ID, err)
	}
	t.CreatedAt, t.UpdatedAt = fromTS(created), fromTS(updated)
	return t, nil
}

// brandingText stores no branding as NULL.
func brandingText(b *webhook.Branding) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: jsonText(b), Valid: true}
}

// ensureTenant gives tenant a row, named after its ID, unless it has one.
func ensureTenant(tx *sql.Tx, tenant string, now time.Time) error {
	_, err := tx.Exec(qTenantEnsure, tenant, tenant, ts(now), ts(now))
	return err
}

// tenantForEvent makes sure ev's tenant has a row: it creates one, or with
// mustExist refuses the event when there is none.
func (s *Store) tenantForEvent(tx *sql.Tx, ev webhook.Event, mustExist bool) error {
	if !mustExist {
		// A tenant made sure of in the last seconds keeps its row (a
		// delete forgets it): no statement.
		if s.deferred.tenantKnown(ev.Tenant, time.Now()) {
			return nil
		}
		if _, err := s.exec(tx, qTenantEnsure, ev.Tenant, ev.Tenant, ts(ev.CreatedAt), ts(ev.CreatedAt)); err != nil {
			return err
		}
		s.deferred.tenantEnsured(ev.Tenant)
		return nil
	}
	rows, err := s.query(tx, qTenantExists, ev.Tenant)
	if err != nil {
		return err
	}
	found := rows.Next()
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return store.ErrUnknownTenant(ev.Tenant)
	}
	return nil
}

// TenantCreate implements store.TenantStore.
func (s *Store) TenantCreate(ctx context.Context, t webhook.Tenant) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO tenants (id, name, contact_email, branding, metadata, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			t.ID, t.Name, t.ContactEmail, brandingText(t.Branding), jsonText(headersOrEmpty(t.Metadata)),
			ts(t.CreatedAt), ts(t.UpdatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrTenantExists(t.ID)
		}
		return nil
	})
}

// TenantGet implements store.TenantStore.
func (s *Store) TenantGet(ctx context.Context, id string) (webhook.Tenant, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants t WHERE t.id = ?`, id)
	t, err := scanTenant(row)
	return t, notFound(err, "tenant")
}

// TenantList implements store.TenantStore.
func (s *Store) TenantList(ctx context.Context, p store.TenantListParams) (store.TenantPage, error) {
	var where []string
	var args []any
	if p.Search != "" {
		where = append(where, "(instr(lower(t.id), lower(?)) > 0 OR instr(lower(t.name), lower(?)) > 0)")
		args = append(args, p.Search, p.Search)
	}
	if p.Cursor != "" {
		where = append(where, "t.id > ?")
		args = append(args, p.Cursor)
	}
	q := `SELECT ` + tenantColumns + ` FROM tenants t`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := store.PageLimit(p.Limit)
	q += " ORDER BY t.id LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return store.TenantPage{}, err
	}
	defer rows.Close()
	var page store.TenantPage
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return page, err
		}
		page.Tenants = append(page.Tenants, t)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Tenants) > limit {
		page.Tenants = page.Tenants[:limit]
		page.Next = page.Tenants[limit-1].ID
	}
	return page, nil
}

// TenantUpdate implements store.TenantStore.
func (s *Store) TenantUpdate(ctx context.Context, t webhook.Tenant) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE tenants SET name = ?, contact_email = ?, branding = ?, metadata = ?,
			updated_at = ? WHERE id = ?`,
			t.Name, t.ContactEmail, brandingText(t.Branding), jsonText(headersOrEmpty(t.Metadata)),
			ts(t.UpdatedAt), t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "tenant not found"}
		}
		return nil
	})
}

// TenantDelete implements store.TenantStore.
func (s *Store) TenantDelete(ctx context.Context, p store.TenantDeleteParams) ([]string, error) {
	var deleted []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		deleted = nil
		s.deferred.forgetTenant(p.ID)
		var one int
		if err := tx.QueryRow(qTenantExists, p.ID).Scan(&one); err != nil {
			return notFound(err, "tenant")
		}
		rows, err := tx.Query(`SELECT id FROM webhooks WHERE tenant = ? ORDER BY id`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			deleted = append(deleted, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(deleted) > 0 && !p.Cascade {
			return store.ErrTenantHasWebhooks(p.ID, len(deleted))
		}
		for _, id := range deleted {
			if _, err := tx.Exec(`DELETE FROM webhooks WHERE id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL,
				lease_owner = NULL, last_error = 'webhook deleted', updated_at = ?
				WHERE webhook_id = ? AND status = 'pending'`, ts(p.Now), id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE api_keys SET revoked_at = ? WHERE tenant = ? AND revoked_at IS NULL`,
			ts(p.Now), p.ID); err != nil {
			return err
		}
		// Its portal links and sessions end with it too.
		if _, err := tx.Exec(`DELETE FROM portal_links WHERE tenant = ?`, p.ID); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM tenants WHERE id = ?`, p.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}
