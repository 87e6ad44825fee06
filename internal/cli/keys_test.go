package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/store"
)

// The keys commands work on the database directly, and what they change
// is in the audit log as the system's doing, as the API's and the
// dashboard's changes are as theirs.
func TestKeysCreateRevokeAudited(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	ctx := context.Background()
	// The data directory goes first: flags end at the first argument.
	run := func(sub string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append([]string{"keys", sub, "--data-dir", dir}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("create", "--name", "deploy bot", "--json")
	if code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var created struct{ ID, Key string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == "" || created.Key == "" {
		t.Fatalf("create printed %q: %v", out, err)
	}
	if code, _, errOut := run("revoke", created.ID); code != ExitOK || !strings.Contains(errOut, "Revoked "+created.ID) {
		t.Fatalf("revoke: exit %d: %s", code, errOut)
	}
	// Again: harmless, and not recorded twice.
	if code, _, errOut := run("revoke", created.ID); code != ExitOK {
		t.Fatalf("second revoke: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("revoke", "key_01jbx5kq4w7a0j6s5yq6d1j2c9"); code != ExitError || !strings.Contains(errOut, "not found") {
		t.Errorf("revoke of an unknown key: exit %d: %s", code, errOut)
	}

	cfg := config.Default()
	cfg.DataDir = dir
	st, err := app.OpenStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.APIKeyList(ctx, auth.AllTenants())
	if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
		t.Fatalf("keys after revoke: %+v, %v", keys, err)
	}
	page, err := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: created.ID})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ actor, action, detail string }
	var got []entry
	for _, e := range slices.Backward(page.Entries) {
		got = append(got, entry{e.Actor, e.Action, e.Detail})
	}
	want := []entry{{"system", "key.create", "deploy bot"}, {"system", "key.revoke", "deploy bot"}}
	if !slices.Equal(got, want) {
		t.Errorf("audit log of the key =\n%v\nwant\n%v", got, want)
	}
}

// keys create --tenant makes a key of one tenant, and keys list shows
// each key's tenant.
func TestKeysCreateTenant(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	ctx := context.Background()
	run := func(sub string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append([]string{"keys", sub, "--data-dir", dir}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("create", "--name", "acme portal", "--scopes", "read", "--tenant", "acme", "--json")
	if code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var created struct {
		ID, Tenant string
		Scopes     []string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Tenant != "acme" || !slices.Equal(created.Scopes, []string{"read"}) {
		t.Fatalf("create printed %q: %v", out, err)
	}
	if code, _, errOut := run("create", "--name", "operator"); code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	code, out, errOut = run("list")
	if code != ExitOK {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "TENANT") {
		t.Fatalf("list printed:\n%s", out)
	}
	for _, l := range lines[1:] {
		want := "(all)"
		if strings.HasPrefix(l, created.ID) {
			want = "acme"
		}
		if !strings.Contains(l, want) {
			t.Errorf("list line %q does not say %q", l, want)
		}
	}
	if code, _, errOut := run("create", "--name", "x", "--tenant", "no spaces"); code == ExitOK || !strings.Contains(errOut, "tenant") {
		t.Errorf("create with a bad tenant: exit %d: %s", code, errOut)
	}
}

// newDataDir returns a data directory with a database in it, made by
// 'hookline migrate' as an operator would (the local commands refuse to
// create one).
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"migrate", "--data-dir", dir}, &out, &errOut); code != ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, errOut.String())
	}
	return dir
}
