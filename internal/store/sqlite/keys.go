package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

const apiKeyColumns = `id, name, prefix, scopes, tenant, created_at, expires_at, revoked_at, last_used_at`

func scanAPIKey(r scanner) (auth.APIKey, error) {
	var k auth.APIKey
	var scopes string
	var created int64
	var exp, rev, used sql.NullInt64
	if err := r.Scan(&k.ID, &k.Name, &k.Prefix, &scopes, &k.Tenant, &created, &exp, &rev, &used); err != nil {
		return k, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return k, err
	}
	k.CreatedAt = fromTS(created)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromNullTS(exp), fromNullTS(rev), fromNullTS(used)
	return k, nil
}

// APIKeyCreate implements store.APIKeyStore.
func (s *Store) APIKeyCreate(ctx context.Context, k auth.APIKey, hash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO api_keys (id, name, prefix, hash, scopes, tenant, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, k.Prefix, hash, jsonText(k.Scopes), k.Tenant,
			ts(k.CreatedAt), nullTS(k.ExpiresAt))
		return err
	})
}

// APIKeyByHash implements store.APIKeyStore.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (auth.APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	return k, notFound(err, "API key")
}

// APIKeyList implements store.APIKeyStore.
func (s *Store) APIKeyList(ctx context.Context, scope auth.Scope) ([]auth.APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE 1 = 1`+inScope+` ORDER BY id`,
		scopeAll(scope), scope.Tenant())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// APIKeyRevoke implements store.APIKeyStore.
func (s *Store) APIKeyRevoke(ctx context.Context, scope auth.Scope, id string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`+inScope,
			ts(now), id, scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "API key not found"}
		}
		return nil
	})
}

// APIKeyTouch implements store.APIKeyStore.
func (s *Store) APIKeyTouch(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, ts(now), id)
		return err
	})
}
