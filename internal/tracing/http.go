package tracing

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Traced reports whether requests to path get a server span: the REST API
// does; the dashboard, health checks, metrics and static files do not.
func Traced(path string) bool { return strings.HasPrefix(path, "/api/") }

// StartRequest starts the server span of an API request, continuing the
// caller's trace when it sent a traceparent header. The returned request
// carries the span; pass it on.
func StartRequest(tracer trace.Tracer, r *http.Request, requestID string) (*http.Request, trace.Span) {
	ctx := Extract(r.Context(), r.Header)
	ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("hookline.request_id", requestID),
		))
	return r.WithContext(ctx), span
}

// EndRequest names the span after the route the mux matched (low
// cardinality: "POST /api/v1/events", not the path with IDs in it),
// records the status and ends the span.
func EndRequest(span trace.Span, r *http.Request, status int) {
	if r.Pattern != "" {
		span.SetName(r.Pattern)
		route := r.Pattern
		if _, after, ok := strings.Cut(route, " "); ok {
			route = after
		}
		span.SetAttributes(attribute.String("http.route", route))
	}
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}
