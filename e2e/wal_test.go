package e2e

import (
	"context"
	"database/sql"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// TestDamagedWALLogged: a server that crashed leaves committed events in
// the write-ahead log; when a frame of it is damaged, SQLite drops it and
// every later one without a word. The server must say so at start, with
// how many committed transactions are lost, and keep a copy of the log.
func TestDamagedWALLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := newApp(t, dir, false); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = dir
	st, err := app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fillStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	// The crash: the files as they are while the store is still open.
	crashed := t.TempDir()
	for _, name := range []string{"hookline.db", "hookline.db-wal", "secret.key"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(crashed, "hookline.db")
	intact, err := sqlite.CheckWAL(db)
	if err != nil || intact.Damaged || intact.Commits < 100 {
		t.Fatalf("the crashed log: %+v, %v; want at least 100 intact commits to damage", intact, err)
	}
	// Damage the first frame after the middle commit.
	wal, err := os.ReadFile(db + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:]))
	frame, commits := 0, 0
	for off := 32; commits < intact.Commits/2; off += 24 + pageSize {
		if binary.BigEndian.Uint32(wal[off+4:]) != 0 {
			commits++
		}
		frame++
	}
	wal[32+frame*(24+pageSize)+24+64] ^= 0xff
	if err := os.WriteFile(db+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}

	s := startServer(t, func(c *config.Config) { c.DataDir = crashed })
	logs := s.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "write-ahead log is damaged") ||
		!strings.Contains(logs, "committed_transactions_lost=") {
		t.Fatalf("no error line about the damaged log; logs:\n%s", logs)
	}
	copies, _ := filepath.Glob(db + "-wal.damaged-*")
	if len(copies) != 1 {
		t.Fatalf("copies of the damaged log: %v, want one", copies)
	}
	kept, err := os.ReadFile(copies[0])
	if err != nil || string(kept) != string(wal) {
		t.Fatalf("the copy differs from the damaged log (%v)", err)
	}
	r, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int
	if err := r.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	lost := intact.Commits - commits
	if want := "committed_transactions_lost=" + strconv.Itoa(lost); !strings.Contains(logs, want) {
		t.Errorf("the log does not say %s", want)
	}
	if n >= 300 || n+lost < 300 {
		t.Errorf("%d of 300 events survived with %d later commits reported lost", n, lost)
	}
	t.Logf("%d of 300 events survived; the log said: %s", n, logs[strings.Index(logs, "write-ahead"):][:200])
}
