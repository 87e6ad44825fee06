package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// LeaderAcquire implements store.MaintenanceStore.
func (s *Store) LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	var got bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO leaders (name, owner, until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE leaders.owner = excluded.owner OR leaders.until <= ?`, name, owner, ts(until), ts(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	return got, err
}
