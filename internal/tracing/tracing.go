// Package tracing sets up the optional OpenTelemetry traces of the path an
// event takes: the API request that publishes it, its durable write, and
// every delivery attempt, however much later and on whichever instance the
// attempt runs. Attempts join the publisher's trace through the W3C
// traceparent stored with the event.
//
// Tracing is off unless the configuration says "otlp"; the exporter then
// reads the standard OTEL_* environment variables (endpoint, headers,
// sampler, resource attributes), so it is set up the same way as any other
// OpenTelemetry service.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Modes of the tracing option.
const (
	ModeOff  = "off"
	ModeOTLP = "otlp"
)

// Scope is the instrumentation scope of Hookline's spans.
const Scope = "github.com/hookline/hookline"

// Settings describe this process to the trace backend.
type Settings struct {
	Mode    string
	Version string
	// Instance names this process (service.instance.id); instances
	// sharing a database each have their own.
	Instance string
	Logger   *slog.Logger
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
}

// Setup returns the tracer provider for s.Mode and a function that flushes
// the spans not yet exported and stops the exporter. With tracing off the
// provider is a no-op and nothing leaves the process.
func Setup(ctx context.Context, s Settings) (trace.TracerProvider, func(context.Context) error, error) {
	stop := func(context.Context) error { return nil }
	switch s.Mode {
	case "", ModeOff:
		return noop.NewTracerProvider(), stop, nil
	case ModeOTLP:
	default:
		return nil, stop, fmt.Errorf("--tracing %q: use off or otlp", s.Mode)
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	// The standard switches that turn an SDK off win over the option, so
	// an operator can silence every service the same way.
	if strings.EqualFold(s.Getenv("OTEL_SDK_DISABLED"), "true") || s.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		s.Logger.Info("tracing: off (OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none)")
		return noop.NewTracerProvider(), stop, nil
	}
	if err := checkProtocol(s.Getenv); err != nil {
		return nil, stop, err
	}
	otel.SetErrorHandler(newErrorLogger(s.Logger, time.Minute))
	// The exporter reads OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS,
	// _TIMEOUT, _COMPRESSION and _CERTIFICATE itself.
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, stop, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// Later sources win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the defaults.
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", "hookline"),
			attribute.String("service.version", s.Version),
			attribute.String("service.instance.id", s.Instance),
		),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithFromEnv(),
	)
	if err != nil {
		// A partial resource is still usable; say what was missing.
		s.Logger.Warn("tracing: some resource attributes could not be detected", "err", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based,
	// always on) and the batching from OTEL_BSP_*: a full export queue
	// drops spans rather than slowing ingest or delivery.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	s.Logger.Info("tracing: exporting spans over OTLP/HTTP", "endpoint", endpoint(s.Getenv))
	return tp, tp.Shutdown, nil
}

// Enabled reports whether tp records spans (Setup turned tracing on).
func Enabled(tp trace.TracerProvider) bool {
	_, ok := tp.(*sdktrace.TracerProvider)
	return ok
}

// checkProtocol refuses an OTLP protocol other than http/protobuf, the one
// this build exports with, rather than sending to a port that speaks
// another.
func checkProtocol(getenv func(string) string) error {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		if v != "http/protobuf" {
			return fmt.Errorf("%s=%s: Hookline exports traces with OTLP over HTTP only; set it to http/protobuf "+
				"(or unset it) and point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port, usually 4318", name, v)
		}
		return nil // the traces-specific variable wins over the general one
	}
	return nil
}

// endpoint is where spans go, for the start-up log line.
func endpoint(getenv func(string) string) string {
	if v := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		return v
	}
	if v := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		return strings.TrimSuffix(v, "/") + "/v1/traces"
	}
	return "https://localhost:4318/v1/traces (the default)"
}

// errorLogger logs exporter errors (a collector that is down, say) at most
// once per interval, so an outage does not flood the log.
type errorLogger struct {
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	dropped int
}

func newErrorLogger(log *slog.Logger, every time.Duration) *errorLogger {
	return &errorLogger{log: log, every: every}
}

// Handle implements otel.ErrorHandler.
func (l *errorLogger) Handle(err error) {
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	l.log.Warn("tracing: exporting spans failed", "err", err, "similar_errors_not_logged", dropped)
}

var propagator = propagation.TraceContext{}

// TraceParent returns the W3C traceparent of the span in ctx, or "" when
// ctx holds no valid span (tracing off).
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return c.Get("traceparent")
}

// WithParent returns ctx with the remote span context of a traceparent
// stored earlier; an empty or malformed one leaves ctx as it is.
func WithParent(ctx context.Context, traceParent string) context.Context {
	if traceParent == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": traceParent})
}

// TraceID returns the trace id of a stored traceparent, or "" when it is
// empty or malformed: what to search for in a tracing backend.
func TraceID(traceParent string) string {
	sc := trace.SpanContextFromContext(WithParent(context.Background(), traceParent))
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

// Extract returns ctx with the span context the caller sent in its
// traceparent header, so the publisher's trace carries on in Hookline.
func Extract(ctx context.Context, header interface{ Get(string) string }) context.Context {
	tp := header.Get("traceparent")
	if tp == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": tp, "tracestate": header.Get("tracestate")})
}

// Fail marks span as failed with err; errors the client caused (a 4xx)
// are recorded but leave the status unset, as the service did its job.
func Fail(span trace.Span, err error, clientError bool) {
	if err == nil {
		return
	}
	span.RecordError(err)
	if !clientError {
		span.SetStatus(codes.Error, err.Error())
	}
}
