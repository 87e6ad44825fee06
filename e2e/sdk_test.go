package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
			// Captured here, not before the subtests: they wait for a free
			// parallel slot, and the SDKs refuse a signature older than
			// five minutes.
			signed := captureSignedRequest(t, s, "sdk-signed-"+sdk.name)
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
			if sdk.name == "php" {
				runWordPressExample(t, s, env, tool)
			}
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

// runWordPressExample runs examples/wordpress-publisher/publisher.php, which fires a
// user_register hook twice for one sign-up: one customer_created event,
// the second run a duplicate of the first thanks to its idempotency key.
func runWordPressExample(t *testing.T, s *server, env []string, php string) {
	t.Helper()
	out := runSuite(t, filepath.Join("..", "examples", "wordpress-publisher"), env, php, "publisher.php")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("publisher.php printed %q, want two lines (an event id, then the same id and duplicate)", out)
	}
	id := lines[0]
	if lines[1] != id+" duplicate" {
		t.Errorf("publisher.php's second run printed %q, want %q", lines[1], id+" duplicate")
	}
	ev, err := client.New(s.URL, s.Key).EventGet(context.Background(), id)
	if err != nil {
		t.Fatalf("publisher.php printed %q: %v", id, err)
	}
	if ev.Type != "customer_created" || ev.IdempotencyKey != "customer_created:4242" || !strings.Contains(string(ev.Data), `"customer_user_email":"jane@example.com"`) {
		t.Errorf("publisher.php stored %+v", ev.Event)
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
func captureSignedRequest(t *testing.T, s *server, tenant string) string {
	t.Helper()
	ctx := context.Background()
	api := client.New(s.URL, s.Key)
	rc := startReceiver(t, nil)
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{
		Tenant: tenant, Name: "sdk signature", URL: rc.URL + "/hook", Events: []string{"customer_created"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.EventPublish(ctx, client.EventPublishParams{
		Type: "customer_created", Tenant: tenant, Data: map[string]any{"id": 7, "name": "Zoë ✓"},
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

// sdkSchemaTypes maps each object schema of the OpenAPI document to its
// counterpart in the TypeScript declarations (sdk/typescript/src/index.d.ts)
// and in the Python package: a TypedDict, or "Class.method" for a request
// body Python takes as keyword arguments. A new schema must be added here
// (or to sdk/openapi-exceptions.txt), and TestSDKCoverage then checks
// that every property is there.
var sdkSchemaTypes = map[string][2]string{ // schema: {typescript, python}
	"ProblemError":    {"FieldProblem", "FieldProblem"},
	"EventType":       {"EventType", "EventType"},
	"EventTypeCreate": {"EventTypeCreateParams", "EventTypes.create"},
	"WebhookStats":    {"WebhookStats", "WebhookStats"},
	"Webhook":         {"Webhook", "Webhook"},
	"Destination":     {"Destination", "Destination"},
	// One schema per destination type; the SDKs' Destination has every
	// type's fields.
	"DestinationHTTP":      {"Destination", "Destination"},
	"DestinationRabbitMQ":  {"Destination", "Destination"},
	"DestinationNATS":      {"Destination", "Destination"},
	"DestinationRedis":     {"Destination", "Destination"},
	"DestinationMQTT":      {"Destination", "Destination"},
	"DestinationKafka":     {"Destination", "Destination"},
	"RateLimit":            {"RateLimit", "RateLimit"},
	"EventTypeUpdate":      {"EventTypeUpdateParams", "EventTypes.update"},
	"WebhookWithSecret":    {"CreatedWebhook", "CreatedWebhook"},
	"WebhookCreate":        {"WebhookCreateParams", "Webhooks.create"},
	"WebhookUpdate":        {"WebhookUpdateParams", "Webhooks.update"},
	"PreviousSecret":       {"PreviousSecret", "PreviousSecret"},
	"Secret":               {"Secrets", "Secrets"},
	"RotateSecretResult":   {"RotatedSecret", "RotatedSecret"},
	"TestRequest":          {"TestParams", "Webhooks.test"},
	"TestResult":           {"TestResult", "TestResult"},
	"ReplayRequest":        {"ReplayParams", "Webhooks.replay"},
	"ReplayResult":         {"ReplayResult", "ReplayResult"},
	"RecoverRequest":       {"RecoverParams", "Webhooks.recover"},
	"RecoverResult":        {"RecoverResult", "RecoverResult"},
	"Event":                {"Event", "Event"},
	"PublishRequest":       {"PublishParams", "Events.publish"},
	"PublishResult":        {"PublishResult", "PublishResult"},
	"EventSummary":         {"EventSummary", "EventSummary"},
	"EventWithDeliveries":  {"EventWithDeliveries", "EventWithDeliveries"},
	"Delivery":             {"Delivery", "Delivery"},
	"DeliveryWithAttempts": {"DeliveryWithAttempts", "DeliveryWithAttempts"},
	"Attempt":              {"Attempt", "Attempt"},
	"EventTypeList":        {"Page", "Page"},
	"WebhookList":          {"Page", "Page"},
	"EventList":            {"Page", "Page"},
	"DeliveryList":         {"Page", "Page"},
	"AttemptList":          {"Page", "Page"},
	"TenantList":           {"Page", "Page"},
	"APIKeyList":           {"Page", "Page"},
	"AuditList":            {"Page", "Page"},
	"Branding":             {"Branding", "Branding"},
	"Tenant":               {"Tenant", "Tenant"},
	"TenantCreate":         {"TenantCreateParams", "Tenants.create"},
	"TenantUpdate":         {"TenantUpdateParams", "Tenants.update"},
	"APIKey":               {"APIKey", "APIKey"},
	"User":                 {"User", "User"},
	"UserList":             {"Page", "Page"},
	"UserWithPassword":     {"User", "User"},
	"UserCreate":           {"UserCreateParams", "Users.create"},
	"UserUpdate":           {"UserUpdateParams", "Users.update"},
	"AlertChannel":         {"AlertChannel", "AlertChannel"},
	"AlertChannelCreate":   {"AlertChannelCreateParams", "AlertChannels.create"},
	"AlertChannelList":     {"Page", "Page"},
	"AlertTestResult":      {"AlertTestResult", "AlertTestResult"},
	"APIKeyCreate":         {"KeyCreateParams", "Keys.create"},
	"APIKeyWithSecret":     {"CreatedKey", "CreatedKey"},
	"AuditEntry":           {"AuditEntry", "AuditEntry"},
	"Me":                   {"Me", "Me"},
	"PortalSessionCreate":  {"PortalSessionParams", "Tenants.create_portal_session"},
	"PortalSession":        {"PortalSession", "PortalSession"},
	"FilterTest":           {"FilterTestParams", "Webhooks.filter_test"},
	"FilterResult":         {"FilterResult", "FilterResult"},
	"TransformTest":        {"TransformTestParams", "Webhooks.transform_test"},
	"TransformResult":      {"TransformResult", "TransformResult"},
	"TransformRequest":     {"TransformRequest", "TransformRequest"},
	"TransformError":       {"TransformError", "TransformError"},
	"FilterSkip":           {"FilterSkip", "FilterSkip"},
	"Stats":                {"Stats", "Stats"},
	"StatsBucket":          {"StatsBucket", "StatsBucket"},
	"StatsTotals":          {"StatsTotals", "StatsTotals"},
}

// TestSDKCoverage keeps the SDKs honest about the OpenAPI document: every
// operation has a call in each SDK (found as request('METHOD',
// '/api/…') with the path as the document spells it), every object
// schema's properties are in the TypeScript and Python types, and nothing
// is skipped without a reason in sdk/openapi-exceptions.txt. PHP answers
// are arrays, so only its routes are checked.
func TestSDKCoverage(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]*oaSchema `json:"schemas"`
		} `json:"components"`
	}
	raw, err := os.ReadFile(filepath.Join("..", "internal", "api", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				routes[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	except := readSDKExceptions(t)
	for name := range except {
		kind, what, _ := strings.Cut(name, " ")
		if (kind == "ROUTE" && !routes[what]) || (kind == "SCHEMA" && doc.Components.Schemas[what] == nil) {
			t.Errorf("sdk/openapi-exceptions.txt: %s is not in the OpenAPI document any more; remove the line", name)
		}
	}

	callRE := regexp.MustCompile(`request\(\s*['"](GET|POST|PUT|PATCH|DELETE)['"],\s*['"](/[^'"]*)['"]`)
	for _, sdk := range []struct{ dir, ext string }{
		{"typescript/src", ".js"}, {"python/hookline", ".py"}, {"php/src", ".php"},
	} {
		calls := map[string]bool{}
		for _, src := range sdkSources(t, sdk.dir, sdk.ext) {
			for _, m := range callRE.FindAllStringSubmatch(src, -1) {
				calls[m[1]+" "+m[2]] = true
			}
		}
		for call := range calls {
			if !routes[call] {
				t.Errorf("sdk/%s calls %s, which the OpenAPI document does not have", sdk.dir, call)
			}
		}
		for route := range routes {
			if !calls[route] && !except["ROUTE "+route] {
				t.Errorf("sdk/%s has no call for %s: add one, or list it in sdk/openapi-exceptions.txt with a reason", sdk.dir, route)
			}
		}
	}

	dts := sdkSources(t, "typescript/src", ".d.ts")[0]
	py := strings.Join(sdkSources(t, "python/hookline", ".py"), "\n")
	for name, s := range doc.Components.Schemas {
		props := s.properties(doc.Components.Schemas)
		if len(props) == 0 || except["SCHEMA "+name] {
			continue // a string or array type, or excepted
		}
		types, ok := sdkSchemaTypes[name]
		if !ok {
			t.Errorf("schema %s has no SDK types: map it in sdkSchemaTypes (e2e/sdk_test.go) or list it in sdk/openapi-exceptions.txt", name)
			continue
		}
		tsFields := tsInterfaceFields(dts, types[0])
		pyFields := pythonFields(py, types[1])
		for _, p := range props {
			if !tsFields[p] {
				t.Errorf("schema %s: property %s is missing from the TypeScript type %s", name, p, types[0])
			}
			if !pyFields[p] && !pyFields["**"] {
				t.Errorf("schema %s: property %s is missing from the Python %s", name, p, types[1])
			}
		}
	}
}

// oaSchema is what TestSDKCoverage needs of an OpenAPI schema.
type oaSchema struct {
	Ref        string                     `json:"$ref"`
	Properties map[string]json.RawMessage `json:"properties"`
	AllOf      []*oaSchema                `json:"allOf"`
}

// properties returns the schema's property names, those of its allOf
// parts included.
func (s *oaSchema) properties(all map[string]*oaSchema) []string {
	var out []string
	for p := range s.Properties {
		out = append(out, p)
	}
	for _, part := range s.AllOf {
		if ref, ok := strings.CutPrefix(part.Ref, "#/components/schemas/"); ok && all[ref] != nil {
			out = append(out, all[ref].properties(all)...)
		} else {
			out = append(out, part.properties(all)...)
		}
	}
	return out
}

// readSDKExceptions reads sdk/openapi-exceptions.txt into "ROUTE METHOD
// PATH" and "SCHEMA NAME" keys; every line must give a reason.
func readSDKExceptions(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "sdk", "openapi-exceptions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, ": ")
		if strings.TrimSpace(reason) == "" || !(strings.HasPrefix(name, "ROUTE ") || strings.HasPrefix(name, "SCHEMA ")) {
			t.Errorf("sdk/openapi-exceptions.txt:%d: want \"ROUTE METHOD PATH: reason\" or \"SCHEMA NAME: reason\", got %q", i+1, line)
			continue
		}
		out[name] = true
	}
	return out
}

// sdkSources returns the contents of the files under sdk/dir whose names
// end in ext.
func sdkSources(t *testing.T, dir, ext string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "sdk", dir, "*"+ext))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sdk/%s/*%s: %v", dir, ext, err)
	}
	var out []string
	for _, p := range paths {
		if ext == ".js" && strings.HasSuffix(p, ".d.ts") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

var (
	tsFieldRE = regexp.MustCompile(`(?m)^  (?:readonly )?(\w+)\??:`)
	pyFieldRE = regexp.MustCompile(`(?m)^[ \t]+(\w+): `)
	pyParamRE = regexp.MustCompile(`\*?\*?(\w+)\s*:`)
)

// tsInterfaceFields returns the property names of `export interface
// name` in a declaration file, with those of the interfaces it extends.
func tsInterfaceFields(dts, name string) map[string]bool {
	out := map[string]bool{}
	re := regexp.MustCompile(`(?ms)^export interface ` + name + `(?:<[^>]*>)?(?: extends ([^{]+))? \{\n?(.*?)^\}`)
	m := re.FindStringSubmatch(dts)
	if m == nil {
		return out
	}
	for _, f := range tsFieldRE.FindAllStringSubmatch(m[2], -1) {
		out[f[1]] = true
	}
	for _, parent := range strings.Split(m[1], ",") {
		parent = strings.TrimSpace(parent)
		if inner, ok := strings.CutPrefix(parent, "Partial<"); ok {
			parent = strings.TrimSuffix(inner, ">")
		}
		if parent != "" {
			maps.Copy(out, tsInterfaceFields(dts, parent))
		}
	}
	return out
}

// pythonFields returns the fields of a TypedDict (with its bases'), or
// for "Class.method" the method's parameter names ("**" when it takes
// **fields: any field).
func pythonFields(src, name string) map[string]bool {
	out := map[string]bool{}
	class, method, isMethod := strings.Cut(name, ".")
	re := regexp.MustCompile(`(?ms)^[ \t]*class ` + class + `\(([^)]*)\):\n(.*?)(?:^\S|\z)`)
	m := re.FindStringSubmatch(src)
	if m == nil {
		// The functional form, for keys that are Python keywords ("from").
		fn := regexp.MustCompile(`(?ms)^` + class + ` = TypedDict\("` + class + `", \{(.*?)\}\)`).FindStringSubmatch(src)
		if fn != nil {
			for _, k := range regexp.MustCompile(`"(\w+)":`).FindAllStringSubmatch(fn[1], -1) {
				out[k[1]] = true
			}
		}
		return out
	}
	if isMethod {
		def := regexp.MustCompile(`(?s)    def ` + method + `\((.*?)\) ->`).FindStringSubmatch(m[2])
		if def == nil {
			return out
		}
		if strings.Contains(def[1], "**") {
			out["**"] = true
		}
		for _, p := range pyParamRE.FindAllStringSubmatch(def[1], -1) {
			out[p[1]] = true
		}
		return out
	}
	for _, f := range pyFieldRE.FindAllStringSubmatch(m[2], -1) {
		out[f[1]] = true
	}
	for _, base := range strings.Split(m[1], ",") {
		base = strings.TrimSpace(base)
		if base != "" && !strings.Contains(base, "=") && base != "TypedDict" && !strings.HasPrefix(base, "Generic") {
			maps.Copy(out, pythonFields(src, base))
		}
	}
	return out
}

// v1aVectorPath is the Standard Webhooks v1a (ed25519) test vector every
// SDK's unit tests verify; TestSDKSignatureVector keeps it what Go's
// crypto/ed25519 computes (HOOKLINE_UPDATE_VECTORS=1 rewrites it).
const v1aVectorPath = "../sdk/testdata/standard-webhooks-v1a.json"

// TestSDKSignatureVector checks the committed v1a vector against Go's
// ed25519: a fixed seed's public key ("whpk_" + base64) and the signature
// ("v1a," + base64) of "<id>.<timestamp>.<body>". ed25519 signatures are
// deterministic, so the file never changes unless the format does.
func TestSDKSignatureVector(t *testing.T) {
	t.Parallel()
	seed := sha256.Sum256([]byte("hookline sdk v1a test vector"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	const id, ts, body = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "1674087231", `{"type":"customer_created","data":{"customer_id":42,"customer_name":"Zoë ✓"}}`
	want := map[string]string{
		"secret_key": "whsk_" + base64.StdEncoding.EncodeToString(priv),
		"public_key": "whpk_" + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
		"id":         id,
		"timestamp":  ts,
		"body":       body,
		"signature":  "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(id+"."+ts+"."+body))),
	}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if os.Getenv("HOOKLINE_UPDATE_VECTORS") == "1" {
		if err := os.WriteFile(v1aVectorPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(v1aVectorPath)
	if err != nil {
		t.Fatalf("%v (HOOKLINE_UPDATE_VECTORS=1 writes it)", err)
	}
	if string(got) != string(b) {
		t.Errorf("%s is stale; HOOKLINE_UPDATE_VECTORS=1 rewrites it. Want:\n%s", v1aVectorPath, b)
	}
}
