package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/jackc/pgx/v5"
)

const apiKeyColumns = `id, name, prefix, scopes, tenant, created_at, expires_at, revoked_at, last_used_at`

func scanAPIKey(r scanner) (auth.APIKey, error) {
	var k auth.APIKey
	if err := r.Scan(&k.ID, &k.Name, &k.Prefix, &k.Scopes, &k.Tenant, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt,
		&k.LastUsedAt); err != nil {
		return k, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt), utcPtr(k.LastUsedAt)
	return k, nil
}

// APIKeyCreate implements store.APIKeyStore.
func (s *Store) APIKeyCreate(ctx context.Context, k auth.APIKey, hash []byte) error {
	_, err := s.exec(ctx, `INSERT INTO api_keys (id, name, prefix, hash, scopes, tenant, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, k.Name, k.Prefix, hash, nonNilStrings(k.Scopes), k.Tenant,
		k.CreatedAt, nullTime(k.ExpiresAt))
	return err
}

// APIKeyByHash implements store.APIKeyStore.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (auth.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	return k, s.notFound(err, "API key")
}

// APIKeyList implements store.APIKeyStore.
func (s *Store) APIKeyList(ctx context.Context, scope auth.Scope) ([]auth.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE true`+inScope("tenant", 1)+` ORDER BY id`,
		scope.All(), scope.Tenant())
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.APIKey, error) { return scanAPIKey(r) })
	return out, s.fail(err)
}

// APIKeyRevoke implements store.APIKeyStore. The first revocation time
// sticks.
func (s *Store) APIKeyRevoke(ctx context.Context, scope auth.Scope, id string, now time.Time) error {
	n, err := s.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`+inScope("tenant", 3),
		now, id, scope.All(), scope.Tenant())
	if err == nil && n == 0 {
		return errNotFound("API key")
	}
	return err
}

// APIKeyTouch implements store.APIKeyStore.
func (s *Store) APIKeyTouch(ctx context.Context, id string, now time.Time) error {
	_, err := s.exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, id)
	return err
}
