// Package e2e holds end-to-end tests: each starts the real server (the same
// app.New + Run as `hookline serve`) on a random loopback port with its own
// data directory, and real HTTP receivers, and talks to it over HTTP only.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
)

// server is a running Hookline for one test.
type server struct {
	t    *testing.T
	URL  string
	Key  string
	app  *app.App
	stop func()
	logs *syncBuffer
}

// serverOption adjusts the configuration before start.
type serverOption func(*config.Config)

// startServer starts Hookline on 127.0.0.1:0 with a fresh data directory,
// loopback opened to the SSRF guard (receivers are local), and an admin
// key. It stops at test cleanup.
func startServer(t *testing.T, opts ...serverOption) *server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AllowPrivateTargets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.ShutdownTimeout = 5 * time.Second
	for _, o := range opts {
		o(&cfg)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, log)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	_, key, err := auth.Create(context.Background(), a.Store(), auth.CreateParams{Name: "test"}, time.Now())
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	s := &server{t: t, URL: "http://" + ln.Addr().String(), Key: key, app: a, logs: logs}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("server stopped with error: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// do sends a request with the admin key and decodes a JSON answer into out
// (when non-nil). It returns the status code.
func (s *server) do(method, path string, body any, out any) int {
	s.t.Helper()
	return s.doKey(s.Key, method, path, body, out)
}

func (s *server) doKey(key, method, path string, body any, out any) int {
	s.t.Helper()
	rd := s.bodyReader(body)
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// bodyReader encodes a request body: nil, a string, []byte, or a value
// marshalled as JSON.
func (s *server) bodyReader(body any) io.Reader {
	s.t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	}
	j, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	return bytes.NewReader(j)
}

// mustDo is do that fails the test unless the status is want.
func (s *server) mustDo(want int, method, path string, body any, out any) {
	s.t.Helper()
	var raw json.RawMessage
	got := s.do(method, path, body, &raw)
	if got != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// webhookResp is the subset of a webhook's JSON the tests read.
type webhookResp struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	URL            string            `json:"url"`
	Events         []string          `json:"events"`
	Active         bool              `json:"active"`
	Secret         string            `json:"secret"`
	Tenant         string            `json:"tenant"`
	Format         string            `json:"format"`
	Headers        map[string]string `json:"headers"`
	DisabledReason string            `json:"disabled_reason"`
	Stats          struct {
		Deliveries    int64      `json:"deliveries"`
		Attempts      int64      `json:"attempts"`
		Succeeded     int64      `json:"succeeded"`
		Failed        int64      `json:"failed"`
		LastSuccessAt *time.Time `json:"last_success_at"`
		LastFailureAt *time.Time `json:"last_failure_at"`
	} `json:"stats"`
}

// createWebhook creates a webhook to url for events and returns it.
func (s *server) createWebhook(url string, events ...string) webhookResp {
	s.t.Helper()
	var w webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "test " + url, "url": url, "events": events,
	}, &w)
	return w
}

// publish publishes an event and returns its id.
func (s *server) publish(typ string, data any) string {
	s.t.Helper()
	var r struct {
		ID string `json:"id"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": typ, "data": data}, &r)
	return r.ID
}

// problem is an RFC 9457 body.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Field  string         `json:"field"`
	Errors []problemError `json:"errors"`
}

// problemError is one item of a problem's errors member.
type problemError struct {
	Pointer   string `json:"pointer"`
	Parameter string `json:"parameter"`
	Detail    string `json:"detail"`
}

// received is one request a receiver got.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time
}

// receiver is a real HTTP server on loopback that records requests and
// answers with what respond returns (default 200).
type receiver struct {
	URL     string
	mu      sync.Mutex
	reqs    []received
	arrived chan struct{} // one send per request, never blocks the handler
	respond func(r *http.Request, n int) (status int, header http.Header, body string)
	srv     *http.Server
}

func startReceiver(t *testing.T, respond func(r *http.Request, n int) (int, http.Header, string)) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{URL: "http://" + ln.Addr().String(), arrived: make(chan struct{}, 100000), respond: respond}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	t.Cleanup(func() { rc.srv.Close() })
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.reqs)
	rc.reqs = append(rc.reqs, received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: time.Now()})
	rc.mu.Unlock()
	status, h, out := 200, http.Header(nil), "ok"
	if rc.respond != nil {
		status, h, out = rc.respond(r, n)
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	io.WriteString(w, out)
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
}

// wait blocks until the receiver has at least n requests or the deadline
// passes (a generous bound that only matters when something is broken).
func (rc *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.reqs)
		rc.mu.Unlock()
		if got >= n {
			return rc.requests()
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d requests, want %d", got, n)
		}
	}
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// eventually polls cond (a read of server state over the API) until it
// holds. Used only where no signal exists: state the server stores after
// the receiver answered.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func fmtJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return fmt.Sprint(string(b))
}
