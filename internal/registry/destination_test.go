package registry_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

func TestWebhookDestination(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput())
	if w.Destination.Type != webhook.DestinationHTTP {
		t.Errorf("destination of a webhook created without one: %+v, want http", w.Destination)
	}
	in := b.validInput()
	in.Destination = &webhook.Destination{Type: webhook.DestinationHTTP}
	if w, _ := b.create(t, in); w.Destination.Type != webhook.DestinationHTTP {
		t.Errorf("destination: %+v, want http", w.Destination)
	}
	for _, typ := range []string{"HTTP", "rabbitmq", "https"} {
		in := b.validInput()
		in.Destination = &webhook.Destination{Type: typ}
		_, _, err := b.reg.CreateWebhook(b.ctx, in)
		wantError(t, err, webhook.EINVALID, "destination.type")
		_, err = b.reg.UpdateWebhook(b.ctx, w.ID, in)
		wantError(t, err, webhook.EINVALID, "destination.type")
	}
}

func TestWebhookSecretHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := b.validInput()
	in.Headers = map[string]string{"X-Partner-Token": "t", "X-Ref": "r", "X-Team": "billing"}
	in.SecretHeaders = []string{"x-ref", "X-Partner-Token", "X-REF"}
	w, _ := b.create(t, in)
	// Spelled as the headers are, sorted, each once.
	if want := []string{"X-Partner-Token", "X-Ref"}; !slices.Equal(w.SecretHeaders, want) {
		t.Errorf("secret headers %v, want %v", w.SecretHeaders, want)
	}
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil || !slices.Equal(stored.SecretHeaders, w.SecretHeaders) {
		t.Errorf("stored secret headers %v (%v), want %v", stored.SecretHeaders, err, w.SecretHeaders)
	}

	// Headers replaced alone: marks on headers still there stay, the rest go.
	upd, err := b.reg.UpdateWebhook(b.ctx, w.ID, webhookInput(map[string]string{"X-Ref": "r2", "X-New": "n"}, nil))
	if err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	if want := []string{"X-Ref"}; !slices.Equal(upd.SecretHeaders, want) {
		t.Errorf("secret headers after replacing the headers: %v, want %v", upd.SecretHeaders, want)
	}
	// The list given alone replaces the marks; an empty one clears them.
	if upd, err = b.reg.UpdateWebhook(b.ctx, w.ID, webhookInput(nil, []string{"X-New"})); err != nil ||
		!slices.Equal(upd.SecretHeaders, []string{"X-New"}) {
		t.Errorf("secret headers after setting them: %v (%v), want [X-New]", upd.SecretHeaders, err)
	}
	if upd, err = b.reg.UpdateWebhook(b.ctx, w.ID, webhookInput(nil, []string{})); err != nil || len(upd.SecretHeaders) != 0 {
		t.Errorf("secret headers after clearing them: %v (%v), want none", upd.SecretHeaders, err)
	}

	// A name that is not one of the webhook's headers is refused.
	bad := b.validInput()
	bad.Headers = map[string]string{"X-Team": "billing"}
	bad.SecretHeaders = []string{"X-Team", "X-Missing"}
	_, _, err = b.reg.CreateWebhook(b.ctx, bad)
	wantError(t, err, webhook.EINVALID, "secret_headers[1]")
	_, err = b.reg.UpdateWebhook(b.ctx, w.ID, webhookInput(nil, []string{"X-Gone"}))
	wantError(t, err, webhook.EINVALID, "secret_headers[0]")
}

// A test send carries the secret header's real value and logs it masked.
func TestSendTestMasksSecretHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, reqs, _ := testReceiver(t, http.StatusOK)
	in := b.validInput()
	in.URL = ptr(srv.URL)
	in.Headers = map[string]string{"X-Partner-Ref": "ref-value"}
	in.SecretHeaders = []string{"X-Partner-Ref"}
	w, _ := b.create(t, in)
	a, err := b.reg.SendTest(b.ctx, w.ID, "")
	if err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	if got := (<-reqs).Header.Get("X-Partner-Ref"); got != "ref-value" {
		t.Errorf("the receiver got X-Partner-Ref %q, want the real value", got)
	}
	logged, err := b.store.AttemptListByWebhook(b.ctx, auth.AllTenants(), w.ID, 1)
	if err != nil || len(logged) != 1 {
		t.Fatalf("AttemptListByWebhook: %v, %v", logged, err)
	}
	for _, at := range []webhook.Attempt{a, logged[0]} {
		if got := at.RequestHeaders.Get("X-Partner-Ref"); got != webhook.MaskedValue {
			t.Errorf("attempt shows X-Partner-Ref %q, want it masked", got)
		}
		if at.Destination != webhook.DestinationHTTP || at.Outcome != webhook.OutcomeDelivered || at.Answer != "200 OK" {
			t.Errorf("test attempt: destination %q, outcome %q, answer %q; want http, delivered, 200 OK",
				at.Destination, at.Outcome, at.Answer)
		}
	}
}

func webhookInput(headers map[string]string, secret []string) registry.WebhookInput {
	return registry.WebhookInput{Headers: headers, SecretHeaders: secret}
}
