package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
)

// Retain implements store.MaintenanceStore. Each batch is its own short
// transaction, and rows someone else holds are skipped (SKIP LOCKED) for a
// later run rather than waited for.
func (s *Store) Retain(ctx context.Context, p store.RetainParams) (store.RetainResult, error) {
	var res store.RetainResult
	batch := p.Batch
	if batch <= 0 {
		batch = 500
	}
	// loop runs step, one transaction each, until a batch comes out short.
	// step counts what it removes in d, added to res once committed.
	loop := func(step func(tx pgx.Tx, d *store.RetainResult) (int, error)) error {
		for {
			var n int
			var d store.RetainResult
			err := s.inTx(ctx, func(tx pgx.Tx) error {
				var err error
				d = store.RetainResult{}
				n, err = step(tx, &d)
				return err
			})
			if err != nil {
				return err
			}
			res.Events, res.Deliveries = res.Events+d.Events, res.Deliveries+d.Deliveries
			res.Attempts, res.Bodies = res.Attempts+d.Attempts, res.Bodies+d.Bodies
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
		err := loop(func(tx pgx.Tx, d *store.RetainResult) (int, error) {
			return retainEvents(ctx, tx, p.EventsBefore, batch, d)
		})
		if err != nil {
			return res, err
		}
	}
	if !p.AttemptsBefore.IsZero() {
		err := loop(func(tx pgx.Tx, d *store.RetainResult) (int, error) {
			tag, err := tx.Exec(ctx, `DELETE FROM attempts WHERE id IN (SELECT id FROM attempts
				WHERE started_at < $1 ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, p.AttemptsBefore, batch)
			d.Attempts = int(tag.RowsAffected())
			return int(tag.RowsAffected()), err
		})
		if err != nil {
			return res, err
		}
	}
	if !p.BodiesBefore.IsZero() {
		err := loop(func(tx pgx.Tx, d *store.RetainResult) (int, error) {
			tag, err := tx.Exec(ctx, `UPDATE attempts SET request_body = '', response_body = '', request_body_of = ''
				WHERE id IN (SELECT id FROM attempts WHERE started_at < $1
				AND (length(request_body) > 0 OR length(response_body) > 0 OR request_body_of <> '')
				ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, p.BodiesBefore, batch)
			d.Bodies = int(tag.RowsAffected())
			return int(tag.RowsAffected()), err
		})
		if err != nil {
			return res, err
		}
	}
	if !p.RollupBefore.IsZero() {
		err := loop(func(tx pgx.Tx, d *store.RetainResult) (int, error) {
			tag, err := tx.Exec(ctx, `DELETE FROM attempt_rollup WHERE (webhook_id, minute) IN
				(SELECT webhook_id, minute FROM attempt_rollup WHERE minute < $1
				ORDER BY minute LIMIT $2 FOR UPDATE SKIP LOCKED)`, store.UnixMinute(p.RollupBefore), batch)
			d.Rollups = int(tag.RowsAffected())
			return int(tag.RowsAffected()), err
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// retainEvents deletes one batch of events created before t with no
// pending delivery, with their deliveries and attempts, and returns how
// many events it picked; d gets what went.
func retainEvents(ctx context.Context, tx pgx.Tx, before time.Time, batch int, d *store.RetainResult) (int, error) {
	// FOR UPDATE keeps new deliveries of the picked events (a replay) from
	// being made until this commits: their foreign key check waits for it.
	rows, err := tx.Query(ctx, `SELECT id FROM events e WHERE created_at < $1 AND NOT EXISTS
		(SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
		ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`, before, batch)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	// Checked again, in this statement's newer snapshot, now that the
	// events are locked: one that got a pending delivery between the pick
	// and the lock (a replay that committed first) stays.
	err = tx.QueryRow(ctx, `WITH ev AS (
			SELECT id FROM events e WHERE id = ANY($1) AND NOT EXISTS
				(SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
		), da AS (
			DELETE FROM attempts a USING deliveries d, ev
			WHERE a.delivery_id = d.id AND d.event_id = ev.id RETURNING 1
		), dd AS (
			DELETE FROM deliveries d USING ev WHERE d.event_id = ev.id RETURNING 1
		), de AS (
			DELETE FROM events e USING ev WHERE e.id = ev.id RETURNING 1
		)
		SELECT (SELECT count(*) FROM de), (SELECT count(*) FROM dd), (SELECT count(*) FROM da)`, ids).
		Scan(&d.Events, &d.Deliveries, &d.Attempts)
	return len(ids), err
}
