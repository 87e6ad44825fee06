package dashboard

import (
	"context"
	"encoding/json"
	"github.com/hookline/hookline/internal/auth"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Marking a custom header secret works without JavaScript: the box is
// saved, shown checked, the receiver gets the value and the log masks it.
func TestSecretHeadersWithoutJavaScript(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	got := make(chan http.Header, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	defer rcv.Close()

	r := b.post("/webhooks/new", url.Values{"name": {"Partner"}, "url": {rcv.URL}, "events": {"payment_received"},
		"headers": {"X-Partner-Ref: ref-s3cret\nX-Team: billing\nAuthorization: Bearer tok-s3cret"},
		// X-Gone's line was deleted after its box was checked.
		"secret_headers": {"X-Partner-Ref", "X-Gone"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	w, err := b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.SecretHeaders, []string{"X-Partner-Ref"}) {
		t.Errorf("secret headers %v, want [X-Partner-Ref]", w.SecretHeaders)
	}
	r = b.get("/webhooks/" + id)
	mustContain(t, r.Body, `<option value="http" selected>`,
		`name="secret_headers" value="X-Partner-Ref" checked>`,
		`name="secret_headers" value="X-Team"> Secret`,
		`name="secret_headers" value="Authorization" checked disabled> Secret <span class="muted small">(always, by its name)`)

	r = b.post("/webhooks/"+id+"/test", url.Values{"event_type": {"payment_received"}})
	if r.Status != http.StatusOK {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}
	sent := <-got
	if sent.Get("X-Partner-Ref") != "ref-s3cret" || sent.Get("Authorization") != "Bearer tok-s3cret" {
		t.Errorf("the receiver got %v, want the real values", sent)
	}
	r = b.get("/webhooks/" + id)
	mustContain(t, r.Body, "<td>"+webhook.MaskedValue+"</td>", "<td>Bearer "+webhook.MaskedValue+"</td>",
		"<td>billing</td>", ">Delivered<", "200 OK")
	// The settings form shows the values to edit; the attempt never does.
	mustNotContain(t, r.Body, "<td>ref-s3cret</td>", "<td>Bearer tok-s3cret</td>")

	// Unchecking the box (the browser sends no value) clears the mark.
	r = b.post("/webhooks/"+id, url.Values{"name": {"Partner"}, "url": {rcv.URL}, "events": {"payment_received"},
		"headers": {"X-Partner-Ref: ref-s3cret"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if w, _ := b.st.WebhookGet(context.Background(), auth.AllTenants(), id); len(w.SecretHeaders) != 0 {
		t.Errorf("secret headers after unchecking: %v, want none", w.SecretHeaders)
	}
}

// The delivery log shows each attempt's answer and what the delivery did
// next.
func TestDeliveryLogShowsOutcomeAndAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	w := b.createWebhook("Flaky", "https://receiver.example.com/in", "payment_received")
	ctx := context.Background()
	res, err := b.st.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "payment_received",
		Data: json.RawMessage(`{}`), CreatedAt: b.clock.Now(),
	}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("EventCreate: %v, %d deliveries", err, len(res.Deliveries))
	}
	d := res.Deliveries[0]
	attempt := func(n, status int, class webhook.ErrorClass, outcome webhook.AttemptOutcome, answer string) webhook.Attempt {
		return webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: w.ID,
			EventID: d.EventID, EventType: d.EventType, Number: n, StartedAt: b.clock.Now(), URL: w.URL,
			StatusCode: status, ErrorClass: class, Destination: webhook.DestinationHTTP, Outcome: outcome, Answer: answer}
	}
	if err := b.st.AttemptRecord(ctx, []store.AttemptResult{
		{Attempt: attempt(1, 503, webhook.ErrClassHTTPStatus, webhook.OutcomeRetry, "503 Slow down"),
			Outcome: store.OutcomeRetry, NextAttemptAt: b.clock.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.AttemptRecord(ctx, []store.AttemptResult{
		{Attempt: attempt(2, 0, webhook.ErrClassTimeout, webhook.OutcomeFailed, "timed out"), Outcome: store.OutcomeFailed},
	}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/webhooks/" + w.ID, "/deliveries/" + d.ID} {
		r := b.get(path)
		mustContain(t, r.Body, `<span class="answer" title="What the destination said">503 Slow down</span>`,
			">Retry scheduled<", `<span class="answer" title="What the destination said">timed out</span>`, ">Failed<")
	}
}
