package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// REST Hooks (the subscription protocol of Zapier, Make, n8n and similar):
// the platform subscribes a target URL to one event when a user turns a
// trigger on, and unsubscribes when it is turned off. The webhook it makes
// is an ordinary webhook with `integration` recording the platform.

type hookRequest struct {
	TargetURL   string `json:"target_url"`
	Event       string `json:"event"`
	Integration string `json:"integration"`
	Tenant      string `json:"tenant"`
}

type hookView struct {
	ID          string `json:"id"`
	TargetURL   string `json:"target_url"`
	Event       string `json:"event"`
	Integration string `json:"integration"`
	Name        string `json:"name"`
	Tenant      string `json:"tenant"`
	Format      string `json:"format"`
}

// integrationNames are how the known platforms like their names written.
var integrationNames = map[string]string{"zapier": "Zapier", "make": "Make", "n8n": "n8n", "pipedream": "Pipedream", "ifttt": "IFTTT"}

func (a *API) subscribeHook(w http.ResponseWriter, r *http.Request) error {
	var req hookRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var v webhook.Validation
	if req.TargetURL == "" {
		v.Add(webhook.EINVALID, webhook.At("target_url"), "is required")
	}
	if req.Event == "" {
		v.Add(webhook.EINVALID, webhook.At("event"), "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	integration := strings.ToLower(strings.TrimSpace(req.Integration))
	if integration == "" {
		integration = "zapier"
	}
	label := integrationNames[integration]
	if label == "" {
		label = integration
	}
	name := label + " – " + req.Event
	// These platforms map fields of a flat object, the shape of the samples
	// below: raw format sends the event's data alone.
	format := string(webhook.FormatRaw)
	in := registry.WebhookInput{
		Name: &name, URL: &req.TargetURL, Events: []string{req.Event}, Format: &format, Integration: &integration,
	}
	if req.Tenant != "" {
		in.Tenant = &req.Tenant
	}
	wh, _, err := a.cfg.Registry.CreateWebhook(r.Context(), in)
	if err != nil {
		return hookProblems(err)
	}
	w.Header().Set("Location", "/api/v1/hooks/"+wh.ID)
	writeJSON(w, http.StatusCreated, hookView{ID: wh.ID, TargetURL: wh.URL, Event: req.Event,
		Integration: wh.Integration, Name: wh.Name, Tenant: wh.Tenant, Format: string(wh.Format)})
	return nil
}

// hookProblems names the fields of the registry's problems as a
// subscription request did: its target_url and event became the webhook's
// url and events.
func hookProblems(err error) error {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok || len(e.Problems()) == 0 {
		return err
	}
	var v webhook.Validation
	for _, p := range e.Problems() {
		at := p.Loc
		switch p.Field {
		case "url":
			at = webhook.At("target_url")
		case "events", "events[0]":
			at = webhook.At("event")
		}
		v.Add(p.Code, at, "%s", p.Message)
	}
	return v.Err()
}

func (a *API) unsubscribeHook(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Registry.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hookSamples answers the platforms' "perform list": up to three recent
// real payloads of the event type, newest first, or the catalog example
// when there are none. Each item is the flat data object with an `id` (the
// event id) when it has none of its own, which the platforms use to tell
// items apart.
func (a *API) hookSamples(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("event")
	et, err := a.cfg.Store.EventTypeGet(r.Context(), slug)
	if err != nil {
		return err
	}
	tenant, err := auth.ScopeFrom(r.Context()).Assign(r.URL.Query().Get("tenant"))
	if err != nil {
		return err
	}
	if tenant, err = ingest.ValidTenant(tenant); err != nil {
		return err
	}
	events, err := a.cfg.Store.EventSamples(r.Context(), auth.ScopeFrom(r.Context()), tenant, slug, 3)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, ev := range events {
		if item := flat(ev.Data, ev.ID); item != nil {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		if item := flat(et.Example, "evt_sample_"+slug); item != nil {
			out = append(out, item)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func flat(data json.RawMessage, id string) map[string]any {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil || m == nil {
		return nil
	}
	if _, ok := m["id"]; !ok {
		m["id"] = id
	}
	return m
}

type meView struct {
	Key     auth.APIKey `json:"key"`
	Server  string      `json:"server"`
	Version string      `json:"version"`
}

// me is the connection test platforms run when a user pastes a key.
func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	k, _ := p.Key()
	writeJSON(w, http.StatusOK, meView{Key: k, Server: a.cfg.ServerName, Version: a.cfg.Version})
	return nil
}
