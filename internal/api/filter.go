package api

import (
	"net/http"

	"github.com/hookline/hookline/internal/registry"
)

// filterTest tries a payload filter on an event, or on an event type's
// example payload, and says which clause failed.
func (a *API) filterTest(w http.ResponseWriter, r *http.Request) error {
	var req registry.FilterTest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	res, err := a.cfg.Registry.TestFilter(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
