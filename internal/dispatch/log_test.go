package dispatch

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func TestLogLimit(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := logLimit{every: time.Minute}
	steps := []struct {
		key        string
		at         time.Duration
		allowed    bool
		suppressed int
	}{
		{"a", 0, true, 0},
		{"a", time.Second, false, 0},
		{"b", time.Second, true, 0}, // keys are independent
		{"a", 59 * time.Second, false, 0},
		{"a", 61 * time.Second, true, 2},
		{"a", 62 * time.Second, false, 0},
		{"a", 200 * time.Second, true, 1},
	}
	for i, s := range steps {
		ok, n := l.allow(s.key, t0.Add(s.at))
		if ok != s.allowed || n != s.suppressed {
			t.Errorf("step %d (%s at %s): allow %v, %d held back; want %v, %d", i, s.key, s.at, ok, n, s.allowed, s.suppressed)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestFinalFailureLogged: a delivery that fails for good is logged at warn
// with the ids to find it, once per webhook per minute however many fail.
func TestFinalFailureLogged(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	fs := newFakeStore()
	fs.hooks["wh_1"] = webhook.Webhook{ID: "wh_1", URL: srv.URL, Active: true, Format: webhook.FormatEnvelope}
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// No retries: every attempt is the last.
	d := startDispatcher(t, fs, Config{Logger: log, RetrySchedule: []time.Duration{}})
	tasks := tasks("wh_1", 5)
	d.Submit(tasks)
	fs.waitResults(t, len(tasks))

	var warns []map[string]any
	for _, m := range buf.lines(t) {
		if m["msg"] == "delivery failed after its last attempt" {
			warns = append(warns, m)
		}
	}
	if len(warns) != 1 {
		t.Fatalf("%d final-failure lines for 5 deliveries of one webhook, want 1: %v", len(warns), warns)
	}
	w := warns[0]
	var ids []string
	for _, task := range tasks {
		ids = append(ids, task.Delivery.ID)
	}
	if w["level"] != "WARN" || !slices.Contains(ids, w["delivery_id"].(string)) || w["webhook_id"] != "wh_1" ||
		w["status"] != float64(500) || w["error_class"] != "http_status" || w["event_id"] == "" {
		t.Errorf("final-failure line %v: want warn level with the delivery, event and webhook ids, status and class", w)
	}
}
