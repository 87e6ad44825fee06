package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/store/postgres"
)

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr, `migrate [flags]

Applies the database migrations the configured database lacks, then exits.
'hookline serve' does the same at start; instances starting together
migrate once (an advisory lock). Migrations are forward-only.`)
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
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
