package e2e

import (
	"testing"

	"github.com/hookline/hookline/verify"
)

func TestPublishDeliversSignedEnvelope(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	w := s.createWebhook(rc.URL+"/hook", "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 29})
	got := rc.wait(t, 1)[0]
	if got.Header.Get("webhook-id") != id {
		t.Fatalf("webhook-id = %q, want %q", got.Header.Get("webhook-id"), id)
	}
	v, err := verify.New(w.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(got.Header, got.Body); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}
