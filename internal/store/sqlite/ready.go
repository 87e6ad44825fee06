package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	msqlite "modernc.org/sqlite"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// MinFree is the free space the data directory's file system must have
// before readiness returns after a refused write. The probe alone would
// not do: on a full disk SQLite still commits small writes into WAL space
// it allocated before, while events of a few KiB are refused.
const MinFree = 16 << 20

// SQLite's primary result codes that mean the database cannot store
// anything now, as opposed to refusing one statement (sqlite3.h; stable).
const (
	codeNoMem    = 7
	codeReadOnly = 8
	codeIOErr    = 10
	codeFull     = 13
	codeCantOpen = 14
)

// refused reports whether err is SQLite saying it cannot store (disk full,
// I/O error, read-only file) rather than refusing this one write.
func refused(err error) bool {
	e, ok := errors.AsType[*msqlite.Error](err)
	if !ok {
		return false
	}
	switch e.Code() & 0xff {
	case codeNoMem, codeReadOnly, codeIOErr, codeFull, codeCantOpen:
		return true
	}
	return false
}

// probe decides whether readiness may return after the refused write
// failed (at since): the file system must have MinFree bytes free and a
// write that needs new pages must commit.
func (s *Store) probe(ctx context.Context, failed error, since time.Time) error {
	if free, ok := FreeBytes(s.dir); ok && free < MinFree {
		return &webhook.Error{Code: webhook.EUNAVAILABLE, Message: fmt.Sprintf(
			"storage refused a write at %s (%v); %d bytes free in %s, ready again at %d",
			since.UTC().Format(time.RFC3339), failed, free, s.dir, MinFree)}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO leaders (name, owner, until) VALUES (?, ?, 0)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner`, store.ProbeLeader, store.ProbeValue())
		return err
	})
	if err != nil {
		return err
	}
	s.health.Recovered()
	return nil
}
