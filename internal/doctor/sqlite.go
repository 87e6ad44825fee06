package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

func checkSQLite(ctx context.Context, cfg config.Config, opts Options, r *report) {
	dir := cfg.DataDir
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.add("data directory", Fail, dir+" does not exist",
			"give the server's --data-dir (env HOOKLINE_DATA_DIR); a new server creates it at its first start")
		return
	case err != nil:
		r.add("data directory", Fail, err.Error(), "fix the path or its permissions")
		return
	case !fi.IsDir():
		r.add("data directory", Fail, dir+" is not a directory", "give the server's --data-dir")
		return
	case fi.Mode().Perm()&0o077 != 0:
		r.add("data directory", Warn, fmt.Sprintf("%s is %04o: others may read event payloads", dir, fi.Mode().Perm()),
			"chmod 700 "+dir)
	default:
		r.add("data directory", OK, dir, "")
	}
	if opts.ServerRunning {
		r.add("server", OK, "a server has this data directory open: the log check is skipped, the rest reads the live database", "")
	} else {
		r.add("server", OK, "no server has this data directory open", "")
	}

	box := checkKey(cfg, r)
	db := filepath.Join(dir, "hookline.db")
	if !checkDBFile(db, r) {
		return
	}
	if !opts.ServerRunning {
		checkWAL(db, r)
	}
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		r.add("database", Fail, err.Error(), "")
		return
	}
	defer conn.Close()
	checkSchemaVersion(ctx, conn, r)
	checkIntegrity(ctx, conn, opts.Full, r)
	var sealed string
	err = conn.QueryRowContext(ctx, `SELECT secret FROM webhooks LIMIT 1`).Scan(&sealed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		r.add("secret key matches", Warn, "could not read a stored secret: "+err.Error(), "")
	} else {
		checkKeyOpens(r, box, sealed, err == nil)
	}
	checkFree(dir, r)
}

// checkKey reads the key that opens the stored secrets, as serve would.
func checkKey(cfg config.Config, r *report) *secretbox.Box {
	if cfg.SecretKey != "" {
		where := "--secret-key (env HOOKLINE_SECRET_KEY)"
		return parseKey(cfg.SecretKey, where, r, Finding{Status: OK, Detail: where})
	}
	path := cfg.SecretKeyFile
	if path == "" {
		if cfg.DatabaseURL != "" {
			r.add("secret key", Fail, "no key given: instances on PostgreSQL share one key",
				"give the servers' --secret-key-file (env HOOKLINE_SECRET_KEY_FILE) or HOOKLINE_SECRET_KEY")
			return nil
		}
		path = filepath.Join(cfg.DataDir, "secret.key")
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		r.add("secret key", Fail, "no key at "+path+": stored signing secrets cannot be read",
			"put the key back from the backup made with this database (a server would refuse to start or create a new one)")
		return nil
	}
	if err != nil {
		r.add("secret key", Fail, err.Error(), "fix the path or its permissions")
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.add("secret key", Fail, err.Error(), "fix the file's permissions")
		return nil
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return parseKey(string(b), path, r, Finding{Status: Warn,
			Detail: fmt.Sprintf("%s is %04o: others may read the key", path, fi.Mode().Perm()), Fix: "chmod 600 " + path})
	}
	return parseKey(string(b), path, r, Finding{Status: OK, Detail: path})
}

// parseKey reads the key s from where; a good key is reported as good.
func parseKey(s, where string, r *report, good Finding) *secretbox.Box {
	key, err := secretbox.ParseKey(s)
	if err == nil {
		var box *secretbox.Box
		if box, err = secretbox.New(key); err == nil {
			r.add("secret key", good.Status, good.Detail, good.Fix)
			return box
		}
	}
	r.add("secret key", Fail, where+": "+err.Error(), "restore the key file from a backup")
	return nil
}

// checkDBFile reports whether db is there and looks like a database.
func checkDBFile(db string, r *report) bool {
	fi, err := os.Stat(db)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.add("database", Fail, db+" is missing",
			"restore it ('hookline restore --from BACKUP'), or start once with --init to make a new, empty one")
		return false
	case err != nil:
		r.add("database", Fail, err.Error(), "fix the file's permissions")
		return false
	case fi.Size() == 0:
		r.add("database", Fail, db+" is empty: the database was lost",
			"restore it ('hookline restore --from BACKUP'), or start once with --init to make a new, empty one")
		return false
	}
	f, err := os.Open(db)
	if err != nil {
		r.add("database", Fail, err.Error(), "fix the file's permissions")
		return false
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := f.Read(head); err != nil || string(head) != sqliteMagic {
		r.add("database", Fail, db+" is not an SQLite database (its first bytes are wrong)",
			"restore it from a backup ('hookline restore --from BACKUP')")
		return false
	}
	r.add("database", OK, fmt.Sprintf("%s, %d bytes", db, fi.Size()), "")
	return true
}

func checkWAL(db string, r *report) {
	rep, err := sqlite.CheckWAL(db)
	switch {
	case err != nil:
		r.add("write-ahead log", Fail, err.Error(), "fix the file's permissions")
	case rep.Damaged:
		r.add("write-ahead log", Fail, rep.String(),
			"copy "+db+"-wal aside before anything opens the database: the next start replays what it can and drops "+
				"the rest (serve keeps a copy and logs it); recover the lost writes by hand from the copy if they matter")
	case rep.Frames == 0:
		r.add("write-ahead log", OK, "empty: the last stop was clean", "")
	default:
		r.add("write-ahead log", OK, rep.String()+" (the next start replays them)", "")
	}
}

func checkSchemaVersion(ctx context.Context, conn *sql.DB, r *report) {
	var v int
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		r.add("schema", Fail, "cannot read the schema version: "+err.Error(),
			"the file may be damaged: restore it from a backup")
		return
	}
	switch known := sqlite.SchemaVersion(); {
	case v > known:
		r.add("schema", Fail, fmt.Sprintf("version %d, written by a newer Hookline (this one knows %d)", v, known),
			"run the newer Hookline, or restore a backup made before the upgrade")
	case v < known:
		r.add("schema", OK, fmt.Sprintf("version %d; the next start upgrades it to %d (take a backup first)", v, known), "")
	default:
		r.add("schema", OK, fmt.Sprintf("version %d, current", v), "")
	}
}

func checkIntegrity(ctx context.Context, conn *sql.DB, full bool, r *report) {
	pragma, name := `PRAGMA quick_check(10)`, "quick_check"
	if full {
		pragma, name = `PRAGMA integrity_check(10)`, "integrity_check"
	}
	rows, err := conn.QueryContext(ctx, pragma)
	if err != nil {
		r.add("integrity", Fail, name+": "+err.Error(), "restore the database from a backup ('hookline restore --from BACKUP')")
		return
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err == nil && line != "ok" {
			found = append(found, line)
		}
	}
	if err := rows.Err(); err != nil {
		found = append(found, err.Error())
	}
	if len(found) > 0 {
		r.add("integrity", Fail, name+" found: "+strings.Join(found, "; "),
			"restore the database from a backup ('hookline restore --from BACKUP'); a server refuses to start on it")
		return
	}
	r.add("integrity", OK, name+" passed", "")
}

func checkFree(dir string, r *report) {
	free, ok := sqlite.FreeBytes(dir)
	switch {
	case !ok:
	case free < sqlite.MinFree:
		r.add("free space", Fail, fmt.Sprintf("%d MiB free: events are refused and /readyz stays unready below %d MiB",
			free>>20, sqlite.MinFree>>20), "free space on the data directory's file system, or move it to a larger one")
	case free < 256<<20:
		r.add("free space", Warn, fmt.Sprintf("%d MiB free", free>>20),
			"free space soon, or lower --retention / --body-retention")
	default:
		r.add("free space", OK, fmt.Sprintf("%d MiB free", free>>20), "")
	}
}
