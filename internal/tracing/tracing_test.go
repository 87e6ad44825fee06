package tracing

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestTraceParentRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"valid", parent, parent},
		{"empty", "", ""},
		{"malformed", "00-nothex-00f067aa0ba902b7-01", ""},
		{"all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
		{"unsampled kept", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
			"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := WithParent(context.Background(), tt.in)
			if got := TraceParent(ctx); got != tt.want {
				t.Errorf("TraceParent(WithParent(%q)) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTraceID(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		parent: "4bf92f3577b34da6a3ce929d0e0e4736",
		"":     "",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01": "", // W3C ids are lower case
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01":  "",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7":    "",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01": "",
		"<script>-4bf92f3577b34da6a3ce929d0e0e4736-x-01":          "",
	}
	for in, want := range tests {
		if got := TraceID(in); got != want {
			t.Errorf("TraceID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSetupModes(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		mode    string
		getenv  func(string) string
		wantErr string
		noop    bool
	}{
		{"off", ModeOff, env(), "", true},
		{"empty is off", "", env(), "", true},
		{"unknown mode", "jaeger", env(), `use off or otlp`, false},
		{"grpc refused", ModeOTLP, env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "OTLP over HTTP only", false},
		{"traces protocol wins", ModeOTLP, env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "", false},
		{"otlp", ModeOTLP, env(), "", false},
		{"SDK disabled", ModeOTLP, env("OTEL_SDK_DISABLED", "true"), "", true},
		{"exporter none", ModeOTLP, env("OTEL_TRACES_EXPORTER", "none"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, stop, err := Setup(context.Background(), Settings{Mode: tt.mode, Getenv: tt.getenv})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Setup: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			defer stop(context.Background())
			if Enabled(tp) == tt.noop {
				t.Errorf("provider %T: want no-op %v", tp, tt.noop)
			}
			_, span := tp.Tracer("t").Start(context.Background(), "x")
			if span.IsRecording() == tt.noop {
				t.Errorf("span recording %v, want %v", span.IsRecording(), !tt.noop)
			}
			span.End()
		})
	}
}

func TestErrorLoggerLimitsRepeats(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := newErrorLogger(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	for range 5 {
		l.Handle(errors.New("collector unreachable"))
	}
	if n := strings.Count(buf.String(), "exporting spans failed"); n != 1 {
		t.Errorf("%d log lines for 5 errors within the interval, want 1:\n%s", n, buf.String())
	}
}

// TestRequestSpan checks the server span of an API request: it continues
// the caller's trace, is named after the route rather than the path, and
// marks 5xx answers as errors.
func TestRequestSpan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		code   codes.Code
	}{
		{"accepted", http.StatusAccepted, codes.Unset},
		{"client error", http.StatusUnprocessableEntity, codes.Unset},
		{"server error", http.StatusServiceUnavailable, codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tracetest.NewSpanRecorder()
			tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("t")
			mux := http.NewServeMux()
			var inner trace.SpanContext
			mux.HandleFunc("POST /api/v1/webhooks/{id}/test", func(w http.ResponseWriter, r *http.Request) {
				inner = trace.SpanContextFromContext(r.Context())
				w.WriteHeader(tt.status)
			})
			r := httptest.NewRequest("POST", "/api/v1/webhooks/wh_123/test", nil)
			r.Header.Set("traceparent", parent)
			r, span := StartRequest(tracer, r, "req-1")
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			EndRequest(span, r, w.Code)

			got := rec.Ended()
			if len(got) != 1 {
				t.Fatalf("%d spans, want 1", len(got))
			}
			s := got[0]
			if s.Name() != "POST /api/v1/webhooks/{id}/test" {
				t.Errorf("name %q, want the route pattern", s.Name())
			}
			if s.SpanKind() != trace.SpanKindServer || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
				t.Errorf("kind %v parent %v: want a server span under the caller's", s.SpanKind(), s.Parent())
			}
			if inner.SpanID() != s.SpanContext().SpanID() {
				t.Errorf("handler saw span %v, want the request span", inner.SpanID())
			}
			if s.Status().Code != tt.code {
				t.Errorf("status %v, want %v", s.Status().Code, tt.code)
			}
		})
	}
}

func TestTraced(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/api/v1/events": true, "/api/openapi.json": true, "/metrics": false, "/healthz": false,
		"/": false, "/webhooks": false, "/bins/abc": false,
	} {
		if got := Traced(path); got != want {
			t.Errorf("Traced(%q) = %v, want %v", path, got, want)
		}
	}
}
