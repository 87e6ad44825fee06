package api

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/webhook"
)

// errNoAlerts answers the alert routes of an API built without alerting
// (tests of other routes).
var errNoAlerts = &webhook.Error{Code: webhook.ENOTFOUND, Message: "alerting is not enabled on this server"}

func (a *API) listAlertChannels(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.cfg.Store.AlertChannelList(r.Context())
	if err != nil {
		return err
	}
	out := make([]alert.Channel, len(cs))
	for i, c := range cs {
		out[i] = c.Masked()
	}
	writeJSON(w, http.StatusOK, list[alert.Channel]{Data: out})
	return nil
}

func (a *API) createAlertChannel(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.Alerts == nil {
		return errNoAlerts
	}
	var in alert.Input
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := a.cfg.Alerts.Check(r.Context(), in)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.AlertChannelCreate(r.Context(), c); err != nil {
		return err
	}
	a.cfg.Registry.Audit(r.Context(), "alert_channel.create", c.ID, channelSummary(c))
	w.Header().Set("Location", "/api/v1/alert-channels/"+c.ID)
	writeJSON(w, http.StatusCreated, c.Masked())
	return nil
}

// channelSummary describes a channel in the audit log, its URL masked.
func channelSummary(c alert.Channel) string {
	target := alert.MaskURL(c.URL)
	if c.Type == alert.TypeEmail {
		target = strings.Join(c.To, ", ")
	}
	kinds := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		kinds[i] = string(k)
	}
	s := c.Type + " " + target + " (" + strings.Join(kinds, ", ") + ")"
	if c.Tenant != "" {
		s += " for tenant " + c.Tenant
	}
	return s
}

func (a *API) getAlertChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cfg.Store.AlertChannelGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c.Masked())
	return nil
}

func (a *API) deleteAlertChannel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.cfg.Store.AlertChannelDelete(r.Context(), id); err != nil {
		return err
	}
	a.cfg.Registry.Audit(r.Context(), "alert_channel.delete", id, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// alertTestResult is what sending a test alert did.
type alertTestResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func (a *API) testAlertChannel(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.Alerts == nil {
		return errNoAlerts
	}
	c, err := a.cfg.Store.AlertChannelGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	res := alertTestResult{OK: true}
	if err := a.cfg.Alerts.Test(r.Context(), c); err != nil {
		res = alertTestResult{Error: err.Error()}
	}
	a.cfg.Registry.Audit(r.Context(), "alert_channel.test", c.ID, res.Error)
	writeJSON(w, http.StatusOK, res)
	return nil
}
