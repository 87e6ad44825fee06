package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
)

// ownerKey makes a key with the owner scope, as an owner (or the command
// line on the database) would.
func (s *server) ownerKey() string {
	s.t.Helper()
	_, key, err := auth.Create(context.Background(), s.app.Store(), auth.CreateParams{Name: "owner", Scopes: []string{auth.ScopeOwner}}, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return key
}

// Users through the API: an owner key manages them; an admin key (what
// an admin user can make) and a tenant's key cannot, and an admin key
// cannot make an owner key; the last owner stays.
func TestUsersAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	owner := http.Header{"Authorization": {"Bearer " + s.ownerKey()}}

	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/users/admin"},
		{"PATCH", "/api/v1/users/admin"}, {"DELETE", "/api/v1/users/admin"},
	} {
		p := mustProblem(t, s.raw(rt.method, rt.path, s.authed(), `{"role":"owner"}`), 403)
		if !strings.Contains(p.Detail, "owner") {
			t.Errorf("%s %s with an admin key: %q, want it to say the owner scope is needed", rt.method, rt.path, p.Detail)
		}
	}
	p := s.sendProblem(403, "POST", "/api/v1/keys", map[string]any{"name": "escalate", "scopes": []string{"owner"}})
	if !strings.Contains(p.Detail, `"owner"`) {
		t.Errorf("an admin key making an owner key: %q", p.Detail)
	}
	_, tenantKey, err := auth.Create(context.Background(), s.app.Store(), auth.CreateParams{Name: "acme", Tenant: "acme",
		Scopes: []string{auth.ScopeAdmin}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mustProblem(t, s.raw("GET", "/api/v1/users", http.Header{"Authorization": {"Bearer " + tenantKey}}, nil), 403)

	r := s.raw("POST", "/api/v1/users", owner, map[string]any{"username": "Grace@Example.com", "role": "viewer"})
	var created client.User
	decode(t, r, 201, &created)
	if created.Username != "grace@example.com" || created.Role != "viewer" || len(created.Password) < 20 ||
		r.Header.Get("Location") != "/api/v1/users/grace@example.com" {
		t.Fatalf("created %+v (Location %q)", created, r.Header.Get("Location"))
	}
	p = mustProblem(t, s.raw("POST", "/api/v1/users", owner, map[string]any{"username": "-bad name", "role": "boss", "password": "short"}), 400)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Pointer)
	}
	if !slices.Equal(fields, []string{"/username", "/role", "/password"}) {
		t.Errorf("every problem at once: %v (%+v)", fields, p)
	}
	mustProblem(t, s.raw("POST", "/api/v1/users", owner, map[string]any{"username": "grace@example.com", "role": "admin", "password": "long enough"}), 409)

	var list client.Page[client.User]
	decode(t, s.raw("GET", "/api/v1/users", owner, nil), 200, &list)
	var names []string
	for _, u := range list.Data {
		names = append(names, u.Username+":"+u.Role)
		if u.Password != "" {
			t.Errorf("a listed user carries a password: %+v", u)
		}
	}
	if !slices.Equal(names, []string{"admin:owner", "grace@example.com:viewer"}) {
		t.Errorf("users: %v", names)
	}
	var u client.User
	decode(t, s.raw("PATCH", "/api/v1/users/grace@example.com", owner, map[string]any{"role": "admin", "password": ""}), 200, &u)
	if u.Role != "admin" || len(u.Password) < 20 || u.Password == created.Password {
		t.Errorf("after PATCH: %+v", u)
	}
	p = mustProblem(t, s.raw("PATCH", "/api/v1/users/admin", owner, map[string]any{"role": "viewer"}), 409)
	if !strings.Contains(p.Detail, "last owner") {
		t.Errorf("demoting the last owner: %q", p.Detail)
	}
	mustProblem(t, s.raw("DELETE", "/api/v1/users/admin", owner, nil), 409)
	mustProblem(t, s.raw("GET", "/api/v1/users/nobody", owner, nil), 404)
	if r := s.raw("DELETE", "/api/v1/users/grace@example.com", owner, nil); r.Status != 204 {
		t.Errorf("DELETE: %d %s", r.Status, r.Body)
	}
	mustProblem(t, s.raw("DELETE", "/api/v1/users/grace@example.com", owner, nil), 404)

	var log struct {
		Data []struct{ Actor, Action, Target string } `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/audit-log?target=grace@example.com", nil, &log)
	var actions []string
	for _, e := range log.Data {
		actions = append(actions, e.Action)
		if !strings.HasPrefix(e.Actor, "key:") {
			t.Errorf("audit entry by %q, want the owner key", e.Actor)
		}
	}
	if want := []string{"user.delete", "user.password_reset", "user.role_change", "user.create"}; !slices.Equal(actions, want) {
		t.Errorf("audit of grace: %v, want %v", actions, want)
	}
}

// The users commands go through the server with an owner key; an admin
// key is refused with what to do.
func TestCLIUsers(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, true)
	c.fails(1, []string{"owner"}, "users", "list")
	c.env = append(c.env, "HOOKLINE_API_KEY="+s.ownerKey())

	out := c.run("users", "add", "ops", "--role", "admin")
	if out.code != 0 || len(strings.TrimSpace(out.stdout)) < 20 || !strings.Contains(out.stderr, "Added ops (admin) on "+s.URL) {
		t.Fatalf("%s", out)
	}
	mustContain(t, "users list", c.ok("users", "list"), "USERNAME", "ROLE", "admin", "owner", "ops")
	var u client.User
	c.json(&u, "users", "set-role", "ops", "viewer")
	if u.Username != "ops" || u.Role != "viewer" {
		t.Errorf("set-role: %+v", u)
	}
	c.fails(1, []string{"last owner"}, "users", "set-role", "admin", "viewer")
	c.fails(1, []string{"users list"}, "users", "remove", "nobody")
	mustContain(t, "remove", c.run("users", "remove", "ops").stderr, "Removed ops")
}

// A configured admin password that no longer applies is said in the
// log, not silently ignored.
func TestAdminPasswordOnLaterStarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	with := func(password string) serverOption {
		return func(c *config.Config) { c.DataDir, c.AdminPassword = dir, password }
	}
	first := startServer(t, with("first password"))
	if !strings.Contains(first.logs.String(), "created the dashboard account with the configured password") {
		t.Errorf("first start log:\n%s", grepLines(first.logs.String(), "dashboard"))
	}
	first.stop()
	same := startServer(t, with("first password"))
	if strings.Contains(same.logs.String(), "ignored") {
		t.Errorf("the same password on a later start warned:\n%s", grepLines(same.logs.String(), "admin password"))
	}
	same.stop()
	other := startServer(t, with("another password"))
	if !strings.Contains(other.logs.String(), "password has changed since, so it was ignored") {
		t.Errorf("another password on a later start, log:\n%s", grepLines(other.logs.String(), "password"))
	}
}

// decode checks r's status and decodes its JSON body into out.
func decode(t *testing.T, r httpResult, status int, out any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}
