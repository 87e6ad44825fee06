package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/webhook"
)

type eventTypesView struct {
	base
	Types []webhook.EventType
}

// eventTypes is the catalog: every event type with its description,
// JSON Schema and example payload. In the portal it is the tenant's
// developers' reference: the types the session may subscribe to, never
// Hookline's operational events.
func (d *Dashboard) eventTypes(w http.ResponseWriter, r *http.Request) error {
	types, _, err := d.formTypes(r.Context())
	if err != nil {
		return err
	}
	title := "Event types"
	if surfaceOf(r.Context()).InPortal() {
		title = "Event catalog"
	}
	d.render(w, r, http.StatusOK, "event_types", eventTypesView{base: d.base(r, title, "types"), Types: types})
	return nil
}
