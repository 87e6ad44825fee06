package registry_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	_ "github.com/hookline/hookline/internal/deliver/kafka"    // a broker type without a URL
	_ "github.com/hookline/hookline/internal/deliver/rabbitmq" // a broker type to configure
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
	for _, typ := range []string{"HTTP", "RabbitMQ", "https"} {
		in := b.validInput()
		in.Destination = &webhook.Destination{Type: typ}
		_, _, err := b.reg.CreateWebhook(b.ctx, in)
		wantError(t, err, webhook.EINVALID, "destination.type")
		_, err = b.reg.UpdateWebhook(b.ctx, w.ID, in)
		wantError(t, err, webhook.EINVALID, "destination.type")
	}
}

// TestWebhookBrokerDestination: a broker destination is validated per
// type, each problem at its place; its URL's password is stored, shown
// masked, and kept when the masked URL is sent back; the broker host gets
// the egress guard.
func TestWebhookBrokerDestination(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := b.validInput()
	in.URL = nil // a broker destination needs no HTTP URL
	in.Destination = &webhook.Destination{Type: "rabbitmq", URL: "amqp://app:s3cret@broker.example:5672/prod",
		Exchange: "events", RoutingKey: "hookline"}
	w, _ := b.create(t, in)
	if w.Destination.URL != in.Destination.URL || w.URL != "amqp://app:"+webhook.DestinationMask+"@broker.example:5672/prod" {
		t.Errorf("destination %+v, webhook url %q", w.Destination, w.URL)
	}
	shown, _ := json.Marshal(w)
	if strings.Contains(string(shown), "s3cret") || !strings.Contains(string(shown), `"exchange":"events"`) {
		t.Errorf("the webhook as shown: %s", shown)
	}
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil || !stored.Destination.Equal(w.Destination) {
		t.Fatalf("stored destination %+v (%v), want %+v", stored.Destination, err, w.Destination)
	}
	// The form sends the shown URL back: the password stays.
	back := webhook.Destination{Type: "rabbitmq", URL: webhook.MaskURLPassword(w.Destination.URL), Exchange: "audit", RoutingKey: "k"}
	u, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Destination: &back})
	if err != nil || u.Destination.URL != in.Destination.URL || u.Destination.Exchange != "audit" {
		t.Errorf("after sending the masked URL back: %+v (%v)", u.Destination, err)
	}

	for _, tt := range []struct {
		d     webhook.Destination
		code  webhook.Code
		field string
	}{
		{webhook.Destination{Type: "rabbitmq", RoutingKey: "k"}, webhook.EINVALID, "destination.url"},
		{webhook.Destination{Type: "rabbitmq", URL: "https://broker.example", RoutingKey: "k"}, webhook.EINVALID, "destination.url"},
		{webhook.Destination{Type: "rabbitmq", URL: "amqp://broker.example"}, webhook.EINVALID, "destination.routing_key"},
		{webhook.Destination{Type: "rabbitmq", URL: "amqp://guest:guest@127.0.0.1:5672/", RoutingKey: "k"}, webhook.EUNPROCESSABLE, "destination.url"},
		{webhook.Destination{Type: "rabbitmq", URL: "amqp://localhost/", RoutingKey: "k"}, webhook.EUNPROCESSABLE, "destination.url"},
	} {
		in := b.validInput()
		in.Destination = &tt.d
		_, _, err := b.reg.CreateWebhook(b.ctx, in)
		wantError(t, err, tt.code, tt.field)
	}
	// Back to HTTP needs an HTTP URL.
	_, err = b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Destination: &webhook.Destination{Type: "http"}})
	wantError(t, err, webhook.EINVALID, "url")

	// Where the server allows private targets, a local broker is fine.
	lb := setup(t, options{allowLoopback: true})
	in = lb.validInput()
	in.Destination = &webhook.Destination{Type: "rabbitmq", URL: "amqp://guest:guest@127.0.0.1:5672/", RoutingKey: "k"}
	lb.create(t, in)
}

// TestWebhookKafkaDestination: a kafka destination's brokers are each
// checked (problems at destination.brokers[i]), the guard applies to every
// broker, the SASL password is write-only (masked when shown, kept when
// sent back masked or left out for the same user) and the webhook's url
// names the brokers and topic.
func TestWebhookKafkaDestination(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := b.validInput()
	in.URL = nil
	in.Destination = &webhook.Destination{Type: "kafka", Brokers: []string{"k1.example:9092", " k2.example:9093 "},
		Topic: "orders", KeyPath: "data.customer.id", TLS: true, SASLMechanism: "scram-sha-512", Username: "app", Password: "s3cret"}
	w, _ := b.create(t, in)
	if w.URL != "kafka://k1.example:9092,k2.example:9093/orders" || w.Destination.Brokers[1] != "k2.example:9093" {
		t.Errorf("webhook url %q, destination %+v", w.URL, w.Destination)
	}
	if in.Destination.Brokers[1] != " k2.example:9093 " {
		t.Errorf("the caller's brokers were changed: %q", in.Destination.Brokers)
	}
	shown, _ := json.Marshal(w)
	if strings.Contains(string(shown), "s3cret") || !strings.Contains(string(shown), `"password":"`+webhook.DestinationMask+`"`) {
		t.Errorf("the webhook as shown: %s", shown)
	}
	for _, back := range []string{webhook.DestinationMask, ""} {
		d := w.Destination
		d.Password, d.Topic = back, "orders-v2"
		u, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Destination: &d})
		if err != nil || u.Destination.Password != "s3cret" || u.Destination.Topic != "orders-v2" {
			t.Errorf("password sent back as %q: %+v (%v)", back, u.Destination, err)
		}
	}
	// Another user must give its own password.
	d := w.Destination
	d.Username, d.Password = "other", webhook.DestinationMask
	_, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Destination: &d})
	wantError(t, err, webhook.EINVALID, "destination.password")

	kafka := func(f func(*webhook.Destination)) webhook.Destination {
		d := webhook.Destination{Type: "kafka", Brokers: []string{"k1.example:9092"}, Topic: "orders"}
		f(&d)
		return d
	}
	for _, tt := range []struct {
		d     webhook.Destination
		code  webhook.Code
		field string
	}{
		{kafka(func(d *webhook.Destination) { d.Brokers = nil }), webhook.EINVALID, "destination.brokers"},
		{kafka(func(d *webhook.Destination) { d.Brokers = append(d.Brokers, "k2.example") }), webhook.EINVALID, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Brokers = append(d.Brokers, "kafka://k2.example:9092") }), webhook.EINVALID, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Brokers = append(d.Brokers, "k2.example:0") }), webhook.EINVALID, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Brokers = append(d.Brokers, "k1.example:9092") }), webhook.EINVALID, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Brokers = append(d.Brokers, "127.0.0.1:9092") }), webhook.EUNPROCESSABLE, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Brokers = []string{"k.example:9092", "localhost:9092"} }), webhook.EUNPROCESSABLE, "destination.brokers[1]"},
		{kafka(func(d *webhook.Destination) { d.Topic = "" }), webhook.EINVALID, "destination.topic"},
		{kafka(func(d *webhook.Destination) { d.Topic = "orders/eu" }), webhook.EINVALID, "destination.topic"},
		{kafka(func(d *webhook.Destination) { d.KeyPath = "data..id" }), webhook.EINVALID, "destination.key_path"},
		{kafka(func(d *webhook.Destination) { d.URL = "kafka://k1.example:9092" }), webhook.EINVALID, "destination.url"},
		{kafka(func(d *webhook.Destination) { d.SASLMechanism = "gssapi"; d.Username, d.Password = "u", "p" }), webhook.EINVALID, "destination.sasl_mechanism"},
		{kafka(func(d *webhook.Destination) { d.Username = "u" }), webhook.EINVALID, "destination.sasl_mechanism"},
		{kafka(func(d *webhook.Destination) { d.SASLMechanism = "plain"; d.Password = "p" }), webhook.EINVALID, "destination.username"},
		{kafka(func(d *webhook.Destination) { d.SASLMechanism = "plain"; d.Username = "u" }), webhook.EINVALID, "destination.password"},
	} {
		in := b.validInput()
		in.Destination = &tt.d
		_, _, err := b.reg.CreateWebhook(b.ctx, in)
		wantError(t, err, tt.code, tt.field)
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
