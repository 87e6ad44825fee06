package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/verify"
)

// transformTimeout gives transforms time enough on a busy machine: these
// tests are about what transforms do, not their time limit.
func transformTimeout(c *config.Config) { c.TransformTimeout = 2 * time.Second }

// crmTransform reshapes a payment for a CRM: a PUT of a flat JSON body to
// another path, with a header of its own, signed as sent.
const crmTransform = `function handler(webhook) {
  const d = webhook.payload.data
  webhook.method = "PUT"
  webhook.url = webhook.url.replace("/in", "/crm/" + webhook.event_id)
  webhook.headers["X-Source"] = "hookline/" + webhook.tenant
  webhook.payload = {kind: webhook.event_type, cents: Math.round(d.amount * 100), tags: (d.tags || []).map(t => t.toUpperCase())}
  return webhook
}`

// TestWebhookTransform: a webhook's transform reshapes what a real
// receiver gets (method, URL, headers, body), and the signature verifies
// over the body as received; the attempt log shows the request as sent.
// A transform that cancels ends the delivery as succeeded with nothing
// sent; one that throws fails the attempt (error class transform, no
// request) and the retry after the transform is fixed delivers.
func TestWebhookTransform(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(time.Hour), transformTimeout)
	rc := startReceiver(t, nil)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()

	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: "shop", Name: "CRM", URL: rc.URL + "/in",
		Events: []string{"payment_received"}, Transform: crmTransform, Headers: map[string]string{"X-Team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if wh.Transform != crmTransform {
		t.Fatalf("stored transform %q", wh.Transform)
	}
	ev, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: "shop",
		Data: map[string]any{"amount": 12.5, "tags": []string{"eu", "vip"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := rc.wait(t, 1)[0]
	wantBody := `{"kind":"payment_received","cents":1250,"tags":["EU","VIP"]}`
	if got.Method != "PUT" || got.Path != "/crm/"+ev.ID || string(got.Body) != wantBody {
		t.Fatalf("received %s %s %s, want PUT /crm/%s %s", got.Method, got.Path, got.Body, ev.ID, wantBody)
	}
	if got.Header.Get("X-Source") != "hookline/shop" || got.Header.Get("X-Team") != "blue" ||
		got.Header.Get("Content-Type") != "application/json" || got.Header.Get("Webhook-Id") != ev.ID {
		t.Errorf("headers %v", got.Header)
	}
	v, err := verify.New(wh.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(got.Header, got.Body); err != nil {
		t.Errorf("the transformed body does not verify: %v", err)
	}
	d := s.waitDelivery(s.onlyDeliveryOf(ev.ID, wh.ID), "delivered", func(d deliveryResp) bool { return d.Status == "succeeded" })
	full, err := api.DeliveryGet(ctx, d.ID)
	if err != nil || len(full.AttemptLog) != 1 {
		t.Fatalf("delivery %+v %v", full, err)
	}
	a := full.AttemptLog[0]
	if a.RequestBody != wantBody || a.URL != rc.URL+"/crm/"+ev.ID || a.RequestHeaders.Get("X-Source") != "hookline/shop" {
		t.Errorf("attempt log shows %s %s %v, want the request as sent", a.URL, a.RequestBody, a.RequestHeaders)
	}

	// Cancel: nothing sent, the delivery succeeded, its attempt skipped.
	skip, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: "shop", Name: "Big only", URL: rc.URL + "/big",
		Events: []string{"payment_received"}, Transform: "function handler(w) { w.cancel = w.payload.data.amount < 100; return w }"})
	if err != nil {
		t.Fatal(err)
	}
	small, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: "shop", Data: map[string]any{"amount": 5}})
	if err != nil {
		t.Fatal(err)
	}
	sd := s.waitDelivery(s.onlyDeliveryOf(small.ID, skip.ID), "skipped", func(d deliveryResp) bool { return d.Status == "succeeded" })
	full, err = api.DeliveryGet(ctx, sd.ID)
	if err != nil || len(full.AttemptLog) != 1 || full.AttemptLog[0].Outcome != client.OutcomeSkipped || full.AttemptLog[0].ErrorClass != "" {
		t.Fatalf("skipped delivery %+v %v", full, err)
	}
	rc.wait(t, 2) // the CRM webhook's copy of the small payment
	for _, r := range rc.requests() {
		if r.Path == "/big" {
			t.Errorf("a cancelled delivery was sent: %s", r.Body)
		}
	}

	// A transform that throws: no request, error class transform, retried;
	// fixed, the next retry delivers.
	broken, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: "shop", Name: "Broken", URL: rc.URL + "/broken",
		Events: []string{"payment_failed"}, Transform: "function handler(w) {\n  throw new Error('no mapping for ' + w.event_type)\n}"})
	if err != nil {
		t.Fatal(err)
	}
	oe, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_failed", Tenant: "shop", Data: map[string]any{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	bid := s.onlyDeliveryOf(oe.ID, broken.ID)
	bd := s.waitDelivery(bid, "a failed transform attempt", func(d deliveryResp) bool { return d.Attempts >= 1 })
	full, err = api.DeliveryGet(ctx, bd.ID)
	if err != nil {
		t.Fatal(err)
	}
	fa := full.AttemptLog[0]
	if fa.ErrorClass != "transform" || !strings.Contains(fa.Error, "no mapping for payment_failed") || !strings.Contains(fa.Error, "line 2") ||
		fa.StatusCode != 0 || fa.Outcome != client.OutcomeRetry {
		t.Errorf("failed attempt %+v", fa)
	}
	fixed := "function handler(w) { w.payload = {fixed: true}; return w }"
	if _, err := api.WebhookUpdate(ctx, broken.ID, client.WebhookUpdateParams{Transform: &fixed}); err != nil {
		t.Fatal(err)
	}
	// The retry, now rather than in an hour. On a loaded machine a run
	// can still fail on its time limit: that attempt is retried like any
	// failed one, so retry again.
	for n := 2; ; n++ {
		if _, err := api.DeliveryRetry(ctx, bd.ID); err != nil {
			t.Fatal(err)
		}
		d := s.waitDelivery(bd.ID, "the retry after the fix", func(d deliveryResp) bool { return d.Attempts >= n })
		if d.Status == "succeeded" {
			break
		}
		full, _ := api.DeliveryGet(ctx, bd.ID)
		var last client.Attempt
		for _, a := range full.AttemptLog {
			if a.Number >= last.Number {
				last = a
			}
		}
		if n == 6 || last.ErrorClass != "transform" || strings.Contains(last.Error, "no mapping") {
			t.Fatalf("the retry after the fix: %s, attempts %+v", d.Status, full.AttemptLog)
		}
		t.Logf("attempt %d failed on the machine's load: %s", n, last.Error)
	}
	var fixedBodies []string
	for _, r := range rc.requests() {
		if r.Path == "/broken" {
			fixedBodies = append(fixedBodies, string(r.Body))
		}
	}
	if len(fixedBodies) != 1 || fixedBodies[0] != `{"fixed":true}` {
		t.Errorf("after the fix the receiver got %q", fixedBodies)
	}
}

// onlyDeliveryOf is the one delivery of event id to webhook hook.
func (s *server) onlyDeliveryOf(eventID, hook string) string {
	var page struct {
		Data []deliveryResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/deliveries?event_id="+eventID+"&webhook_id="+hook, nil, &page)
	if len(page.Data) != 1 {
		s.t.Fatalf("event %s to %s: %d deliveries, want 1", eventID, hook, len(page.Data))
	}
	return page.Data[0].ID
}

// TestTransformValidation: a transform that does not compile, defines no
// handler or whose top level never ends is refused with a 422 whose
// errors entry is at /transform and gives the line and column.
func TestTransformValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	for src, want := range map[string]string{
		"function handler(w) {\n  return w +\n}": "line 3",
		"function nothing() {}":                  "must define function handler",
		"while (true) {}":                        "ran longer than",
		strings.Repeat(" ", 64<<10) + "x":        "at most 65536 bytes",
	} {
		_, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Bad", URL: "https://example.com/in",
			Events: []string{"payment_received"}, Transform: src})
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 422 || len(e.Errors) != 1 || e.Errors[0].Pointer != "/transform" ||
			!strings.Contains(e.Errors[0].Detail, want) {
			t.Errorf("create with %.30q: %v, want a 422 at /transform saying %q", src, err, want)
		}
	}
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Good", URL: "https://example.com/in",
		Events: []string{"payment_received"}, Transform: "function handler(w) { return w }"})
	if err != nil {
		t.Fatal(err)
	}
	bad := "function handler(w) { return w"
	if _, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Transform: &bad}); err == nil {
		t.Error("update with a syntax error accepted")
	}
	if got, _ := api.WebhookGet(ctx, wh.ID); got.Transform != "function handler(w) { return w }" {
		t.Errorf("after a refused update: %q", got.Transform)
	}
	none := ""
	if got, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Transform: &none}); err != nil || got.Transform != "" {
		t.Errorf("removing: %+v %v", got, err)
	}
}

// TestTransformTest runs transforms through POST
// /api/v1/webhooks/transform-test: on an event type's example, on a given
// event, a cancel, a run that fails, and one that does not compile.
func TestTransformTest(t *testing.T) {
	t.Parallel()
	s := startServer(t, transformTimeout)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()

	res, err := api.WebhookTransformTest(ctx, client.TransformTestParams{Transform: crmTransform, EventType: "payment_received",
		URL: "https://crm.example.com/in"})
	if err != nil || res.Result == nil || res.Error != nil || res.Cancelled {
		t.Fatalf("on the example: %+v %v", res, err)
	}
	if res.Result.Method != "PUT" || !strings.HasPrefix(res.Result.URL, "https://crm.example.com/crm/") ||
		res.Result.Headers["X-Source"] != "hookline/default" {
		t.Errorf("result %+v", res.Result)
	}
	var payload map[string]any
	if err := json.Unmarshal(res.Result.Payload, &payload); err != nil || payload["kind"] != "payment_received" {
		t.Errorf("payload %s", res.Result.Payload)
	}

	res, err = api.WebhookTransformTest(ctx, client.TransformTestParams{
		Transform: "function handler(w) { w.payload = 'amount=' + w.payload.amount; return w }", Format: "raw",
		Event: &client.FilterTestEvent{Type: "payment_received", Data: map[string]any{"amount": 7}}})
	if err != nil || res.Result == nil || string(res.Result.Payload) != `"amount=7"` {
		t.Fatalf("string body: %+v %v", res, err)
	}
	res, err = api.WebhookTransformTest(ctx, client.TransformTestParams{
		Transform: "function handler(w) { w.cancel = true; return w }", EventType: "payment_received"})
	if err != nil || !res.Cancelled || res.Result != nil {
		t.Fatalf("cancel: %+v %v", res, err)
	}
	res, err = api.WebhookTransformTest(ctx, client.TransformTestParams{
		Transform: "function handler(w) {\n  for (;;) {}\n}", EventType: "payment_received"})
	if err != nil || res.Error == nil || res.Error.Kind != "timeout" {
		t.Fatalf("endless loop: %+v %v", res, err)
	}
	res, err = api.WebhookTransformTest(ctx, client.TransformTestParams{
		Transform: "function handler(w) {\n  return w.payload.nope.deeper\n}", EventType: "payment_received"})
	if err != nil || res.Error == nil || res.Error.Kind != "runtime" || res.Error.Line != 2 || !strings.Contains(res.Error.Message, "TypeError") {
		t.Fatalf("exception: %+v %v", res, err)
	}
	_, err = api.WebhookTransformTest(ctx, client.TransformTestParams{Transform: "function handler(", EventType: "nope"})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 422 {
		t.Fatalf("bad transform: %v", err)
	}
	pointers := map[string]string{}
	for _, p := range e.Errors {
		pointers[p.Pointer] = p.Detail
	}
	if !strings.Contains(pointers["/transform"], "SyntaxError") || !strings.Contains(pointers["/event_type"], "unknown event type") {
		t.Errorf("problems %v", pointers)
	}
}

// TestCLIWebhookTransform: --transform @FILE on create and update,
// --clear-transform, and webhooks transform-test.
func TestCLIWebhookTransform(t *testing.T) {
	t.Parallel()
	s := startServer(t, transformTimeout)
	c := newCLI(t, s, true)
	file := filepath.Join(t.TempDir(), "crm.js")
	if err := os.WriteFile(file, []byte(crmTransform), 0o600); err != nil {
		t.Fatal(err)
	}
	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "CRM", "--url", "https://receiver.example.com/in",
		"--events", "payment_received", "--transform", "@"+file)
	if created.Transform != crmTransform {
		t.Fatalf("created transform %q", created.Transform)
	}
	mustContain(t, "get output", c.ok("webhooks", "get", created.ID), "Transform:", "8 lines of JavaScript")
	var updated client.Webhook
	c.json(&updated, "webhooks", "update", created.ID, "--clear-transform")
	if updated.Transform != "" {
		t.Errorf("after --clear-transform: %q", updated.Transform)
	}
	out := c.ok("webhooks", "transform-test", "--transform", "@"+file, "--event-type", "payment_received", "--url", "https://example.com/in")
	mustContain(t, "transform-test", out, "PUT https://example.com/crm/evt_transform_test", "X-Source: hookline/default", `"kind": "payment_received"`)
	r := c.run("webhooks", "transform-test", "--transform", "function handler(w) { throw new Error('nope') }", "--event-type", "payment_received")
	if r.code != 1 || !strings.Contains(r.stdout, "Error (runtime)") || !strings.Contains(r.stdout, "nope") {
		t.Errorf("failing transform: %s", r)
	}
	r = c.run("webhooks", "update", created.ID, "--transform", "function handler(")
	if r.code == 0 || !strings.Contains(r.stderr, "SyntaxError") {
		t.Errorf("bad transform: %s", r)
	}
}

// TestTransformMemoryBound: a transform that keeps everything it
// allocates fails its attempt with error class transform and a memory
// message, well within its time limit, while the server and another
// webhook's deliveries carry on; the next event's run gets a sandbox
// again. (That the kernel's bound holds where the allocation watchdog is
// out of the way is internal/transform's TestPoolMemoryBound.)
func TestTransformMemoryBound(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(time.Hour), func(c *config.Config) {
		c.TransformTimeout = 5 * time.Second
		c.TransformMemoryMB = 96
	})
	rc := startReceiver(t, nil)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	greedy, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Greedy", URL: rc.URL + "/greedy",
		Events:    []string{"payment_received"},
		Transform: "function handler(w) {\n  const keep = []\n  for (;;) keep.push('x'.repeat(4096) + keep.length)\n}"})
	if err != nil {
		t.Fatal(err)
	}
	plain := s.createWebhook(rc.URL+"/plain", "payment_received")
	for i := range 2 {
		ev, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Data: map[string]any{"n": i}})
		if err != nil {
			t.Fatal(err)
		}
		d := s.waitDelivery(s.onlyDeliveryOf(ev.ID, greedy.ID), "the greedy transform's attempt", func(d deliveryResp) bool { return d.Attempts >= 1 })
		full, err := api.DeliveryGet(ctx, d.ID)
		if err != nil || len(full.AttemptLog) != 1 {
			t.Fatalf("delivery %+v %v", full, err)
		}
		a := full.AttemptLog[0]
		if a.ErrorClass != "transform" || !strings.Contains(a.Error, "transform memory error") || !strings.Contains(a.Error, "96 MiB") ||
			a.Outcome != client.OutcomeRetry || a.StatusCode != 0 {
			t.Fatalf("attempt %+v, want a transform memory error naming the bound", a)
		}
		t.Logf("attempt %d: %s", i, a.Error)
		s.waitDelivery(s.onlyDeliveryOf(ev.ID, plain.ID), "the plain webhook's delivery", func(d deliveryResp) bool { return d.Status == "succeeded" })
	}
	for _, r := range rc.requests() {
		if r.Path == "/greedy" {
			t.Fatalf("the greedy webhook's request was sent: %s", r.Body)
		}
	}
	// The sandbox ran in worker processes, which /metrics counts.
	m := s.raw("GET", "/metrics", nil, nil)
	if !strings.Contains(string(m.Body), "hookline_transform_workers_started_total ") ||
		strings.Contains(string(m.Body), "hookline_transform_workers_started_total 0\n") {
		t.Errorf("/metrics does not count the sandbox's workers:\n%s", grepLines(string(m.Body), "hookline_transform_workers"))
	}
}
