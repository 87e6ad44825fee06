package api

import (
	"net/http"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
)

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	keys, err := a.cfg.Keys.List(r.Context(), p)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []auth.APIKey{}
	}
	writeJSON(w, http.StatusOK, list[auth.APIKey]{Data: keys})
	return nil
}

type keyRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
	Tenant    string     `json:"tenant"`
}

type keyView struct {
	auth.APIKey
	Key string `json:"key"`
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request) error {
	var req keyRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	k, plain, err := a.cfg.Keys.Create(r.Context(), p, auth.CreateParams(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, keyView{APIKey: k, Key: plain})
	return nil
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	if _, err := a.cfg.Keys.Revoke(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := a.cfg.Store.AuditList(r.Context(), store.AuditListParams{
		Scope: auth.ScopeFrom(r.Context()), Target: q.Get("target"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	if page.Entries == nil {
		page.Entries = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, list[audit.Entry]{Data: page.Entries, NextCursor: page.Next})
	return nil
}
