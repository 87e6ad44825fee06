package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// InstanceHeartbeat implements store.InstanceStore.
func (s *Store) InstanceHeartbeat(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO instances (id, last_seen) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`, id, ts(now))
		return err
	})
}

// InstanceList implements store.InstanceStore.
func (s *Store) InstanceList(ctx context.Context, since time.Time) ([]string, error) {
	// Instances gone for a day are forgotten; it costs nothing to keep
	// the rest for the list.
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM instances WHERE last_seen < ?`, ts(since.Add(-24*time.Hour)))
		return err
	}); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM instances WHERE last_seen >= ? ORDER BY id`, ts(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// InstanceRemove implements store.InstanceStore.
func (s *Store) InstanceRemove(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM instances WHERE id = ?`, id)
		return err
	})
}
