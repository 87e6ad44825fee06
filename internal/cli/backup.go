package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/store/sqlite"
)

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stdout, `backup --to FILE [flags]

Writes a consistent copy of the SQLite database while the server runs.
Back up the secret key too (DATA_DIR/secret.key or your --secret-key-file):
without it the signing secrets in the copy cannot be read. For PostgreSQL,
use pg_dump.

Examples:
  hookline backup --to /backups/hookline-$(date +%F).db
  hookline backup --data-dir /var/lib/hookline --to /backups/hookline.db`)
	to := fs.String("to", "", "the backup file to create (must not exist)")
	cfg, pos, err := parseConfig(fs, args, "data-dir", "database-url")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "backup"}
	}
	if *to == "" {
		return &usageError{msg: "--to FILE is required", cmd: "backup"}
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("hookline backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see the README)")
	}
	if err := checkSQLiteDB(cfg.DataDir); err != nil {
		return err
	}
	if err := sqlite.Backup(ctx, filepath.Join(cfg.DataDir, "hookline.db"), *to); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Backed up %s to %s (checked). Keep the secret key with it.\n", cfg.DataDir, *to)
	return nil
}

func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", stdout, `restore --from FILE [flags]

Checks a backup made by 'hookline backup' and installs it as the database
of --data-dir, replacing the current one. Stop the server first; put the
matching secret key in place (DATA_DIR/secret.key or --secret-key-file).
It creates --data-dir when missing: restoring onto a new machine.

Examples:
  hookline restore --from /backups/hookline.db
  hookline restore --from /backups/hookline.db --data-dir /var/lib/hookline`)
	from := fs.String("from", "", "the backup file to restore")
	cfg, pos, err := parseConfig(fs, args, "data-dir", "database-url")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "restore"}
	}
	if *from == "" {
		return &usageError{msg: "--from FILE is required", cmd: "restore"}
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("hookline restore installs an SQLite backup; for PostgreSQL use pg_restore")
	}
	unlock, err := app.LockDataDir(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("%w (stop the server before restoring)", err)
	}
	defer unlock()
	if err := sqlite.Restore(ctx, *from, filepath.Join(cfg.DataDir, "hookline.db")); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Restored %s into %s.\n", *from, cfg.DataDir)
	return nil
}
