package deliver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	_ "github.com/hookline/hookline/internal/deliver/redisstream" // a broker type for the Senders
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
	"github.com/hookline/hookline/verify"
)

// transformSenders are the senders with a loopback-only egress client
// and a time limit no busy machine reaches.
func transformSenders(t *testing.T) *deliver.Senders {
	t.Helper()
	s, err := deliver.Open(deliver.Config{Client: loopbackClient(), Now: fixedNow(), Transform: transform.Limits{Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTransformShapesTheRequest: the receiver gets the transform's
// method, URL, headers and body, signed over that body; the attempt
// records the request as sent, secret header values masked.
func TestTransformShapesTheRequest(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	w := testWebhook(srv.URL + "/in")
	w.Headers = map[string]string{"X-Token": "old-secret", "X-Team": "blue"}
	w.SecretHeaders = []string{"X-Token"}
	w.Transform = `function handler(w) {
		w.method = "PATCH"
		w.url = w.url.replace("/in", "/crm?x=1")
		w.headers["X-Token"] = "new-secret"
		delete w.headers["X-Team"]
		w.headers["Content-Type"] = "text/plain; charset=utf-8"
		w.payload = "invoice " + w.payload.data.invoice + " paid"
		return w
	}`
	a, v := transformSenders(t).Send(context.Background(), deliver.Task{Webhook: w, Signer: mustSigner(t, secretA), Event: testEvent(), Number: 1})
	if v.Kind != deliver.Delivered {
		t.Fatalf("verdict %v: %s %s", v.Kind, a.ErrorClass, a.Error)
	}
	r := <-got
	if r.method != http.MethodPatch || string(r.body) != "invoice in_1 paid" || r.header.Get("X-Token") != "new-secret" ||
		r.header.Get("X-Team") != "" || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("received %s %q %v", r.method, r.body, r.header)
	}
	vf, err := verify.New(secretA)
	if err != nil {
		t.Fatal(err)
	}
	vf.Now = func() time.Time { return t0 }
	if err := vf.Verify(r.header, r.body); err != nil {
		t.Errorf("signature over the transformed body: %v", err)
	}
	if a.URL != srv.URL+"/crm?x=1" || string(a.RequestBody) != "invoice in_1 paid" ||
		a.RequestHeaders.Get("X-Token") == "new-secret" || a.RequestHeaders.Get("X-Token") == "" {
		t.Errorf("attempt %s %q %v", a.URL, a.RequestBody, a.RequestHeaders)
	}
}

// TestTransformCancelSendsNothing: a cancel ends the delivery as done,
// the attempt's outcome skipped, and no request is made.
func TestTransformCancelSendsNothing(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	w := testWebhook(srv.URL)
	w.Transform = "function handler(w) { w.cancel = w.payload.data.amount > 1000; return w }"
	a, v := transformSenders(t).Send(context.Background(), deliver.Task{Webhook: w, Event: testEvent(), Number: 1})
	if v.Kind != deliver.Delivered || a.Outcome != webhook.OutcomeSkipped || a.ErrorClass != "" || !a.Success() {
		t.Fatalf("cancel: verdict %v, attempt %+v", v.Kind, a)
	}
	select {
	case r := <-got:
		t.Fatalf("a cancelled delivery was sent: %s", r.body)
	default:
	}
}

// TestTransformFailures: a run that fails makes no request; the attempt
// says why (error class transform) and the delivery is retried, not
// counted against the endpoint. A URL the egress guard refuses fails at
// send time like any delivery's.
func TestTransformFailures(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	s := transformSenders(t)
	for _, tt := range []struct {
		name, src string
		class     webhook.ErrorClass
		kind      deliver.Kind
		contains  string
	}{
		{"exception", "function handler(w) {\n  throw new Error('no mapping')\n}", webhook.ErrClassTransform, deliver.Retry, "no mapping (line 2"},
		{"bad result", "function handler(w) { w.headers['Webhook-Signature'] = 'v1,x'; return w }", webhook.ErrClassTransform, deliver.Retry, "cannot be changed"},
		{"does not compile", "function handler(", webhook.ErrClassTransform, deliver.Retry, "SyntaxError"},
		{"guarded URL", "function handler(w) { w.url = 'http://169.254.169.254/latest'; return w }", webhook.ErrClassBlocked, deliver.Retry, "not allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := testWebhook(srv.URL)
			w.Transform = tt.src
			a, v := s.Send(context.Background(), deliver.Task{Webhook: w, Event: testEvent(), Number: 1})
			if a.ErrorClass != tt.class || v.Kind != tt.kind || !strings.Contains(a.Error, tt.contains) || a.StatusCode != 0 {
				t.Fatalf("attempt %s %q, verdict %v, want %s containing %q", a.ErrorClass, a.Error, v.Kind, tt.class, tt.contains)
			}
			if tt.class == webhook.ErrClassTransform && (v.Down || a.Answer != "transform failed") {
				t.Errorf("a transform failure counted against the endpoint (down %v) or answered %q", v.Down, a.Answer)
			}
		})
	}
	select {
	case r := <-got:
		t.Fatalf("a failed transform sent a request: %s", r.body)
	default:
	}
}

// TestTransformChangesTakeEffect: the compiled program is cached per
// webhook and source, so an edited transform is the one that runs.
func TestTransformChangesTakeEffect(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, nil)
	s := transformSenders(t)
	w := testWebhook(srv.URL)
	for _, n := range []string{"1", "2", "2"} {
		w.Transform = "function handler(w) { w.payload = {v: " + n + "}; return w }"
		if _, v := s.Send(context.Background(), deliver.Task{Webhook: w, Event: testEvent(), Number: 1}); v.Kind != deliver.Delivered {
			t.Fatalf("verdict %v", v.Kind)
		}
		if r := <-got; string(r.body) != `{"v":`+n+`}` {
			t.Fatalf("body %s, want v %s", r.body, n)
		}
		s.Invalidate(w.ID)
	}
}

// TestTransformBrokerMessage: a broker destination's message carries the
// transformed body and headers, signed over that body; a transform that
// changes the URL of one fails, as a broker has none.
func TestTransformBrokerMessage(t *testing.T) {
	t.Parallel()
	ev := testEvent()
	w := testWebhook("")
	w.Headers = map[string]string{"X-Team": "blue"}
	msg, a := deliver.NewMessage(deliver.Task{Webhook: w, Signer: mustSigner(t, secretA), Event: ev, DeliveryID: "dlv_1",
		Shaped: &transform.Result{Body: []byte(`{"n":1}`), Headers: map[string]string{"Content-Type": "text/x-n", "X-N": "1"}}}, t0, "redis://cache/0")
	if string(msg.Body) != `{"n":1}` || msg.Headers["content-type"] != "text/x-n" || msg.Headers["X-N"] != "1" || msg.Headers["X-Team"] != "" {
		t.Fatalf("message %s %v", msg.Body, msg.Headers)
	}
	h := http.Header{}
	for k, v := range msg.Headers {
		h.Set(k, v)
	}
	vf, _ := verify.New(secretA)
	vf.Now = func() time.Time { return t0 }
	if err := vf.Verify(h, msg.Body); err != nil {
		t.Errorf("message signature: %v", err)
	}
	if string(a.RequestBody) != `{"n":1}` || a.RequestBodyOf != "" {
		t.Errorf("attempt body %s (of the event as %q, want a copy)", a.RequestBody, a.RequestBodyOf)
	}
	// Untransformed, the body is the event's: a reference will do.
	if _, a := deliver.NewMessage(deliver.Task{Webhook: w, Signer: mustSigner(t, secretA), Event: ev, DeliveryID: "dlv_1"}, t0, "redis://cache/0"); a.RequestBodyOf != webhook.FormatEnvelope {
		t.Errorf("untransformed message: body of %q, want envelope", a.RequestBodyOf)
	}
	if _, a := deliver.NewMessage(deliver.Task{Webhook: w, Signer: mustSigner(t, secretA), Event: ev, DeliveryID: "dlv_1", Test: true}, t0, "redis://cache/0"); a.RequestBodyOf != "" {
		t.Errorf("test message: body of %q, want a copy (its event is not stored)", a.RequestBodyOf)
	}

	w.Destination = webhook.Destination{Type: "redis", URL: "redis://127.0.0.1:1/0", Stream: "s"}
	w.Transform = "function handler(w) { w.url = 'https://example.com/'; return w }"
	a, v := transformSenders(t).Send(context.Background(), deliver.Task{Webhook: w, Event: ev, Number: 1})
	if a.ErrorClass != webhook.ErrClassTransform || !strings.Contains(a.Error, "redis destination has no url or method") || v.Kind != deliver.Retry {
		t.Errorf("broker url change: %s %q %v", a.ErrorClass, a.Error, v.Kind)
	}
}
