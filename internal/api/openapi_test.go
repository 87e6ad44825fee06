package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/problem"
	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// The OpenAPI document is written by hand; these tests keep it honest
// against Routes, the request structs the handlers decode and the values
// they encode.

// nonAPIRoutes are mounted next to the API by internal/app, which imports
// this package, so they are listed here rather than asked for.
var nonAPIRoutes = []Route{
	{Method: "GET", Pattern: "/healthz", Tenancy: Public},
	{Method: "GET", Pattern: "/readyz", Tenancy: Public},
	{Method: "GET", Pattern: "/metrics", Tenancy: Public},
	{Method: "GET", Pattern: "/api/openapi.json", Tenancy: Public},
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPI parses the embedded document into generic JSON values.
func openAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPIDoc(), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// pointer resolves a JSON pointer fragment ("#/components/schemas/X").
func pointer(doc map[string]any, ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(p, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m := obj(cur)
		if m == nil {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deref follows $ref until it reaches an inline value.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	for range 10 {
		ref, ok := obj(v)["$ref"].(string)
		if !ok {
			return obj(v)
		}
		if v, ok = pointer(doc, ref); !ok {
			t.Fatalf("unresolvable $ref %q", ref)
		}
	}
	t.Fatalf("$ref chain too long")
	return nil
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// walk calls fn for every object in v with its location, a JSON pointer.
func walk(v any, loc string, fn func(loc string, m map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(loc, v)
		for k, e := range v {
			walk(e, loc+"/"+pointerEscaper.Replace(k), fn)
		}
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s/%d", loc, i), fn)
		}
	}
}

type operation struct {
	path, method string
	pathItem, op map[string]any
}

func operations(doc map[string]any) []operation {
	var ops []operation
	for path, item := range obj(doc["paths"]) {
		for _, m := range openAPIMethods {
			if op := obj(obj(item)[m]); op != nil {
				ops = append(ops, operation{path, m, obj(item), op})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		return ops[i].path+" "+ops[i].method < ops[j].path+" "+ops[j].method
	})
	return ops
}

func allRoutes() []Route {
	return append(New(Config{}).Routes(), nonAPIRoutes...)
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if title, _ := obj(doc["info"])["title"].(string); title != "Hookline" {
		t.Errorf("info.title = %q, want Hookline", title)
	}
	for _, key := range []string{"version", "description"} {
		if s, _ := obj(doc["info"])[key].(string); s == "" {
			t.Errorf("info.%s is missing", key)
		}
	}
	if servers, _ := doc["servers"].([]any); len(servers) == 0 || obj(servers[0])["url"] != "/" {
		t.Errorf("servers = %v, want [{url: /}]", doc["servers"])
	}
	refs := 0
	walk(doc, "", func(loc string, m map[string]any) {
		ref, ok := m["$ref"].(string)
		if !ok {
			return
		}
		refs++
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: $ref %q does not point into components", loc, ref)
		} else if _, ok := pointer(doc, ref); !ok {
			t.Errorf("%s: $ref %q does not resolve", loc, ref)
		}
	})
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
	// Tags used by operations are declared.
	declared := map[string]bool{}
	for _, tag := range doc["tags"].([]any) {
		declared[obj(tag)["name"].(string)] = true
	}
	for _, o := range operations(doc) {
		for _, tag := range o.op["tags"].([]any) {
			if !declared[tag.(string)] {
				t.Errorf("%s %s: tag %q is not declared", o.method, o.path, tag)
			}
		}
	}
}

// TestOpenAPIRoutesDocumented checks that every registered route is
// documented with its method.
func TestOpenAPIRoutesDocumented(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	for _, rt := range allRoutes() {
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			t.Parallel()
			item := obj(obj(doc["paths"])[rt.Pattern])
			if item == nil {
				t.Fatalf("path %s is not documented", rt.Pattern)
			}
			if obj(item[strings.ToLower(rt.Method)]) == nil {
				t.Fatalf("%s %s is not documented", rt.Method, rt.Pattern)
			}
		})
	}
}

// TestOpenAPINoStaleOperations checks the reverse: every documented
// operation is a registered route.
func TestOpenAPINoStaleOperations(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	registered := map[string]bool{}
	for _, rt := range allRoutes() {
		registered[strings.ToLower(rt.Method)+" "+rt.Pattern] = true
	}
	for _, o := range operations(doc) {
		if !registered[o.method+" "+o.path] {
			t.Errorf("%s %s is documented but not registered", strings.ToUpper(o.method), o.path)
		}
	}
}

func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	schemes := obj(obj(doc["components"])["securitySchemes"])
	for _, name := range []string{"bearerAuth", "basicAuth", "apiKeyHeader"} {
		if schemes[name] == nil {
			t.Errorf("security scheme %s is missing", name)
		}
	}

	seen := map[string]string{}
	for _, o := range operations(doc) {
		where := strings.ToUpper(o.method) + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", where)
		} else if prev, dup := seen[id]; dup {
			t.Errorf("%s: operationId %q already used by %s", where, id, prev)
		}
		seen[id] = where
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", where)
		}
		if len(obj(o.op["responses"])) == 0 {
			t.Errorf("%s: no responses", where)
		}
		checkPathParams(t, doc, where, o)
	}

	for _, rt := range allRoutes() {
		where := rt.Method + " " + rt.Pattern
		op := obj(obj(obj(doc["paths"])[rt.Pattern])[strings.ToLower(rt.Method)])
		if op == nil {
			continue // reported by TestOpenAPIRoutesDocumented
		}
		// Whose data an operation reaches is documented as the route
		// table declares it.
		if got, _ := op["x-tenancy"].(string); got != rt.Tenancy.String() {
			t.Errorf("%s: x-tenancy = %q, want %q", where, got, rt.Tenancy)
		}
		security, declared := op["security"].([]any)
		if rt.Scope == "" {
			if !declared || len(security) != 0 {
				t.Errorf("%s: needs no key, want security: [] (got %v)", where, op["security"])
			}
			continue
		}
		if len(security) == 0 {
			t.Errorf("%s: needs scope %q but declares no security", where, rt.Scope)
		}
		for _, req := range security {
			if len(obj(req)) == 0 {
				t.Errorf("%s: an empty security requirement would make the key optional", where)
			}
			for scheme, roles := range obj(req) {
				if schemes[scheme] == nil {
					t.Errorf("%s: unknown security scheme %q", where, scheme)
				}
				if got := fmt.Sprint(roles); got != "["+rt.Scope+"]" {
					t.Errorf("%s: %s roles = %s, want [%s]", where, scheme, got, rt.Scope)
				}
			}
		}
		// Every authenticated operation can fail authentication, and its
		// errors are problem documents.
		responses := obj(op["responses"])
		if responses["401"] == nil {
			t.Errorf("%s: no 401 response", where)
		}
		for status, r := range responses {
			if status[0] == '4' || status[0] == '5' {
				if obj(deref(t, doc, r)["content"])["application/problem+json"] == nil {
					t.Errorf("%s: %s response is not application/problem+json", where, status)
				}
			}
		}
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// checkPathParams checks that the path template's parameters are declared
// exactly, as required path parameters.
func checkPathParams(t *testing.T, doc map[string]any, where string, o operation) {
	t.Helper()
	var want, got []string
	for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
		want = append(want, m[1])
	}
	params, _ := o.pathItem["parameters"].([]any)
	opParams, _ := o.op["parameters"].([]any)
	for _, p := range append(slices.Clone(params), opParams...) {
		p := deref(t, doc, p)
		if p["in"] != "path" {
			continue
		}
		if p["required"] != true {
			t.Errorf("%s: path parameter %v is not required", where, p["name"])
		}
		got = append(got, p["name"].(string))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: path parameters %v, want %v", where, got, want)
	}
}

// TestOpenAPIRequestSchemas checks that each request schema lists exactly
// the fields its handler decodes and, since the decoder rejects unknown
// fields, forbids others.
func TestOpenAPIRequestSchemas(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	tests := []struct {
		schema string
		body   any
	}{
		{"EventTypeCreate", eventTypeRequest{}},
		{"WebhookCreate", webhookRequest{}},
		{"WebhookUpdate", webhookRequest{}},
		{"TestRequest", testRequest{}},
		{"ReplayRequest", replayRequest{}},
		{"PublishRequest", publishRequest{}},
		{"TenantCreate", tenantRequest{}},
		{"TenantUpdate", tenantRequest{}},
		{"UserCreate", userRequest{}},
		{"UserUpdate", userPatch{}},
		{"AlertChannelCreate", alert.Input{}},
		{"BinResponse", bin.Response{}},
		{"BinForward", forwardRequest{}},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			t.Parallel()
			s := deref(t, doc, map[string]any{"$ref": "#/components/schemas/" + tt.schema})
			if s["additionalProperties"] != false {
				t.Errorf("additionalProperties = %v, want false", s["additionalProperties"])
			}
			var documented []string
			for name := range obj(s["properties"]) {
				documented = append(documented, name)
			}
			slices.Sort(documented)
			if fields := jsonFields(reflect.TypeOf(tt.body)); !slices.Equal(documented, fields) {
				t.Errorf("properties %v, want the decoded fields %v", documented, fields)
			}
		})
	}
}

// jsonFields returns the sorted JSON names of a struct's fields.
func jsonFields(typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// compiler returns a JSON Schema compiler holding the document, so its
// schemas can be compiled by pointer ("mem:///openapi.json#/...").
func compiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPIDoc()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("mem:///openapi.json", v); err != nil {
		t.Fatal(err)
	}
	return c
}

func compileAt(t *testing.T, c *jsonschema.Compiler, ptr string) *jsonschema.Schema {
	t.Helper()
	frag := (&url.URL{Fragment: ptr}).EscapedFragment()
	s, err := c.Compile("mem:///openapi.json#" + frag)
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s\ndoes not satisfy the schema: %v", b, err)
	}
}

func TestOpenAPISchemasCompile(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	c := compiler(t)
	for name := range obj(obj(doc["components"])["schemas"]) {
		compileAt(t, c, "/components/schemas/"+name)
	}
}

// TestOpenAPIExamples checks every example in the document against its
// schema.
func TestOpenAPIExamples(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	c := compiler(t)
	n := 0
	walk(doc, "", func(loc string, m map[string]any) {
		ex, ok := m["example"]
		if !ok || m["schema"] == nil {
			return
		}
		n++
		validate(t, compileAt(t, c, loc+"/schema"), ex)
	})
	if n == 0 {
		t.Error("no examples found")
	}
}

// TestOpenAPIResponses checks values shaped like the handlers' replies
// against the documented schemas: they must validate, and every field they
// carry must be documented.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	doc := openAPI(t)
	c := compiler(t)

	now := time.Date(2025, 2, 3, 4, 5, 6, 789, time.UTC)
	later := now.Add(time.Hour)
	secret := "whsec_" + strings.Repeat("A", 43) + "="
	whID, evID := webhook.NewID(webhook.PrefixWebhook), webhook.NewID(webhook.PrefixEvent)
	dlvID := webhook.NewID(webhook.PrefixDelivery)

	eventType := webhook.EventType{
		Slug: "invoice.paid", Name: "Invoice paid", Description: "d", Example: json.RawMessage(`{"a":1}`),
		Schema: json.RawMessage(`{"type":"object"}`), Custom: true, CreatedAt: now,
	}
	builtinType := webhook.EventType{Slug: "payment_received", Name: "n", Example: json.RawMessage(`{}`), CreatedAt: now}
	wh := webhook.Webhook{
		ID: whID, Tenant: "acme", Name: "Billing", URL: "https://example.com/h", Description: "d",
		Events: []string{"payment_received"}, Active: false, Headers: map[string]string{"X-Team": "b"},
		SecretHeaders: []string{"X-Team"}, Destination: webhook.Destination{Type: webhook.DestinationHTTP}, Signature: webhook.SignatureHMAC,
		Ordering: webhook.OrderingNone, RateLimit: &webhook.RateLimit{PerSecond: 50},
		Format: webhook.FormatRaw, Integration: "zapier", DisabledReason: "410 Gone", CreatedAt: now, UpdatedAt: now,
		Stats: webhook.WebhookStats{Deliveries: 3, Attempts: 4, Succeeded: 1, Failed: 1,
			LastSuccessAt: &now, LastFailureAt: &now, FailingSince: &now},
	}
	newWH := webhook.Webhook{
		ID: whID, Tenant: webhook.DefaultTenant, Name: "ab", URL: "http://example.com", Events: []string{"*"},
		Active: true, Headers: map[string]string{}, SecretHeaders: []string{}, Format: webhook.FormatEnvelope,
		Integration: "manual", Destination: webhook.Destination{Type: webhook.DestinationHTTP}, Signature: webhook.SignatureEd25519, Ordering: webhook.OrderingNone, CreatedAt: now, UpdatedAt: now,
	}
	ev := webhook.Event{ID: evID, Tenant: "default", Type: "payment_received", Data: json.RawMessage(`{"x":[1]}`),
		IdempotencyKey: "k", CreatedAt: now}
	pending := webhook.Delivery{ID: dlvID, Tenant: "default", EventID: evID, EventType: ev.Type, WebhookID: whID,
		Status: webhook.DeliveryPending, NextAttemptAt: &later, CreatedAt: now, UpdatedAt: now}
	failed := webhook.Delivery{ID: dlvID, Tenant: "default", EventID: evID, EventType: ev.Type, WebhookID: whID,
		Status: webhook.DeliveryFailed, Attempts: 7, LastStatusCode: 500, LastError: "HTTP 500",
		CreatedAt: now, UpdatedAt: now}
	attempts := []webhook.Attempt{
		{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: dlvID, WebhookID: whID, EventID: evID,
			EventType: ev.Type, Number: 1, StartedAt: now, DurationMS: 12.5, URL: wh.URL,
			RequestHeaders: map[string][]string{"Webhook-Id": {evID}}, RequestBody: []byte(`{}`),
			StatusCode: 500, ResponseHeaders: map[string][]string{"A": {"1", "2"}}, ResponseBody: []byte{0xff, 0xfe},
			ResponseTruncated: true, ErrorClass: webhook.ErrClassHTTPStatus, Error: "HTTP 500",
			Destination: "http", Outcome: webhook.OutcomeRetry, Answer: "500 Internal Server Error"},
		{ID: webhook.NewID(webhook.PrefixAttempt), WebhookID: whID, EventID: evID, EventType: ev.Type,
			Number: 1, Test: true, StartedAt: now, ErrorClass: webhook.ErrClassDNS, Error: "no such host"},
	}

	tenant := webhook.Tenant{ID: "acme:eu", Name: "Acme EU", ContactEmail: "ops@acme.example",
		Branding: &webhook.Branding{Name: "Acme", LogoURL: "https://acme.example/logo.svg", Accent: "#0a7d5a"},
		Metadata: map[string]string{"plan": "gold"}, CreatedAt: now, UpdatedAt: later, Webhooks: 3, FailingWebhooks: 1}

	tests := []struct {
		name, schema string
		value        any
	}{
		{"event type", "EventType", eventType},
		{"built-in event type", "EventType", builtinType},
		{"event types", "EventTypeList", list[webhook.EventType]{Data: []webhook.EventType{eventType, builtinType}}},
		{"webhook", "Webhook", wh},
		{"new webhook", "WebhookWithSecret", webhookView{Webhook: newWH, Secret: secret}},
		{"webhooks", "WebhookList", list[webhook.Webhook]{Data: []webhook.Webhook{wh, newWH}, NextCursor: "c"}},
		{"empty page", "WebhookList", list[webhook.Webhook]{Data: []webhook.Webhook{}}},
		{"secret", "Secret", secretView{Secret: secret}},
		{"secret in overlap", "Secret", secretView{Secret: secret,
			Previous: []webhook.Secret{{Value: secret, ExpiresAt: &later}}}},
		{"rotated", "RotateSecretResult", rotateResponse{Secret: secret, PreviousExpiresAt: later}},
		{"test sent", "TestResult", testResponse{Success: true, StatusCode: 200, DurationMS: 3,
			Destination: "http", Outcome: webhook.OutcomeDelivered, Answer: "200 OK",
			ResponseHeaders: map[string][]string{"A": {"b"}}, ResponseBody: "ok", AttemptID: attempts[0].ID,
			EventType: ev.Type, RequestHeaders: map[string][]string{"Webhook-Id": {evID}}, RequestBody: "{}"}},
		{"test answered binary", "TestResult", testResponse{StatusCode: 500, ResponseHeaders: map[string][]string{},
			Destination: "http", Outcome: webhook.OutcomeFailed, Answer: "500 Internal Server Error",
			ResponseBody: "/w==", ResponseBodyEncoding: "base64", AttemptID: attempts[0].ID, EventType: ev.Type,
			RequestHeaders: map[string][]string{}}},
		{"test failed", "TestResult", testResponse{ResponseHeaders: map[string][]string{}, Error: "refused",
			Destination: "http", Outcome: webhook.OutcomeFailed, Answer: "connection refused",
			ErrorClass: string(webhook.ErrClassConnectionRefused), AttemptID: attempts[1].ID, EventType: ev.Type,
			RequestHeaders: map[string][]string{}}},
		{"slack channel", "AlertChannel", alert.Channel{ID: "ach_x", Type: alert.TypeSlack,
			URL: "https://hooks.slack.com/services/…abcd", Kinds: []alert.Kind{alert.KindFailing, alert.KindBacklog}, CreatedAt: now}.Masked()},
		{"email channels", "AlertChannelList", list[alert.Channel]{Data: []alert.Channel{{ID: "ach_y", Type: alert.TypeEmail,
			To: []string{"ops@acme.example"}, Kinds: []alert.Kind{alert.KindDisabled}, Tenant: "acme", CreatedAt: now}}}},
		{"alert test sent", "AlertTestResult", alertTestResult{OK: true}},
		{"alert test failed", "AlertTestResult", alertTestResult{Error: "hooks.slack.com answered 404 Not Found"}},
		{"tenant", "Tenant", tenant},
		{"plain tenant", "Tenant", webhook.Tenant{ID: "default", Name: "default", Metadata: map[string]string{},
			CreatedAt: now, UpdatedAt: now}},
		{"tenants", "TenantList", list[webhook.Tenant]{Data: []webhook.Tenant{tenant}, NextCursor: "acme"}},
		{"keys", "APIKeyList", list[auth.APIKey]{Data: []auth.APIKey{{ID: "key_01j9z3k4m5n6p7q8r9s0t1v2w3", Name: "ci",
			Prefix: "hkl_abcdef", Scopes: []string{"publish"}, CreatedAt: now, ExpiresAt: &later}}}},
		{"new key", "APIKeyWithSecret", keyView{APIKey: auth.APIKey{ID: "key_01j9z3k4m5n6p7q8r9s0t1v2w3", Name: "ci",
			Prefix: "hkl_abcdef", Scopes: []string{"admin"}, CreatedAt: now}, Key: "hkl_abcdefghijkl"}},
		{"users", "UserList", list[auth.User]{Data: []auth.User{{Username: "ada@example.com", Role: auth.RoleOwner,
			PasswordHash: "never shown", CreatedAt: now, UpdatedAt: later}}}},
		{"new user", "UserWithPassword", userView{User: auth.User{Username: "grace", Role: auth.RoleViewer, CreatedAt: now,
			UpdatedAt: now}, Password: "generated"}},
		{"audit", "AuditList", list[audit.Entry]{Data: []audit.Entry{{ID: "aud_01j9z3k4m5n6p7q8r9s0t1v2w3",
			At: now, Actor: "user:admin", Action: "webhook.create", Target: "wh_01j9z3k4m5n6p7q8r9s0t1v2w3", Detail: "x"}}}},
		{"hook", "Hook", hookView{ID: "wh_01j9z3k4m5n6p7q8r9s0t1v2w3", TargetURL: "https://hooks.zapier.com/x", Event: "a",
			Integration: "zapier", Name: "Zapier – a", Tenant: "default", Format: "raw"}},
		{"samples", "HookSamples", []map[string]any{{"id": "evt_x", "amount": 3}}},
		{"me", "Me", meView{Key: auth.APIKey{ID: "key_01j9z3k4m5n6p7q8r9s0t1v2w3", Name: "zap", Prefix: "hkl_abcdef",
			Scopes: []string{"admin"}, CreatedAt: now}, Server: "Hookline on x", Version: "dev"}},
		{"bin", "Bin", binView{Bin: bin.Bin{ID: "bin_x", Token: "t", Name: "n", CreatedAt: now, ExpiresAt: later, MaxRequests: 100},
			URL: "http://localhost:8080/bins/t"}},
		{"bin with a response", "Bin", binView{Bin: bin.Bin{ID: "bin_x", Token: "t", Name: "n", CreatedAt: now, ExpiresAt: later,
			MaxRequests: 100, Response: &bin.Response{Status: 503, Headers: map[string]string{"Retry-After": "5"}, Body: "down",
				DelayMS: 1500}}, URL: "http://localhost:8080/bins/t"}},
		{"forwarded", "BinForwardResult", inspect.Forwarded{URL: "https://example.com/hook", Status: 200,
			Headers: map[string][]string{"A": {"b"}}, Body: "ok", DurationMS: 12}},
		{"forwarded binary", "BinForwardResult", inspect.Forwarded{URL: "https://example.com/hook", Status: 500,
			Headers: map[string][]string{}, Body: "AP8=", Encoding: "base64", Truncated: true}},
		{"bin requests", "BinRequestList", listOf(binRequestViews([]bin.Request{{ID: "req_x", BinID: "bin_x", Method: "POST",
			Path: "/bins/t", Headers: map[string][]string{"A": {"b"}}, Body: []byte{0xff}, Size: 1, ReceivedAt: now}}))},
		{"replayed", "ReplayResult", replayResponse{Deliveries: 0}},
		{"published", "PublishResult", publishResponse{ID: evID, Deliveries: 2}},
		{"duplicate", "PublishResult", publishResponse{ID: evID, Deliveries: 2, Duplicate: true}},
		{"events", "EventList", list[store.EventSummary]{NextCursor: "c", Data: []store.EventSummary{
			{Event: ev, Deliveries: map[webhook.DeliveryStatus]int{webhook.DeliveryPending: 1, webhook.DeliveryFailed: 2}},
			{Event: webhook.Event{ID: evID, Tenant: "t", Type: "a", Data: json.RawMessage(`{}`), CreatedAt: now},
				Deliveries: map[webhook.DeliveryStatus]int{}},
		}}},
		{"event", "EventWithDeliveries", eventView{Event: ev, Deliveries: []webhook.Delivery{pending, failed}}},
		{"event without deliveries", "EventWithDeliveries", eventView{Event: ev, Deliveries: []webhook.Delivery{}}},
		{"pending delivery", "Delivery", pending},
		{"failed delivery", "Delivery", failed},
		{"deliveries", "DeliveryList", list[webhook.Delivery]{Data: []webhook.Delivery{pending, failed}}},
		{"delivery", "DeliveryWithAttempts", deliveryView{Delivery: failed, Attempts: attemptViews(attempts)}},
		{"new delivery", "DeliveryWithAttempts", deliveryView{Delivery: pending, Attempts: attemptViews(nil)}},
		{"attempts", "AttemptList", list[attemptView]{Data: attemptViews(attempts)}},
		{"stats", "Stats", statsExample(now)},
		{"empty stats", "Stats", stats.Build(nil, stats.Query{Since: time.Hour, Bucket: time.Hour}, now.Truncate(time.Hour), now.Truncate(time.Hour).Add(time.Hour))},
		{"problem", "Problem", problem.Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: "x: y",
			Instance: "/api/v1/webhooks", Field: "x", RequestID: "r"}},
		{"bare problem", "Problem", problem.Problem{Type: "about:blank", Title: "Not Found", Status: 404}},
		{"problem with errors", "Problem", problem.Problem{Type: "about:blank", Title: "Bad Request", Status: 400,
			Detail: "name: is required", Field: "name", Errors: []problem.Item{
				{Pointer: "/name", Detail: "is required"}, {Pointer: "/events/1", Detail: "unknown event type"}}}},
		{"problem about a parameter", "Problem", problem.Problem{Type: "about:blank", Title: "Bad Request", Status: 400,
			Detail: "limit: must be a whole number", Field: "limit", Errors: []problem.Item{
				{Parameter: "limit", Detail: "must be a whole number"}}}},
	}
	for _, tt := range tests {
		// A Compiler is not safe for concurrent use: compile up front.
		ptr := "/components/schemas/" + tt.schema
		s := compileAt(t, c, ptr)
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			validate(t, s, tt.value)
			b, _ := json.Marshal(tt.value)
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			undocumented(t, doc, map[string]any{"$ref": "#" + ptr}, v, tt.schema)
		})
	}
}

// statsExample is a series with an empty bucket and one with attempts.
func statsExample(now time.Time) stats.Series {
	from := now.Truncate(time.Hour)
	var lat store.Latency
	lat.Add(12)
	lat.Add(480)
	rows := []store.StatsRow{{Start: from.Add(5 * time.Minute), Counts: store.Counts{Delivered: 1, Failed: 1, Attempts: 2,
		FailedAttempts: 1, Retried: 1}, Latency: lat}}
	return stats.Build(rows, stats.Query{Since: 15 * time.Minute, Bucket: 5 * time.Minute}, from, from.Add(15*time.Minute))
}

// undocumented reports fields of v that schema s does not list. Objects
// whose schema lists no properties (free-form data, header maps) are not
// checked.
func undocumented(t *testing.T, doc map[string]any, s any, v any, loc string) {
	t.Helper()
	props, items, open := map[string]any{}, any(nil), false
	var collect func(s any)
	collect = func(s any) {
		m := deref(t, doc, s)
		if m["additionalProperties"] == true {
			open = true // free-form objects, such as event data
		}
		for k, p := range obj(m["properties"]) {
			props[k] = p
		}
		if m["items"] != nil {
			items = m["items"]
		}
		for _, sub := range func() []any { a, _ := m["allOf"].([]any); return a }() {
			collect(sub)
		}
	}
	collect(s)
	switch v := v.(type) {
	case map[string]any:
		if len(props) == 0 || open {
			return
		}
		for k, e := range v {
			p, ok := props[k]
			if !ok {
				t.Errorf("%s.%s is not documented", loc, k)
				continue
			}
			undocumented(t, doc, p, e, loc+"."+k)
		}
	case []any:
		if items != nil {
			for i, e := range v {
				undocumented(t, doc, items, e, fmt.Sprintf("%s[%d]", loc, i))
			}
		}
	}
}
