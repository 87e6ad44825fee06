package sqlite_test

import (
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookline/hookline/internal/store/sqlite"
)

// snapshotWAL writes five transactions into a database kept in WAL mode
// without checkpoints and copies its files while the connection is still
// open: what a crashed server leaves. It returns the copy's path.
func snapshotWAL(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db, err := sql.Open("sqlite", "file:"+src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`PRAGMA journal_mode = WAL`, `PRAGMA wal_autocheckpoint = 0`,
		`CREATE TABLE t (v TEXT)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for range 5 {
		if _, err := db.Exec(`INSERT INTO t VALUES (hex(randomblob(2000)))`); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(dir, "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func rows(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCheckWAL(t *testing.T) {
	t.Parallel()
	t.Run("Intact", func(t *testing.T) {
		path := snapshotWAL(t)
		rep, err := sqlite.CheckWAL(path)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Damaged || rep.Commits != 6 { // CREATE TABLE and five inserts
			t.Fatalf("report %+v, want 6 intact commits", rep)
		}
		if n := rows(t, path); n != 5 {
			t.Errorf("rows after recovery: %d, want 5", n)
		}
	})
	t.Run("NoWAL", func(t *testing.T) {
		rep, err := sqlite.CheckWAL(filepath.Join(t.TempDir(), "none.db"))
		if err != nil || rep.Damaged || rep.Frames != 0 {
			t.Fatalf("report %+v, %v; want a clean empty report", rep, err)
		}
	})
	t.Run("DamagedFrame", func(t *testing.T) {
		path := snapshotWAL(t)
		b, err := os.ReadFile(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		// One byte in the first frame of the third transaction (the
		// second insert): SQLite replays the table and the first row, and
		// says nothing about the other four.
		pageSize := int(binary.BigEndian.Uint32(b[8:]))
		frame, commits := 0, 0
		for off := 32; commits < 2; off += 24 + pageSize {
			if binary.BigEndian.Uint32(b[off+4:]) != 0 {
				commits++
			}
			frame++
		}
		b[32+frame*(24+pageSize)+24+100] ^= 0xff
		if err := os.WriteFile(path+"-wal", b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := sqlite.CheckWAL(path)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Damaged || rep.DamagedAt != frame || rep.Commits != 2 || rep.LostCommits != 4 {
			t.Fatalf("report %+v, want damage at frame %d, 2 commits replayed and 4 lost", rep, frame)
		}
		if n := rows(t, path); n != 1 {
			t.Errorf("rows after recovery: %d, want the 1 the report says survives", n)
		}
	})
	t.Run("DamagedHeader", func(t *testing.T) {
		path := snapshotWAL(t)
		b, err := os.ReadFile(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		b[12] ^= 0xff // the checkpoint sequence number, under the header's checksum
		if err := os.WriteFile(path+"-wal", b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := sqlite.CheckWAL(path)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Damaged || rep.DamagedAt != -1 || rep.LostCommits != 6 {
			t.Fatalf("report %+v, want the header damaged and 6 commits lost", rep)
		}
	})
}
