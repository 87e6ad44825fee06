package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store/postgres"
)

func checkPostgres(ctx context.Context, cfg config.Config, r *report) {
	box := checkKey(cfg, r)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	where := redacted(cfg.DatabaseURL)
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		r.add("database", Fail, where+": cannot connect: "+err.Error(),
			"check the URL (--database-url, env HOOKLINE_DATABASE_URL), that PostgreSQL runs and that it accepts this client")
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	r.add("database", OK, where, "")

	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&migrated); err != nil {
		r.add("schema", Fail, err.Error(), "")
		return
	}
	if !migrated {
		r.add("schema", Fail, "no Hookline schema in this database (or not on its search_path)",
			"give the servers' database; 'hookline migrate' or the first 'hookline serve' creates the schema")
		return
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		r.add("schema", Fail, err.Error(), "")
		return
	}
	switch known := postgres.LatestMigration(); {
	case v > known:
		r.add("schema", Fail, fmt.Sprintf("migration %d applied, by a newer Hookline (this one knows up to %d)", v, known),
			"run the newer Hookline on every instance")
	case v < known:
		r.add("schema", OK, fmt.Sprintf("migration %d; the next start applies up to %d (take a backup first)", v, known), "")
	default:
		r.add("schema", OK, fmt.Sprintf("migration %d, current", v), "")
	}

	var sealed string
	err = conn.QueryRow(ctx, `SELECT secret FROM webhooks LIMIT 1`).Scan(&sealed)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		r.add("secret key matches", Warn, "could not read a stored secret: "+err.Error(), "")
	} else {
		checkKeyOpens(r, box, sealed, err == nil)
	}

	var live int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM instances WHERE last_seen > now() - interval '1 minute'`).
		Scan(&live); err == nil {
		r.add("instances", OK, fmt.Sprintf("%d instance(s) seen in the last minute", live), "")
	}
}

// redacted is a database URL without its password, for findings.
func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "the database URL"
	}
	return u.Redacted()
}
