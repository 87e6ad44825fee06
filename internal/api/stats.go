package api

import (
	"net/http"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/webhook"
)

// --- health over time (stats) ---

// statsQuery reads the since and bucket parameters.
func statsQuery(r *http.Request) (stats.Query, error) {
	return stats.ParseQuery(r.URL.Query().Get("since"), r.URL.Query().Get("bucket"))
}

// serveStats answers the series of sel, the query checked first.
func (a *API) serveStats(w http.ResponseWriter, r *http.Request, sel stats.Selection) error {
	q, err := statsQuery(r)
	if err != nil {
		return err
	}
	s, err := stats.Read(r.Context(), a.cfg.Store, sel, q, a.cfg.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// webhookStats is a webhook's health: 404 when it is missing or another
// tenant's.
func (a *API) webhookStats(w http.ResponseWriter, r *http.Request) error {
	scope := auth.ScopeFrom(r.Context())
	wh, err := a.cfg.Store.WebhookGet(r.Context(), scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return a.serveStats(w, r, stats.Selection{Scope: scope, WebhookID: wh.ID})
}

// tenantStats is a tenant's health, over all its webhooks: an operator's
// for any tenant, a tenant's principal for its own (another tenant is not
// found, as a missing one).
func (a *API) tenantStats(w http.ResponseWriter, r *http.Request) error {
	scope := auth.ScopeFrom(r.Context())
	id := r.PathValue("id")
	if !scope.Allows(id) {
		return webhook.Errorf(webhook.ENOTFOUND, "tenant %q not found", id)
	}
	if _, err := a.cfg.Store.TenantGet(r.Context(), id); err != nil {
		return err
	}
	return a.serveStats(w, r, stats.Selection{Scope: scope, Tenant: id})
}

// serverStats is the whole server's health (operators only).
func (a *API) serverStats(w http.ResponseWriter, r *http.Request) error {
	return a.serveStats(w, r, stats.Selection{Scope: auth.ScopeFrom(r.Context())})
}
