package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/verify"
)

func TestAttemptLogDetails(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(50*time.Millisecond))
	rc := startReceiver(t, func(_ *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			return 500, http.Header{"X-Receiver": {"first"}}, "boom"
		}
		return 200, http.Header{"X-Receiver": {"second"}}, `{"ok":true}`
	})
	w := s.createWebhook(rc.URL+"/hook", "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 5})
	got := rc.wait(t, 2)
	d := s.waitDelivery(s.onlyDelivery(id).ID, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if d.EventID != id || d.WebhookID != w.ID || d.EventType != "payment_received" || !strings.HasPrefix(d.ID, "dlv_") {
		t.Errorf("delivery = %s", fmtJSON(d))
	}
	if len(d.AttemptLog) != 2 {
		t.Fatalf("attempt log has %d entries, want 2", len(d.AttemptLog))
	}
	for i, a := range d.AttemptLog {
		sent := got[i]
		if !strings.HasPrefix(a.ID, "att_") || a.DeliveryID != d.ID || a.Number != i+1 || a.Test {
			t.Errorf("attempt %d ids: %s", i+1, fmtJSON(a))
		}
		if a.URL != rc.URL+"/hook" || a.DurationMS == nil || *a.DurationMS < 0 || a.StartedAt.IsZero() {
			t.Errorf("attempt %d url/duration/start: %s", i+1, fmtJSON(a))
		}
		if a.RequestBody != string(sent.Body) {
			t.Errorf("attempt %d request_body %q, want what the receiver got %q", i+1, a.RequestBody, sent.Body)
		}
		for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "webhook-event", "User-Agent", "Content-Type"} {
			if a.RequestHeaders.Get(k) != sent.Header.Get(k) {
				t.Errorf("attempt %d request header %s = %q, receiver saw %q", i+1, k, a.RequestHeaders.Get(k), sent.Header.Get(k))
			}
		}
	}
	a1, a2 := d.AttemptLog[0], d.AttemptLog[1]
	if a1.StatusCode != 500 || a1.ResponseBody != "boom" || a1.ResponseHeaders.Get("X-Receiver") != "first" ||
		a1.ErrorClass != "http_status" || a1.Error == "" {
		t.Errorf("failed attempt = %s", fmtJSON(a1))
	}
	if a2.StatusCode != 200 || a2.ResponseBody != `{"ok":true}` || a2.ResponseHeaders.Get("X-Receiver") != "second" ||
		a2.ErrorClass != "" || a2.Error != "" {
		t.Errorf("successful attempt = %s", fmtJSON(a2))
	}
	s.sendProblem(404, "GET", "/api/v1/deliveries/dlv_missing", nil)
}

func TestAttemptErrorClasses(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, withRetrySchedule(time.Hour))
		s.createWebhook(closedPortURL(t), "payment_received")
		id := s.publish("payment_received", map[string]any{})
		d := s.waitDelivery(s.onlyDelivery(id).ID, "first attempt", func(d deliveryResp) bool { return d.Attempts == 1 })
		if d.Status != "pending" || d.NextAttemptAt == nil {
			t.Errorf("after one refused attempt with retries left: %s, want pending with next_attempt_at", fmtJSON(d))
		}
		if a := d.AttemptLog[0]; a.ErrorClass != "connection_refused" || a.StatusCode != 0 || a.Error == "" {
			t.Errorf("attempt = %s, want error_class connection_refused", fmtJSON(a))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, withRetrySchedule(time.Hour), func(c *config.Config) { c.DeliveryTimeout = time.Second })
		rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return 200, nil, "late"
		})
		s.createWebhook(rc.URL, "payment_received")
		id := s.publish("payment_received", map[string]any{})
		d := s.waitDelivery(s.onlyDelivery(id).ID, "first attempt", func(d deliveryResp) bool { return d.Attempts == 1 })
		if a := d.AttemptLog[0]; a.ErrorClass != "timeout" || a.Error == "" || a.DurationMS == nil || *a.DurationMS < 900 {
			t.Errorf("attempt = %s, want error_class timeout after about 1s", fmtJSON(a))
		}
	})
}

func TestManualRetryRedelivers(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond))
	rc := startReceiver(t, statusSeq(500, 500, 200))
	w := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	rc.wait(t, 2)
	dlv := s.onlyDelivery(id).ID
	s.waitDelivery(dlv, "delivery failed", func(d deliveryResp) bool { return d.Status == "failed" })

	var queued deliveryResp
	s.mustDo(202, "POST", "/api/v1/deliveries/"+dlv+"/retry", nil, &queued)
	if queued.ID != dlv || queued.Status != "pending" {
		t.Errorf("retry answered %s, want the delivery pending", fmtJSON(queued))
	}
	got := rc.wait(t, 3)
	if got[2].Header.Get("webhook-id") != id {
		t.Errorf("re-delivery webhook-id %q, want %q", got[2].Header.Get("webhook-id"), id)
	}
	d := s.waitDelivery(dlv, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if d.Attempts != 3 || len(d.AttemptLog) != 3 || d.AttemptLog[2].Number != 3 {
		t.Errorf("after manual retry: %s", fmtJSON(d))
	}
	st := s.getWebhook(w.ID).Stats
	if st.Succeeded != 1 || st.LastSuccessAt == nil || st.LastFailureAt == nil {
		t.Errorf("stats after retry: %s", fmtJSON(st))
	}
	s.sendProblem(404, "POST", "/api/v1/deliveries/dlv_missing/retry", nil)
}

func TestReplaySince(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	old := s.publish("payment_received", map[string]any{"n": "old"})
	oldTS := s.getEvent(old).Timestamp
	// Every later event is stored with a later timestamp.
	since := oldTS.Add(time.Microsecond)
	e2 := s.publish("payment_received", map[string]any{"n": 2})
	e3 := s.publish("payment_received", map[string]any{"n": 3})
	s.publish("site_published", map[string]any{"n": "other type"})
	var other struct {
		ID string `json:"id"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}, "tenant": "acme"}, &other)

	// A webhook created after the events receives none of them by itself.
	rc := startReceiver(t, nil)
	w := s.createWebhook(rc.URL, "payment_received")
	marker := s.publish("payment_received", map[string]any{"n": "marker"})
	rc.waitID(t, marker)
	if got := ids(rc.requests()); len(got) != 1 {
		t.Fatalf("new webhook got %v before any replay, want only the marker", got)
	}

	var rep struct {
		Deliveries int `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/webhooks/"+w.ID+"/replay", map[string]any{"since": since.Format(time.RFC3339Nano)}, &rep)
	// e2, e3 and the marker; not the old one, not the other type, not
	// tenant acme's.
	if rep.Deliveries != 3 {
		t.Errorf("replay made %d deliveries, want 3", rep.Deliveries)
	}
	got := rc.wait(t, 1+rep.Deliveries)
	list := ids(got)
	for _, id := range []string{e2, e3} {
		if count(list, id) != 1 {
			t.Errorf("replayed event %s delivered %d times, want 1 (%v)", id, count(list, id), list)
		}
	}
	if count(list, marker) != 2 {
		t.Errorf("marker delivered %d times, want 2 (published, then replayed)", count(list, marker))
	}
	for _, id := range []string{old, other.ID} {
		if count(list, id) != 0 {
			t.Errorf("event %s should not be replayed (%v)", id, list)
		}
	}
	if st := s.getWebhook(w.ID).Stats; st.Deliveries != 1+int64(rep.Deliveries) {
		t.Errorf("stats.deliveries %d after replay, want %d", st.Deliveries, 1+rep.Deliveries)
	}

	for _, c := range []struct {
		body   any
		status int
	}{
		{map[string]any{}, 400},
		{map[string]any{"since": "yesterday"}, 400},
		{map[string]any{"since": time.Now().Add(time.Hour).Format(time.RFC3339)}, 400},
	} {
		s.sendProblem(c.status, "POST", "/api/v1/webhooks/"+w.ID+"/replay", c.body)
	}
	s.sendProblem(404, "POST", "/api/v1/webhooks/wh_missing/replay", map[string]any{"since": since.Format(time.RFC3339)})
}

func TestWebhookStats(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond))
	rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		if r.Header.Get("webhook-event") == "site_published" {
			return 500, nil, "no"
		}
		return 200, nil, "ok"
	})
	w := s.createWebhook(rc.URL, "payment_received", "site_published")
	if st := s.getWebhook(w.ID).Stats; st.Deliveries != 0 || st.LastSuccessAt != nil || st.LastFailureAt != nil {
		t.Errorf("fresh webhook stats: %s", fmtJSON(st))
	}
	ok1 := s.publish("payment_received", map[string]any{})
	ok2 := s.publish("payment_received", map[string]any{})
	bad := s.publish("site_published", map[string]any{})
	rc.wait(t, 4)
	for _, id := range []string{ok1, ok2} {
		s.waitDelivery(s.onlyDelivery(id).ID, "succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	}
	s.waitDelivery(s.onlyDelivery(bad).ID, "failed", func(d deliveryResp) bool { return d.Status == "failed" })
	st := s.getWebhook(w.ID).Stats
	if st.Deliveries != 3 || st.Succeeded != 2 || st.Failed != 1 || st.Attempts != 4 {
		t.Errorf("stats = %s, want deliveries 3, succeeded 2, failed 1, attempts 4", fmtJSON(st))
	}
	if st.LastSuccessAt == nil || st.LastFailureAt == nil {
		t.Errorf("stats lack last success/failure times: %s", fmtJSON(st))
	}
}

// testResult is the answer of POST /api/v1/webhooks/{id}/test.
type testResult struct {
	Success         *bool       `json:"success"`
	StatusCode      int         `json:"status_code"`
	DurationMS      *float64    `json:"duration_ms"`
	ResponseHeaders http.Header `json:"response_headers"`
	ResponseBody    *string     `json:"response_body"`
	Error           string      `json:"error"`
}

func TestSendTest(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, func(*http.Request, int) (int, http.Header, string) {
		return 200, http.Header{"X-Receiver": {"yes"}}, "received"
	})
	w := s.createWebhook(rc.URL, "site_published", "payment_received")
	var examples = map[string]json.RawMessage{}
	for _, slug := range []string{"site_published", "payment_received"} {
		var et eventTypeResp
		s.mustDo(200, "GET", "/api/v1/event-types/"+slug, nil, &et)
		examples[slug] = et.Example
	}
	v, _ := verify.New(w.Secret)
	for i, c := range []struct {
		body any
		want string
	}{
		{nil, "site_published"}, // default: the webhook's first event
		{map[string]any{"event_type": "payment_received"}, "payment_received"},
	} {
		var res testResult
		s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/test", c.body, &res)
		if res.Success == nil || !*res.Success || res.StatusCode != 200 || res.DurationMS == nil ||
			res.ResponseBody == nil || *res.ResponseBody != "received" || res.ResponseHeaders.Get("X-Receiver") != "yes" || res.Error != "" {
			t.Errorf("test %d answer: %s", i, fmtJSON(res))
		}
		// Synchronous: the receiver has it when the answer comes.
		got := rc.requests()
		if len(got) != i+1 {
			t.Fatalf("receiver has %d requests after test %d", len(got), i)
		}
		r := got[i]
		if r.Header.Get("webhook-event") != c.want {
			t.Errorf("test %d sent webhook-event %q, want %q", i, r.Header.Get("webhook-event"), c.want)
		}
		if err := v.Verify(r.Header, r.Body); err != nil {
			t.Errorf("test %d signature: %v", i, err)
		}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		json.Unmarshal(r.Body, &env)
		if !jsonEqual(t, env.Data, examples[c.want]) {
			t.Errorf("test %d data %s, want the example %s", i, env.Data, examples[c.want])
		}
	}
	s.sendProblem(422, "POST", "/api/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "no_such_type"})
	s.sendProblem(404, "POST", "/api/v1/webhooks/wh_missing/test", nil)

	var atts struct {
		Data []attemptResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID+"/attempts", nil, &atts)
	if len(atts.Data) != 2 {
		t.Fatalf("attempts list has %d entries, want the 2 tests", len(atts.Data))
	}
	for _, a := range atts.Data {
		if !a.Test || a.StatusCode != 200 || a.DeliveryID != "" {
			t.Errorf("logged test attempt = %s", fmtJSON(a))
		}
	}
	// Tests are not deliveries.
	if st := s.getWebhook(w.ID).Stats; st.Deliveries != 0 || st.Succeeded != 0 {
		t.Errorf("test sends changed delivery stats: %s", fmtJSON(st))
	}
}

func TestSendTestReceiverDown(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	w := s.createWebhook(closedPortURL(t), "*")
	var res testResult
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/test", nil, &res)
	if res.Success == nil || *res.Success || res.Error == "" || res.StatusCode != 0 {
		t.Errorf("test to a closed port: %s, want success false with an error", fmtJSON(res))
	}
	var atts struct {
		Data []attemptResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID+"/attempts", nil, &atts)
	if len(atts.Data) != 1 || !atts.Data[0].Test || atts.Data[0].ErrorClass != "connection_refused" {
		t.Errorf("logged attempts: %s", fmtJSON(atts.Data))
	}
	// An inactive webhook can be tested before it is turned on.
	off := s.createWebhookWith(map[string]any{"name": "off", "url": closedPortURL(t), "events": []string{"*"}, "active": false})
	s.mustDo(200, "POST", "/api/v1/webhooks/"+off.ID+"/test", nil, &res)
	if *res.Success {
		t.Error("test to a closed port succeeded")
	}
}
