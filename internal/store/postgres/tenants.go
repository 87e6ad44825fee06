package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// qTenantEnsure creates tenant $1, named after its ID, unless it exists.
// An existing row is neither written nor locked, so concurrent events of
// one tenant do not queue behind each other here.
const qTenantEnsure = `INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2)
	ON CONFLICT (id) DO NOTHING`

// queueTenantForEvent queues what gives ev's tenant a row: its creation
// (when ensure: the tenant is not known to exist, see knownTenants), or
// with mustExist a check that it exists, holding it (KEY SHARE) so a
// concurrent delete of the tenant waits for the event. The result is set
// once the batch has run.
func queueTenantForEvent(b *pgx.Batch, ev webhook.Event, mustExist, ensure bool) *bool {
	ok := new(bool)
	if !mustExist {
		*ok = true
		if ensure {
			b.Queue(qTenantEnsure, ev.Tenant, ev.CreatedAt)
		}
		return ok
	}
	b.Queue(`SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE`, ev.Tenant).Query(func(rows pgx.Rows) error {
		*ok = rows.Next()
		rows.Close()
		return rows.Err()
	})
	return ok
}

// tenantColumns reads a tenant t with its counts.
const tenantColumns = `t.id, t.name, t.contact_email, t.branding, t.metadata, t.created_at, t.updated_at,
	(SELECT count(*) FROM webhooks w WHERE w.tenant = t.id),
	(SELECT count(*) FROM webhooks w WHERE w.tenant = t.id AND w.active AND w.failing_since IS NOT NULL)`

func scanTenant(r scanner) (webhook.Tenant, error) {
	var t webhook.Tenant
	err := r.Scan(&t.ID, &t.Name, &t.ContactEmail, &t.Branding, &t.Metadata, &t.CreatedAt, &t.UpdatedAt,
		&t.Webhooks, &t.FailingWebhooks)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

// TenantCreate implements store.TenantStore.
func (s *Store) TenantCreate(ctx context.Context, t webhook.Tenant) error {
	n, err := s.exec(ctx, `INSERT INTO tenants (id, name, contact_email, branding, metadata, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, t.ContactEmail, t.Branding, headersOrEmpty(t.Metadata), t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrTenantExists(t.ID)
	}
	return nil
}

// TenantGet implements store.TenantStore.
func (s *Store) TenantGet(ctx context.Context, id string) (webhook.Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants t WHERE t.id = $1`, id))
	return t, s.notFound(err, "tenant")
}

// TenantList implements store.TenantStore.
func (s *Store) TenantList(ctx context.Context, p store.TenantListParams) (store.TenantPage, error) {
	var wh where
	if p.Search != "" {
		// strpos, not LIKE: the search is a literal substring.
		wh.add("(strpos(lower(t.id), lower(?)) > 0 OR strpos(lower(t.name), lower(?)) > 0)", p.Search)
	}
	if p.Cursor != "" {
		wh.add("t.id > ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	q := `SELECT ` + tenantColumns + ` FROM tenants t` + wh.String() + ` ORDER BY t.id LIMIT ` + wh.arg(limit+1)
	rows, err := s.pool.Query(ctx, q, wh.args...)
	if err != nil {
		return store.TenantPage{}, s.fail(err)
	}
	tenants, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Tenant, error) { return scanTenant(r) })
	if err != nil {
		return store.TenantPage{}, s.fail(err)
	}
	page := store.TenantPage{Tenants: tenants}
	if len(page.Tenants) > limit {
		page.Tenants = page.Tenants[:limit]
		page.Next = page.Tenants[limit-1].ID
	}
	return page, nil
}

// TenantUpdate implements store.TenantStore.
func (s *Store) TenantUpdate(ctx context.Context, t webhook.Tenant) error {
	n, err := s.exec(ctx, `UPDATE tenants SET name = $1, contact_email = $2, branding = $3, metadata = $4,
		updated_at = $5 WHERE id = $6`,
		t.Name, t.ContactEmail, t.Branding, headersOrEmpty(t.Metadata), t.UpdatedAt, t.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return errNotFound("tenant")
	}
	return nil
}

// TenantDelete implements store.TenantStore. The tenant row is locked
// first, so a concurrent strict publish or a second delete waits; webhooks
// are locked in ID order, as AttemptRecord locks them.
func (s *Store) TenantDelete(ctx context.Context, p store.TenantDeleteParams) ([]string, error) {
	// Forgotten before and after: an event stored after the delete
	// commits gives the tenant its row again, as without the cache.
	s.tenants.forget(p.ID)
	defer s.tenants.forget(p.ID)
	var deleted []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		deleted = nil
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, p.ID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound("tenant")
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM webhooks WHERE tenant = $1 ORDER BY id FOR UPDATE`, p.ID)
		if err != nil {
			return err
		}
		if deleted, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if len(deleted) > 0 && !p.Cascade {
			return store.ErrTenantHasWebhooks(p.ID, len(deleted))
		}
		var b pgx.Batch
		if len(deleted) > 0 {
			b.Queue(`DELETE FROM webhooks WHERE id = ANY($1)`, deleted)
			b.Queue(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL,
				last_error = 'webhook deleted', updated_at = $2
				WHERE webhook_id = ANY($1) AND status = 'pending'`, deleted, p.Now)
			for _, id := range deleted {
				s.queueWebhookNotice(&b, id)
			}
		}
		b.Queue(`UPDATE api_keys SET revoked_at = $2 WHERE tenant = $1 AND revoked_at IS NULL`, p.ID, p.Now)
		b.Queue(`DELETE FROM portal_links WHERE tenant = $1`, p.ID)
		b.Queue(`DELETE FROM tenants WHERE id = $1`, p.ID)
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}
