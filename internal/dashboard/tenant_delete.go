package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/webhook"
)

type tenantDeleteView struct {
	base
	Tenant webhook.Tenant
}

// confirmDeleteTenant asks before deleting, and for a tenant with
// webhooks says that they go too.
func (d *Dashboard) confirmDeleteTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := d.cfg.Store.TenantGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "tenant_delete", tenantDeleteView{base: d.base(r, "Delete "+t.Name, "tenants"), Tenant: t})
	return nil
}

// deleteTenant deletes the tenant; its webhooks only when the form says
// so (the confirmation page sends cascade for a tenant that has some), so
// a page that was stale about them gets the registry's refusal.
func (d *Dashboard) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := d.cfg.Registry.DeleteTenant(r.Context(), r.PathValue("id"), r.PostForm.Get("cascade") == "true"); err != nil {
		return err
	}
	http.Redirect(w, r, "/tenants?notice=tenant-deleted", http.StatusSeeOther)
	return nil
}
