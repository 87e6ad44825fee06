package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// eventTypeForm is the event type edit form, as typed: the example and
// the schema as JSON text (an empty schema box removes the schema).
type eventTypeForm struct {
	Name, Description, Example, Schema string
	Deprecated                         bool
}

type eventTypeView struct {
	base
	Type   webhook.EventType
	Form   eventTypeForm
	Errors formErrors
	Error  string
}

// editableType reports whether the operator may change t from the
// dashboard: every type but Hookline's own.
func editableType(t webhook.EventType) bool { return !webhook.IsOperatorEvent(t.Slug) }

func eventTypeFormOf(t webhook.EventType) eventTypeForm {
	f := eventTypeForm{Name: t.Name, Description: t.Description, Example: prettyJSON(t.Example), Deprecated: t.Deprecated}
	if len(t.Schema) > 0 {
		f.Schema = prettyJSON(t.Schema)
	}
	return f
}

func (d *Dashboard) eventType(w http.ResponseWriter, r *http.Request) error {
	t, err := d.cfg.Store.EventTypeGet(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "event_type", eventTypeView{base: d.base(r, t.Name, "types"), Type: t, Form: eventTypeFormOf(t)})
	return nil
}

func (d *Dashboard) updateEventType(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	slug := r.PathValue("slug")
	pf := r.PostForm
	f := eventTypeForm{Name: pf.Get("name"), Description: pf.Get("description"), Example: pf.Get("example"),
		Schema: pf.Get("schema"), Deprecated: pf.Get("deprecated") == "on"}
	in := registry.EventTypePatch{Name: &f.Name, Description: &f.Description, Deprecated: &f.Deprecated,
		Example: json.RawMessage(strings.TrimSpace(f.Example)), Schema: json.RawMessage("null")}
	errs := formErrors{}
	if strings.TrimSpace(f.Example) == "" {
		in.Example = json.RawMessage(`{}`)
	} else if !json.Valid(in.Example) {
		errs.add("example", "is not valid JSON")
	}
	if s := strings.TrimSpace(f.Schema); s != "" {
		if in.Schema = json.RawMessage(s); !json.Valid(in.Schema) {
			errs.add("schema", "is not valid JSON")
		}
	}
	var top string
	if len(errs) == 0 {
		_, err := d.cfg.Registry.UpdateEventType(r.Context(), slug, in)
		if err != nil {
			if errs, top, err = fieldErrors(err, "name", "description", "example", "schema"); err != nil {
				return err
			}
		}
	}
	if len(errs) > 0 || top != "" {
		t, err := d.cfg.Store.EventTypeGet(r.Context(), slug)
		if err != nil {
			return err
		}
		d.render(w, r, http.StatusUnprocessableEntity, "event_type", eventTypeView{
			base: d.base(r, t.Name, "types"), Type: t, Form: f, Errors: errs, Error: top})
		return nil
	}
	http.Redirect(w, r, "/event-types/"+url.PathEscape(slug)+"?notice=saved", http.StatusSeeOther)
	return nil
}

// offeredTypes are the event types a form offers to subscribe to: those
// of formTypes less the deprecated ones (a webhook's form adds back what
// it already has).
func (d *Dashboard) offeredTypes(ctx context.Context) ([]webhook.EventType, bool, error) {
	types, all, err := d.formTypes(ctx)
	return slices.DeleteFunc(types, func(t webhook.EventType) bool { return t.Deprecated }), all, err
}
