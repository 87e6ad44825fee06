package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
)

// qRollupAdd adds a batch's rows to the rollup, one array per column, in
// the order store.Rollup sorted them (webhook, minute) so two batches lock
// rows in one order; the tenant is the webhook's (a webhook deleted
// meanwhile gets no row, as its stats). It runs in AttemptRecord's second
// round trip: the rollup costs no round trip of its own.
var qRollupAdd = func() string {
	n := len(store.RollupColumns)
	cols, casts, sel, set := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, c := range store.RollupColumns {
		cols[i] = c
		casts[i] = fmt.Sprintf("$%d::int[]", i+3)
		sel[i] = "r." + c
		set[i] = c + " = attempt_rollup." + c + " + excluded." + c
	}
	return `INSERT INTO attempt_rollup (webhook_id, minute, tenant, ` + strings.Join(cols, ", ") + `)
		SELECT r.id, r.minute, w.tenant, ` + strings.Join(sel, ", ") + `
		FROM unnest($1::text[], $2::bigint[], ` + strings.Join(casts, ", ") + `) WITH ORDINALITY
			AS r (id, minute, ` + strings.Join(cols, ", ") + `, i)
		JOIN webhooks w ON w.id = r.id
		ORDER BY r.i
		ON CONFLICT (webhook_id, minute) DO UPDATE SET ` + strings.Join(set, ", ")
}()

// queueRollup queues the rollup rows of a batch.
func queueRollup(b *pgx.Batch, rows []store.RollupRow) {
	if len(rows) == 0 {
		return
	}
	ids, minutes := make([]string, len(rows)), make([]int64, len(rows))
	counts := make([][]int64, len(store.RollupColumns))
	for i := range counts {
		counts[i] = make([]int64, len(rows))
	}
	for k := range rows {
		r := &rows[k]
		ids[k], minutes[k] = r.WebhookID, r.Minute
		for i, v := range r.Values() {
			counts[i][k] = v.(int64)
		}
	}
	args := []any{ids, minutes}
	for _, c := range counts {
		args = append(args, c)
	}
	b.Queue(qRollupAdd, args...)
}

// rollupSums is the SELECT list summing every counting column.
var rollupSums = func() string {
	s := make([]string, len(store.RollupColumns))
	for i, c := range store.RollupColumns {
		s[i] = "sum(" + c + ")"
	}
	return strings.Join(s, ", ")
}()

// Stats implements store.StatsStore.
func (s *Store) Stats(ctx context.Context, p store.StatsParams) ([]store.StatsRow, error) {
	from, to := store.UnixMinute(p.From), store.UnixMinute(p.To)
	width := int64(p.Bucket / time.Minute)
	if width <= 0 || to <= from {
		return nil, nil
	}
	hook, group := "''::text", "b"
	if p.ByWebhook {
		hook, group = "webhook_id", "webhook_id, b"
	}
	q := `SELECT ` + hook + `, (minute - $1) / $2 AS b, ` + rollupSums + ` FROM attempt_rollup
		WHERE minute >= $1 AND minute < $3` + inScope("tenant", 4) + ` AND ($6 = '' OR tenant = $6)`
	args := []any{from, width, to, p.Scope.All(), p.Scope.Tenant(), p.Tenant}
	if len(p.WebhookIDs) > 0 {
		q += ` AND webhook_id = ANY($7)`
		args = append(args, p.WebhookIDs)
	}
	q += ` GROUP BY ` + group + ` ORDER BY ` + group
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.StatsRow, error) {
		var r store.StatsRow
		var b int64
		err := row.Scan(append([]any{&r.WebhookID, &b}, r.ScanDest()...)...)
		r.Start = p.From.UTC().Truncate(time.Minute).Add(time.Duration(b*width) * time.Minute)
		return r, err
	})
	return out, s.fail(err)
}
