package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/webhook"
)

func TestAdminResetPassword(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	ctx := context.Background()

	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"admin", "reset-password", "--data-dir", dir}, &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	generated := strings.TrimSpace(out.String())
	if len(generated) < 20 {
		t.Fatalf("printed %q", generated)
	}

	cfg := config.Default()
	cfg.DataDir = dir
	st, err := app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserGet(ctx, auth.AdminUser)
	if err != nil || !auth.CheckPassword(u.PasswordHash, generated) {
		t.Fatalf("generated password does not match: %v", err)
	}
	// A session that the next reset must end.
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := st.SessionCreate(ctx, auth.Session{ID: webhook.NewID(auth.PrefixSession), Username: auth.AdminUser,
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}, hash); err != nil {
		t.Fatal(err)
	}
	st.Close()

	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from a file, long enough\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := Main(ctx, []string{"admin", "reset-password", "--data-dir", dir, "--password-file", file}, &out, &errOut); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("a password from a file was printed: %q", out.String())
	}
	st, err = app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ = st.UserGet(ctx, auth.AdminUser)
	if !auth.CheckPassword(u.PasswordHash, "from a file, long enough") {
		t.Error("password from the file does not match")
	}
	if _, err := st.SessionGet(ctx, hash); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("session survived the reset: %v", err)
	}

	if err := os.WriteFile(file, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Main(ctx, []string{"admin", "reset-password", "--data-dir", dir, "--password-file", file}, &out, &errOut); code != ExitUsage {
		t.Errorf("short password: exit %d", code)
	}
	if code := Main(ctx, []string{"admin", "nope"}, &out, &errOut); code != ExitUsage {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}
