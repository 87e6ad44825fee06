package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/store/postgres"
)

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stdout, `migrate [flags]

Applies the database migrations the configured database lacks, then exits:
it creates the schema in an empty database (and an SQLite database, with
its secret key, in a --data-dir that has none). 'hookline serve' does the
same at start; instances starting together migrate once (an advisory
lock). Migrations are forward-only.

Examples:
  hookline migrate --data-dir /var/lib/hookline
  hookline migrate --database-url postgres://hookline@db/hookline --secret-key-file /etc/hookline/secret.key`)
	cfg, pos, err := parseConfig(fs, args, localOptions...)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "migrate"}
	}
	if cfg.DatabaseURL == "" {
		// Opening the SQLite database brings its schema up to date.
		cfg.LogLevel = "warn"
		st, err := app.OpenStore(cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "SQLite database in %s is up to date\n", cfg.DataDir)
		return st.Close()
	}
	applied, err := postgres.Migrate(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "PostgreSQL database is up to date")
		return nil
	}
	fmt.Fprintf(stdout, "applied migrations %v\n", applied)
	return nil
}
