package dashboard

import (
	"context"
	"maps"
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
	Active      bool
	Format      string
	Integration string
	// Headers are custom headers, one "Name: value" per line.
	Headers string
	// Secret names the headers whose "secret" box is checked.
	Secret []string
	// Destination is the webhook's destination type, shown read-only.
	Destination string
}

// webhookFields are the form's fields, for placing registry errors.
var webhookFields = []string{"name", "url", "description", "events", "active", "format", "integration", "headers",
	"secret_headers"}

func newWebhookForm() webhookForm {
	return webhookForm{Active: true, Format: string(webhook.FormatEnvelope), Integration: "manual",
		Destination: webhook.DestinationHTTP}
}

func webhookFormFrom(r *http.Request) webhookForm {
	f := r.PostForm
	return webhookForm{
		Name:        f.Get("name"),
		URL:         f.Get("url"),
		Description: f.Get("description"),
		Events:      f["events"],
		Active:      f.Has("active"),
		Format:      f.Get("format"),
		Integration: f.Get("integration"),
		Headers:     f.Get("headers"),
		Secret:      f["secret_headers"],
		Destination: webhook.DestinationHTTP,
	}
}

func formFromWebhook(w webhook.Webhook) webhookForm {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(w.Headers)) {
		lines = append(lines, k+": "+w.Headers[k])
	}
	return webhookForm{
		Name: w.Name, URL: w.URL, Description: w.Description, Events: w.Events, Active: w.Active,
		Format: string(w.Format), Integration: w.Integration, Headers: strings.Join(lines, "\n"),
		Secret: w.SecretHeaders, Destination: w.Destination.Type,
	}
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

// input turns the form into a registry input; the registry validates it.
// Only the header lines' shape is checked here, since the registry takes a
// map; the well-formed lines are in the input either way.
func (f webhookForm) input() (registry.WebhookInput, error) {
	in := registry.WebhookInput{
		Name: &f.Name, URL: &f.URL, Description: &f.Description, Active: &f.Active,
		Events: f.Events, Headers: map[string]string{}, SecretHeaders: []string{},
	}
	if in.Events == nil {
		in.Events = []string{} // "choose at least one" from the registry
	}
	if f.Format != "" {
		in.Format = &f.Format
	}
	if f.Integration != "" {
		in.Integration = &f.Integration
	}
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
	return in, err
}

// saveWebhook validates the form and, when it is sound, saves it with
// save (a create or an update). The form's own problem (header lines) is
// reported together with the registry's problems with the other fields.
func (d *Dashboard) saveWebhook(ctx context.Context, f webhookForm, save func(registry.WebhookInput) error) error {
	in, formErr := f.input()
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
}

func (d *Dashboard) newWebhook(w http.ResponseWriter, r *http.Request) error {
	types, err := d.cfg.Store.EventTypeList(r.Context())
	if err != nil {
		return err
	}
	f := newWebhookForm()
	if u := r.URL.Query().Get("url"); u != "" {
		f.URL = truncate(u, 2048)
	}
	d.render(w, r, http.StatusOK, "webhook_new", webhookFormView{
		base: d.base(r, "Add New Webhook", "webhooks"), Form: f, Types: types,
	})
	return nil
}

func (d *Dashboard) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := webhookFormFrom(r)
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
		types, err := d.cfg.Store.EventTypeList(r.Context())
		if err != nil {
			return err
		}
		d.render(w, r, http.StatusUnprocessableEntity, "webhook_new", webhookFormView{
			base: d.base(r, "Add New Webhook", "webhooks"), Form: f, Types: types, Errors: errs, Error: top,
		})
		return nil
	}
	http.Redirect(w, r, "/webhooks/"+created.ID+"?notice=created", http.StatusSeeOther)
	return nil
}
