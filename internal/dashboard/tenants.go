package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

type tenantsView struct {
	base
	Rows   []webhook.Tenant
	Q      string
	Form   tenantForm
	Errors formErrors
	Error  string
	pager
}

// tenantsView loads a page of the tenant list, searched by ?q=.
func (d *Dashboard) tenantsView(r *http.Request, f tenantForm) (tenantsView, error) {
	q := r.URL.Query()
	v := tenantsView{base: d.base(r, "Tenants", "tenants"), Q: truncate(strings.TrimSpace(q.Get("q")), 200), Form: f}
	cursor := q.Get("cursor")
	page, err := d.cfg.Store.TenantList(r.Context(), store.TenantListParams{Search: v.Q, Cursor: cursor, Limit: pageSize})
	if err != nil {
		return v, err
	}
	v.Rows = page.Tenants
	filters := url.Values{}
	if v.Q != "" {
		filters.Set("q", v.Q)
	}
	v.pager = pageLinks("/tenants", filters, cursor, page.Next)
	return v, nil
}

// tenants lists the tenants with their webhook counts, and a form to add
// one.
func (d *Dashboard) tenants(w http.ResponseWriter, r *http.Request) error {
	v, err := d.tenantsView(r, tenantForm{})
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "tenants", v)
	return nil
}

// createTenant adds a tenant with the REST API's code (the registry).
func (d *Dashboard) createTenant(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := tenantFormFrom(r)
	in, err := f.input(true)
	var t webhook.Tenant
	if err == nil {
		t, err = d.cfg.Registry.CreateTenant(r.Context(), in)
	}
	if err != nil {
		errs, top, err := tenantFieldErrors(err)
		if err != nil {
			return err
		}
		v, err := d.tenantsView(r, f)
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		d.render(w, r, http.StatusUnprocessableEntity, "tenants", v)
		return nil
	}
	http.Redirect(w, r, "/tenants/"+url.PathEscape(t.ID)+"?notice=tenant-created", http.StatusSeeOther)
	return nil
}
