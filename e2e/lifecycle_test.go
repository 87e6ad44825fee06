package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/verify"
)

// gate is a receiver behaviour that holds each request until released, and
// tells the test when one is being held.
type gate struct {
	held    chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{held: make(chan struct{}, 100), release: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// hold blocks the handler until the gate opens (or the client gives up).
func (g *gate) hold(r *http.Request) {
	g.held <- struct{}{}
	select {
	case <-g.release:
	case <-r.Context().Done():
	}
}

func (g *gate) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(20 * time.Second):
		t.Fatal("no request reached the receiver")
	}
}

func TestPatchChangesRouting(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rcA := startReceiver(t, nil)
	rcB := startReceiver(t, nil)
	w := s.createWebhook(rcA.URL, "payment_received")

	first := s.publish("payment_received", map[string]any{})
	rcA.waitID(t, first)

	// New events list and URL apply to the next event at once.
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"events": []string{"site_published"}, "url": rcB.URL}, nil)
	if _, n := s.publishRaw(`{"type":"payment_received","data":{}}`); n != 0 {
		t.Errorf("unsubscribed type made %d deliveries", n)
	}
	second, n := s.publishRaw(`{"type":"site_published","data":{}}`)
	if n != 1 {
		t.Fatalf("newly subscribed type made %d deliveries, want 1", n)
	}
	rcB.waitID(t, second)
	if got := ids(rcA.requests()); len(got) != 1 {
		t.Errorf("old URL got %v after the URL changed", got)
	}

	// Inactive: accepted, no delivery.
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": false}, nil)
	if _, n := s.publishRaw(`{"type":"site_published","data":{}}`); n != 0 {
		t.Errorf("inactive webhook got %d deliveries", n)
	}
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	third, n := s.publishRaw(`{"type":"site_published","data":{}}`)
	if n != 1 {
		t.Errorf("re-activated webhook got %d deliveries, want 1", n)
	}
	if got := rcB.waitID(t, third); len(got) != 2 {
		t.Errorf("receiver B got %v, want the two events published while it was active", ids(got))
	}
}

// Turning a webhook off stops its pending retries without another request;
// the stats count HTTP requests only.
func TestDisableCancelsPendingRetry(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond, 20*time.Millisecond))
	g := newGate(t)
	rc := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			g.hold(r)
		}
		return 500, nil, "no"
	})
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	g.waitHeld(t)
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": false}, nil)
	g.open()
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery failed", func(d deliveryResp) bool { return d.Status == "failed" })
	if n := len(rc.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1: the retry must not be sent to a disabled webhook", n)
	}
	if d.NextAttemptAt != nil {
		t.Errorf("failed delivery keeps next_attempt_at: %s", fmtJSON(d))
	}
	st := s.getWebhook(w.ID).Stats
	if st.Attempts != 1 {
		t.Errorf("stats.attempts = %d, want 1 (one HTTP request was made; the cancelled retry sent nothing)", st.Attempts)
	}
	if st.Failed != 1 {
		t.Errorf("stats.failed = %d, want 1", st.Failed)
	}
}

func TestDeleteWebhookFailsPending(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(time.Hour))
	rc := startReceiver(t, statusSeq(500))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	dlv := s.onlyDelivery(id).ID
	s.waitDelivery(dlv, "first attempt", func(d deliveryResp) bool { return d.Attempts == 1 })
	s.mustDo(204, "DELETE", "/api/v1/webhooks/"+w.ID, nil, nil)
	d := s.getDelivery(dlv)
	if d.Status != "failed" || d.NextAttemptAt != nil || len(d.AttemptLog) != 1 {
		t.Errorf("delivery of a deleted webhook: %s, want failed with its attempt log kept", fmtJSON(d))
	}
	if _, n := s.publishRaw(`{"type":"payment_received","data":{}}`); n != 0 {
		t.Errorf("deleted webhook got %d deliveries", n)
	}
}

func TestRetryPendingDeliveryNow(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(time.Hour))
	rc := startReceiver(t, statusSeq(500, 200))
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	dlv := s.onlyDelivery(id).ID
	d := s.waitDelivery(dlv, "first attempt", func(d deliveryResp) bool { return d.Attempts == 1 })
	if d.Status != "pending" || d.NextAttemptAt == nil || time.Until(*d.NextAttemptAt) < 30*time.Minute {
		t.Fatalf("after one failure: %s, want pending about an hour out", fmtJSON(d))
	}
	s.mustDo(202, "POST", "/api/v1/deliveries/"+dlv+"/retry", nil, nil)
	rc.wait(t, 2)
	s.waitDelivery(dlv, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" && d.Attempts == 2 })
}

func TestRetryWhileInFlightConflicts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	g := newGate(t)
	rc := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			g.hold(r)
		}
		return 200, nil, "ok"
	})
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	g.waitHeld(t)
	dlv := s.onlyDelivery(id).ID
	s.sendProblem(409, "POST", "/api/v1/deliveries/"+dlv+"/retry", nil)
	g.open()
	s.waitDelivery(dlv, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	marker := s.publish("payment_received", map[string]any{"marker": true})
	if got := rc.waitID(t, marker); count(ids(got), id) != 1 {
		t.Errorf("event delivered %d times, want once", count(ids(got), id))
	}
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	w := s.createWebhook(rc.URL, "payment_received")
	var rot struct {
		Secret string `json:"secret"`
	}
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/rotate-secret", nil, &rot)
	checkSecret(t, rot.Secret)
	if rot.Secret == w.Secret {
		t.Fatal("rotation returned the old secret")
	}
	var sec struct {
		Secret   string `json:"secret"`
		Previous []struct {
			Secret string `json:"secret"`
		} `json:"previous"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID+"/secret", nil, &sec)
	if sec.Secret != rot.Secret || len(sec.Previous) != 1 || sec.Previous[0].Secret != w.Secret {
		t.Errorf("GET secret after rotation: %s", fmtJSON(sec))
	}
	id := s.publish("payment_received", map[string]any{})
	got := rc.waitID(t, id)[0]
	for name, secret := range map[string]string{"new": rot.Secret, "previous": w.Secret} {
		v, _ := verify.New(secret)
		if err := v.Verify(got.Header, got.Body); err != nil {
			t.Errorf("%s secret does not verify during the overlap: %v", name, err)
		}
	}
}

// Deliveries already queued when a webhook's URL, format or headers change
// are sent with the new settings.
func TestQueuedDeliveriesFollowWebhookChange(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.PerWebhook = 1 })
	g := newGate(t)
	oldRC := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			g.hold(r)
		}
		return 200, nil, "ok"
	})
	newRC := startReceiver(t, nil)
	w := s.createWebhook(oldRC.URL, "payment_received")
	first := s.publish("payment_received", map[string]any{"n": 0})
	g.waitHeld(t)
	second, _ := s.publishRaw(`{"type":"payment_received","data":{"n": 1}}`)
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{
		"url": newRC.URL, "format": "raw", "headers": map[string]string{"X-After": "patch"},
	}, nil)
	g.open()
	got := newRC.waitID(t, second)[0]
	if string(got.Body) != `{"n": 1}` || got.Header.Get("X-After") != "patch" {
		t.Errorf("queued delivery sent with old settings: headers %v body %s", got.Header, got.Body)
	}
	if n := count(ids(oldRC.requests()), second); n != 0 {
		t.Errorf("queued delivery went to the old URL")
	}
	s.waitDelivery(s.onlyDelivery(first).ID, "first succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
}
