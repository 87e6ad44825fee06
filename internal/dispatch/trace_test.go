package dispatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/hookline/hookline/internal/webhook"
)

// ended hands over spans as they end, so tests wait on a signal rather
// than on time.
type ended chan sdktrace.ReadOnlySpan

func (e ended) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e ended) OnEnd(s sdktrace.ReadOnlySpan)                   { e <- s }
func (e ended) Shutdown(context.Context) error                  { return nil }
func (e ended) ForceFlush(context.Context) error                { return nil }

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

// TestAttemptSpans checks that each attempt's span is a child of the span
// that published the event (from the traceparent stored with it) and says
// what happened, without the URL's path or query.
func TestAttemptSpans(t *testing.T) {
	t.Parallel()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(ok.Close) // the parallel subtests run after this function returns
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)

	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name        string
		hook        webhook.Webhook
		traceParent string
		outcome     string
		status      int64
		errorType   string
	}{
		{"success joins the trace", webhook.Webhook{URL: ok.URL + "/in?token=secret", Active: true}, parent, "succeeded", 200, ""},
		{"500 is an error with a retry", webhook.Webhook{URL: failing.URL + "/in", Active: true}, parent, "retry", 500, "http_status"},
		{"disabled webhook", webhook.Webhook{URL: ok.URL, Active: false}, parent, "failed", 0, "cancelled"},
		{"no stored trace starts one", webhook.Webhook{URL: ok.URL, Active: true}, "", "succeeded", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spans := make(ended, 10)
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
			fs := newFakeStore()
			tt.hook.ID, tt.hook.Format = "wh_1", webhook.FormatEnvelope
			fs.hooks["wh_1"] = tt.hook
			d := startDispatcher(t, fs, Config{Tracer: tp.Tracer("test")})
			task := tasks("wh_1", 1)
			task[0].Event.TraceParent = tt.traceParent
			d.Submit(task)

			s := <-spans
			if s.Name() != "hookline.deliver" {
				t.Fatalf("span %q, want hookline.deliver", s.Name())
			}
			if tt.traceParent != "" {
				if got := s.Parent().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
					t.Errorf("trace %s, want the publisher's", got)
				}
				if got := s.Parent().SpanID().String(); got != "00f067aa0ba902b7" || !s.Parent().IsRemote() {
					t.Errorf("parent span %s (remote %v), want the stored 00f067aa0ba902b7", got, s.Parent().IsRemote())
				}
			} else if s.Parent().IsValid() {
				t.Errorf("parent %v, want a new trace", s.Parent())
			}
			a := attrs(s)
			if got := a["hookline.outcome"].AsString(); got != tt.outcome {
				t.Errorf("hookline.outcome %q, want %q", got, tt.outcome)
			}
			if got := a["http.response.status_code"].AsInt64(); got != tt.status {
				t.Errorf("http.response.status_code %d, want %d", got, tt.status)
			}
			if got := a["hookline.event.id"].AsString(); got != task[0].Event.ID {
				t.Errorf("hookline.event.id %q, want %q", got, task[0].Event.ID)
			}
			if got := a["hookline.delivery.id"].AsString(); got != task[0].Delivery.ID {
				t.Errorf("hookline.delivery.id %q, want %q", got, task[0].Delivery.ID)
			}
			if got := a["error.type"].AsString(); got != tt.errorType {
				t.Errorf("error.type %q, want %q", got, tt.errorType)
			}
			if wantErr := tt.errorType != ""; (s.Status().Code == codes.Error) != wantErr {
				t.Errorf("status %v, want error %v", s.Status(), wantErr)
			}
			for _, kv := range s.Attributes() {
				if v := kv.Value.String(); len(v) > 0 && (strings.Contains(v, "/in") || strings.Contains(v, "token")) {
					t.Errorf("attribute %s = %q carries the URL's path or query", kv.Key, v)
				}
			}
		})
	}
}
