package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/registry"
)

type filterResultView struct {
	base
	EventType string
	Result    registry.FilterResult
	Error     string
}

// exampleType parses the webhook form and names the event type whose
// example payload its filter or transform is tried on: the first ticked
// type (not "*"), or the catalog's first.
func (d *Dashboard) exampleType(r *http.Request) (string, error) {
	if err := parseForm(r); err != nil {
		return "", err
	}
	types, _, err := d.formTypes(r.Context())
	if err != nil {
		return "", err
	}
	for _, e := range r.PostForm["events"] {
		if e != "*" {
			return e, nil
		}
	}
	if len(types) > 0 {
		return types[0].Slug, nil
	}
	return "", nil
}

// filterTest tries the webhook form's payload filter on the example
// payload of the first ticked event type (or the catalog's first): in
// place with JavaScript, as a page without.
func (d *Dashboard) filterTest(w http.ResponseWriter, r *http.Request) error {
	typ, err := d.exampleType(r)
	if err != nil {
		return err
	}
	v := filterResultView{base: d.base(r, "Filter test", "webhooks"), EventType: typ}
	raw := strings.TrimSpace(r.PostForm.Get("filter"))
	if raw == "" {
		raw = "{}"
	}
	status := http.StatusOK
	v.Result, err = d.cfg.Registry.TestFilter(r.Context(), registry.FilterTest{Filter: json.RawMessage(raw), EventType: v.EventType})
	if err != nil {
		errs, top, err := fieldErrors(err, "filter", "event_type")
		if err != nil {
			return err
		}
		var msgs []string
		for _, m := range []string{top, errs["filter"], errs["event_type"]} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		v.Error, status = strings.Join(msgs, "; "), http.StatusUnprocessableEntity
	}
	if isFragment(r) {
		d.renderFragment(w, r, status, "filter_result", "filter-result", v)
		return nil
	}
	d.render(w, r, status, "filter_result", v)
	return nil
}
