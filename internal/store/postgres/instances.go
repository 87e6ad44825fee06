package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Shards: claims and ingest leases test a webhook's shard with
// abs(hashtext(webhook_id)::bigint) % shards = shard. hashtext is stable on
// one server, which is all the instances sharing the database need; the
// bigint cast keeps abs from overflowing.

// InstanceHeartbeat implements store.InstanceStore.
func (s *Store) InstanceHeartbeat(ctx context.Context, id string, now time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO instances (id, last_seen) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`, id, now)
	return err
}

// InstanceList implements store.InstanceStore.
func (s *Store) InstanceList(ctx context.Context, since time.Time) ([]string, error) {
	if _, err := s.exec(ctx, `DELETE FROM instances WHERE last_seen < $1`, since.Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM instances WHERE last_seen >= $1 ORDER BY id`, since)
	if err != nil {
		return nil, s.fail(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, s.fail(err)
}

// InstanceRemove implements store.InstanceStore.
func (s *Store) InstanceRemove(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM instances WHERE id = $1`, id)
	return err
}
