package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookline/hookline/internal/jsonx"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// tenantRequest is the body of POST and PATCH /api/v1/tenants. Branding
// stays raw to tell an absent member (leave it) from null (remove it).
type tenantRequest struct {
	ID           *string           `json:"id"`
	Name         *string           `json:"name"`
	ContactEmail *string           `json:"contact_email"`
	Branding     json.RawMessage   `json:"branding"`
	Metadata     map[string]string `json:"metadata"`
}

func (req tenantRequest) input() (registry.TenantInput, error) {
	in := registry.TenantInput{ID: req.ID, Name: req.Name, ContactEmail: req.ContactEmail, Metadata: req.Metadata}
	if req.Branding == nil {
		return in, nil
	}
	in.Branding.Set = true
	if bytes.Equal(bytes.TrimSpace(req.Branding), []byte("null")) {
		return in, nil
	}
	in.Branding.Value = new(webhook.Branding)
	if err := jsonx.DecodeBytes(req.Branding, in.Branding.Value); err != nil {
		if e, ok := errors.AsType[*webhook.Error](err); ok && e.Field != "" {
			return in, webhook.FieldError(e.Code, "branding."+e.Field, "%s", e.Message)
		}
		return in, webhook.FieldError(webhook.EINVALID, "branding",
			`must be null or an object with name, logo_url and accent`)
	}
	return in, nil
}

func (a *API) listTenants(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := a.cfg.Store.TenantList(r.Context(), store.TenantListParams{
		Search: q.Get("search"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	if page.Tenants == nil {
		page.Tenants = []webhook.Tenant{}
	}
	writeJSON(w, http.StatusOK, list[webhook.Tenant]{Data: page.Tenants, NextCursor: page.Next})
	return nil
}

func (a *API) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := a.cfg.Store.TenantGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) createTenant(w http.ResponseWriter, r *http.Request) error {
	var req tenantRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	t, err := a.cfg.Registry.CreateTenant(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tenants/"+url.PathEscape(t.ID))
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) updateTenant(w http.ResponseWriter, r *http.Request) error {
	var req tenantRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	t, err := a.cfg.Registry.UpdateTenant(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	cascade := false
	if v := r.URL.Query().Get("cascade"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return webhook.ParamError(webhook.EINVALID, "cascade", "must be true or false")
		}
		cascade = b
	}
	if err := a.cfg.Registry.DeleteTenant(r.Context(), r.PathValue("id"), cascade); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
