package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// newApp opens dir's store as the server does at start (the data
// directory's checks, the integrity check) and closes it again.
func newApp(t *testing.T, dir string, init bool) error {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Init = init
	st, err := app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return st.Close()
}

// TestDataDirLostDatabaseRefused: an empty or missing hookline.db next to
// the secret.key of an earlier one is refused with a message that says
// what to do, instead of a silent fresh database; --init makes one.
func TestDataDirLostDatabaseRefused(t *testing.T) {
	t.Parallel()
	for _, lose := range []func(path string) error{
		func(p string) error { return os.Truncate(p, 0) },
		os.Remove,
	} {
		dir := t.TempDir()
		if err := newApp(t, dir, false); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "hookline.db")
		os.Remove(db + "-wal")
		os.Remove(db + "-shm")
		if err := lose(db); err != nil {
			t.Fatal(err)
		}
		err := newApp(t, dir, false)
		if err == nil || !strings.Contains(err.Error(), "secret.key") || !strings.Contains(err.Error(), "--init") {
			t.Fatalf("start on a lost database: %v", err)
		}
		if err := newApp(t, dir, true); err != nil {
			t.Errorf("--init: %v", err)
		}
	}
	// A fresh directory needs no --init.
	if err := newApp(t, t.TempDir(), false); err != nil {
		t.Errorf("fresh directory: %v", err)
	}
}

// TestDamagedDatabaseRefused: a database with a damaged page fails the
// integrity check at start (before, it was served and /readyz said 200);
// a sound one passes /readyz?full=1.
func TestDamagedDatabaseRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for i := range 200 {
		s.mustDo(http.StatusAccepted, "POST", "/api/v1/events",
			map[string]any{"type": "payment_received", "data": map[string]any{"n": i, "pad": strings.Repeat("x", 500)}}, nil)
	}
	var ready struct {
		Status string `json:"status"`
	}
	if code := s.do("GET", "/readyz?full=1", nil, &ready); code != http.StatusOK || ready.Status != "ready" {
		t.Fatalf("/readyz?full=1: %d %+v", code, ready)
	}

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
	// Fill a few pages, then close so everything is in the main file.
	if err := fillStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "hookline.db")
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8*4096 {
		t.Fatalf("database of %d bytes: too small to damage a page in the middle", len(b))
	}
	// Scribble over a page in the middle (a b-tree page of some table).
	mid := (len(b) / 4096 / 2) * 4096
	for i := mid; i < mid+4096; i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	err = newApp(t, dir, false)
	if err == nil || !strings.Contains(err.Error(), "integrity") && !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("start on a damaged database: %v", err)
	}
	t.Logf("refused: %v", err)
}

// fillStore writes a few hundred kilobytes of events straight into st.
func fillStore(ctx context.Context, st store.Store) error {
	for i := range 300 {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "payment_received",
			Data: []byte(`{"n":` + strconv.Itoa(i) + `,"pad":"` + strings.Repeat("x", 1000) + `"}`), CreatedAt: time.Now().UTC()}
		if _, err := st.EventCreate(ctx, store.EventCreateParams{Event: ev}); err != nil {
			return err
		}
	}
	return nil
}
