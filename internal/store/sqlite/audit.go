package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/store"
)

// AuditAdd implements store.AuditStore.
func (s *Store) AuditAdd(ctx context.Context, e audit.Entry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO audit_log (id, at, actor, tenant, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.ID, ts(e.At), e.Actor, e.Tenant, e.Action, e.Target, e.Detail)
		return err
	})
}

// AuditList implements store.AuditStore.
func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) (store.AuditPage, error) {
	where := []string{"(? = 1 OR tenant = ?)"}
	args := []any{scopeAll(p.Scope), p.Scope.Tenant()}
	if p.Target != "" {
		where = append(where, "target = ?")
		args = append(args, p.Target)
	}
	if p.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, p.Cursor)
	}
	q := `SELECT id, at, actor, tenant, action, target, detail FROM audit_log WHERE ` + strings.Join(where, " AND ")
	limit := store.PageLimit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return store.AuditPage{}, err
	}
	defer rows.Close()
	var page store.AuditPage
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Tenant, &e.Action, &e.Target, &e.Detail); err != nil {
			return page, err
		}
		e.At = fromTS(at)
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.Next = page.Entries[limit-1].ID
	}
	return page, nil
}
