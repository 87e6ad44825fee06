package postgres

import (
	"context"
	"time"
)

// LeaderAcquire implements store.MaintenanceStore. Two instances racing
// for a free name both reach the one row; the loser's update finds it
// taken and changes nothing.
func (s *Store) LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO leaders (name, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leaders.owner = excluded.owner OR leaders.until <= $4`, name, owner, until, now)
	return n == 1, err
}
