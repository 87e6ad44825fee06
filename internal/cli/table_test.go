package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/client"
)

// long is a value longer than any table leaves room for.
var long = "https://receiver.example.com/" + strings.Repeat("very-long-path-segment/", 8) + "end"

// fakeLists is an API that answers every list with rows full of long
// values.
func fakeLists(t *testing.T) *httptest.Server {
	t.Helper()
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	pages := map[string]any{
		"/api/v1/webhooks": client.Page[client.Webhook]{Data: []client.Webhook{{ID: "wh_01j9z3k4m5n6p7q8r9s0t1v2w3",
			Tenant: "tenant-" + long, Name: "name " + long, URL: long, Events: []string{"payment_received", "customer_created", long},
			Active: true, CreatedAt: now}}},
		"/api/v1/tenants": client.Page[client.Tenant]{Data: []client.Tenant{{ID: "acme", Name: long, ContactEmail: "ops@" + long,
			CreatedAt: now}}},
		"/api/v1/events": client.Page[client.EventSummary]{Data: []client.EventSummary{{Event: client.Event{ID: "evt_01j9z3k4m5n6p7q8r9s0t1v2w3",
			Type: "type." + long, Tenant: long, Timestamp: now}, Deliveries: map[string]int{"succeeded": 3, "failed": 2, "pending": 1}}}},
		"/api/v1/event-types": client.Page[client.EventType]{Data: []client.EventType{{Slug: "payment_received", Name: long,
			Description: long, Custom: true, CreatedAt: now}}},
		"/api/v1/deliveries": client.Page[client.Delivery]{Data: []client.Delivery{{ID: "dlv_01j9z3k4m5n6p7q8r9s0t1v2w3",
			EventID: "evt_01j9z3k4m5n6p7q8r9s0t1v2w3", EventType: "type." + long, WebhookID: "wh_01j9z3k4m5n6p7q8r9s0t1v2w3",
			Status: "pending", Attempts: 3, NextAttemptAt: &now, LastStatusCode: 500, LastError: long}}},
		"/api/v1/keys": client.Page[client.APIKey]{Data: []client.APIKey{{ID: "key_01j9z3k4m5n6p7q8r9s0t1v2w3", Name: long,
			Prefix: "hkl_abcdef", Scopes: []string{"admin", "publish", "read"}, Tenant: long, CreatedAt: now}}},
		"/api/v1/bins": client.Page[client.Bin]{Data: []client.Bin{{ID: "bin_01j9z3k4m5n6p7q8r9s0t1v2w3", Name: long,
			URL: "http://127.0.0.1:8080/in/bin_01j9z3k4m5n6p7q8r9s0t1v2w3", ExpiresAt: now}}},
	}
	attempt := client.Attempt{ID: "att_01j9z3k4m5n6p7q8r9s0t1v2w3", DeliveryID: "dlv_01j9z3k4m5n6p7q8r9s0t1v2w3",
		EventType: "type." + long, Number: 1, Outcome: long, Answer: "500 " + long, StartedAt: now, DurationMS: 12.5,
		ResponseBody: long}
	delivery := pages["/api/v1/deliveries"].(client.Page[client.Delivery]).Data[0]
	pages["/api/v1/webhooks/wh_1/attempts"] = client.Page[client.Attempt]{Data: []client.Attempt{attempt}}
	pages["/api/v1/deliveries/dlv_1"] = client.DeliveryWithAttempts{Delivery: delivery, AttemptLog: []client.Attempt{attempt}}
	pages["/api/v1/events/evt_1"] = client.EventWithDeliveries{Event: client.Event{ID: "evt_1", Type: "type." + long},
		Deliveries: []client.Delivery{delivery}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"no such route"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCLITablesFit100Columns: every list fits 100 columns, cutting its
// long values with …; --wide shows them whole.
func TestCLITablesFit100Columns(t *testing.T) {
	srv := fakeLists(t)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOOKLINE_URL", srv.URL)
	t.Setenv("HOOKLINE_API_KEY", "hkl_test")
	for _, args := range [][]string{
		{"webhooks", "list"}, {"tenants", "list"}, {"events", "list"}, {"event-types", "list"},
		{"deliveries", "list"}, {"keys", "list"}, {"bins", "list"},
		{"webhooks", "attempts", "wh_1"}, {"deliveries", "get", "dlv_1"}, {"events", "get", "evt_1"},
	} {
		name := strings.Join(args, " ")
		code, out, errb := run(t, args...)
		if code != ExitOK {
			t.Errorf("%s: exit %d: %s", name, code, errb)
			continue
		}
		// Lines that are not a table row (a detail's "Field: value"
		// lines, JSON) are not cut.
		var rows []string
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, ": ") && !strings.Contains(line, "\"") {
				rows = append(rows, line)
			}
		}
		table := strings.Join(rows, "\n")
		for _, line := range rows {
			if n := utf8.RuneCountInString(line); n > tableWidth {
				t.Errorf("%s: a line of %d columns:\n%s", name, n, table)
			}
		}
		if args[0] != "bins" && (!strings.Contains(table, "…") || strings.Contains(table, long)) {
			t.Errorf("%s: long values not cut:\n%s", name, out)
		}
		code, out, errb = run(t, append(args, "--wide")...)
		if code != ExitOK || !strings.Contains(out, long) {
			t.Errorf("%s --wide: exit %d, the long value is not whole:\n%s%s", name, code, out, errb)
		}
	}
}

// TestCLITableWidths: flexible columns give up width, the widest first,
// down to their minimum; fixed ones never.
func TestCLITableWidths(t *testing.T) {
	t.Parallel()
	tb := newTable(fixed("ID"), flex("NAME", 4), flex("URL", 10), extra("MORE"))
	tb.row(strings.Repeat("i", 30), strings.Repeat("n", 40), strings.Repeat("u", 80), "x")
	if got := tb.widths(0); got[0] != 30 || got[1] != 40 || got[2] != 80 {
		t.Errorf("no limit: widths %v", got)
	}
	// 30 + 2 + n + 2 + u = 60: 26 for NAME and URL, the widest giving first.
	if got := tb.narrow().widths(60); got[0] != 30 || got[1] != 13 || got[2] != 13 {
		t.Errorf("limit 60: widths %v", got)
	}
	// Below the minimums: they stop there, the fixed column whole.
	if got := tb.narrow().widths(20); got[0] != 30 || got[1] != 4 || got[2] != 10 {
		t.Errorf("limit 20: widths %v", got)
	}
	var b strings.Builder
	tb.write(&b, false)
	if strings.Contains(b.String(), "MORE") {
		t.Errorf("a wide-only column shows without --wide:\n%s", b.String())
	}
	b.Reset()
	tb.write(&b, true)
	if !strings.Contains(b.String(), "MORE") {
		t.Errorf("--wide lacks the wide-only column:\n%s", b.String())
	}
}

// TestCLIJSONErrors: with --json every error is problem JSON on stderr:
// the server's as received, or one made here for a mistake in the command
// line; without it, one line of text without internal codes.
func TestCLIJSONErrors(t *testing.T) {
	srv := fakeLists(t)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOOKLINE_URL", srv.URL)
	t.Setenv("HOOKLINE_API_KEY", "hkl_test")
	type problem struct {
		Type, Title, Detail string
		Status              int
		ExitCode            *int `json:"exit_code"`
	}
	tests := []struct {
		args   []string
		code   int
		status int
		detail string
		// local is true for a problem made here (with exit_code).
		local bool
	}{
		{[]string{"webhooks", "get", "wh_nope", "--json"}, ExitError, 404, "no such route", false},
		{[]string{"webhooks", "list", "--json", "--bogus"}, ExitUsage, 400, "flag provided but not defined: -bogus", true},
		{[]string{"webhooks", "get", "--json"}, ExitUsage, 400, "missing WEBHOOK_ID", true},
		{[]string{"keys", "revoke", "--json=true"}, ExitUsage, 400, "missing KEY_ID", true},
		{[]string{"keys", "list", "--json", "--data-dir", filepath.Join(t.TempDir(), "nothing")}, ExitError, 404, "no Hookline database", true},
	}
	for _, tt := range tests {
		code, out, errb := run(t, tt.args...)
		var p problem
		err := json.Unmarshal([]byte(errb), &p)
		if code != tt.code || out != "" || err != nil || p.Status != tt.status || p.Title != http.StatusText(tt.status) ||
			p.Type != "about:blank" || !strings.Contains(p.Detail, tt.detail) || (p.ExitCode != nil) != tt.local {
			t.Errorf("%q: exit %d, stdout %q, stderr %q (%v)", tt.args, code, out, errb, err)
		}
	}
	// A local application error: its message, its status, no code.
	dir := newDataDir(t)
	code, _, errb := run(t, "keys", "revoke", "key_01jbx5kq4w7a0j6s5yq6d1j2c9", "--data-dir", dir)
	if code != ExitError || strings.Contains(errb, "not_found") || !strings.Contains(errb, "API key key_01jbx5kq4w7a0j6s5yq6d1j2c9 not found") {
		t.Errorf("revoke of an unknown key: exit %d: %s", code, errb)
	}
	code, _, errb = run(t, "keys", "create", "--name", "", "--json", "--data-dir", dir, "--scopes", "nope,admin,bad")
	var p struct {
		Status int
		Detail string
		Errors []struct{ Pointer, Detail string }
	}
	if code != ExitUsage || json.Unmarshal([]byte(errb), &p) != nil || p.Status != 400 {
		t.Errorf("create without a name: exit %d: %s", code, errb)
	}
	code, _, errb = run(t, "keys", "create", "--name", "ci", "--json", "--data-dir", dir, "--scopes", "nope,admin,bad")
	if code != ExitError || json.Unmarshal([]byte(errb), &p) != nil || p.Status < 400 || p.Status > 422 || len(p.Errors) != 2 ||
		p.Errors[0].Pointer != "/scopes/0" || strings.Contains(errb, "invalid:") {
		t.Errorf("create with bad scopes: exit %d: %s", code, errb)
	}
}
