package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/hookline/hookline/internal/auth"
)

// inScope ends the WHERE clause of a read or write by ID that a tenant
// scope limits; its arguments are scopeAll(scope), scope.Tenant(). A row
// of another tenant is then not found, exactly as a missing one.
const inScope = ` AND (? = 1 OR tenant = ?)`

func scopeAll(scope auth.Scope) int { return boolInt(scope.All()) }

// visible reports whether row id of table (one with a tenant column)
// exists within scope; with all tenants in scope it does not look.
func (s *Store) visible(ctx context.Context, scope auth.Scope, table, id string) (bool, error) {
	if scope.All() {
		return true, nil
	}
	var one int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ? AND tenant = ?`, id, scope.Tenant()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
