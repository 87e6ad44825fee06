package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store"
)

// The users commands on the database directly (recovery): add with a
// generated password, list, change a role, keep the last owner, reset a
// password, remove; every change audited as the system's.
func TestUsersOnTheDatabase(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append(append([]string{"users"}, args...), "--data-dir", dir), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("add", "Grace@Example.com", "--role", "owner")
	if code != ExitOK || !strings.Contains(errOut, "Added grace@example.com (owner)") {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	password := strings.TrimSpace(out)
	if len(password) < 20 || strings.Contains(password, " ") {
		t.Fatalf("add printed %q, want the generated password alone", out)
	}
	cfg := config.Default()
	cfg.DataDir = dir
	st, err := app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserGet(ctx, "grace@example.com")
	if err != nil || !auth.CheckPassword(u.PasswordHash, password) || u.Role != auth.RoleOwner {
		t.Fatalf("grace in the store: %+v, %v (password printed %q)", u, err, password)
	}

	if code, _, errOut := run("add", "ops", "--role", "boss"); code != ExitError || !strings.Contains(errOut, "role") {
		t.Errorf("add with a bad role: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("add", "ops"); code != ExitUsage || !strings.Contains(errOut, "--role is required") {
		t.Errorf("add without a role: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("add", "grace@example.com", "--role", "viewer"); code != ExitError || !strings.Contains(errOut, "taken") {
		t.Errorf("add of a taken name: exit %d: %s", code, errOut)
	}

	var list []struct{ Username, Role string }
	code, out, errOut = run("list", "--json")
	if code != ExitOK {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Role != "owner" {
		t.Fatalf("list: %s (%v)", out, err)
	}
	if code, _, errOut := run("set-role", "grace@example.com", "viewer"); code != ExitError || !strings.Contains(errOut, "last owner") {
		t.Errorf("demoting the last owner: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("remove", "grace@example.com"); code != ExitError || !strings.Contains(errOut, "last owner") {
		t.Errorf("removing the last owner: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("set-role", "nobody", "viewer"); code != ExitError || !strings.Contains(errOut, "users list") {
		t.Errorf("set-role of an unknown user: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("set-role", "grace@example.com"); code != ExitUsage || !strings.Contains(errOut, "missing ROLE") {
		t.Errorf("set-role without a role: exit %d: %s", code, errOut)
	}
	if code, out, errOut := run("reset-password", "grace@example.com"); code != ExitOK || strings.TrimSpace(out) == password {
		t.Errorf("reset-password: exit %d: %q %s", code, out, errOut)
	}
	if code, _, errOut := run("add", "ops", "--role", "admin"); code != ExitOK {
		t.Fatalf("add ops: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("remove", "ops"); code != ExitOK || !strings.Contains(errOut, "Removed ops") {
		t.Errorf("remove: exit %d: %s", code, errOut)
	}

	page, err := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Target)
	}
	want := []string{"system user.delete ops", "system user.create ops", "system user.password_reset grace@example.com",
		"system user.create grace@example.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
