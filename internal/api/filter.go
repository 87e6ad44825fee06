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

// transformTest runs a transform on an event, or on an event type's
// example payload, as a delivery would, and shows the request it makes.
func (a *API) transformTest(w http.ResponseWriter, r *http.Request) error {
	var req registry.TransformTest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	res, err := a.cfg.Registry.TestTransform(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
