package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store"
)

// The commands that work on the server's database directly (keys without
// a server, admin reset-password, backup) are for bootstrap and recovery:
// they act on the database the server uses, never on a new one. Opened
// from another directory or with a typo in --data-dir, creating a fresh
// database (and secret key) would succeed quietly and hand out a key that
// the running server does not know. serve, migrate and restore are the
// commands that may create one.

// openExistingStore opens the configured database after checking that it
// exists: it refuses, creating nothing, when it does not.
func openExistingStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Store, error) {
	if err := checkExistingStore(ctx, cfg); err != nil {
		return nil, err
	}
	return app.OpenStore(cfg, log)
}

// checkExistingStore returns an error naming the path and the flag when
// the database of cfg, or the key that opens its secrets, does not exist.
func checkExistingStore(ctx context.Context, cfg config.Config) error {
	if cfg.DatabaseURL != "" {
		if err := checkPostgresSchema(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	} else if err := checkSQLiteDB(cfg.DataDir); err != nil {
		return err
	}
	if cfg.SecretKey != "" || cfg.DatabaseURL != "" && cfg.SecretKeyFile == "" {
		return nil // the key is given, or app.OpenStore asks for it
	}
	path := cfg.SecretKeyFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, "secret.key")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &missingError{fmt.Sprintf("no secret key at %s: give the server's --secret-key-file (env HOOKLINE_SECRET_KEY_FILE) "+
			"or HOOKLINE_SECRET_KEY; this command does not create one", path)}
	} else if err != nil {
		return fmt.Errorf("--secret-key-file: %w", err)
	}
	return nil
}

// checkSQLiteDB checks that the data directory holds a database.
func checkSQLiteDB(dataDir string) error {
	db := filepath.Join(dataDir, "hookline.db")
	_, err := os.Stat(db)
	if errors.Is(err, fs.ErrNotExist) {
		abs, aerr := filepath.Abs(dataDir)
		if aerr != nil {
			abs = dataDir
		}
		return &missingError{fmt.Sprintf("no Hookline database in %s (--data-dir, env HOOKLINE_DATA_DIR): this command works on "+
			"a server's database and does not create one. Give the server's data directory, or --database-url for PostgreSQL; "+
			"a new server creates its database when 'hookline serve' (or 'hookline migrate') starts", abs)}
	}
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	return nil
}

// checkPostgresSchema checks that the database of url exists and holds
// Hookline's schema, with a connection of its own that changes nothing.
func checkPostgresSchema(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("--database-url %s (env HOOKLINE_DATABASE_URL): cannot connect: %w", redactURL(url), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&migrated); err != nil {
		return fmt.Errorf("--database-url: %w", err)
	}
	if !migrated {
		return &missingError{fmt.Sprintf("the database at %s (--database-url, env HOOKLINE_DATABASE_URL) has no Hookline schema: "+
			"this command works on a server's database and does not create one. Give the server's database; a new server "+
			"creates its schema when 'hookline serve' (or 'hookline migrate') starts", redactURL(url))}
	}
	return nil
}

// missingError is a database or secret key that does not exist where
// the command line points; --json reports it as 404.
type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

// redactURL is a database URL without its password, for messages.
func redactURL(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}
