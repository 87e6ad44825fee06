package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// A webhook's destination and secret headers round-trip through the API.
func TestWebhookSecretHeadersAndDestinationAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var w client.CreatedWebhook
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "partner", "url": "https://partner.example.com/in", "events": []string{"payment_received"},
		"headers":        map[string]string{"X-Partner-Ref": "ref", "X-Team": "billing"},
		"secret_headers": []string{"x-partner-ref"},
		"destination":    map[string]any{"type": "http"},
	}, &w)
	if !slices.Equal(w.SecretHeaders, []string{"X-Partner-Ref"}) || w.Destination.Type != client.DestinationHTTP {
		t.Errorf("created: secret_headers %v, destination %+v; want [X-Partner-Ref], http", w.SecretHeaders, w.Destination)
	}
	var got client.Webhook
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID, nil, &got)
	if !slices.Equal(got.SecretHeaders, w.SecretHeaders) || got.Destination.Type != client.DestinationHTTP ||
		got.Headers["X-Partner-Ref"] != "********" || got.Headers["X-Team"] != "billing" {
		t.Errorf("read back: %+v; want the secret header masked, the other as it is", got)
	}
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"secret_headers": []string{"X-Team"}}, &got)
	if !slices.Equal(got.SecretHeaders, []string{"X-Team"}) {
		t.Errorf("after PATCH: secret_headers %v, want [X-Team]", got.SecretHeaders)
	}
	var plain client.Webhook
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "plain", "url": "https://plain.example.com/in", "events": []string{"*"},
	}, &plain)
	if plain.SecretHeaders == nil || len(plain.SecretHeaders) != 0 || plain.Destination.Type != client.DestinationHTTP {
		t.Errorf("a webhook created without them: secret_headers %#v, destination %+v; want [] and http",
			plain.SecretHeaders, plain.Destination)
	}

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"secret header not among the headers", map[string]any{"secret_headers": []string{"X-Nope"}}, "secret_headers[0]"},
		{"unknown destination type", map[string]any{"destination": map[string]any{"type": "sqs"}}, "destination.type"},
		{"unknown destination field", map[string]any{"destination": map[string]any{"type": "http", "nope": "x"}}, "nope"},
		{"a broker field on http", map[string]any{"destination": map[string]any{"type": "http", "url": "x"}}, "destination"},
	} {
		if p := s.sendProblem(400, "PATCH", "/api/v1/webhooks/"+w.ID, tc.body); !strings.HasPrefix(p.Field, tc.field) {
			t.Errorf("%s: problem field %q, want %q", tc.name, p.Field, tc.field)
		}
	}
}

// The receiver gets the real values of secret headers; every attempt read
// through the API shows them masked, with its destination, answer and
// what the delivery did next.
func TestAttemptRecordOverHTTP(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond))
	rc := startReceiver(t, func(_ *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			return 503, nil, "busy"
		}
		return 200, http.Header{"Set-Cookie": {"sid=cookie-s3cret"}}, "ok"
	})
	var w client.CreatedWebhook
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "partner", "url": rc.URL, "events": []string{"payment_received"},
		"headers":        map[string]string{"X-Partner-Ref": "ref-s3cret", "Authorization": "Bearer tok-s3cret", "X-Team": "billing"},
		"secret_headers": []string{"X-Partner-Ref"},
	}, &w)
	id := s.publish("payment_received", map[string]any{"n": 1})
	sent := rc.wait(t, 2)
	for _, r := range sent {
		if r.Header.Get("X-Partner-Ref") != "ref-s3cret" || r.Header.Get("Authorization") != "Bearer tok-s3cret" {
			t.Errorf("the receiver got %v, want the real values", r.Header)
		}
	}
	dlv := s.waitDelivery(s.onlyDelivery(id).ID, "delivered", func(d deliveryResp) bool { return d.Status == "succeeded" })
	var d client.DeliveryWithAttempts
	s.mustDo(200, "GET", "/api/v1/deliveries/"+dlv.ID, nil, &d)
	if len(d.AttemptLog) != 2 {
		t.Fatalf("attempt log: %d attempts, want 2", len(d.AttemptLog))
	}
	type record struct{ destination, outcome, answer string }
	want := []record{{"http", client.OutcomeRetry, "503 Service Unavailable"}, {"http", client.OutcomeDelivered, "200 OK"}}
	for i, a := range d.AttemptLog {
		if got := (record{a.Destination, a.Outcome, a.Answer}); got != want[i] {
			t.Errorf("attempt %d: %+v, want %+v", a.Number, got, want[i])
		}
		masked := map[string]string{"X-Partner-Ref": "********", "Authorization": "Bearer ********", "X-Team": "billing",
			"Webhook-Signature": sent[i].Header.Get("Webhook-Signature")}
		for k, v := range masked {
			if got := a.RequestHeaders.Get(k); got != v {
				t.Errorf("attempt %d request header %s = %q, want %q", a.Number, k, got, v)
			}
		}
	}
	if got := d.AttemptLog[1].ResponseHeaders.Get("Set-Cookie"); got != "********" {
		t.Errorf("response Set-Cookie = %q, want it masked", got)
	}

	var test client.TestResult
	s.mustDo(200, "POST", "/api/v1/webhooks/"+w.ID+"/test", nil, &test)
	if test.Destination != "http" || test.Outcome != client.OutcomeDelivered || test.Answer != "200 OK" ||
		test.RequestHeaders.Get("X-Partner-Ref") != "********" {
		t.Errorf("test send: %+v", test)
	}
	var atts client.Page[client.Attempt]
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID+"/attempts", nil, &atts)
	for _, a := range atts.Data {
		for _, h := range []http.Header{a.RequestHeaders, a.ResponseHeaders} {
			for k, vs := range h {
				if strings.Contains(strings.Join(vs, " "), "s3cret") {
					t.Errorf("attempt %s shows %s = %q in clear", a.ID, k, vs)
				}
			}
		}
	}
}

// A 410 Gone turns the webhook off: the attempt says so.
func TestAttemptOutcomeDisabled(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, statusSeq(410))
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	d := s.waitDelivery(s.onlyDelivery(id).ID, "failed", func(d deliveryResp) bool { return d.Status == "failed" })
	var full client.DeliveryWithAttempts
	s.mustDo(200, "GET", "/api/v1/deliveries/"+d.ID, nil, &full)
	if len(full.AttemptLog) != 1 || full.AttemptLog[0].Outcome != client.OutcomeDisabled || full.AttemptLog[0].Answer != "410 Gone" {
		t.Errorf("attempt log %+v, want one attempt disabled by 410 Gone", full.AttemptLog)
	}
}

func TestCLISecretHeaders(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	c := newCLI(t, s, true)
	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "Partner", "--url", rc.URL, "--events", "payment_received",
		"--header", "X-Team=billing", "--secret-header", "X-Partner-Ref=ref-s3cret")
	if created.Headers["X-Partner-Ref"] != "********" || !slices.Equal(created.SecretHeaders, []string{"X-Partner-Ref"}) {
		t.Errorf("create --secret-header: headers %v, secret headers %v", created.Headers, created.SecretHeaders)
	}
	mustContain(t, "get output", c.ok("webhooks", "get", created.ID),
		"X-Partner-Ref: ******** (secret: write-only, masked in attempts)", "X-Team: billing\n", "Destination:", "http")

	c.ok("webhooks", "test", created.ID)
	if got := rc.wait(t, 1)[0].Header.Get("X-Partner-Ref"); got != "ref-s3cret" {
		t.Errorf("the receiver got X-Partner-Ref %q", got)
	}
	out := c.ok("webhooks", "attempts", created.ID)
	mustContain(t, "attempts", out, "OUTCOME", "200 OK", "delivered")
	var atts []client.Attempt
	c.json(&atts, "webhooks", "attempts", created.ID)
	if len(atts) != 1 || atts[0].RequestHeaders.Get("X-Partner-Ref") != "********" {
		t.Errorf("attempts --json: %+v", atts)
	}

	// --header alone keeps the mark of a header still given; --secret-header
	// replaces the marks.
	var updated client.Webhook
	c.json(&updated, "webhooks", "update", created.ID, "--header", "X-Partner-Ref=new", "--header", "X-Team=ops")
	if !slices.Equal(updated.SecretHeaders, []string{"X-Partner-Ref"}) {
		t.Errorf("update --header: secret headers %v, want [X-Partner-Ref]", updated.SecretHeaders)
	}
	updated = client.Webhook{}
	c.json(&updated, "webhooks", "update", created.ID, "--header", "X-Partner-Ref=new", "--secret-header", "X-Team=ops")
	if !slices.Equal(updated.SecretHeaders, []string{"X-Team"}) || updated.Headers["X-Partner-Ref"] != "new" {
		t.Errorf("update --secret-header: %+v", updated)
	}
}

// Header values are write-only like signing secrets: secret ones read back
// masked (marked or credential-like names), and a webhook saved back as it
// was read keeps the real values, which the receiver still gets.
func TestSecretHeaderValuesWriteOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	var w client.CreatedWebhook
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "partner", "url": rc.URL, "events": []string{"payment_received"},
		"headers":        map[string]string{"Authorization": "Bearer tok-s3cret", "X-Partner-Ref": "ref-s3cret", "X-Team": "billing"},
		"secret_headers": []string{"X-Partner-Ref"},
	}, &w)
	for _, h := range []map[string]string{w.Headers} {
		if h["Authorization"] != "********" || h["X-Partner-Ref"] != "********" || h["X-Team"] != "billing" {
			t.Errorf("created: headers %v; want the secret ones masked", h)
		}
	}
	var list struct {
		Data []client.Webhook `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &list)
	if len(list.Data) != 1 || list.Data[0].Headers["Authorization"] != "********" {
		t.Errorf("list: %+v; want the secret header masked", list.Data)
	}
	// Save back what was read, changing only the visible header.
	read := list.Data[0].Headers
	read["X-Team"] = "payments"
	var got client.Webhook
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"headers": read}, &got)
	if got.Headers["X-Team"] != "payments" || got.Headers["Authorization"] != "********" {
		t.Errorf("after PATCH: %v", got.Headers)
	}
	id := s.publish("payment_received", map[string]any{"n": 1})
	req := requestFor(rc.waitID(t, id), id)
	if req.Header.Get("Authorization") != "Bearer tok-s3cret" || req.Header.Get("X-Partner-Ref") != "ref-s3cret" ||
		req.Header.Get("X-Team") != "payments" {
		t.Errorf("the receiver got %v; want the real values kept and the change applied", req.Header)
	}
	// A new value replaces the stored one.
	read["Authorization"] = "Bearer tok-2"
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"headers": read}, &got)
	id = s.publish("payment_received", map[string]any{"n": 2})
	if req := requestFor(rc.waitID(t, id), id); req.Header.Get("Authorization") != "Bearer tok-2" {
		t.Errorf("after a new value the receiver got %q", req.Header.Get("Authorization"))
	}
}

// requestFor is the first of reqs for event id.
func requestFor(reqs []received, id string) received {
	for _, r := range reqs {
		if r.Header.Get("Webhook-Id") == id {
			return r
		}
	}
	return received{}
}
