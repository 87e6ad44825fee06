package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
)

// inScope ends the WHERE clause of a read or write by ID that a tenant
// scope limits, on column col; its arguments, numbered from n, are
// scope.All() and scope.Tenant(). A row of another tenant is then not
// found, exactly as a missing one.
func inScope(col string, n int) string {
	return " AND ($" + strconv.Itoa(n) + "::boolean OR " + col + " = $" + strconv.Itoa(n+1) + ")"
}

// scope adds the condition that col is within s (see inScope).
func (w *where) scope(col string, s auth.Scope) {
	w.conds = append(w.conds, strings.TrimPrefix(inScope(col, len(w.args)+1), " AND "))
	w.args = append(w.args, s.All(), s.Tenant())
}

// visible reports whether row id of table (one with a tenant column)
// exists within scope; with all tenants in scope it does not look.
func (s *Store) visible(ctx context.Context, scope auth.Scope, table, id string) (bool, error) {
	if scope.All() {
		return true, nil
	}
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 AND tenant = $2`, id, scope.Tenant()).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, s.fail(err)
}
