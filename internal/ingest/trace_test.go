package ingest_test

import (
	"encoding/json"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/tracing"
)

// TestPublishTraces checks that publishing is traced under the caller's
// span, that the durable write has its own span, and that the event is
// stored (and handed to the dispatcher) with the publish span as the
// parent of its attempts.
func TestPublishTraces(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	b := setup(t, options{accepting: true, tracer: tp.Tracer("test")})
	ctx := tracing.WithParent(b.ctx, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

	res, err := b.svc.Publish(ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	pub, write := spans["hookline.publish"], spans["hookline.store.event_create"]
	if pub == nil || write == nil {
		t.Fatalf("spans %v: want hookline.publish and hookline.store.event_create", spans)
	}
	if pub.Parent().SpanID().String() != "00f067aa0ba902b7" || pub.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("publish span parent %v: want the caller's span", pub.Parent())
	}
	if write.Parent().SpanID() != pub.SpanContext().SpanID() {
		t.Errorf("store span parent %v: want the publish span", write.Parent().SpanID())
	}
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + pub.SpanContext().SpanID().String() + "-01"
	stored, err := b.store.EventGet(b.ctx, auth.AllTenants(), res.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.TraceParent != want {
		t.Errorf("stored traceparent %q, want the publish span's %q", stored.TraceParent, want)
	}
	submitted, _ := b.handoff.calls()
	for _, task := range submitted[0] {
		if task.Event.TraceParent != want {
			t.Errorf("handed-over event traceparent %q, want %q", task.Event.TraceParent, want)
		}
	}
	var sawID bool
	for _, kv := range pub.Attributes() {
		sawID = sawID || (kv.Key == "hookline.event.id" && kv.Value.AsString() == res.Event.ID)
	}
	if !sawID {
		t.Errorf("publish span attributes %v lack hookline.event.id", pub.Attributes())
	}

	// A rejected event is recorded on its span, but it is the caller's
	// error, not the service's: the status stays unset.
	if _, err := b.svc.Publish(ctx, ingest.Input{Type: "no.such.type", Data: json.RawMessage(`{}`)}); err == nil {
		t.Fatal("Publish of an unknown type succeeded")
	}
	last := rec.Ended()[len(rec.Ended())-1]
	if last.Name() != "hookline.publish" || len(last.Events()) == 0 || last.Status().Code != codes.Unset {
		t.Errorf("rejected publish: span %q events %v status %v; want the error recorded, status unset",
			last.Name(), last.Events(), last.Status())
	}
}
