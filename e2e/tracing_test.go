package e2e

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a minimal OTLP/HTTP trace receiver on loopback: it decodes
// every export request and keeps the spans with their resource.
type collector struct {
	URL      string
	mu       sync.Mutex
	cond     *sync.Cond
	spans    []exported
	requests int
}

type exported struct {
	resource map[string]string
	span     *tracepb.Span
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{URL: "http://" + ln.Addr().String()}
	c.cond = sync.NewCond(&c.mu)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectorpb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
			t.Errorf("collector: unexpected export %s %s (%s, %d bytes)", r.Method, r.URL.Path, r.Header.Get("Content-Type"), len(body))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.requests++
		for _, rs := range req.ResourceSpans {
			res := attrMap(rs.GetResource().GetAttributes())
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans = append(c.spans, exported{resource: res, span: s})
				}
			}
		}
		c.mu.Unlock()
		c.cond.Broadcast()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Write(b)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c
}

// waitFor blocks until cond holds over the spans received so far.
func (c *collector) waitFor(t *testing.T, what string, cond func([]exported) bool) []exported {
	t.Helper()
	timer := time.AfterFunc(20*time.Second, c.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(20 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for !cond(c.spans) {
		if time.Now().After(deadline) {
			t.Fatalf("collector: timed out waiting for %s; have %d spans", what, len(c.spans))
		}
		c.cond.Wait()
	}
	return append([]exported(nil), c.spans...)
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			out[kv.Key] = v.GetStringValue()
		default:
			if _, ok := v.GetValue().(*commonpb.AnyValue_IntValue); ok {
				out[kv.Key] = strconv.FormatInt(v.GetIntValue(), 10)
			}
		}
	}
	return out
}

func spansNamed(spans []exported, name, eventID string) []exported {
	var out []exported
	for _, s := range spans {
		if s.span.Name == name && (eventID == "" || attrMap(s.span.Attributes)["hookline.event.id"] == eventID) {
			out = append(out, s)
		}
	}
	return out
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// TestTracesFollowAnEventToItsAttempts runs `hookline serve` with tracing
// turned on by the environment, as an operator would, publishes an event
// inside a caller's trace, and checks what reaches an OTLP collector: the
// API request under the caller's span, the publish and its durable write
// under it, and both attempts (a 500, then the retry's 200) as children of
// the publish span, without the webhook URL's path or query.
func TestTracesFollowAnEventToItsAttempts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped in -short mode")
	}
	t.Parallel()
	col := startCollector(t)
	dataDir := t.TempDir()
	p := startProcessEnv(t, dataDir, []string{
		"HOOKLINE_TRACING=otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL,
		"OTEL_BSP_SCHEDULE_DELAY=20",
		"OTEL_SERVICE_NAME=hookline-e2e",
	}, "--retry-schedule", "50ms")
	srv := &server{t: t, URL: p.URL, Key: createKeyCLI(t, dataDir)}
	rc := startReceiver(t, statusSeq(500, 200))
	w := srv.createWebhook(rc.URL+"/hook?token=s3cret", "payment_received")

	h := srv.authed()
	h.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	r := srv.raw("POST", "/api/v1/events", h, map[string]any{"type": "payment_received", "data": map[string]any{"n": 1}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		t.Fatal(err)
	}
	eventID := ev.ID
	for _, req := range rc.wait(t, 2) {
		if v := req.Header.Get("traceparent"); v != "" {
			t.Errorf("the receiver got traceparent %q: trace context must not leak to endpoints", v)
		}
	}

	spans := col.waitFor(t, "both attempts' spans", func(s []exported) bool {
		return len(spansNamed(s, "hookline.deliver", eventID)) == 2
	})
	byName := func(name string) *tracepb.Span {
		t.Helper()
		got := spansNamed(spans, name, "")
		for _, s := range got {
			if hex.EncodeToString(s.span.TraceId) == callerTrace {
				return s.span
			}
		}
		t.Fatalf("no %q span in the caller's trace (%d spans in all)", name, len(spans))
		return nil
	}
	api := byName("POST /api/v1/events")
	if hex.EncodeToString(api.ParentSpanId) != callerSpan || api.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("API span parent %x kind %v: want a server span under the caller's %s", api.ParentSpanId, api.Kind, callerSpan)
	}
	if got := attrMap(api.Attributes)["http.response.status_code"]; got != "202" {
		t.Errorf("API span status code %q, want 202", got)
	}
	pub := byName("hookline.publish")
	if string(pub.ParentSpanId) != string(api.SpanId) {
		t.Errorf("publish span parent %x, want the API span %x", pub.ParentSpanId, api.SpanId)
	}
	write := byName("hookline.store.event_create")
	if string(write.ParentSpanId) != string(pub.SpanId) {
		t.Errorf("store span parent %x, want the publish span %x", write.ParentSpanId, pub.SpanId)
	}

	attempts := map[string]*tracepb.Span{}
	for _, s := range spansNamed(spans, "hookline.deliver", eventID) {
		a := attrMap(s.span.Attributes)
		attempts[a["hookline.attempt.number"]] = s.span
		if hex.EncodeToString(s.span.TraceId) != callerTrace || string(s.span.ParentSpanId) != string(pub.SpanId) {
			t.Errorf("attempt %s: trace %x parent %x; want the publish span's child", a["hookline.attempt.number"], s.span.TraceId, s.span.ParentSpanId)
		}
		if a["hookline.webhook.id"] != w.ID || a["server.address"] != "127.0.0.1" {
			t.Errorf("attempt attributes %v: want webhook %s and the receiver's host", a, w.ID)
		}
		for k, v := range a {
			if strings.Contains(v, "s3cret") || strings.Contains(v, "/hook") {
				t.Errorf("attribute %s = %q holds the URL's path or query", k, v)
			}
		}
		if got := s.resource["service.name"]; got != "hookline-e2e" {
			t.Errorf("resource service.name %q, want OTEL_SERVICE_NAME's", got)
		}
		if !strings.HasPrefix(s.resource["service.instance.id"], "inst_") {
			t.Errorf("resource service.instance.id %q, want the instance's lease owner", s.resource["service.instance.id"])
		}
	}
	first, second := attempts["1"], attempts["2"]
	if first == nil || second == nil {
		t.Fatalf("attempt spans %v: want numbers 1 and 2", attempts)
	}
	if a := attrMap(first.Attributes); a["http.response.status_code"] != "500" || a["hookline.outcome"] != "retry" ||
		first.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("first attempt: %v, status %v; want a failed 500 to be retried", a, first.GetStatus())
	}
	if a := attrMap(second.Attributes); a["http.response.status_code"] != "200" || a["hookline.outcome"] != "succeeded" ||
		second.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("second attempt: %v, status %v; want a success", a, second.GetStatus())
	}
}

// TestTracingOffByDefault: with only the OTEL_* variables set, nothing is
// exported, even at shutdown.
func TestTracingOffByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped in -short mode")
	}
	t.Parallel()
	col := startCollector(t)
	dataDir := t.TempDir()
	p := startProcessEnv(t, dataDir, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL, "OTEL_BSP_SCHEDULE_DELAY=20"})
	srv := &server{t: t, URL: p.URL, Key: createKeyCLI(t, dataDir)}
	rc := startReceiver(t, nil)
	srv.createWebhook(rc.URL, "payment_received")
	h := srv.authed()
	h.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	if r := srv.raw("POST", "/api/v1/events", h, map[string]any{"type": "payment_received", "data": map[string]any{}}); r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	rc.wait(t, 1)
	if err := p.cmd.Process.Signal(interruptSignal); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Fatalf("hookline serve: %v\n%s", err, p.logs.String())
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.requests != 0 {
		t.Errorf("the collector got %d export requests with tracing off, want 0", col.requests)
	}
}
