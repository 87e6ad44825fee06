package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/store"
)

// rollupUpgrade makes the attempt rollup (see store.StatsStore) and fills
// it from the attempts of the last 31 days, so charts are whole from the
// first start after the upgrade; older attempts are beyond any chart.
// Attempts stored before outcomes were recorded (NULL outcome) count as a
// delivery's end only when they plainly were one (a success, a 410, a
// delivery ended unsent); any other failure counts as a failed attempt but
// not as a failed delivery, since whether a retry followed was not kept.
// The fill reads each recent attempt once through the started_at index
// and counts them per webhook, minute and latency bin; only those groups,
// far fewer, are then spread over the bin columns (BENCHMARKS.md has its
// time per million attempts).
func rollupUpgrade() string {
	var cols, zero, pivot strings.Builder
	for _, c := range store.RollupColumns {
		fmt.Fprintf(&cols, ", %s", c)
		fmt.Fprintf(&zero, ",\n\t\t%s INTEGER NOT NULL DEFAULT 0", c)
	}
	for i := range store.LatencyBins {
		fmt.Fprintf(&pivot, ",\n\t\tSUM(CASE WHEN bin = %d THEN sent ELSE 0 END)", i)
	}
	const ok = `(error_class = '' AND ((destination IS NOT NULL AND destination <> 'http') OR status_code BETWEEN 200 AND 299))`
	const sent = `(error_class <> 'cancelled')`
	return `CREATE TABLE attempt_rollup (
		webhook_id TEXT NOT NULL,
		minute     INTEGER NOT NULL, -- Unix minutes
		tenant     TEXT NOT NULL` + zero.String() + `,
		PRIMARY KEY (webhook_id, minute)
	) WITHOUT ROWID;
	CREATE INDEX attempt_rollup_minute ON attempt_rollup (minute);
	CREATE INDEX attempt_rollup_tenant ON attempt_rollup (tenant, minute);
	INSERT INTO attempt_rollup (webhook_id, minute, tenant` + cols.String() + `)
	SELECT webhook_id, minute, tenant, SUM(delivered), SUM(failed), SUM(sent), SUM(failed_attempts), SUM(retried)` +
		pivot.String() + `
	FROM (
		SELECT a.webhook_id, a.started_at / 60000000 AS minute, d.tenant, a.bin,
			SUM(CASE WHEN a.outcome = 'delivered' OR (a.outcome IS NULL AND ` + ok + `) THEN 1 ELSE 0 END) AS delivered,
			SUM(CASE WHEN a.outcome IN ('failed', 'disabled') OR (a.outcome IS NULL AND (a.error_class = 'cancelled' OR a.status_code = 410))
				THEN 1 ELSE 0 END) AS failed,
			SUM(CASE WHEN ` + sent + ` THEN 1 ELSE 0 END) AS sent,
			SUM(CASE WHEN ` + sent + ` AND NOT ` + ok + ` THEN 1 ELSE 0 END) AS failed_attempts,
			SUM(CASE WHEN ` + sent + ` AND a.number > 1 THEN 1 ELSE 0 END) AS retried
		FROM (SELECT *, ` + store.LatencyBinSQL("duration_ms") + ` AS bin FROM attempts
			WHERE test = 0 AND started_at >= (unixepoch() - 31 * 86400) * 1000000) a
		JOIN deliveries d ON d.id = a.delivery_id
		GROUP BY a.webhook_id, minute, d.tenant, a.bin
	)
	GROUP BY webhook_id, minute, tenant`
}

// qRollupAdd adds a batch's counts to a webhook's minute; the tenant is
// the webhook's (a webhook deleted meanwhile gets no row, as its stats).
var qRollupAdd = func() string {
	cols := strings.Join(store.RollupColumns, ", ")
	set := make([]string, len(store.RollupColumns))
	for i, c := range store.RollupColumns {
		set[i] = c + " = " + c + " + excluded." + c
	}
	return `INSERT INTO attempt_rollup (webhook_id, minute, tenant, ` + cols + `)
		SELECT id, ?, tenant` + strings.Repeat(", ?", len(store.RollupColumns)) + ` FROM webhooks WHERE id = ?
		ON CONFLICT (webhook_id, minute) DO UPDATE SET ` + strings.Join(set, ", ")
}()

func init() {
	hotQueries = append(hotQueries, qRollupAdd)
}

// rollupAdd writes the rollup rows of a batch in tx.
func (s *Store) rollupAdd(tx *sql.Tx, rows []store.RollupRow) error {
	for i := range rows {
		r := &rows[i]
		args := append([]any{r.Minute}, r.Values()...)
		if _, err := s.exec(tx, qRollupAdd, append(args, r.WebhookID)...); err != nil {
			return err
		}
	}
	return nil
}

// rollupSums is the SELECT list summing every counting column.
var rollupSums = func() string {
	s := make([]string, len(store.RollupColumns))
	for i, c := range store.RollupColumns {
		s[i] = "SUM(" + c + ")"
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
	group := "b"
	if p.ByWebhook {
		group = "webhook_id, b"
	}
	q := `SELECT webhook_id, (minute - ?) / ? AS b, ` + rollupSums + ` FROM attempt_rollup
		WHERE minute >= ? AND minute < ?` + inScope + ` AND (? = '' OR tenant = ?)`
	args := []any{from, width, from, to, scopeAll(p.Scope), p.Scope.Tenant(), p.Tenant, p.Tenant}
	if len(p.WebhookIDs) > 0 {
		q += ` AND webhook_id IN (?` + strings.Repeat(", ?", len(p.WebhookIDs)-1) + `)`
		for _, id := range p.WebhookIDs {
			args = append(args, id)
		}
	}
	q += ` GROUP BY ` + group + ` ORDER BY ` + group
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StatsRow
	for rows.Next() {
		var r store.StatsRow
		var b int64
		if err := rows.Scan(append([]any{&r.WebhookID, &b}, r.ScanDest()...)...); err != nil {
			return nil, err
		}
		if !p.ByWebhook {
			r.WebhookID = ""
		}
		r.Start = p.From.UTC().Truncate(time.Minute).Add(time.Duration(b*width) * time.Minute)
		out = append(out, r)
	}
	return out, rows.Err()
}
