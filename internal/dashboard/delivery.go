package dashboard

import (
	"net/http"
	"net/url"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type deliveryView struct {
	base
	Delivery   deliveryRow
	Webhook    webhook.Webhook
	HasWebhook bool
	Event      webhook.Event
	HasEvent   bool
}

// delivery shows one delivery with every attempt.
func (d *Dashboard) delivery(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	dl, err := d.cfg.Store.DeliveryGet(ctx, auth.ScopeFrom(ctx), r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := d.deliveryRows(ctx, []webhook.Delivery{dl})
	if err != nil {
		return err
	}
	v := deliveryView{base: d.base(r, "Delivery "+dl.ID, "events"), Delivery: rows[0]}
	if wh, err := d.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), dl.WebhookID); err == nil {
		v.Webhook, v.HasWebhook = wh, true
	} else if webhook.ErrorCode(err) != webhook.ENOTFOUND {
		return err
	}
	if ev, err := d.cfg.Store.EventGet(ctx, auth.ScopeFrom(ctx), dl.EventID); err == nil {
		v.Event, v.HasEvent = ev, true
	} else if webhook.ErrorCode(err) != webhook.ENOTFOUND {
		return err
	}
	d.render(w, r, http.StatusOK, "delivery", v)
	return nil
}

// retryDelivery makes a delivery due now, whatever its state, and goes
// back to the page the button was on.
func (d *Dashboard) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := d.cfg.Registry.Retry(r.Context(), id); err != nil {
		return err
	}
	d.cfg.Wake()
	back := safeReturn(r.Context(), r.PostForm.Get("return"))
	if back == "" {
		back = link(r.Context(), "/deliveries/"+id)
	}
	http.Redirect(w, r, withNotice(back, "retried"), http.StatusSeeOther)
	return nil
}

// withNotice sets ?notice= on a local path, keeping any #fragment.
func withNotice(path, notice string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/?notice=" + notice
	}
	q := u.Query()
	q.Del("n")
	q.Set("notice", notice)
	u.RawQuery = q.Encode()
	return u.String()
}
