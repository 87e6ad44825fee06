package dashboard

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
)

// TestFailedSignInLogAndAudit: a failed sign-in is logged and audited by
// the client address and the account it named (or "unknown"), never with
// the typed name, which is often a password typed in the wrong field
// (issue 17).
func TestFailedSignInLogAndAudit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var logs bytes.Buffer
	b.dash.log = slog.New(slog.NewTextHandler(&logs, nil))
	const typed = "hunter2-in-the-name-field"
	if r := b.post("/login", url.Values{"username": {typed}, "password": {"whatever"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("unknown account: %d, want 401", r.Status)
	}
	if r := b.post("/login", url.Values{"username": {testUser}, "password": {"wrong password"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", r.Status)
	}
	out := logs.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "wrong password") {
		t.Fatalf("the log holds what was typed:\n%s", out)
	}
	if !strings.Contains(out, "account=unknown") || !strings.Contains(out, "account="+testUser) {
		t.Fatalf("the log does not name the accounts:\n%s", out)
	}
	page, err := b.st.AuditList(context.Background(), store.AuditListParams{Scope: auth.AllTenants(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, e := range page.Entries {
		if e.Action != "user.sign_in_failed" {
			continue
		}
		if e.Actor != "address:127.0.0.1" || strings.Contains(e.Detail+e.Target, "hunter2") {
			t.Errorf("audit entry %+v", e)
		}
		targets[e.Target] = true
	}
	if !targets[auth.UnknownAccount] || !targets[testUser] || len(targets) != 2 {
		t.Fatalf("failed sign-ins audited for %v, want unknown and %s", targets, testUser)
	}
}
