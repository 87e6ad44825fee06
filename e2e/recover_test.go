package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
)

// recoverResp is the answer of POST /webhooks/{id}/recover.
type recoverResp struct {
	DryRun   bool      `json:"dry_run"`
	Count    int       `json:"count"`
	Requeued *int      `json:"requeued"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
}

// recoverList lists deliveries with query q (admin key) and returns them.
func (s *server) recoverList(q url.Values) []deliveryResp {
	s.t.Helper()
	var page struct {
		Data []deliveryResp `json:"data"`
	}
	q.Set("limit", "1000")
	s.mustDo(200, "GET", "/api/v1/deliveries?"+q.Encode(), nil, &page)
	return page.Data
}

// recoverShortRetries makes every delivery end after two attempts, a
// millisecond apart.
func recoverShortRetries(c *config.Config) { c.RetrySchedule = []time.Duration{time.Millisecond} }

// TestRecoverFailedDeliveries: a receiver rejects N events (each fails
// finally after its two attempts), then comes back. A dry run counts
// exactly the N failed in the window, the real run re-queues them and
// the receiver gets each exactly once more; the deliveries just outside
// the window stay failed; a second run re-queues nothing; one audit
// entry. Around it: validation, a disabled webhook, a tenant's key, and
// the delivery list's filters.
func TestRecoverFailedDeliveries(t *testing.T) {
	t.Parallel()
	const n = 20
	s := startServer(t, recoverShortRetries)
	var up atomic.Bool
	recv := startReceiver(t, func(*http.Request, int) (int, http.Header, string) {
		if up.Load() {
			return 200, nil, "ok"
		}
		return 400, nil, "not today"
	})
	w := s.createWebhook(recv.URL, "payment_received")
	failedIDs := func() map[string]bool {
		out := map[string]bool{}
		for _, d := range s.recoverList(url.Values{"webhook_id": {w.ID}, "status": {"failed"}}) {
			out[d.EventID] = true
		}
		return out
	}
	waitFailed := func(total int) {
		t.Helper()
		recv.wait(t, 2*total)
		eventually(t, fmt.Sprintf("%d failed deliveries", total), func() bool { return len(failedIDs()) == total })
	}

	before := s.publish("payment_received", map[string]any{"n": -1})
	waitFailed(1)
	since := time.Now().UTC()
	var inWindow []string
	for i := range n {
		inWindow = append(inWindow, s.publish("payment_received", map[string]any{"n": i}))
	}
	waitFailed(1 + n)
	until := time.Now().UTC()
	after := s.publish("payment_received", map[string]any{"n": n})
	waitFailed(2 + n)
	window := map[string]any{"since": since.Format(time.RFC3339Nano), "until": until.Format(time.RFC3339Nano)}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range window {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	path := "/api/v1/webhooks/" + w.ID + "/recover"

	t.Run("Validation", func(t *testing.T) {
		for _, c := range []struct {
			body    any
			pointer string
		}{
			{map[string]any{}, "/since"},
			{map[string]any{"since": time.Now().Add(time.Hour).Format(time.RFC3339)}, "/since"},
			{map[string]any{"since": time.Now().Add(-40 * 24 * time.Hour).Format(time.RFC3339)}, "/since"},
			{with(map[string]any{"until": since.Add(-time.Minute).Format(time.RFC3339)}), "/until"},
			{with(map[string]any{"status": []string{"pending"}}), "/status/0"},
			{with(map[string]any{"status": []string{"failed", "succeeded"}}), "/status/1"},
			{with(map[string]any{"event_types": []string{""}}), "/event_types/0"},
		} {
			p := s.sendProblem(422, "POST", path, c.body)
			if len(p.Errors) == 0 || p.Errors[0].Pointer != c.pointer {
				t.Errorf("%v: errors %+v, want the first at %s", c.body, p.Errors, c.pointer)
			}
		}
		s.sendProblem(400, "POST", path, `{"since": "yesterday"}`)
		s.sendProblem(404, "POST", "/api/v1/webhooks/wh_doesnotexist0000000000000/recover", window)
	})

	t.Run("ListFilters", func(t *testing.T) {
		got := s.recoverList(url.Values{"webhook_id": {w.ID}, "status": {"failed"},
			"since": {since.Format(time.RFC3339Nano)}, "until": {until.Format(time.RFC3339Nano)}})
		if len(got) != n {
			t.Errorf("failed deliveries in the window: %d, want %d", len(got), n)
		}
		if got := s.recoverList(url.Values{"webhook_id": {w.ID}, "status": {"succeeded,pending"}}); len(got) != 0 {
			t.Errorf("succeeded or pending before recovery: %d, want 0", len(got))
		}
		if got := s.recoverList(url.Values{"webhook_id": {w.ID}, "q": {before}}); len(got) != 1 || got[0].EventID != before {
			t.Errorf("search by event id: %+v", got)
		}
		if got := s.recoverList(url.Values{"webhook_id": {w.ID}, "event_type": {"order.created"}}); len(got) != 0 {
			t.Errorf("event type filter: %d deliveries of another type", len(got))
		}
		for _, c := range []struct{ query, param string }{
			{"status=bogus", "status"}, {"since=yesterday", "since"}, {"until=2026-13-01", "until"}, {"q=" + url.QueryEscape("dlv_%"), "q"},
		} {
			p := s.sendProblem(422, "GET", "/api/v1/deliveries?"+c.query, nil)
			if len(p.Errors) != 1 || p.Errors[0].Parameter != c.param {
				t.Errorf("%s: errors %+v, want one naming %s", c.query, p.Errors, c.param)
			}
		}
	})

	t.Run("TenantKey", func(t *testing.T) {
		acme := s.tenantKey("acme", "admin")
		s.problemAs(acme.Key, 404, "POST", path, with(map[string]any{"dry_run": true}))
		r := s.raw("GET", "/api/v1/deliveries?webhook_id="+w.ID, http.Header{"Authorization": {"Bearer " + acme.Key}}, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), w.ID) {
			t.Errorf("a tenant's key lists another tenant's deliveries: %d %s", r.Status, r.Body)
		}
	})

	t.Run("Disabled", func(t *testing.T) {
		s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": false}, nil)
		var dry recoverResp
		s.mustDo(200, "POST", path, with(map[string]any{"dry_run": true}), &dry)
		if dry.Count != n {
			t.Errorf("dry run on a disabled webhook: %d, want %d", dry.Count, n)
		}
		p := s.sendProblem(409, "POST", path, window)
		if !strings.Contains(p.Detail, "enable") {
			t.Errorf("409 detail %q does not say to enable the webhook", p.Detail)
		}
		s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	})
	if t.Failed() {
		return
	}

	var dry recoverResp
	s.mustDo(200, "POST", path, with(map[string]any{"dry_run": true}), &dry)
	if !dry.DryRun || dry.Count != n || dry.Requeued != nil || !dry.Since.Equal(since) || !dry.Until.Equal(until) {
		t.Fatalf("dry run: %+v, want %d and the window echoed", dry, n)
	}
	if got := len(recv.requests()); got != 2*(n+2) {
		t.Fatalf("the dry run sent something: %d requests", got)
	}

	up.Store(true)
	var res recoverResp
	s.mustDo(202, "POST", path, window, &res)
	if res.DryRun || res.Count != n || res.Requeued == nil || *res.Requeued != n {
		t.Fatalf("recover: %+v, want %d re-queued", res, n)
	}
	recv.wait(t, 2*(n+2)+n)
	eventually(t, "the recovered deliveries to succeed", func() bool {
		return len(s.recoverList(url.Values{"webhook_id": {w.ID}, "status": {"succeeded"}})) == n
	})
	// Every event of the window came exactly once more (3 requests: two
	// rejected attempts and the recovered one); the two outside it did not.
	got := ids(recv.requests())
	for _, id := range inWindow {
		if c := count(got, id); c != 3 {
			t.Errorf("event %s reached the receiver %d times, want 3", id, c)
		}
	}
	for _, id := range []string{before, after} {
		if c := count(got, id); c != 2 {
			t.Errorf("event %s outside the window reached the receiver %d times, want its 2 attempts", id, c)
		}
	}
	if f := failedIDs(); len(f) != 2 || !f[before] || !f[after] {
		t.Errorf("failed after recovery: %v, want the two outside the window", f)
	}

	// Idempotent: nothing in the window is failed any more.
	var again recoverResp
	s.mustDo(202, "POST", path, window, &again)
	if again.Count != 0 {
		t.Errorf("second recover: %d re-queued, want 0", again.Count)
	}
	var audit struct {
		Data []struct {
			Action string `json:"action"`
			Target string `json:"target"`
			Detail string `json:"detail"`
		} `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/audit-log?target="+w.ID, nil, &audit)
	entries := 0
	for _, e := range audit.Data {
		if e.Action == "webhook.recover" {
			entries++
			if !strings.HasPrefix(e.Detail, fmt.Sprintf("%d failed deliveries", n)) {
				t.Errorf("audit detail %q, want the count %d", e.Detail, n)
			}
		}
	}
	if entries != 1 {
		t.Errorf("%d webhook.recover audit entries, want 1 (dry runs and empty runs change nothing)", entries)
	}
}

// TestRecoverFreshRetrySchedule: a recovered delivery has the whole retry
// schedule again, through the normal dispatch: after its two attempts
// failed, it is recovered, fails once more, and is retried (not failed
// at once) and delivered.
func TestRecoverFreshRetrySchedule(t *testing.T) {
	t.Parallel()
	s := startServer(t, recoverShortRetries)
	recv := startReceiver(t, statusSeq(400, 400, 400, 200))
	w := s.createWebhook(recv.URL, "payment_received")
	since := time.Now().UTC().Add(-time.Second)
	ev := s.publish("payment_received", map[string]any{"n": 1})
	d := s.waitDelivery(s.onlyDelivery(ev).ID, "the delivery to fail", func(d deliveryResp) bool { return d.Status == "failed" })
	if d.Attempts != 2 {
		t.Fatalf("failed after %d attempts, want 2", d.Attempts)
	}
	var res recoverResp
	s.mustDo(202, "POST", "/api/v1/webhooks/"+w.ID+"/recover", map[string]any{"since": since.Format(time.RFC3339Nano)}, &res)
	if res.Count != 1 {
		t.Fatalf("recover: %+v", res)
	}
	d = s.waitDelivery(d.ID, "the recovered delivery to succeed", func(d deliveryResp) bool { return d.Status != "pending" })
	if d.Status != "succeeded" || d.Attempts != 4 {
		t.Fatalf("recovered delivery: %s after %d attempts, want succeeded after 4 (a fresh schedule)", d.Status, d.Attempts)
	}
	for i, a := range d.AttemptLog {
		if a.Number != i+1 {
			t.Errorf("attempt %d numbered %d: numbers go on after a recovery", i+1, a.Number)
		}
	}
}

// TestRecoverCLI: 'webhooks recover' counts with --dry-run and re-queues
// without; 'deliveries list' filters by state, type, time and ID; bad
// flags are usage errors naming the flag.
func TestRecoverCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, recoverShortRetries)
	rc := startReceiver(t, statusSeq(400, 400, 200))
	c := newCLI(t, s, true)
	wh := s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{"amount": 1})
	dlv := s.waitDelivery(s.onlyDelivery(id).ID, "the delivery to fail", func(d deliveryResp) bool { return d.Status == "failed" })

	var list []client.Delivery
	c.json(&list, "deliveries", "list", "--webhook", wh.ID, "--status", "failed,pending", "--event-type", "payment_received",
		"--since", "1h", "--search", id)
	if len(list) != 1 || list[0].ID != dlv.ID {
		t.Fatalf("filtered list: %+v", list)
	}
	c.json(&list, "deliveries", "list", "--webhook", wh.ID, "--until", "1h")
	if len(list) != 0 {
		t.Errorf("--until 1h ago: %d deliveries, want 0", len(list))
	}
	mustContain(t, "list table", c.ok("deliveries", "list", "--status", "failed", "--search", dlv.ID[:12]), dlv.ID)
	c.fails(2, []string{"--since", "RFC 3339"}, "deliveries", "list", "--since", "yesterday")
	c.fails(2, []string{"--status must be pending, succeeded or failed"}, "deliveries", "list", "--status", "failed,lost")
	c.fails(1, []string{"q"}, "deliveries", "list", "--search", "dlv_%")

	c.fails(2, []string{"--since is required"}, "webhooks", "recover", wh.ID)
	mustContain(t, "dry run", c.ok("webhooks", "recover", wh.ID, "--since", "1h", "--dry-run"), "1 failed deliveries", "would be re-queued")
	if got := s.getDelivery(dlv.ID).Status; got != "failed" {
		t.Fatalf("a dry run changed the delivery: %s", got)
	}
	c.fails(1, []string{"since", "31 days"}, "webhooks", "recover", wh.ID, "--since", "900h")
	var res client.RecoverResult
	c.json(&res, "webhooks", "recover", wh.ID, "--since", "1h")
	if res.DryRun || res.Count != 1 || res.Requeued == nil || *res.Requeued != 1 {
		t.Fatalf("recover --json: %+v", res)
	}
	s.waitDelivery(dlv.ID, "the recovered delivery to succeed", func(d deliveryResp) bool { return d.Status == "succeeded" })
	mustContain(t, "second run", c.ok("webhooks", "recover", wh.ID, "--since", "1h"), "Re-queued 0 failed deliveries")
	c.fails(1, []string{"webhook wh_nope not found"}, "webhooks", "recover", "wh_nope", "--since", "1h")
}
