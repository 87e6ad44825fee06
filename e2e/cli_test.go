package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// cli runs the real hookline binary as a user would, against one server,
// with its own empty config directory (never the user's own).
type cli struct {
	t   *testing.T
	env []string
	xdg string
}

// newCLI returns a runner whose commands reach s through HOOKLINE_URL and
// HOOKLINE_API_KEY (withEnv false leaves both unset).
func newCLI(t *testing.T, s *server, withEnv bool) *cli {
	t.Helper()
	home := t.TempDir()
	c := &cli{t: t, xdg: filepath.Join(home, "config")}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "HOOKLINE_") || name == "XDG_CONFIG_HOME" || name == "HOME" {
			continue
		}
		c.env = append(c.env, kv)
	}
	c.env = append(c.env, "HOME="+home, "XDG_CONFIG_HOME="+c.xdg)
	if withEnv {
		c.env = append(c.env, "HOOKLINE_URL="+s.URL, "HOOKLINE_API_KEY="+s.Key)
	}
	return c
}

// result is one finished command.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "hookline " + strings.Join(r.args, " ") + ": exit " + strconv.Itoa(r.code) +
		"\nstdout: " + r.stdout + "\nstderr: " + r.stderr
}

// runIn runs hookline with stdin and returns what it did.
func (c *cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(hooklineBinary(c.t), args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("hookline %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{args: args, code: code, stdout: out.String(), stderr: errb.String()}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("%s", r)
	}
	return r.stdout
}

// json runs a command with --json that must succeed and decodes its output.
func (c *cli) json(out any, args ...string) {
	c.t.Helper()
	stdout := c.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		c.t.Fatalf("hookline %s --json: %v\n%s", strings.Join(args, " "), err, stdout)
	}
}

// fails runs a command that must exit with code and print want on stderr.
func (c *cli) fails(code int, want []string, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code {
		c.t.Fatalf("exit %d, want %d\n%s", r.code, code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			c.t.Errorf("stderr lacks %q\n%s", w, r)
		}
	}
	return r
}

func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestCLIWebhooks(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	c := newCLI(t, s, true)

	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "Billing", "--url", rc.URL+"/hooks",
		"--events", "payment_received, payment_failed", "--header", "X-Team=billing", "--header", "X-Env=test")
	if !strings.HasPrefix(created.ID, "wh_") || !strings.HasPrefix(created.Secret, "whsec_") || !created.Active ||
		!slices.Equal(created.Events, []string{"payment_received", "payment_failed"}) ||
		created.Headers["X-Team"] != "billing" || created.Headers["X-Env"] != "test" {
		t.Fatalf("created %+v", created)
	}
	human := c.ok("webhooks", "create", "--name", "Quiet", "--url", rc.URL+"/quiet", "--events", "*", "--inactive", "--format", "raw")
	mustContain(t, "create output", human, "Created webhook wh_", "Secret:", "whsec_", "State:", "inactive", "raw")

	// list: JSON, filters and the table.
	var all []client.Webhook
	c.json(&all, "webhooks", "list")
	if len(all) != 2 {
		t.Fatalf("list: %d webhooks, want 2", len(all))
	}
	var inactive []client.Webhook
	c.json(&inactive, "webhooks", "list", "--active=false")
	if len(inactive) != 1 || inactive[0].Name != "Quiet" {
		t.Errorf("--active=false: %+v", inactive)
	}
	var subscribed []client.Webhook
	c.json(&subscribed, "webhooks", "list", "--event-type", "payment_failed", "--active")
	if len(subscribed) != 1 || subscribed[0].ID != created.ID {
		t.Errorf("--event-type payment_failed --active: %+v", subscribed)
	}
	var page []client.Webhook
	r := c.run("webhooks", "list", "--limit", "1", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page) != 1 || !strings.Contains(r.stderr, "--cursor") {
		t.Errorf("--limit 1: %v\n%s", err, r)
	}
	table := c.ok("webhooks", "list")
	mustContain(t, "list table", table, "ID", "NAME", "URL", created.ID, "Billing", "Quiet")

	// get, flags after the id.
	var got client.Webhook
	c.json(&got, "webhooks", "get", created.ID)
	if got.ID != created.ID || got.URL != rc.URL+"/hooks" {
		t.Errorf("get: %+v", got)
	}
	mustContain(t, "get output", c.ok("webhooks", "get", created.ID), "URL:", rc.URL+"/hooks", "X-Team: billing", "payment_received, payment_failed")

	// update: only the flags given change.
	var updated client.Webhook
	c.json(&updated, "webhooks", "update", created.ID, "--name", "Billing v2", "--active=false")
	if updated.Name != "Billing v2" || updated.Active || updated.URL != got.URL || len(updated.Headers) != 2 {
		t.Errorf("update name+active: %+v", updated)
	}
	updated = client.Webhook{} // json.Unmarshal merges into a non-nil map
	c.json(&updated, "webhooks", "update", created.ID, "--active", "--header", "X-Only=1", "--events", "payment_received")
	if !updated.Active || len(updated.Headers) != 1 || updated.Headers["X-Only"] != "1" || !slices.Equal(updated.Events, []string{"payment_received"}) {
		t.Errorf("update active+header+events: %+v", updated)
	}
	updated = client.Webhook{}
	c.json(&updated, "webhooks", "update", created.ID, "--clear-headers")
	if len(updated.Headers) != 0 || updated.Name != "Billing v2" {
		t.Errorf("update --clear-headers: %+v", updated)
	}
	c.fails(2, []string{"nothing to change"}, "webhooks", "update", created.ID)
	c.fails(1, []string{"url: "}, "webhooks", "update", created.ID, "--url", "ftp://example.com/x")

	// test: success, then a failing receiver (exit 1 with the result shown).
	out := c.ok("webhooks", "test", created.ID)
	mustContain(t, "test output", out, "succeeded", "200 OK", "Latency:", "payment_received")
	rc.wait(t, 1)
	var tr client.TestResult
	c.json(&tr, "webhooks", "test", created.ID, "--event-type", "payment_failed")
	if !tr.Success || tr.StatusCode != 200 || tr.EventType != "payment_failed" || tr.AttemptID == "" {
		t.Errorf("test --json: %+v", tr)
	}
	bad := startReceiver(t, statusSeq(500))
	c.ok("webhooks", "update", created.ID, "--url", bad.URL+"/down")
	r = c.fails(1, []string{"the test send failed: 500 Internal Server Error"}, "webhooks", "test", created.ID)
	mustContain(t, "failed test output", r.stdout, "FAILED", "500 Internal Server Error")

	// attempts, secret, rotation, replay.
	mustContain(t, "attempts", c.ok("webhooks", "attempts", created.ID), "(test)", "200 OK", "500 Internal Server Error")
	if sec := strings.TrimSpace(c.ok("webhooks", "secret", created.ID)); sec != created.Secret {
		t.Errorf("secret %q, want %q", sec, created.Secret)
	}
	rotated := strings.TrimSpace(c.ok("webhooks", "rotate-secret", created.ID))
	if !strings.HasPrefix(rotated, "whsec_") || rotated == created.Secret {
		t.Errorf("rotated secret %q", rotated)
	}
	r = c.run("webhooks", "secret", created.ID)
	if strings.TrimSpace(r.stdout) != rotated || !strings.Contains(r.stderr, created.Secret) {
		t.Errorf("secret after rotation:\n%s", r)
	}
	var rep client.ReplayResult
	c.json(&rep, "webhooks", "replay", created.ID, "--since", "1h")
	if rep.Deliveries != 0 {
		t.Errorf("replay with no events: %+v", rep)
	}
	c.fails(2, []string{"--since"}, "webhooks", "replay", created.ID, "--since", "last week")

	// delete, then the id is gone.
	mustContain(t, "delete", c.ok("webhooks", "delete", created.ID), "Deleted webhook "+created.ID)
	c.fails(1, []string{"webhook " + created.ID + " not found", "hookline webhooks list"}, "webhooks", "get", created.ID)
	c.fails(1, []string{"not found"}, "webhooks", "delete", created.ID)
}

func TestCLIEvents(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	c := newCLI(t, s, true)
	wh := s.createWebhook(rc.URL, "payment_received")

	r := c.run("events", "publish", "--type", "payment_received", "--data", `{"amount": 5, "currency": "EUR"}`)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(id, "evt_") || !strings.Contains(r.stderr, "to 1 webhook(s)") {
		t.Fatalf("publish:\n%s", r)
	}
	if got := rc.waitID(t, id); len(got) != 1 || !strings.Contains(string(got[0].Body), `"currency":"EUR"`) {
		t.Errorf("receiver got %d requests: %s", len(got), got[0].Body)
	}

	file := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(file, []byte(`{"amount": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	first := strings.TrimSpace(c.ok("events", "publish", "--type", "payment_received", "--data-file", file, "--idempotency-key", "pay-7"))
	r = c.run("events", "publish", "--type", "payment_received", "--data-file", file, "--idempotency-key", "pay-7")
	if strings.TrimSpace(r.stdout) != first || !strings.Contains(r.stderr, "Duplicate") {
		t.Errorf("repeat with the same idempotency key:\n%s", r)
	}
	r = c.runIn(`{"from": "stdin"}`, "events", "publish", "--type", "payment_failed", "--data-file", "-", "--json")
	var pub client.PublishResult
	if err := json.Unmarshal([]byte(r.stdout), &pub); err != nil || r.code != 0 || pub.Deliveries != 0 {
		t.Errorf("publish from stdin: %v\n%s", err, r)
	}
	var other client.PublishResult
	c.json(&other, "events", "publish", "--type", "payment_received", "--data", `{}`, "--tenant", "acme")
	if other.Deliveries != 0 {
		t.Errorf("another tenant's event reached %d webhooks", other.Deliveries)
	}

	c.fails(1, []string{`type: unknown event type "nope"`}, "events", "publish", "--type", "nope", "--data", "{}")
	c.fails(2, []string{"--data is not valid JSON"}, "events", "publish", "--type", "payment_received", "--data", "{oops")
	c.fails(2, []string{"--type is required"}, "events", "publish", "--data", "{}")
	c.fails(2, []string{"--data JSON or --data-file"}, "events", "publish", "--type", "payment_received")

	var list []client.EventSummary
	c.json(&list, "events", "list")
	if len(list) != 4 || list[0].ID != other.ID {
		t.Errorf("list: %d events (want 4, newest first)", len(list))
	}
	c.json(&list, "events", "list", "--type", "payment_failed")
	if len(list) != 1 || list[0].ID != pub.ID {
		t.Errorf("list --type payment_failed: %+v", list)
	}
	c.json(&list, "events", "list", "--all", "--limit", "1", "--tenant", "default")
	if len(list) != 3 {
		t.Errorf("list --all --limit 1 --tenant default: %d events, want 3", len(list))
	}
	mustContain(t, "list table", c.ok("events", "list"), "ID", "TYPE", id, "payment_failed", "acme")

	eventually(t, "the first delivery to succeed", func() bool {
		return s.onlyDelivery(id).Status == "succeeded"
	})
	var ev client.EventWithDeliveries
	c.json(&ev, "events", "get", id)
	var data map[string]any
	if err := json.Unmarshal(ev.Data, &data); err != nil || data["currency"] != "EUR" || data["amount"] != 5.0 {
		t.Errorf("get: data %s (%v)", ev.Data, err)
	}
	if ev.ID != id || len(ev.Deliveries) != 1 || ev.Deliveries[0].WebhookID != wh.ID {
		t.Errorf("get: %+v", ev)
	}
	mustContain(t, "get output", c.ok("events", "get", id), "Type:", "payment_received", `"currency": "EUR"`, "Deliveries:", wh.ID, "succeeded")
	c.fails(1, []string{"event evt_nope not found", "hookline events list"}, "events", "get", "evt_nope")
}

func TestCLIEventTypes(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, true)

	var types []client.EventType
	c.json(&types, "event-types", "list")
	if !slices.ContainsFunc(types, func(et client.EventType) bool { return et.Slug == "payment_received" && !et.Custom }) {
		t.Fatalf("the catalog lacks payment_received: %d types", len(types))
	}
	mustContain(t, "list table", c.ok("event-types", "list"), "SLUG", "payment_received", "built-in")

	var et client.EventType
	c.json(&et, "event-types", "get", "payment_received")
	if et.Slug != "payment_received" || len(et.Example) == 0 {
		t.Errorf("get: %+v", et)
	}
	mustContain(t, "get output", c.ok("event-types", "get", "payment_received"), "Slug:", "Example data:")

	schema := `{"type":"object","required":["order_id"],"properties":{"order_id":{"type":"integer"}}}`
	out := c.ok("event-types", "create", "--slug", "order.shipped", "--name", "Order shipped",
		"--description", "An order left the warehouse", "--example", `{"order_id": 1}`, "--schema", schema)
	mustContain(t, "create output", out, "Created event type order.shipped", "custom", "Schema:")
	c.json(&et, "event-types", "get", "order.shipped")
	if !et.Custom || et.Name != "Order shipped" || len(et.Schema) == 0 {
		t.Errorf("created type: %+v", et)
	}
	c.fails(1, nil, "event-types", "create", "--slug", "order.shipped", "--name", "Again")
	c.fails(1, []string{"schema"}, "event-types", "create", "--slug", "order.bad", "--name", "Bad",
		"--example", `{"order_id": "x"}`, "--schema", schema)
	c.fails(2, []string{"--slug and --name are required"}, "event-types", "create", "--slug", "x")

	c.json(&types, "event-types", "list", "--custom")
	if len(types) != 1 || types[0].Slug != "order.shipped" {
		t.Errorf("list --custom: %+v", types)
	}
	// The new type is usable at once, and its schema is enforced.
	c.ok("events", "publish", "--type", "order.shipped", "--data", `{"order_id": 2}`)
	c.fails(1, []string{"data"}, "events", "publish", "--type", "order.shipped", "--data", `{"order_id": "two"}`)
	c.fails(1, []string{"event type nope not found"}, "event-types", "get", "nope")
}

func TestCLIDeliveries(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(10*time.Millisecond))
	rc := startReceiver(t, statusSeq(500, 500, 200))
	c := newCLI(t, s, true)
	wh := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 1})
	dlv := s.onlyDelivery(id)
	s.waitDelivery(dlv.ID, "the delivery to fail", func(d deliveryResp) bool { return d.Status == "failed" })

	var list []client.Delivery
	c.json(&list, "deliveries", "list", "--status", "failed")
	if len(list) != 1 || list[0].ID != dlv.ID || list[0].Attempts != 2 || list[0].LastStatusCode != 500 {
		t.Fatalf("list --status failed: %+v", list)
	}
	c.json(&list, "deliveries", "list", "--webhook", wh.ID, "--event", id)
	if len(list) != 1 {
		t.Errorf("list --webhook --event: %+v", list)
	}
	c.json(&list, "deliveries", "list", "--status", "succeeded")
	if len(list) != 0 {
		t.Errorf("list --status succeeded: %+v", list)
	}
	mustContain(t, "list table", c.ok("deliveries", "list"), "STATUS", dlv.ID, "failed", "500 Internal Server Error")
	c.fails(2, []string{"--status must be pending, succeeded or failed"}, "deliveries", "list", "--status", "lost")

	var got client.DeliveryWithAttempts
	c.json(&got, "deliveries", "get", dlv.ID)
	if got.ID != dlv.ID || len(got.AttemptLog) != 2 || got.AttemptLog[0].StatusCode != 500 || got.AttemptLog[0].RequestBody == "" {
		t.Errorf("get: %+v", got)
	}
	mustContain(t, "get output", c.ok("deliveries", "get", dlv.ID), "Status:", "failed", "Attempts:", "500 Internal Server Error")

	out := c.ok("deliveries", "retry", dlv.ID)
	mustContain(t, "retry output", out, "pending again", dlv.ID)
	done := s.waitDelivery(dlv.ID, "the retried delivery to succeed", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if len(done.AttemptLog) != 3 {
		t.Errorf("%d attempts after the retry, want 3", len(done.AttemptLog))
	}
	var again client.Delivery
	c.json(&again, "deliveries", "retry", dlv.ID)
	if again.ID != dlv.ID || again.Status != "pending" {
		t.Errorf("retry --json: %+v", again)
	}
	c.fails(1, []string{"delivery dlv_nope not found", "hookline deliveries list"}, "deliveries", "retry", "dlv_nope")
	c.fails(1, []string{"delivery dlv_nope not found"}, "deliveries", "get", "dlv_nope")
}

func TestCLIExitCodesAndMessages(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, true)

	c.fails(2, []string{`unknown command "frobnicate"`}, "frobnicate")
	c.fails(2, []string{"missing subcommand"}, "webhooks")
	c.fails(2, []string{`unknown subcommand "frob"`}, "events", "frob")
	c.fails(2, []string{"flag provided but not defined: -bogus"}, "webhooks", "list", "--bogus")
	c.fails(2, []string{"missing WEBHOOK_ID"}, "webhooks", "get")
	c.fails(2, []string{"--name, --url, --events required"}, "webhooks", "create")
	c.fails(1, []string{"webhook wh_missing not found: list webhooks with 'hookline webhooks list'"}, "webhooks", "get", "wh_missing")
	c.fails(1, []string{"name: "}, "webhooks", "create", "--name", "x", "--url", "http://127.0.0.1:9/", "--events", "*")
	c.fails(1, []string{`events[0]: unknown event type "nope"`}, "webhooks", "create", "--name", "xy", "--url", "http://127.0.0.1:9/", "--events", "nope")
	c.fails(1, []string{"the API key from --api-key was refused", "check --api-key / HOOKLINE_API_KEY or run hookline login"},
		"webhooks", "list", "--api-key", "hkl_wrong")
	closed := closedBase(t)
	c.fails(1, []string{"cannot reach the Hookline server at " + closed, "--server or HOOKLINE_URL"},
		"events", "list", "--server", closed)
	c.fails(2, []string{"not an http(s) URL"}, "events", "list", "--server", "localhost:8080")

	// A publish key may publish but not administer.
	var key client.CreatedKey
	if status := s.doKey(s.Key, "POST", "/api/v1/keys", map[string]any{"name": "pub", "scopes": []string{"publish"}}, &key); status != 201 {
		t.Fatalf("create publish key: status %d", status)
	}
	c.ok("events", "publish", "--type", "payment_received", "--data", "{}", "--api-key", key.Key)
	c.fails(1, []string{"admin scope"}, "events", "list", "--api-key", key.Key)

	// Help exits 0 and shows examples, for every command and subcommand.
	r := c.run("help")
	if r.code != 0 || !strings.Contains(r.stdout, "webhooks") || !strings.Contains(r.stdout, "completion") {
		t.Errorf("help:\n%s", r)
	}
	for group, subs := range map[string][]string{
		"webhooks":    {"list", "get", "create", "update", "delete", "test", "secret", "rotate-secret", "replay", "attempts"},
		"events":      {"publish", "list", "get"},
		"event-types": {"list", "get", "create"},
		"deliveries":  {"list", "get", "retry"},
	} {
		r := c.run(group, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Subcommands:") {
			t.Errorf("%s --help:\n%s", group, r)
		}
		for _, sub := range subs {
			r := c.run(group, sub, "--help")
			if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "-json") {
				t.Errorf("%s %s --help:\n%s", group, sub, r)
			}
		}
	}
	for _, cmd := range []string{"login", "completion"} {
		if r := c.run(cmd, "-h"); r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s -h:\n%s", cmd, r)
		}
	}
}

// closedBase is an http base URL on loopback where nothing listens.
func closedBase(t *testing.T) string {
	u := closedPortURL(t)
	return strings.TrimSuffix(u, "/hook")
}

func TestCLILogin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, false)
	path := filepath.Join(c.xdg, "hookline", "config.json")

	c.fails(2, []string{"no API key", "hookline login"}, "webhooks", "list")
	c.fails(1, []string{"was refused"}, "login", "--server", s.URL, "--api-key", "hkl_wrong")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused login wrote %s (%v)", path, err)
	}

	// The key on standard input, as `hookline keys create | hookline login` does.
	r := c.runIn(s.Key+"\n", "login", "--server", s.URL+"/")
	if r.code != 0 || !strings.Contains(r.stdout, "Logged in to "+s.URL) || !strings.Contains(r.stdout, path) {
		t.Fatalf("login:\n%s", r)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
	var saved struct {
		Server string `json:"server"`
		APIKey string `json:"api_key"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &saved); err != nil || saved.Server != s.URL || saved.APIKey != s.Key {
		t.Errorf("config %s: %v", b, err)
	}

	// Later commands use it with no flags or environment.
	c.ok("webhooks", "create", "--name", "After login", "--url", "http://127.0.0.1:9/x", "--events", "*")
	var list []client.Webhook
	c.json(&list, "webhooks", "list")
	if len(list) != 1 || list[0].Name != "After login" {
		t.Errorf("list after login: %+v", list)
	}
	// The saved key is never sent to another server.
	closed := closedBase(t)
	c.fails(2, []string{"no API key for " + closed, "is not sent elsewhere"}, "webhooks", "list", "--server", closed)
	// A flag still beats the saved key.
	c.fails(1, []string{"the API key from --api-key was refused"}, "webhooks", "list", "--api-key", "hkl_wrong")
}

func TestCLICompletion(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, false)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out := c.ok("completion", shell)
		mustContain(t, shell+" completion", out, "hookline", "webhooks", "event-types", "deliveries", "rotate-secret", "login")
		if _, err := exec.LookPath(shell); err != nil {
			continue
		}
		f := filepath.Join(t.TempDir(), "completion."+shell)
		if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command(shell, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", shell, err, msg)
		}
		if shell == "bash" {
			// Complete a few command lines the way bash would.
			script := `source "$1"
complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hookline; echo "${COMPREPLY[*]}"; }
complete_line hookline webh
complete_line hookline webhooks cr
complete_line hookline events publish --idem
complete_line hookline completion f`
			got, err := exec.Command("bash", "-c", script, "bash", f).Output()
			if err != nil {
				t.Fatalf("bash completion: %v", err)
			}
			if want := "webhooks\ncreate\n--idempotency-key\nfish\n"; string(got) != want {
				t.Errorf("bash completes %q, want %q", got, want)
			}
		}
	}
	c.fails(2, []string{"unknown shell"}, "completion", "powershell")
}
