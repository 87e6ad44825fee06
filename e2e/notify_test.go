package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
)

// TestOperationalNotifications: a delivery that finally fails and a webhook
// disabled by 410 Gone each become an event of a built-in hookline.* type,
// delivered to the webhook that subscribes to them.
func TestOperationalNotifications(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.RetrySchedule = []time.Duration{10 * time.Millisecond} })
	ops := startReceiver(t, nil)
	var opsHook webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{"name": "ops", "url": ops.URL + "/ops",
		"events": []string{"hookline.delivery.failed"}}, &opsHook)
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{"name": "ops disabled", "url": ops.URL + "/disabled",
		"events": []string{"hookline.webhook.disabled"}}, nil)

	failing := startReceiver(t, func(*http.Request, int) (int, http.Header, string) { return 500, nil, "no" })
	s.createWebhook(failing.URL+"/hook", "payment_received")
	evID := s.publish("payment_received", map[string]any{"n": 1})

	gone := startReceiver(t, func(*http.Request, int) (int, http.Header, string) { return 410, nil, "gone" })
	goneHook := s.createWebhook(gone.URL+"/hook", "site_published")
	s.publish("site_published", map[string]any{"n": 2})

	// Three notifications: both deliveries failed for good (500 after the
	// retry, 410 at once), and the 410 disabled its webhook.
	got := map[string][]map[string]any{}
	for _, r := range ops.wait(t, 3) {
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatalf("notification body %s: %v", r.Body, err)
		}
		got[env.Type] = append(got[env.Type], env.Data)
	}
	found := false
	for _, f := range got["hookline.delivery.failed"] {
		found = found || f["event_id"] == evID && f["last_status_code"] == float64(500) && f["attempts"] == float64(2)
	}
	if !found || len(got["hookline.delivery.failed"]) != 2 {
		t.Errorf("delivery.failed notifications = %v", got["hookline.delivery.failed"])
	}
	if d := got["hookline.webhook.disabled"]; len(d) != 1 || d[0]["webhook_id"] != goneHook.ID || d[0]["reason"] == "" {
		t.Errorf("webhook.disabled notifications = %v", d)
	}
}
