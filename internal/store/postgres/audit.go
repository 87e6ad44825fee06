package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/store"
)

// AuditAdd implements store.AuditStore.
func (s *Store) AuditAdd(ctx context.Context, e audit.Entry) error {
	_, err := s.exec(ctx, `INSERT INTO audit_log (id, at, actor, tenant, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.ID, e.At, e.Actor, e.Tenant, e.Action, e.Target, e.Detail)
	return err
}

// AuditList implements store.AuditStore.
func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) (store.AuditPage, error) {
	var wh where
	wh.scope("tenant", p.Scope)
	if p.Target != "" {
		wh.add("target = ?", p.Target)
	}
	if p.Cursor != "" {
		wh.add("id < ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, tenant, action, target, detail FROM audit_log`+wh.String()+
		` ORDER BY id DESC LIMIT `+wh.arg(limit+1), wh.args...)
	if err != nil {
		return store.AuditPage{}, s.fail(err)
	}
	var page store.AuditPage
	page.Entries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Tenant, &e.Action, &e.Target, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return store.AuditPage{}, s.fail(err)
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.Next = page.Entries[limit-1].ID
	}
	return page, nil
}
