package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database at dbPath to dest while
// servers keep using it: VACUUM INTO reads one snapshot (WAL mode lets it
// run beside the writer) and writes a compact, self-contained file.
func Backup(ctx context.Context, dbPath, dest string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database at %s: %w", dbPath, err)
	}
	// Created here, empty (VACUUM INTO accepts an empty file), so that the
	// copy is readable by its owner only from the first byte: it holds
	// event payloads and sealed secrets.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; choose a new file", dest)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+url.Values{"_pragma": {"busy_timeout(10000)"}}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup: %w", err)
	}
	return Check(ctx, dest)
}

// Check opens a database file read-only and verifies it is an intact
// Hookline database.
func Check(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%s failed the integrity check: %s", path, res)
	}
	for _, table := range []string{"events", "deliveries", "webhooks", "attempts", "api_keys"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%s is not a Hookline database (no %s table)", path, table)
		}
	}
	return nil
}

// Restore checks the backup at src and installs it as the database at
// dbPath, replacing what is there. The caller makes sure no server uses
// dbPath. The copy is written beside the target and renamed into place, so
// a failure leaves the old database untouched.
func Restore(ctx context.Context, src, dbPath string) error {
	if err := Check(ctx, src); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return err
	}
	tmp := dbPath + ".restore"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return err
		}
	}
	return os.Rename(tmp, dbPath)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
