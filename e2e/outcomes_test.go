package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/verify"
)

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(50*time.Millisecond, 50*time.Millisecond))
	rc := startReceiver(t, statusSeq(500, 200))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 3})
	got := rc.wait(t, 2)
	v, _ := verify.New(w.Secret)
	for i, r := range got {
		if r.Header.Get("webhook-id") != id {
			t.Errorf("attempt %d: webhook-id %q, want %q", i+1, r.Header.Get("webhook-id"), id)
		}
		if err := v.Verify(r.Header, r.Body); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if d.Attempts != 2 || len(d.AttemptLog) != 2 {
		t.Fatalf("attempts %d, log %d; want 2 and 2", d.Attempts, len(d.AttemptLog))
	}
	if a := d.AttemptLog[0]; a.StatusCode != 500 || a.ErrorClass != "http_status" || a.Number != 1 {
		t.Errorf("first attempt %s, want 500 http_status number 1", fmtJSON(a))
	}
	if a := d.AttemptLog[1]; a.StatusCode != 200 || a.ErrorClass != "" || a.Number != 2 {
		t.Errorf("second attempt %s, want 200 without error, number 2", fmtJSON(a))
	}
	if d.NextAttemptAt != nil {
		t.Errorf("succeeded delivery still has next_attempt_at %v", d.NextAttemptAt)
	}
}

func TestAllFailuresEndFailed(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond))
	rc := startReceiver(t, statusSeq(500))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	rc.wait(t, 4)
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery failed", func(d deliveryResp) bool { return d.Status == "failed" })
	if d.Attempts != 4 || len(d.AttemptLog) != 4 {
		t.Errorf("failed after %d attempts (log %d), want 1 + 3 retries", d.Attempts, len(d.AttemptLog))
	}
	if d.LastStatusCode != 500 || d.LastError == "" || d.NextAttemptAt != nil {
		t.Errorf("failed delivery = %s", fmtJSON(d))
	}
	for i, a := range d.AttemptLog {
		if a.Number != i+1 || a.StatusCode != 500 {
			t.Errorf("attempt %d = %s", i+1, fmtJSON(a))
		}
	}
	// A marker event to a fresh webhook on the same server: by the time it
	// arrives, a fifth attempt would have been made long ago (20ms delays).
	rc2 := startReceiver(t, nil)
	s.createWebhook(rc2.URL, "site_published")
	marker := s.publish("site_published", map[string]any{})
	rc2.waitID(t, marker)
	if n := len(rc.requests()); n != 4 {
		t.Errorf("receiver got %d requests, want exactly 4", n)
	}
	st := s.getWebhook(w.ID).Stats
	if st.Deliveries != 1 || st.Failed != 1 || st.Succeeded != 0 || st.Attempts != 4 ||
		st.LastFailureAt == nil || st.LastSuccessAt != nil {
		t.Errorf("stats after a failed delivery: %s", fmtJSON(st))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	// Without Retry-After the retry would come after 50ms.
	s := startServer(t, withRetrySchedule(50*time.Millisecond, 50*time.Millisecond))
	rc := startReceiver(t, func(_ *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			return 429, http.Header{"Retry-After": {"1"}}, "slow down"
		}
		return 200, nil, "ok"
	})
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	got := rc.wait(t, 2)
	if gap := got[1].At.Sub(got[0].At); gap < 990*time.Millisecond {
		t.Errorf("retry came %v after a 429 with Retry-After: 1, want at least 1s", gap)
	}
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if d.AttemptLog[0].StatusCode != 429 || d.AttemptLog[0].ResponseHeaders.Get("Retry-After") != "1" {
		t.Errorf("first attempt %s", fmtJSON(d.AttemptLog[0]))
	}
}

func TestGoneDisablesWebhook(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond, 20*time.Millisecond))
	rc := startReceiver(t, statusSeq(410))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	rc.wait(t, 1)
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery failed", func(d deliveryResp) bool { return d.Status == "failed" })
	if d.Attempts != 1 || d.LastStatusCode != 410 {
		t.Errorf("after 410: %s, want failed after one attempt (no retry)", fmtJSON(d))
	}
	got := s.getWebhook(w.ID)
	if got.Active || got.DisabledReason == "" {
		t.Fatalf("webhook after 410: active %v, reason %q; want disabled with a reason", got.Active, got.DisabledReason)
	}
	if len(rc.requests()) != 1 {
		t.Errorf("receiver got %d requests, want 1", len(rc.requests()))
	}
	// Disabled: new events make no delivery.
	var rep struct {
		Deliveries int `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}}, &rep)
	if rep.Deliveries != 0 {
		t.Errorf("disabled webhook got %d new deliveries", rep.Deliveries)
	}
	// Turning it back on clears the reason.
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	if got := s.getWebhook(w.ID); !got.Active || got.DisabledReason != "" {
		t.Errorf("re-enabled webhook: active %v reason %q", got.Active, got.DisabledReason)
	}
}

func TestRedirectIsFailureNotFollowed(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond))
	rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		if r.URL.Path == "/hook" {
			return 302, http.Header{"Location": {"/moved"}}, ""
		}
		return 200, nil, "ok"
	})
	s.createWebhook(rc.URL+"/hook", "payment_received")
	id := s.publish("payment_received", map[string]any{})
	rc.wait(t, 2)
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery failed", func(d deliveryResp) bool { return d.Status == "failed" })
	if d.Attempts != 2 {
		t.Errorf("attempts %d, want 2 (a 302 is retried like any failure)", d.Attempts)
	}
	for _, a := range d.AttemptLog {
		if a.StatusCode != 302 || a.ErrorClass == "" || a.Error == "" {
			t.Errorf("attempt %s, want a failed 302", fmtJSON(a))
		}
	}
	for _, r := range rc.requests() {
		if r.Path != "/hook" {
			t.Errorf("redirect followed to %s", r.Path)
		}
	}
}

// Once an endpoint has answered 410 Gone, deliveries queued behind it are
// not sent: the webhook is disabled and they end without a request.
func TestGoneStopsQueuedDeliveries(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(time.Hour), func(c *config.Config) { c.PerWebhook = 1 })
	g := newGate(t)
	rc := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			g.hold(r) // keep the first request until the others are queued
		}
		return 410, nil, "gone"
	})
	w := s.createWebhook(rc.URL, "payment_received")
	first := s.publish("payment_received", map[string]any{"n": 0})
	g.waitHeld(t)
	var rest []string
	for i := 1; i <= 5; i++ {
		rest = append(rest, s.publish("payment_received", map[string]any{"n": i}))
	}
	g.open()
	for _, id := range append([]string{first}, rest...) {
		s.waitDelivery(s.onlyDelivery(id).ID, "delivery final", func(d deliveryResp) bool { return d.Status == "failed" })
	}
	if got := ids(rc.requests()); len(got) != 1 {
		t.Errorf("endpoint that answered 410 got %d requests %v, want 1: queued deliveries must not be sent to a disabled webhook", len(got), got)
	}
	if wh := s.getWebhook(w.ID); wh.Active {
		t.Errorf("webhook still active after 410")
	}
}
