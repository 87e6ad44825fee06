package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type deleteView struct {
	base
	Webhook webhook.Webhook
}

// confirmDeleteWebhook asks before deleting; it is where the list's Delete
// leads, with or without JavaScript.
func (d *Dashboard) confirmDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "webhook_delete", deleteView{base: d.base(r, "Delete "+wh.Name, "webhooks"), Webhook: wh})
	return nil
}

func (d *Dashboard) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := d.cfg.Registry.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, home(r.Context())+"?notice=deleted", http.StatusSeeOther)
	return nil
}
