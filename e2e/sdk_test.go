package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// TestSDKs runs the test suite of each client library under sdk/ against a
// real server: publish with an idempotency key, webhook CRUD, paging,
// deliveries, a 422's field problems, tenants and a portal link, a 503
// with Retry-After (through flakyProxy) and the signature of a real
// delivery. The suites get the server by environment: HOOKLINE_URL,
// HOOKLINE_API_KEY, HOOKLINE_FLAKY_URL, HOOKLINE_SIGNED_REQUEST (a JSON
// file {"secret", "headers", "body"}) and HOOKLINE_TENANT. Then each SDK's
// examples/publish and examples/verify run as a user would run them.
func TestSDKs(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	signed := captureSignedRequest(t, s)
	sdks := []struct {
		name, tool, ext string
		suite           func(t *testing.T, tool string, env []string)
	}{
		{"typescript", "node", "mjs", runTypeScriptSDK},
		{"python", "python3", "py", runPythonSDK},
		{"php", "php", "php", runPHPSDK},
	}
	for _, sdk := range sdks {
		t.Run(sdk.name, func(t *testing.T) {
			t.Parallel()
			tool, err := exec.LookPath(sdk.tool)
			if err != nil {
				skipOrFail(t, sdk.tool+" is not installed")
			}
			proxy := startFlakyProxy(t, s.URL)
			env := append(os.Environ(),
				"HOOKLINE_URL="+s.URL,
				"HOOKLINE_API_KEY="+s.Key,
				"HOOKLINE_FLAKY_URL="+proxy,
				"HOOKLINE_SIGNED_REQUEST="+signed,
				"HOOKLINE_TENANT=sdk-"+sdk.name,
				"PYTHONDONTWRITEBYTECODE=1",
			)
			sdk.suite(t, tool, env)
			runSDKExamples(t, s, filepath.Join("..", "sdk", sdk.name), env, signed, tool, sdk.ext)
		})
	}
}

func runTypeScriptSDK(t *testing.T, node string, env []string) {
	dir := filepath.Join("..", "sdk", "typescript")
	npmCI(t, dir, filepath.Join("node_modules", "typescript", "package.json"))
	runSuite(t, dir, env, node, filepath.Join("node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", ".")
	out := runSuite(t, dir, env, node, "--test", "test/")
	if !strings.Contains(out, "# skipped 0") && !strings.Contains(out, "# skip 0") {
		t.Errorf("node --test skipped tests with a server at hand:\n%s", out)
	}
}

func runPythonSDK(t *testing.T, python string, env []string) {
	out := runSuite(t, filepath.Join("..", "sdk", "python"), env, python, "-m", "unittest", "discover", "-v", "-s", "tests", "-t", ".")
	if strings.Contains(out, "skipped") {
		t.Errorf("unittest skipped tests with a server at hand:\n%s", out)
	}
}

func runPHPSDK(t *testing.T, php string, env []string) {
	out := runSuite(t, filepath.Join("..", "sdk", "php"), env, php, "tests/run.php")
	if strings.Contains(out, "SKIP") {
		t.Errorf("the PHP tests skipped tests with a server at hand:\n%s", out)
	}
}

// runSDKExamples runs an SDK's two examples as a user would: publish.EXT
// publishes an event (checked through the Go client), verify.EXT accepts
// the captured delivery on stdin and refuses it with a changed body.
func runSDKExamples(t *testing.T, s *server, dir string, env []string, signed, tool, ext string) {
	t.Helper()
	out := strings.TrimSpace(runSuite(t, dir, env, tool, "examples/publish."+ext, "customer_created", `{"id": 99, "name": "example"}`))
	ev, err := client.New(s.URL, s.Key).EventGet(context.Background(), out)
	if err != nil {
		t.Fatalf("publish.%s printed %q: %v", ext, out, err)
	}
	if ev.Type != "customer_created" || !strings.Contains(string(ev.Data), `"example"`) {
		t.Errorf("publish.%s stored %+v", ext, ev.Event)
	}

	raw, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	var captured struct {
		Secret  string            `json:"secret"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	if err := json.Unmarshal(raw, &captured); err != nil {
		t.Fatal(err)
	}
	verify := func(body string) (string, error) {
		in, err := json.Marshal(map[string]any{"headers": captured.Headers, "body": body})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, tool, "examples/verify."+ext)
		cmd.Dir, cmd.Env = dir, append(env, "WEBHOOK_SECRET="+captured.Secret)
		cmd.Stdin = strings.NewReader(string(in))
		b, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(b)), err
	}
	if out, err := verify(captured.Body); err != nil || out != "customer_created" {
		t.Errorf("verify.%s on a real delivery: %q, %v; want customer_created and exit 0", ext, out, err)
	}
	out, err = verify(strings.Replace(captured.Body, "Zo", "Zz", 1))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "no signature matches") {
		t.Errorf("verify.%s on a changed body: %q, %v; want exit 1 and the reason", ext, out, err)
	}
}

// runSuite runs one command of an SDK's test suite in dir and fails the
// test with its output when it exits non-zero.
func runSuite(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", filepath.Base(name), strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// npmCI installs a package's locked dev dependencies when marker is
// missing (CI does it beforehand in .ci/run).
func npmCI(t *testing.T, dir, marker string) {
	t.Helper()
	npmMu.Lock()
	defer npmMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipOrFail(t, dir+"/node_modules is missing and npm is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

// startFlakyProxy starts a loopback reverse proxy to target that answers
// every odd-numbered request (the 1st, 3rd, …) itself with 503 and
// Retry-After: 1, and forwards the others. A client that retries such
// calls succeeds on its second try; one that does not sees the 503.
func startFlakyProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	n := 0
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		fail := n%2 == 1
		mu.Unlock()
		if fail {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the test proxy says: try again"}`)
			return
		}
		forward.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// captureSignedRequest has the server deliver one event to a loopback
// receiver and writes what arrived, with the webhook's secret, to a JSON
// file the SDKs verify: {"secret", "headers" (lower-case names), "body"}.
func captureSignedRequest(t *testing.T, s *server) string {
	t.Helper()
	ctx := context.Background()
	api := client.New(s.URL, s.Key)
	rc := startReceiver(t, nil)
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{
		Tenant: "sdk-signed", Name: "sdk signature", URL: rc.URL + "/hook", Events: []string{"customer_created"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.EventPublish(ctx, client.EventPublishParams{
		Type: "customer_created", Tenant: "sdk-signed", Data: map[string]any{"id": 7, "name": "Zoë ✓"},
	}); err != nil {
		t.Fatal(err)
	}
	got := rc.wait(t, 1)[0]
	headers := map[string]string{}
	for k, v := range got.Header {
		headers[strings.ToLower(k)] = strings.Join(v, " ")
	}
	if headers["webhook-signature"] == "" {
		t.Fatalf("the delivery has no signature: %v", got.Header)
	}
	b, err := json.Marshal(map[string]any{"secret": wh.Secret, "headers": headers, "body": string(got.Body)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signed-request.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
