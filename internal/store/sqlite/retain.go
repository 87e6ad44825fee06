package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hookline/hookline/internal/store"
)

// defaultRetainBatch keeps one retention write near 6 ms (1 KiB bodies,
// two attempts per delivery; BenchmarkRetainBatch), the longest ingest and
// delivery wait behind it; 1,000 per write took about 50 ms.
const defaultRetainBatch = 100

// Retain implements store.MaintenanceStore. Each batch is its own write, so
// ingest and delivery wait behind at most one batch.
func (s *Store) Retain(ctx context.Context, p store.RetainParams) (store.RetainResult, error) {
	var res store.RetainResult
	batch := p.Batch
	switch {
	case batch <= 0:
		batch = defaultRetainBatch
	case batch > 1000:
		batch = 1000 // IN lists stay far below SQLite's variable limit
	}
	// Each step counts into d; d is added to res only once its write
	// committed, so a rolled-back step is not counted.
	loop := func(step func(tx *sql.Tx, d *store.RetainResult) (int, error)) error {
		for {
			var n int
			var d store.RetainResult
			err := s.write(ctx, func(tx *sql.Tx) error {
				var err error
				d = store.RetainResult{}
				n, err = step(tx, &d)
				return err
			})
			if err != nil {
				return err
			}
			res.Events += d.Events
			res.Deliveries += d.Deliveries
			res.Attempts += d.Attempts
			res.Bodies += d.Bodies
			res.Rollups += d.Rollups
			if n < batch {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if !p.EventsBefore.IsZero() {
		err := loop(func(tx *sql.Tx, res *store.RetainResult) (int, error) {
			ids, err := queryIDs(tx, `SELECT id FROM events e WHERE created_at < ? AND NOT EXISTS
				(SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
				ORDER BY created_at LIMIT ?`, ts(p.EventsBefore), batch)
			if err != nil || len(ids) == 0 {
				return 0, err
			}
			in := "(?" + strings.Repeat(",?", len(ids)-1) + ")"
			n, err := execCount(tx, `DELETE FROM attempts WHERE delivery_id IN
				(SELECT id FROM deliveries WHERE event_id IN `+in+`)`, ids...)
			if err != nil {
				return 0, err
			}
			res.Attempts += n
			if n, err = execCount(tx, `DELETE FROM deliveries WHERE event_id IN `+in, ids...); err != nil {
				return 0, err
			}
			res.Deliveries += n
			if n, err = execCount(tx, `DELETE FROM events WHERE id IN `+in, ids...); err != nil {
				return 0, err
			}
			res.Events += n
			return len(ids), nil
		})
		if err != nil {
			return res, err
		}
	}
	if !p.AttemptsBefore.IsZero() {
		err := loop(func(tx *sql.Tx, res *store.RetainResult) (int, error) {
			n, err := execCount(tx, `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts
				WHERE started_at < ? ORDER BY started_at LIMIT ?)`, ts(p.AttemptsBefore), batch)
			res.Attempts += n
			return n, err
		})
		if err != nil {
			return res, err
		}
	}
	if !p.BodiesBefore.IsZero() {
		err := loop(func(tx *sql.Tx, res *store.RetainResult) (int, error) {
			n, err := execCount(tx, `UPDATE attempts SET request_body = x'', response_body = x'', request_body_of = ''
				WHERE id IN (SELECT id FROM attempts WHERE started_at < ?
				AND (length(request_body) > 0 OR length(response_body) > 0 OR request_body_of <> '')
				ORDER BY started_at LIMIT ?)`,
				ts(p.BodiesBefore), batch)
			res.Bodies += n
			return n, err
		})
		if err != nil {
			return res, err
		}
	}
	if !p.RollupBefore.IsZero() {
		err := loop(func(tx *sql.Tx, res *store.RetainResult) (int, error) {
			n, err := execCount(tx, `DELETE FROM attempt_rollup WHERE (webhook_id, minute) IN
				(SELECT webhook_id, minute FROM attempt_rollup WHERE minute < ? ORDER BY minute LIMIT ?)`,
				store.UnixMinute(p.RollupBefore), batch)
			res.Rollups += n
			return n, err
		})
		if err != nil {
			return res, err
		}
	}
	if res.Events+res.Attempts+res.Bodies+res.Rollups > 0 {
		// Hand freed pages back to the file system a little at a time.
		err := s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`PRAGMA incremental_vacuum(2000)`)
			return err
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func queryIDs(tx *sql.Tx, q string, args ...any) ([]any, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func execCount(tx *sql.Tx, q string, args ...any) (int, error) {
	r, err := tx.Exec(q, args...)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}
