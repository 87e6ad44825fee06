package dashboard_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	_ "github.com/hookline/hookline/internal/deliver/kafka" // the destination types the form offers
)

// TestBrowserDestinationForm: the webhook form shows, for each destination
// type, exactly the boxes of that type, and the webhook URL only for HTTP,
// where it alone is required; a Kafka webhook is saved without any URL and
// shown again, unfolded, with its settings and no password. Screenshots of
// the Kafka form in light and dark.
func TestBrowserDestinationForm(t *testing.T) {
	chrome := findChromium(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx

	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.SetValue(css("#username"), "admin"),
		chromedp.SetValue(css("#password"), adminPassword))
	nav(t, ctx, chromedp.Submit(css("#password")))
	do(t, ctx, chromedp.Navigate(h.URL+"/webhooks/new"), chromedp.WaitReady(css("#destination_type")))
	// The destination field sits in the form's advanced part.
	run(t, ctx, chromedp.Evaluate[bool](`document.querySelectorAll('details').forEach(d => d.open = true), true`))

	want := map[string][]string{
		"http":     {},
		"rabbitmq": {"destination_url", "destination_exchange", "destination_routing_key"},
		"nats":     {"destination_url", "destination_subject"},
		"redis":    {"destination_url", "destination_stream", "destination_maxlen"},
		"mqtt":     {"destination_url", "destination_topic"},
		"kafka": {"destination_brokers", "destination_kafka_topic", "destination_key_path", "destination_tls",
			"destination_sasl_mechanism", "destination_username", "destination_password"},
	}
	for _, typ := range []string{"rabbitmq", "nats", "redis", "mqtt", "http", "kafka"} {
		do(t, ctx, chromedp.SetValue(css("#destination_type"), typ))
		run(t, ctx, chromedp.Evaluate[bool](`document.getElementById('destination_type').dispatchEvent(new Event('change'))`))
		shown := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#destination input, #destination select')]
			.filter(e => e.id !== 'destination_type' && e.type !== 'hidden' && e.offsetParent !== null).map(e => e.id)`))
		if w := want[typ]; !slices.Equal(shown, w) {
			t.Errorf("%s: boxes shown %q, want %q", typ, shown, w)
		}
		urlShown := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById('url').offsetParent !== null`))
		urlRequired := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById('url').required`))
		if isHTTP := typ == "http"; urlShown != isHTTP || urlRequired != isHTTP {
			t.Errorf("%s: webhook URL shown %v, required %v; want both %v", typ, urlShown, urlRequired, isHTTP)
		}
	}
	do(t, ctx, chromedp.SetValue(css("#name"), "Orders bus"),
		chromedp.SetValue(css("#destination_brokers"), "127.0.0.1:9092, 127.0.0.1:9093"),
		chromedp.SetValue(css("#destination_kafka_topic"), "orders"),
		chromedp.SetValue(css("#destination_key_path"), "data.customer.id"),
		chromedp.SetValue(css("#destination_sasl_mechanism"), "scram-sha-512"),
		chromedp.SetValue(css("#destination_username"), "app"),
		chromedp.SetValue(css("#destination_password"), "k4fka-pw"))
	run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#events input[type=checkbox]').click(), true`))
	for _, scheme := range []string{"light", "dark"} {
		colorScheme(t, ctx, scheme)
		b.screenshot(t, ctx, "destination-kafka-"+scheme)
	}
	colorScheme(t, ctx, "light")
	// The browser sends the form although the webhook URL box is empty:
	// it is not required for a broker.
	if code := nav(t, ctx, chromedp.Submit(css("#name"))); code != http.StatusOK {
		t.Fatalf("save: %d", code)
	}
	do(t, ctx, waitText(".notice", "Webhook created."))
	got := run(t, ctx, chromedp.Evaluate[[]string](`['destination_type', 'destination_brokers', 'destination_kafka_topic',
		'destination_key_path', 'destination_username', 'destination_password'].map(id => document.getElementById(id).value)`))
	if want := []string{"kafka", "127.0.0.1:9092, 127.0.0.1:9093", "orders", "data.customer.id", "app", ""}; !slices.Equal(got, want) {
		t.Errorf("saved form shows %q, want %q", got, want)
	}
	// A broker webhook's page opens the part of the form with its
	// destination: its URL box is hidden.
	if !run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('details.advanced').open`)) {
		t.Error("the saved Kafka webhook's form keeps its destination folded away")
	}
	b.screenshot(t, ctx, "destination-kafka-saved")
}
