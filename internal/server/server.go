// Package server is Hookline's HTTP front: the http.Server with its
// timeouts, the middleware every request passes (request id, panic
// recovery, access log, security headers), health and readiness probes, and
// graceful shutdown.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/problem"
	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/tracing"
)

// Timeouts that keep slow or idle clients from holding connections.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// New returns an http.Server for h with production timeouts.
func New(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// TLS names a certificate and key file; empty serves plain HTTP. With TLS
// the server also speaks HTTP/2.
type TLS struct{ CertFile, KeyFile string }

// Serve serves on ln until ctx ends, then stops accepting and waits up to
// grace for requests in flight.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, tls TLS, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		if tls.CertFile != "" {
			errc <- srv.ServeTLS(ln, tls.CertFile, tls.KeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after the grace period are cut off: the
		// process is stopping either way, and a clean stop is expected.
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return nil
}

// Tracker counts handlers in flight, so storage is closed only after the
// last one returned (http.Server.Close does not wait for handlers).
type Tracker struct{ wg sync.WaitGroup }

// Wrap counts h's calls.
func (t *Tracker) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.wg.Add(1)
		defer t.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// Wait waits for handlers in flight, at most d.
func (t *Tracker) Wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// Middleware wraps h with request ids, panic recovery, security headers,
// the client address (from X-Forwarded-For only behind trusted proxies) and
// an access log (which never records credentials). With a tracer, API
// requests also get a server span (see tracing.Traced).
func Middleware(h http.Handler, log *slog.Logger, trusted []netip.Prefix, tracer trace.Tracer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if len(trusted) > 0 {
			if ip := ClientIP(r, trusted); ip != "" {
				_, port, _ := net.SplitHostPort(r.RemoteAddr)
				r.RemoteAddr = net.JoinHostPort(ip, port)
			}
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || !printable(id) {
			id = reqid.New()
		}
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		if r.TLS != nil {
			// Served over TLS: browsers keep to HTTPS for this host for a
			// year. Behind a TLS-terminating proxy, the proxy sends it.
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		r = r.WithContext(reqid.With(r.Context(), id))
		rw := &statusWriter{ResponseWriter: w}
		var span trace.Span
		if tracer != nil && tracing.Traced(r.URL.Path) {
			r, span = tracing.StartRequest(tracer, r, id)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "panic", p, "request_id", id, "path", logPath(r.URL.Path), "stack", string(debug.Stack()))
				if rw.status == 0 {
					problem.Write(rw, problem.Problem{Status: http.StatusInternalServerError, Detail: "internal error", RequestID: id})
				}
			}
			lvl := slog.LevelDebug
			// 503 is storage refusing requests: problem.WarnUnavailable
			// sums an outage up instead of a line per request.
			if rw.status >= 500 && rw.status != http.StatusServiceUnavailable {
				lvl = slog.LevelWarn
			}
			attrs := []any{"method", r.Method, "path", logPath(r.URL.Path),
				"status", rw.status, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
				"request_id", id, "remote", r.RemoteAddr}
			if span != nil {
				tracing.EndRequest(span, r, rw.status)
				if sc := span.SpanContext(); sc.IsValid() {
					attrs = append(attrs, "trace_id", sc.TraceID().String())
				}
			}
			log.Log(r.Context(), lvl, "request", attrs...)
		}()
		h.ServeHTTP(rw, r)
	})
}

// logPath is a request path as logs show it: a request-inspector bin's
// capture URL (/bins/<token>) is a capability, so its token is cut.
func logPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/bins/"); ok && rest != "" {
		return "/bins/…"
	}
	return p
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Health serves /healthz (the process is up) and /readyz (it can reach its
// storage and is not shutting down).
//
// /readyz?full=1 also runs full, a thorough check (the database's
// integrity) that is too slow for a probe every few seconds.
func Health(mux *http.ServeMux, ready, full func(ctx context.Context) error) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		check, limit := ready, 2*time.Second
		if r.URL.Query().Get("full") == "1" && full != nil {
			check, limit = full, 5*time.Minute
		}
		ctx, cancel := context.WithTimeout(r.Context(), limit)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := check(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":"unavailable"}` + "\n"))
			return
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
}
