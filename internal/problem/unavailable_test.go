package problem

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// TestOutageLoggedAsSummary: during an outage, a thousand refused
// requests log one line per interval, the next one counting the others
// (before: two WARN lines per refused request).
func TestOutageLoggedAsSummary(t *testing.T) {
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	reset := func() {
		unavailable.mu.Lock()
		unavailable.last, unavailable.refused = time.Time{}, 0
		unavailable.mu.Unlock()
	}
	reset()
	now = func() time.Time { return clock }
	// Later tests expect a fresh summary: their first refusal is logged.
	t.Cleanup(func() { now = time.Now; reset() })
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	refuse := func() {
		r := httptest.NewRequest("POST", "/api/v1/events", nil)
		w := httptest.NewRecorder()
		WriteError(w, r, log, &webhook.Error{Code: webhook.EUNAVAILABLE, Message: "storage unavailable: disk full"})
		if w.Code != 503 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("answer %d %v", w.Code, w.Header())
		}
	}
	for range 1000 {
		refuse()
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("%d lines for 1,000 refusals in one interval:\n%s", n, buf.String())
	}
	clock = clock.Add(unavailableEvery)
	refuse()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "refused_since_last_line=999") {
		t.Errorf("second line: %q", lines)
	}
}
