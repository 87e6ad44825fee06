package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// run calls Main and returns the exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// entries lists what is in dir, recursively.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != dir {
			got = append(got, path)
		}
		return err
	})
	return got
}

// TestCLILocalCommandsNeverCreateADatabase: every command that works on
// the server's database directly refuses, exit 1, naming the path and the
// flag, when there is no database where it is pointed, and creates
// nothing: not in the working directory (the default ./hookline-data),
// not at a mistyped --data-dir.
func TestCLILocalCommandsNeverCreateADatabase(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "none"))
	for _, env := range []string{"HOOKLINE_URL", "HOOKLINE_API_KEY", "HOOKLINE_DATA_DIR", "HOOKLINE_DATABASE_URL", "HOOKLINE_CONFIG"} {
		t.Setenv(env, "")
	}
	typo := filepath.Join(t.TempDir(), "hookline-dtaa")
	commands := [][]string{
		{"keys", "create", "--name", "me"},
		{"keys", "list"},
		{"keys", "revoke", "key_01jbx5kq4w7a0j6s5yq6d1j2c9"},
		{"admin", "reset-password"},
		{"backup", "--to", filepath.Join(t.TempDir(), "copy.db")},
	}
	for _, args := range commands {
		for _, where := range []struct {
			flags []string
			path  string
		}{
			{nil, filepath.Join(cwd, "hookline-data")},
			{[]string{"--data-dir", typo}, typo},
		} {
			args := append(append([]string{}, args...), where.flags...)
			code, out, errb := run(t, args...)
			if code != ExitError || out != "" {
				t.Errorf("hookline %s: exit %d, stdout %q", strings.Join(args, " "), code, out)
			}
			for _, want := range []string{where.path, "--data-dir", "does not create"} {
				if !strings.Contains(errb, want) {
					t.Errorf("hookline %s: stderr %q does not say %q", strings.Join(args, " "), errb, want)
				}
			}
		}
	}
	if got := entries(t, cwd); len(got) > 0 {
		t.Errorf("created in the working directory: %v", got)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("created the mistyped data directory: %v", err)
	}

	// A database without its secret key: refused too, and no new key made
	// (the stored secrets would be unreadable with it).
	dir := newDataDir(t)
	if err := os.Remove(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	code, _, errb := run(t, "keys", "create", "--name", "me", "--data-dir", dir)
	if code != ExitError || !strings.Contains(errb, filepath.Join(dir, "secret.key")) || !strings.Contains(errb, "--secret-key-file") {
		t.Errorf("without the secret key: exit %d, stderr %q", code, errb)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); !os.IsNotExist(err) {
		t.Errorf("a secret key was created: %v", err)
	}

	// --json: the refusal is problem JSON.
	code, _, errb = run(t, "keys", "list", "--json", "--data-dir", typo)
	var p struct {
		Title, Detail string
		Status        int
		ExitCode      int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(errb), &p); err != nil || code != ExitError || p.Status != 404 || p.ExitCode != ExitError ||
		p.Title != "Not Found" || !strings.Contains(p.Detail, typo) {
		t.Errorf("--json: exit %d, stderr %q (%v)", code, errb, err)
	}
}

// TestCLILocalCommandsPostgresSchema: against PostgreSQL, a database
// without Hookline's schema is refused and left as it was; once migrated,
// the same command works.
func TestCLILocalCommandsPostgresSchema(t *testing.T) {
	t.Parallel()
	admin := pgtest.Admin(t)
	schema := pgtest.NewSchema(t)
	url := pgtest.URL() + "&search_path=" + schema
	if !strings.Contains(pgtest.URL(), "?") {
		url = pgtest.URL() + "?search_path=" + schema
	}
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"keys", "create", "--name", "ops", "--database-url", url, "--secret-key-file", keyFile}
	code, out, errb := run(t, args...)
	if code != ExitError || out != "" || !strings.Contains(errb, "no Hookline schema") || !strings.Contains(errb, "--database-url") {
		t.Errorf("empty schema: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	var tables int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("the refused command left %d tables (%v)", tables, err)
	}
	if code, _, errb := run(t, "migrate", "--database-url", url); code != ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, errb)
	}
	if code, out, errb := run(t, args...); code != ExitOK || !strings.HasPrefix(out, "hkl_") {
		t.Errorf("after migrate: exit %d, stdout %q, stderr %q", code, out, errb)
	}
}

// TestCLIKeysThroughTheServer: with --server the keys commands use the
// server's API: the key they print is one the running server accepts,
// and nothing is written to the working directory's data dir.
func TestCLIKeysThroughTheServer(t *testing.T) {
	dir := newDataDir(t)
	cfg := config.Default()
	cfg.DataDir = dir
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Store().Close()
	})
	cwd := t.TempDir()
	t.Chdir(cwd)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOOKLINE_API_KEY", "")
	t.Setenv("HOOKLINE_URL", "")

	// The first key: on the database, as at bootstrap.
	code, adminKey, errb := run(t, "keys", "create", "--name", "bootstrap", "--data-dir", dir)
	if code != ExitOK {
		t.Fatalf("bootstrap key: exit %d: %s", code, errb)
	}
	adminKey = strings.TrimSpace(adminKey)

	code, out, errb := run(t, "keys", "create", "--server", srv.URL, "--api-key", adminKey, "--name", "publisher", "--scopes", "publish", "--json")
	var created struct{ ID, Key, Name string }
	if code != ExitOK || json.Unmarshal([]byte(out), &created) != nil || created.Key == "" || created.Name != "publisher" {
		t.Fatalf("create through the API: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	// The server knows the new key.
	t.Setenv("HOOKLINE_URL", srv.URL)
	if code, _, errb := run(t, "login", "--api-key", created.Key); code != ExitOK {
		t.Errorf("the new key is refused by the server: exit %d: %s", code, errb)
	}
	// HOOKLINE_URL and the login now select the server.
	code, out, errb = run(t, "keys", "list", "--api-key", adminKey)
	if code != ExitOK || !strings.Contains(out, created.ID) || !strings.Contains(out, "bootstrap") {
		t.Errorf("list through the API: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	if code, _, errb := run(t, "keys", "revoke", created.ID, "--api-key", adminKey); code != ExitOK || !strings.Contains(errb, "Revoked "+created.ID) {
		t.Errorf("revoke through the API: exit %d: %s", code, errb)
	}
	// Unknown key: a message without internal codes; --json: the API's
	// problem as received.
	code, _, errb = run(t, "keys", "revoke", "key_01jbx5kq4w7a0j6s5yq6d1j2c9", "--api-key", adminKey)
	if code != ExitError || !strings.Contains(errb, "API key key_01jbx5kq4w7a0j6s5yq6d1j2c9 not found") || strings.Contains(errb, "not_found") {
		t.Errorf("revoke of an unknown key: exit %d: %s", code, errb)
	}
	code, _, errb = run(t, "keys", "revoke", "key_01jbx5kq4w7a0j6s5yq6d1j2c9", "--api-key", adminKey, "--json")
	var p struct {
		Status   int
		Title    string
		Instance string
	}
	if err := json.Unmarshal([]byte(errb), &p); err != nil || code != ExitError || p.Status != 404 || p.Instance == "" {
		t.Errorf("--json revoke of an unknown key: exit %d, stderr %q (%v)", code, errb, err)
	}
	// A refused key: how to do without one.
	code, _, errb = run(t, "keys", "list", "--api-key", "hkl_"+strings.Repeat("x", 43))
	if code != ExitError || !strings.Contains(errb, "was refused") || !strings.Contains(errb, "--data-dir") {
		t.Errorf("list with a refused key: exit %d: %s", code, errb)
	}
	// Both --server and --data-dir: which one is meant is unclear.
	if code, _, errb := run(t, "keys", "list", "--server", srv.URL, "--data-dir", dir); code != ExitUsage || !strings.Contains(errb, "not both") {
		t.Errorf("--server with --data-dir: exit %d: %s", code, errb)
	}
	if got := entries(t, cwd); len(got) > 0 {
		t.Errorf("created in the working directory: %v", got)
	}
}
