package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	_ "github.com/hookline/hookline/internal/deliver/rabbitmq" // a broker type for the form
	"github.com/hookline/hookline/internal/webhook"
)

// The form's destination field makes a broker webhook without
// JavaScript: shown with its password masked, saved back unchanged with
// the password kept, and a bad setting reported next to the field.
func TestDestinationField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	const brokerURL = "amqp://app:s3cret@127.0.0.1:5672/prod"
	form := url.Values{"name": {"Bus"}, "url": {"https://unused.example.com"}, "events": {"payment_received"},
		"destination_type": {"rabbitmq"}, "destination_url": {brokerURL},
		"destination_exchange": {"events"}, "destination_routing_key": {"hookline"}, "destination_maxlen": {""}}
	r := b.post("/webhooks/new", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	w, err := b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	if want := (webhook.Destination{Type: "rabbitmq", URL: brokerURL, Exchange: "events", RoutingKey: "hookline"}); w.Destination != want {
		t.Fatalf("stored destination %+v, want %+v", w.Destination, want)
	}
	r = b.get("/webhooks/" + id)
	mustContain(t, r.Body, `<option value="rabbitmq" selected>`, `value="amqp://app:xxxxx@127.0.0.1:5672/prod"`, `value="hookline"`)
	if strings.Contains(r.Body, "s3cret") {
		t.Error("the edit page shows the broker password")
	}

	// Saved back as shown: the password stays.
	form.Set("destination_url", "amqp://app:xxxxx@127.0.0.1:5672/prod")
	form.Set("destination_exchange", "audit")
	if r := b.post("/webhooks/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	w, _ = b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if w.Destination.URL != brokerURL || w.Destination.Exchange != "audit" {
		t.Errorf("after saving the masked URL: %+v", w.Destination)
	}

	form.Set("destination_routing_key", "")
	form.Set("destination_exchange", "")
	form.Set("destination_maxlen", "lots")
	r = b.post("/webhooks/"+id, form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad destination: %d", r.Status)
	}
	mustContain(t, r.Body, `id="destination-error"`, "destination.routing_key: is required with the default exchange", "stream cap")
}
