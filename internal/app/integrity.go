package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// checkDataDir refuses to start a new, empty SQLite database where the
// data directory shows an old one was there: its secret.key (made at the
// first start) or a WAL file beside a missing or empty hookline.db. The
// database was lost (a bad copy, a full disk, a wrong volume); starting
// afresh would print a new admin password, refuse every old API key and
// drop every pending event without a word. --init says it is meant.
func checkDataDir(cfg config.Config, dbPath string) error {
	if cfg.Init {
		return nil
	}
	fi, err := os.Stat(dbPath)
	state := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		state = "is missing"
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case fi.Size() == 0:
		state = "is empty"
	default:
		return nil
	}
	var signs []string
	if cfg.SecretKey == "" && cfg.SecretKeyFile == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "secret.key")); err == nil {
			signs = append(signs, "secret.key")
		}
	}
	if wal, err := os.Stat(dbPath + "-wal"); err == nil && wal.Size() > 0 {
		signs = append(signs, "hookline.db-wal")
	}
	if len(signs) == 0 {
		return nil // a fresh directory
	}
	return fmt.Errorf("%s %s, but %s of an earlier database is there: the database was lost. "+
		"Restore it ('hookline restore --from BACKUP'), or start once with --init to make a new, empty one "+
		"(its signing secrets, API keys and pending events would be gone)", dbPath, state, joinAnd(signs))
}

func joinAnd(s []string) string {
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	return s[0]
}

// maxCheckedAtStart bounds the integrity check at start: PRAGMA
// quick_check reads the whole file (seconds per gigabyte), so a larger
// database starts without it and says so; /readyz?full=1 runs it on
// demand.
const maxCheckedAtStart = 1 << 30

// checkIntegrity runs SQLite's quick_check on a database up to
// maxCheckedAtStart and refuses to serve a damaged one.
func checkIntegrity(st *sqlite.Store, dbPath string, log *slog.Logger) error {
	if fi, err := os.Stat(dbPath); err == nil && fi.Size() > maxCheckedAtStart {
		log.Warn("the database is larger than 1 GiB: its integrity check was skipped at start; run it with GET /readyz?full=1",
			"path", dbPath, "bytes", fi.Size())
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := st.QuickCheck(ctx); err != nil {
		return fmt.Errorf("%s fails its integrity check (%w): restore it from a backup ('hookline restore --from BACKUP'); "+
			"the damaged file is left as it is", dbPath, err)
	}
	return nil
}

// checkWAL reads the database's write-ahead log before SQLite recovers it:
// SQLite drops every frame from a damaged one on without a word, which
// would lose acknowledged events silently. A damaged log is logged at
// error level with what will be lost, and copied aside first (the copy is
// what a recovery by hand would start from); the server then starts with
// what SQLite can replay.
func checkWAL(dbPath string, log *slog.Logger) error {
	rep, err := sqlite.CheckWAL(dbPath)
	if err != nil {
		return fmt.Errorf("%s: %w", dbPath, err)
	}
	if !rep.Damaged {
		return nil
	}
	keep := fmt.Sprintf("%s-wal.damaged-%s", dbPath, time.Now().UTC().Format("20060102T150405Z"))
	b, err := os.ReadFile(dbPath + "-wal")
	if err == nil {
		err = os.WriteFile(keep, b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("%s: %s, and copying the log aside failed (%w); free space or fix permissions and start again "+
			"so that the copy is kept before SQLite drops the damaged part", dbPath, rep, err)
	}
	log.Error("the database's write-ahead log is damaged: starting with what SQLite can recover; "+
		"the writes after the damage are lost unless recovered by hand from the copy; run 'hookline doctor'",
		"path", dbPath, "report", rep.String(), "committed_transactions_lost", rep.LostCommits, "copy", keep)
	return nil
}
