package dashboard

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// formField is one field of the webhook form, which the dashboard and the
// customer portal share. A new webhook field (a payload filter, a rate
// limit, a destination's settings) is one entry in webhookFormFields and
// one template named by it: both surfaces then show it, read it back
// after an error, fill it from a stored webhook and hand it to the
// registry, which validates it for every surface at once.
type formField struct {
	// Name is the form key, and the field name the registry's problems
	// use (errors for it are shown next to it).
	Name string
	// Template renders the field from the form's view (webhookFormView or
	// webhookEditView: .Form, .Errors, .Types, and the surface).
	Template string
	// Advanced fields are in the folded "Advanced" section.
	Advanced bool
	// OperatorOnly fields are the operator's bookkeeping: the portal
	// neither shows nor sends them, so a tenant's save keeps their value.
	OperatorOnly bool
	// read copies the posted value into the form.
	read func(v url.Values, f *webhookForm)
	// load copies a stored webhook's value into the form.
	load func(w webhook.Webhook, f *webhookForm)
	// input copies the form's value into the registry's input. An error is
	// the field's own problem (a shape the registry cannot see), reported
	// together with the registry's.
	input func(f webhookForm, in *registry.WebhookInput) error
}

// webhookFormFields are the webhook form's fields, in the order shown.
var webhookFormFields = []formField{
	{Name: "name", Template: "field-name",
		read:  func(v url.Values, f *webhookForm) { f.Name = v.Get("name") },
		load:  func(w webhook.Webhook, f *webhookForm) { f.Name = w.Name },
		input: func(f webhookForm, in *registry.WebhookInput) error { in.Name = &f.Name; return nil }},
	{Name: "url", Template: "field-url",
		read: func(v url.Values, f *webhookForm) { f.URL = v.Get("url") },
		load: func(w webhook.Webhook, f *webhookForm) {
			// A broker webhook's url is its broker's, shown with its
			// destination: the HTTP URL box starts empty.
			if w.Destination.Type == "" || w.Destination.Type == webhook.DestinationHTTP {
				f.URL = w.URL
			}
		},
		input: func(f webhookForm, in *registry.WebhookInput) error { in.URL = &f.URL; return nil }},
	{Name: "events", Template: "field-events",
		read: func(v url.Values, f *webhookForm) { f.Events = v["events"] },
		load: func(w webhook.Webhook, f *webhookForm) { f.Events = w.Events },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			in.Events = f.Events
			if in.Events == nil {
				in.Events = []string{} // "choose at least one" from the registry
			}
			return nil
		}},
	{Name: "filter", Template: "field-filter",
		read: func(v url.Values, f *webhookForm) { f.Filter = v.Get("filter") },
		load: func(w webhook.Webhook, f *webhookForm) {
			f.Filter = ""
			var b bytes.Buffer
			if len(w.Filter) > 0 && json.Indent(&b, w.Filter, "", "  ") == nil {
				f.Filter = b.String()
			}
		},
		input: func(f webhookForm, in *registry.WebhookInput) error {
			in.Filter = json.RawMessage("null") // none
			if s := strings.TrimSpace(f.Filter); s != "" {
				in.Filter = json.RawMessage(s)
			}
			return nil
		}},
	{Name: "transform", Template: "field-transform",
		read:  func(v url.Values, f *webhookForm) { f.Transform = strings.ReplaceAll(v.Get("transform"), "\r\n", "\n") },
		load:  func(w webhook.Webhook, f *webhookForm) { f.Transform = w.Transform },
		input: func(f webhookForm, in *registry.WebhookInput) error { in.Transform = &f.Transform; return nil }},
	{Name: "description", Template: "field-description",
		read:  func(v url.Values, f *webhookForm) { f.Description = v.Get("description") },
		load:  func(w webhook.Webhook, f *webhookForm) { f.Description = w.Description },
		input: func(f webhookForm, in *registry.WebhookInput) error { in.Description = &f.Description; return nil }},
	{Name: "active", Template: "field-active",
		read:  func(v url.Values, f *webhookForm) { f.Active = v.Has("active") },
		load:  func(w webhook.Webhook, f *webhookForm) { f.Active = w.Active },
		input: func(f webhookForm, in *registry.WebhookInput) error { in.Active = &f.Active; return nil }},
	{Name: "destination", Template: "field-destination", Advanced: true,
		read: func(v url.Values, f *webhookForm) {
			f.Destination = webhook.Destination{Type: v.Get("destination_type"), URL: strings.TrimSpace(v.Get("destination_url")),
				Exchange: v.Get("destination_exchange"), RoutingKey: v.Get("destination_routing_key"),
				Subject: v.Get("destination_subject"), Stream: v.Get("destination_stream"), Topic: v.Get("destination_topic"),
				KeyPath: strings.TrimSpace(v.Get("destination_key_path")), TLS: v.Has("destination_tls"),
				SASLMechanism: v.Get("destination_sasl_mechanism"), Username: v.Get("destination_username"),
				Password: v.Get("destination_password")}
			if f.Destination.Type == "kafka" {
				// The MQTT and Kafka topics share the field name but not
				// the box: each type shows its own.
				f.Destination.Topic = v.Get("destination_kafka_topic")
			}
			f.MaxLen = strings.TrimSpace(v.Get("destination_maxlen"))
			f.Brokers = strings.TrimSpace(v.Get("destination_brokers"))
			f.PasswordSet = v.Has("destination_password_set")
			if f.Destination.Type == "" {
				f.Destination.Type = webhook.DestinationHTTP
			}
		},
		load: func(w webhook.Webhook, f *webhookForm) {
			f.Destination = w.Destination
			// The form shows the password masked, as the API does; the
			// registry keeps the stored one when it comes back masked.
			f.Destination.URL = webhook.MaskURLPassword(w.Destination.URL)
			// The SASL password is never sent to the page.
			f.Destination.Password, f.PasswordSet = "", w.Destination.Password != ""
			f.Brokers = strings.Join(w.Destination.Brokers, ", ")
			f.MaxLen = ""
			if w.Destination.MaxLen > 0 {
				f.MaxLen = strconv.FormatInt(w.Destination.MaxLen, 10)
			}
			if f.Destination.Type == "" {
				f.Destination.Type = webhook.DestinationHTTP
			}
		},
		input: destinationInput},
	{Name: "signature", Template: "field-signature", Advanced: true,
		read: func(v url.Values, f *webhookForm) { f.Signature = v.Get("signature") },
		load: func(w webhook.Webhook, f *webhookForm) { f.Signature = w.Signature },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			if f.Signature != "" {
				in.Signature = &f.Signature
			}
			return nil
		}},
	{Name: "ordering", Template: "field-ordering", Advanced: true,
		read: func(v url.Values, f *webhookForm) { f.Ordering = v.Get("ordering") },
		load: func(w webhook.Webhook, f *webhookForm) { f.Ordering = w.Ordering },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			if f.Ordering != "" {
				in.Ordering = &f.Ordering
			}
			return nil
		}},
	{Name: "ordering_key", Template: "field-ordering-key", Advanced: true,
		read: func(v url.Values, f *webhookForm) { f.OrderingKey = strings.TrimSpace(v.Get("ordering_key")) },
		load: func(w webhook.Webhook, f *webhookForm) { f.OrderingKey = w.OrderingKey },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			in.OrderingKey = &f.OrderingKey
			return nil
		}},
	{Name: "rate_limit", Template: "field-rate-limit", Advanced: true,
		read: func(v url.Values, f *webhookForm) {
			f.RateLimit, f.RateUnit = strings.TrimSpace(v.Get("rate_limit")), v.Get("rate_unit")
		},
		load: func(w webhook.Webhook, f *webhookForm) {
			f.RateLimit, f.RateUnit = "", "s"
			switch n, per := w.RateLimit.Window(); {
			case n > 0 && per == time.Minute:
				f.RateLimit, f.RateUnit = strconv.Itoa(n), "min"
			case n > 0:
				f.RateLimit = strconv.Itoa(n)
			}
		},
		input: rateLimitInput},
	{Name: "format", Template: "field-format", Advanced: true,
		read: func(v url.Values, f *webhookForm) { f.Format = v.Get("format") },
		load: func(w webhook.Webhook, f *webhookForm) { f.Format = string(w.Format) },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			if f.Format != "" {
				in.Format = &f.Format
			}
			return nil
		}},
	{Name: "integration", Template: "field-integration", Advanced: true, OperatorOnly: true,
		read: func(v url.Values, f *webhookForm) { f.Integration = v.Get("integration") },
		load: func(w webhook.Webhook, f *webhookForm) { f.Integration = w.Integration },
		input: func(f webhookForm, in *registry.WebhookInput) error {
			if f.Integration != "" {
				in.Integration = &f.Integration
			}
			return nil
		}},
	{Name: "headers", Template: "field-headers", Advanced: true,
		read: func(v url.Values, f *webhookForm) { f.Headers, f.Secret = v.Get("headers"), v["secret_headers"] },
		load: func(w webhook.Webhook, f *webhookForm) {
			// Secret values show masked; saved back masked, they keep
			// the stored value (webhook.KeepMasked).
			h := w.Masked().Headers
			var lines []string
			for _, k := range slices.Sorted(maps.Keys(h)) {
				lines = append(lines, k+": "+h[k])
			}
			f.Headers, f.Secret = strings.Join(lines, "\n"), w.SecretHeaders
		},
		input: headersInput},
}

// fieldsFor returns the form's fields on surface s: the main ones, or
// the advanced ones.
func fieldsFor(s surface, advanced bool) []formField {
	var out []formField
	for _, f := range webhookFormFields {
		if f.Advanced == advanced && (s.Operator || !f.OperatorOnly) {
			out = append(out, f)
		}
	}
	return out
}

// webhookFields are the form's field names, for placing registry errors.
var webhookFields = func() []string {
	names := []string{"secret_headers"} // shown with the headers
	for _, f := range webhookFormFields {
		names = append(names, f.Name)
	}
	return names
}()

// rateLimitInput reads the rate limit: a number of requests per second
// or per minute; an empty box is no limit. The registry checks the
// bounds.
func rateLimitInput(f webhookForm, in *registry.WebhookInput) error {
	in.RateLimit = json.RawMessage("null")
	if f.RateLimit == "" {
		return nil
	}
	n, err := strconv.Atoi(f.RateLimit)
	if err != nil {
		return webhook.FieldError(webhook.EINVALID, "rate_limit", "write a whole number of requests, or leave it empty for no limit")
	}
	key := "per_second"
	if f.RateUnit == "min" {
		key = "per_minute"
	}
	in.RateLimit, _ = json.Marshal(map[string]int{key: n})
	return nil
}

// headersInput reads the custom header lines ("Name: value") and which of
// them are secret. Only the lines' shape is checked here, since the
// registry takes a map; the well-formed lines are in the input either
// way.
func headersInput(f webhookForm, in *registry.WebhookInput) error {
	in.Headers, in.SecretHeaders = map[string]string{}, []string{}
	var err error
	for line := range strings.Lines(f.Headers) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			err = webhook.FieldError(webhook.EINVALID, "headers", "write one header per line as Name: value")
			continue
		}
		in.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	// A box stays checked after its header line is deleted when the page
	// runs no script: only boxes of headers still typed count.
	for _, r := range f.HeaderRows() {
		if r.Secret {
			in.SecretHeaders = append(in.SecretHeaders, r.Name)
		}
	}
	return err
}

// destinationInput hands the destination to the registry, which checks
// it per type; only the stream cap's shape (a number) is checked here.
// An HTTP destination carries no broker settings, whatever was typed in
// their boxes.
func destinationInput(f webhookForm, in *registry.WebhookInput) error {
	d, all := webhook.Destination{Type: f.Destination.Type}, f.Destination
	// Each type takes its own boxes only: what was typed in another
	// type's boxes before switching is not sent.
	var err error
	switch d.Type {
	case webhook.DestinationHTTP:
	case "rabbitmq":
		d.URL, d.Exchange, d.RoutingKey = all.URL, all.Exchange, all.RoutingKey
	case "nats":
		d.URL, d.Subject = all.URL, all.Subject
	case "redis":
		d.URL, d.Stream = all.URL, all.Stream
		if f.MaxLen != "" {
			if d.MaxLen, err = strconv.ParseInt(f.MaxLen, 10, 64); err != nil {
				err = webhook.FieldError(webhook.EINVALID, "destination", "stream cap: write a whole number of entries, or leave it empty")
			}
		}
	case "mqtt":
		d.URL, d.Topic = all.URL, all.Topic
	case "kafka":
		d.Brokers = strings.FieldsFunc(f.Brokers, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
		d.Topic, d.KeyPath, d.TLS = all.Topic, all.KeyPath, all.TLS
		d.SASLMechanism, d.Username, d.Password = all.SASLMechanism, all.Username, all.Password
	default:
		d = all // an unknown type: the registry names it
	}
	in.Destination = &d
	return err
}
