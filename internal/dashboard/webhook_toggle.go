package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/registry"
)

// toggleWebhook enables or disables a webhook (form field active=true or
// false) and goes back to where the button was.
func (d *Dashboard) toggleWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	active := r.PostForm.Get("active") == "true"
	if _, err := d.cfg.Registry.UpdateWebhook(r.Context(), id, registryActive(active)); err != nil {
		return err
	}
	notice := "disabled"
	if active {
		notice = "enabled"
	}
	back := safeReturn(r.Context(), r.PostForm.Get("return"))
	if back == "" {
		back = link(r.Context(), "/webhooks/"+id)
	}
	http.Redirect(w, r, withNotice(back, notice), http.StatusSeeOther)
	return nil
}

func registryActive(active bool) registry.WebhookInput {
	return registry.WebhookInput{Active: &active}
}
