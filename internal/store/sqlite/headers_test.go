package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/storetest"
)

// Headers stored in clear by an earlier release are sealed at the next
// start and read back the same.
func TestPlainHeadersSealedAtStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWebhook()
	if err := s.WebhookCreate(t.Context(), w, "whsec_x"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	const plain = `{"X-Api-Key":"cGxhaW4taGVhZGVyLWNhbmFyeQ"}`
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE webhooks SET headers = ? WHERE id = ?`, plain, w.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = openStore(t, path)
	got, err := s.WebhookGet(t.Context(), auth.AllTenants(), w.ID)
	if err != nil || got.Headers["X-Api-Key"] != "cGxhaW4taGVhZGVyLWNhbmFyeQ" {
		t.Fatalf("WebhookGet after the upgrade: %v, %v", got.Headers, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte("cGxhaW4taGVhZGVyLWNhbmFyeQ")) {
			t.Errorf("%s still holds the header value in clear", filepath.Base(f))
		}
	}
}
