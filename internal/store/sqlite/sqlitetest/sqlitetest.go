// Package sqlitetest opens real, throwaway SQLite stores for tests of the
// packages above the store (no database mocks).
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/store/sqlite"
)

// Open returns an empty store in a fresh file under tb.TempDir, with
// secrets sealed by a random key, closed (and checked) at cleanup.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "hookline.db"), sqlite.Options{Sealer: box})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return st
}
