package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/webhook"
)

type eventTypesView struct {
	base
	Types []webhook.EventType
}

// eventTypes is the catalog: every event type with its example payload.
func (d *Dashboard) eventTypes(w http.ResponseWriter, r *http.Request) error {
	types, err := d.cfg.Store.EventTypeList(r.Context())
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "event_types", eventTypesView{base: d.base(r, "Event types", "types"), Types: types})
	return nil
}
