package e2e

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/hookline/hookline/internal/config"
)

// TestRateLimitPerKey: a key over its rate gets 429 problem JSON with
// Retry-After; another key is not affected.
func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.APIRateLimit, c.APIRateBurst = 0.01, 3 })
	var other struct {
		Key string `json:"key"`
	}
	s.mustDo(201, "POST", "/api/v1/keys", map[string]any{"name": "other"}, &other) // 1st of the burst
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, nil)                             // 2nd
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, nil)                             // 3rd
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+s.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the limit: %d %s, want 429 problem JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want a number of seconds", resp.Header.Get("Retry-After"))
	}
	if code := s.doKey(other.Key, "GET", "/api/v1/webhooks", nil, nil); code != 200 {
		t.Fatalf("another key: %d, want 200 (limits are per key)", code)
	}
}
