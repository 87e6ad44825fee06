package deliver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/retry"
)

// TestRetryAfter: the wait an endpoint asks for, as the dispatcher applies
// it (read by the HTTP sender, bounded by the retry policy).
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"absent", "", 0, false},
		{"seconds", "120", 2 * time.Minute, true},
		{"zero is raised to the minimum", "0", time.Second, true},
		{"huge is capped at a day", "99999999", 24 * time.Hour, true},
		{"negative ignored", "-5", 0, false},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"HTTP date in the past is the minimum", now.Add(-time.Hour).Format(http.TimeFormat), time.Second, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := deliver.RetryAfterHeader(h, now)
			if ok {
				got = retry.ClampAfter(got)
			}
			if ok != tt.ok || got != tt.want {
				t.Fatalf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}
