package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
)

func TestEventListPaginationAndCounts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "payment_received")
	var published []string
	for range 5 {
		published = append(published, s.publish("payment_received", map[string]any{}))
	}
	other := s.publish("site_published", map[string]any{})
	rc.wait(t, 5)
	for _, id := range published {
		s.waitDelivery(s.onlyDelivery(id).ID, "succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	}

	type summary struct {
		ID         string         `json:"id"`
		Type       string         `json:"type"`
		Deliveries map[string]int `json:"deliveries"`
	}
	var seen []summary
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		var p struct {
			Data       []summary `json:"data"`
			NextCursor string    `json:"next_cursor"`
		}
		q := "/api/v1/events?limit=2&type=payment_received"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		s.mustDo(200, "GET", q, nil, &p)
		seen = append(seen, p.Data...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("walked %d events of type payment_received, want 5", len(seen))
	}
	for i, e := range seen {
		if want := published[4-i]; e.ID != want {
			t.Errorf("event %d = %s, want %s (newest first)", i, e.ID, want)
		}
		if e.Type != "payment_received" || e.Deliveries["succeeded"] != 1 {
			t.Errorf("event summary %s", fmtJSON(e))
		}
		if e.ID == other {
			t.Errorf("type filter let %s through", other)
		}
	}
}

func TestDeliveryListFilters(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(10*time.Millisecond))
	good := startReceiver(t, nil)
	bad := startReceiver(t, statusSeq(500))
	wg := s.createWebhook(good.URL, "payment_received")
	wb := s.createWebhook(bad.URL, "payment_received")
	id1 := s.publish("payment_received", map[string]any{})
	id2 := s.publish("payment_received", map[string]any{})
	for _, id := range []string{id1, id2} {
		e := s.getEvent(id)
		for _, d := range e.Deliveries {
			s.waitDelivery(d.ID, "final", func(d deliveryResp) bool { return d.Status != "pending" })
		}
	}
	list := func(q string) []deliveryResp {
		var p struct {
			Data []deliveryResp `json:"data"`
		}
		s.mustDo(200, "GET", "/api/v1/deliveries?"+q, nil, &p)
		return p.Data
	}
	cases := []struct {
		query string
		want  int
		check func(deliveryResp) bool
	}{
		{"webhook_id=" + wg.ID, 2, func(d deliveryResp) bool { return d.WebhookID == wg.ID && d.Status == "succeeded" }},
		{"webhook_id=" + wb.ID, 2, func(d deliveryResp) bool { return d.WebhookID == wb.ID && d.Status == "failed" }},
		{"status=failed", 2, func(d deliveryResp) bool { return d.WebhookID == wb.ID }},
		{"status=succeeded", 2, func(d deliveryResp) bool { return d.WebhookID == wg.ID }},
		{"status=pending", 0, nil},
		{"webhook_id=" + wg.ID + "&status=failed", 0, nil},
		{"event_id=" + id1, 2, func(d deliveryResp) bool { return d.EventID == id1 }},
	}
	for _, c := range cases {
		got := list(c.query)
		if len(got) != c.want {
			t.Errorf("?%s: %d deliveries, want %d", c.query, len(got), c.want)
		}
		for _, d := range got {
			if !c.check(d) {
				t.Errorf("?%s returned %s", c.query, fmtJSON(d))
			}
		}
	}
}

func TestResponseBodyCapped(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) { c.MaxResponseBody = 1000 })
	rc := startReceiver(t, func(*http.Request, int) (int, http.Header, string) {
		return 200, nil, strings.Repeat("r", 5000)
	})
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	d := s.waitDelivery(s.onlyDelivery(id).ID, "succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	var raw struct {
		AttemptLog []struct {
			ResponseBody      string `json:"response_body"`
			ResponseTruncated bool   `json:"response_truncated"`
		} `json:"attempt_log"`
	}
	s.mustDo(200, "GET", "/api/v1/deliveries/"+d.ID, nil, &raw)
	if a := raw.AttemptLog[0]; len(a.ResponseBody) != 1000 || !a.ResponseTruncated {
		t.Errorf("stored %d response bytes, truncated %v; want 1000 and true", len(a.ResponseBody), a.ResponseTruncated)
	}
}

func TestRetryAfterOn503(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond, 20*time.Millisecond))
	rc := startReceiver(t, func(_ *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			return 503, http.Header{"Retry-After": {"1"}}, "maintenance"
		}
		return 200, nil, "ok"
	})
	s.createWebhook(rc.URL, "payment_received")
	s.publish("payment_received", map[string]any{})
	got := rc.wait(t, 2)
	if gap := got[1].At.Sub(got[0].At); gap < 990*time.Millisecond {
		t.Errorf("retry %v after 503 with Retry-After: 1, want at least 1s", gap)
	}
}
