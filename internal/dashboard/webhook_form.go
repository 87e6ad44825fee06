package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// webhookForm is the add and edit form, as typed: on an error it is shown
// again with the same values.
type webhookForm struct {
	Name        string
	URL         string
	Description string
	Events      []string
	// Filter is the payload filter as typed (JSON); "" for none.
	Filter string
	// Transform is the transform's JavaScript as typed; "" for none.
	Transform   string
	Active      bool
	Format      string
	Integration string
	// Headers are custom headers, one "Name: value" per line.
	Headers string
	// Secret names the headers whose "secret" box is checked.
	Secret []string
	// Destination is where deliveries go: its type and, for a broker,
	// its settings (the URL's password masked as stored webhooks show it;
	// sent back masked, the stored password stays).
	Destination webhook.Destination
	// MaxLen is the redis stream cap as typed.
	MaxLen string
	// Brokers are Kafka's brokers as typed (commas, spaces or lines
	// between them).
	Brokers string
	// PasswordSet says a Kafka SASL password is stored: the form never
	// shows it, and an empty box keeps it.
	PasswordSet bool
	// Signature is the signature scheme (webhook.Signature*).
	Signature string
	// RateLimit is the rate limit's number as typed ("" for none) and
	// RateUnit its period: "s" or "min".
	RateLimit string
	RateUnit  string
	// Ordering (webhook.Ordering*) and OrderingKey as typed.
	Ordering    string
	OrderingKey string
}

func newWebhookForm() webhookForm {
	return webhookForm{Active: true, Format: string(webhook.FormatEnvelope), Integration: "manual",
		Destination: webhook.Destination{Type: webhook.DestinationHTTP}, Signature: webhook.SignatureHMAC,
		RateUnit: "s", Ordering: webhook.OrderingNone}
}

// webhookFormFrom reads the posted form: the fields of surface s.
func webhookFormFrom(r *http.Request, s surface) webhookForm {
	f := webhookForm{Destination: webhook.Destination{Type: webhook.DestinationHTTP}}
	for _, fl := range webhookFormFields {
		if s.Operator || !fl.OperatorOnly {
			fl.read(r.PostForm, &f)
		}
	}
	return f
}

func formFromWebhook(w webhook.Webhook) webhookForm {
	var f webhookForm
	for _, fl := range webhookFormFields {
		fl.load(w, &f)
	}
	return f
}

// headerRow is one custom header of the form with its "secret" box.
type headerRow struct {
	Name   string
	Secret bool // checked by the user
	// Always is set for a header masked by its name (Authorization,
	// X-Api-Key…), whatever the box says.
	Always bool
}

// HeaderRows lists the headers typed in the form, each once, in order.
func (f webhookForm) HeaderRows() []headerRow {
	var rows []headerRow
	for line := range strings.Lines(f.Headers) {
		name, _, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || slices.ContainsFunc(rows, func(r headerRow) bool { return strings.EqualFold(r.Name, name) }) {
			continue
		}
		rows = append(rows, headerRow{
			Name:   name,
			Secret: slices.ContainsFunc(f.Secret, func(s string) bool { return strings.EqualFold(s, name) }),
			Always: webhook.SecretHeader(name, nil),
		})
	}
	return rows
}

// CredentialNames and CredentialWords are the rule behind headerRow.Always,
// space-separated, for the script that adds rows as headers are typed.
func (webhookForm) CredentialNames() string {
	names, _ := webhook.CredentialRule()
	return strings.Join(names, " ")
}

// CredentialWords: see CredentialNames.
func (webhookForm) CredentialWords() string {
	_, words := webhook.CredentialRule()
	return strings.Join(words, " ")
}

// input turns the form's fields of surface s into a registry input; the
// registry validates it. The error is the form's own problems.
func (f webhookForm) input(s surface) (registry.WebhookInput, error) {
	var in registry.WebhookInput
	var v webhook.Validation
	for _, fl := range webhookFormFields {
		if s.Operator || !fl.OperatorOnly {
			if err := v.Merge(fl.input(f, &in)); err != nil {
				return in, err
			}
		}
	}
	return in, v.Err()
}

// saveWebhook validates the form and, when it is sound, saves it with
// save (a create or an update). The form's own problem (header lines) is
// reported together with the registry's problems with the other fields.
func (d *Dashboard) saveWebhook(ctx context.Context, f webhookForm, save func(registry.WebhookInput) error) error {
	in, formErr := f.input(surfaceOf(ctx))
	if formErr == nil {
		return save(in)
	}
	var v webhook.Validation
	if err := v.Merge(formErr); err != nil {
		return err
	}
	if err := v.Merge(d.cfg.Registry.CheckWebhook(ctx, in)); err != nil {
		return err
	}
	return v.Err()
}

type webhookFormView struct {
	base
	ID     string
	Form   webhookForm
	Errors formErrors
	Error  string
	Types  []webhook.EventType
	// AllEvents offers "*" (every event type).
	AllEvents bool
}

func (d *Dashboard) newWebhook(w http.ResponseWriter, r *http.Request) error {
	types, all, err := d.offeredTypes(r.Context())
	if err != nil {
		return err
	}
	f := newWebhookForm()
	if u := r.URL.Query().Get("url"); u != "" {
		f.URL = truncate(u, 2048)
	}
	d.render(w, r, http.StatusOK, "webhook_new", webhookFormView{
		base: d.base(r, "Add New Webhook", "webhooks"), Form: f, Types: types, AllEvents: all,
	})
	return nil
}

func (d *Dashboard) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := webhookFormFrom(r, surfaceOf(r.Context()))
	var created webhook.Webhook
	err := d.saveWebhook(r.Context(), f, func(in registry.WebhookInput) (err error) {
		created, _, err = d.cfg.Registry.CreateWebhook(r.Context(), in)
		return err
	})
	if err != nil {
		errs, top, err := fieldErrors(err, webhookFields...)
		if err != nil {
			return err
		}
		types, all, err := d.offeredTypes(r.Context())
		if err != nil {
			return err
		}
		d.render(w, r, http.StatusUnprocessableEntity, "webhook_new", webhookFormView{
			base: d.base(r, "Add New Webhook", "webhooks"), Form: f, Types: types, AllEvents: all, Errors: errs, Error: top,
		})
		return nil
	}
	http.Redirect(w, r, link(r.Context(), "/webhooks/"+created.ID+"?notice=created"), http.StatusSeeOther)
	return nil
}
