package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	_ "github.com/hookline/hookline/internal/deliver/kafka"    // a broker type without a URL
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
	if want := (webhook.Destination{Type: "rabbitmq", URL: brokerURL, Exchange: "events", RoutingKey: "hookline"}); !w.Destination.Equal(want) {
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
	form.Set("destination_maxlen", "lots") // another type's box: not looked at
	r = b.post("/webhooks/"+id, form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad destination: %d", r.Status)
	}
	mustContain(t, r.Body, `id="destination-error"`, "destination.routing_key: is required with the default exchange")
	if strings.Contains(r.Body, "stream cap") {
		t.Error("the redis stream cap was checked for a rabbitmq destination")
	}
	form.Set("destination_type", "redis")
	form.Set("destination_url", "redis://127.0.0.1:6379/0")
	form.Set("destination_stream", "s")
	r = b.post("/webhooks/"+id, form)
	mustContain(t, r.Body, `id="destination-error"`, "stream cap")
}

// TestKafkaDestinationField: a Kafka webhook from the form, without an
// HTTP URL: brokers typed with commas, the topic in Kafka's own box, the
// SASL password stored but never shown, an empty password box keeping it,
// and a bad broker named with its index.
func TestKafkaDestinationField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	form := url.Values{"name": {"Orders"}, "url": {""}, "events": {"payment_received"},
		"destination_type": {"kafka"}, "destination_brokers": {"127.0.0.1:9092, 127.0.0.1:9093"},
		"destination_kafka_topic": {"orders"}, "destination_topic": {"mqtt/ignored"}, "destination_url": {"amqp://ignored"},
		"destination_key_path": {"data.customer.id"}, "destination_tls": {"on"},
		"destination_sasl_mechanism": {"scram-sha-256"}, "destination_username": {"app"}, "destination_password": {"k4fka-pw"}}
	r := b.post("/webhooks/new", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	w, err := b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := webhook.Destination{Type: "kafka", Brokers: []string{"127.0.0.1:9092", "127.0.0.1:9093"}, Topic: "orders",
		KeyPath: "data.customer.id", TLS: true, SASLMechanism: "scram-sha-256", Username: "app", Password: "k4fka-pw"}
	if !w.Destination.Equal(want) {
		t.Fatalf("stored destination %+v, want %+v", w.Destination, want)
	}
	r = b.get("/webhooks/" + id)
	mustContain(t, r.Body, `<option value="kafka" selected>`, `value="127.0.0.1:9092, 127.0.0.1:9093"`,
		`id="destination_kafka_topic" name="destination_kafka_topic" value="orders"`, `value="data.customer.id"`,
		`<option value="scram-sha-256" selected>`, "leave the box empty to keep it")
	if strings.Contains(r.Body, "k4fka-pw") {
		t.Error("the edit page shows the SASL password")
	}

	// Saved back with the password box empty: the password stays.
	form.Set("destination_password", "")
	form.Set("destination_kafka_topic", "orders-v2")
	if r := b.post("/webhooks/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	w, _ = b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if w.Destination.Password != "k4fka-pw" || w.Destination.Topic != "orders-v2" {
		t.Errorf("after saving with an empty password box: %+v", w.Destination)
	}

	form.Set("destination_brokers", "127.0.0.1:9092, kafka-2")
	r = b.post("/webhooks/"+id, form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad broker: %d", r.Status)
	}
	mustContain(t, r.Body, `id="destination-error"`, "destination.brokers[1]: must be host:port")
}
