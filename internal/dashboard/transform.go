package dashboard

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/registry"
)

type transformResultView struct {
	base
	EventType string
	Result    registry.TransformResult
	// Payload is the body as it would be sent, indented when JSON.
	Payload string
	Headers [][2]string
	Error   string
}

// transformTest runs the webhook form's transform on the example payload
// of the first ticked event type (or the catalog's first), as a delivery
// to the form's URL in its format would: in place with JavaScript, as a
// page without.
func (d *Dashboard) transformTest(w http.ResponseWriter, r *http.Request) error {
	typ, err := d.exampleType(r)
	if err != nil {
		return err
	}
	v := transformResultView{base: d.base(r, "Transform test", "webhooks"), EventType: typ}
	in := registry.TransformTest{Transform: strings.ReplaceAll(r.PostForm.Get("transform"), "\r\n", "\n"), EventType: v.EventType,
		Format: r.PostForm.Get("format")}
	if u := strings.TrimSpace(r.PostForm.Get("url")); strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		in.URL = u
	}
	status := http.StatusOK
	v.Result, err = d.cfg.Registry.TestTransform(r.Context(), in)
	if err != nil {
		errs, top, err := fieldErrors(err, "transform", "event_type", "url", "format")
		if err != nil {
			return err
		}
		var msgs []string
		for _, m := range []string{top, errs["transform"], errs["event_type"], errs["url"], errs["format"]} {
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		v.Error, status = strings.Join(msgs, "; "), http.StatusUnprocessableEntity
	}
	if res := v.Result.Result; res != nil {
		v.Payload = prettyJSON(res.Payload)
		var text string
		if json.Unmarshal(res.Payload, &text) == nil {
			v.Payload = text // a string body is shown as sent
		}
		for _, k := range slices.Sorted(maps.Keys(res.Headers)) {
			v.Headers = append(v.Headers, [2]string{k, res.Headers[k]})
		}
	}
	if isFragment(r) {
		d.renderFragment(w, r, status, "transform_result", "transform-result", v)
		return nil
	}
	d.render(w, r, status, "transform_result", v)
	return nil
}
