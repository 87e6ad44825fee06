package doctor_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/doctor"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
)

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

func newWebhook() webhook.Webhook {
	return webhook.Webhook{
		ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "orders",
		URL: "https://receiver.example.com/in", Events: []string{webhook.AllEvents}, Active: true,
		Format: webhook.FormatEnvelope, CreatedAt: t0, UpdatedAt: t0,
	}
}

// fill writes a webhook with a sealed secret and some events.
func fill(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	if err := st.WebhookCreate(ctx, newWebhook(), "whsec_"+strings.Repeat("a", 32)); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "order.created",
			Data: []byte(`{"pad":"` + strings.Repeat("x", 2000) + `"}`), CreatedAt: t0}
		if _, err := st.EventCreate(ctx, store.EventCreateParams{Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
}

// dataDir makes a data directory as a server leaves it after a clean stop.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	key, _, err := secretbox.LoadOrCreateKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "hookline.db"), sqlite.Options{Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// finding returns the finding of check with status st, failing the test
// when there is none.
func finding(t *testing.T, fs []doctor.Finding, check string, st doctor.Status) doctor.Finding {
	t.Helper()
	for _, f := range fs {
		if f.Check == check && f.Status == st {
			return f
		}
	}
	t.Fatalf("no %s finding for %q in %+v", st, check, fs)
	return doctor.Finding{}
}

func run(dir string) []doctor.Finding {
	cfg := config.Default()
	cfg.DataDir = dir
	return doctor.Run(context.Background(), cfg, doctor.Options{})
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	t.Run("Healthy", func(t *testing.T) {
		t.Parallel()
		fs := run(dataDir(t))
		if doctor.Failed(fs) {
			t.Fatalf("a healthy directory failed: %+v", fs)
		}
		for _, check := range []string{"data directory", "secret key", "database", "write-ahead log", "schema", "integrity"} {
			finding(t, fs, check, doctor.OK)
		}
		if runtime.GOOS == "linux" {
			if f := finding(t, fs, "transform sandbox", doctor.OK); !strings.Contains(f.Detail, "256 MiB") {
				t.Errorf("sandbox finding %+v does not name the default bound", f)
			}
		}
		if f := finding(t, fs, "secret key matches", doctor.OK); !strings.Contains(f.Detail, "opens") {
			t.Errorf("the key was not tried on a stored secret: %+v", f)
		}
	})
	for _, tc := range []struct {
		name, check string
		break_      func(t *testing.T, dir string)
		fix         string // a word the fix must contain
	}{
		{"MissingDirectory", "data directory", func(t *testing.T, dir string) { os.RemoveAll(dir) }, "--data-dir"},
		{"WrongKey", "secret key matches", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "secret.key"), []byte(secretbox.EncodeKey(secretbox.NewKey())+"\n"), 0o600)
		}, "backup"},
		{"MissingKey", "secret key", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "secret.key")) }, "backup"},
		{"BadKey", "secret key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "secret.key"), []byte("not a key\n"), 0o600)
		}, "backup"},
		{"EmptyDatabase", "database", func(t *testing.T, dir string) { os.Truncate(filepath.Join(dir, "hookline.db"), 0) }, "--init"},
		{"NotADatabase", "database", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "hookline.db"), []byte(strings.Repeat("junk", 1024)), 0o600)
		}, "restore"},
		{"NewerSchema", "schema", func(t *testing.T, dir string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "hookline.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`PRAGMA user_version = 999`); err != nil {
				t.Fatal(err)
			}
		}, "newer"},
		{"DamagedPage", "integrity", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "hookline.db")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			mid := (len(b) / 4096 / 2) * 4096
			for i := mid; i < mid+4096; i++ {
				b[i] = 0xA5
			}
			os.WriteFile(path, b, 0o600)
		}, "restore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := dataDir(t)
			tc.break_(t, dir)
			fs := run(dir)
			if !doctor.Failed(fs) {
				t.Fatalf("no failure: %+v", fs)
			}
			if f := finding(t, fs, tc.check, doctor.Fail); !strings.Contains(f.Fix, tc.fix) {
				t.Errorf("fix %q does not mention %q", f.Fix, tc.fix)
			}
		})
	}
	t.Run("OpenPermissions", func(t *testing.T) {
		t.Parallel()
		dir := dataDir(t)
		os.Chmod(dir, 0o755)
		os.Chmod(filepath.Join(dir, "secret.key"), 0o644)
		fs := run(dir)
		finding(t, fs, "data directory", doctor.Warn)
		if f := finding(t, fs, "secret key", doctor.Warn); !strings.Contains(f.Fix, "chmod 600") {
			t.Errorf("fix %q", f.Fix)
		}
	})
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	key := secretbox.NewKey()
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(t.Context(), pgtest.URL(), postgres.Options{Sealer: box, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, st)
	st.Close()
	sep := "?"
	if strings.Contains(pgtest.URL(), "?") {
		sep = "&"
	}
	cfg := config.Default()
	cfg.DatabaseURL = pgtest.URL() + sep + "search_path=" + schema
	cfg.SecretKey = secretbox.EncodeKey(key)
	fs := doctor.Run(t.Context(), cfg, doctor.Options{})
	if doctor.Failed(fs) {
		t.Fatalf("a healthy database failed: %+v", fs)
	}
	finding(t, fs, "schema", doctor.OK)
	finding(t, fs, "secret key matches", doctor.OK)

	cfg.SecretKey = secretbox.EncodeKey(secretbox.NewKey())
	finding(t, doctor.Run(t.Context(), cfg, doctor.Options{}), "secret key matches", doctor.Fail)
	cfg.SecretKey = ""
	finding(t, doctor.Run(t.Context(), cfg, doctor.Options{}), "secret key", doctor.Fail)
	cfg.DatabaseURL = "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	finding(t, doctor.Run(t.Context(), cfg, doctor.Options{}), "database", doctor.Fail)
}

// A crash leaves committed writes in the log; a damaged frame there is a
// failure that names the loss, found before any server replays the log.
func TestSQLiteDamagedWAL(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	key, _, err := secretbox.LoadOrCreateKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secretbox.New(key)
	st, err := sqlite.Open(filepath.Join(dir, "hookline.db"), sqlite.Options{Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, st)
	crashed := t.TempDir()
	for _, name := range []string{"hookline.db", "hookline.db-wal", "secret.key"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(crashed, name), b, 0o600)
	}
	st.Close()
	os.Chmod(crashed, 0o700)
	finding(t, run(crashed), "write-ahead log", doctor.OK)
	wal := filepath.Join(crashed, "hookline.db-wal")
	b, _ := os.ReadFile(wal)
	b[32+24+100] ^= 0xff // the first frame's page
	os.WriteFile(wal, b, 0o600)
	f := finding(t, run(crashed), "write-ahead log", doctor.Fail)
	if !strings.Contains(f.Detail, "drop") || !strings.Contains(f.Fix, "aside") {
		t.Errorf("finding %+v does not say what is lost and what to do", f)
	}
}
