package dashboard

import (
	"net/http"
	"net/url"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

type tenantView struct {
	base
	Tenant   webhook.Tenant
	Webhooks []webhookRow
	Form     tenantForm
	Errors   formErrors
	Error    string
	pager
}

// tenantView loads a tenant with a page of its webhooks.
func (d *Dashboard) tenantView(r *http.Request, id string) (tenantView, error) {
	ctx := r.Context()
	t, err := d.cfg.Store.TenantGet(ctx, id)
	if err != nil {
		return tenantView{}, err
	}
	v := tenantView{base: d.base(r, "Tenant "+t.Name, "tenants"), Tenant: t, Form: tenantFormOf(t)}
	cursor := r.URL.Query().Get("cursor")
	page, err := d.cfg.Store.WebhookList(ctx, store.WebhookListParams{Scope: auth.ScopeFrom(ctx), Tenant: t.ID, Cursor: cursor, Limit: pageSize})
	if err != nil {
		return v, err
	}
	for _, wh := range page.Webhooks {
		v.Webhooks = append(v.Webhooks, newWebhookRow(wh))
	}
	v.pager = pageLinks("/tenants/"+url.PathEscape(t.ID), nil, cursor, page.Next)
	return v, nil
}

// tenant shows a tenant, its webhooks and the form to edit it.
func (d *Dashboard) tenant(w http.ResponseWriter, r *http.Request) error {
	v, err := d.tenantView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "tenant", v)
	return nil
}

// updateTenant saves the edit form through the registry.
func (d *Dashboard) updateTenant(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := tenantFormFrom(r)
	in, err := f.input(false)
	if err == nil {
		_, err = d.cfg.Registry.UpdateTenant(r.Context(), id, in)
	}
	if err != nil {
		errs, top, err := tenantFieldErrors(err)
		if err != nil {
			return err
		}
		v, err := d.tenantView(r, id)
		if err != nil {
			return err
		}
		f.ID = v.Tenant.ID
		v.Form, v.Errors, v.Error = f, errs, top
		d.render(w, r, http.StatusUnprocessableEntity, "tenant", v)
		return nil
	}
	http.Redirect(w, r, "/tenants/"+url.PathEscape(id)+"?notice=saved", http.StatusSeeOther)
	return nil
}
