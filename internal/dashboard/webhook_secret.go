package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/auth"
)

// revealSecret shows the signing secrets (current, and the previous one
// during a rotation overlap). Revealing is a POST so that a secret never
// sits in a URL, a history entry or a prefetched page.
func (d *Dashboard) revealSecret(w http.ResponseWriter, r *http.Request) error {
	return d.showSecret(w, r, false)
}

// rotateSecret makes a new current secret; the old one keeps signing for
// the rotation overlap.
func (d *Dashboard) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := d.cfg.Registry.RotateSecret(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return d.showSecret(w, r, true)
}

func (d *Dashboard) showSecret(w http.ResponseWriter, r *http.Request, rotated bool) error {
	id := r.PathValue("id")
	wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	secrets, err := d.cfg.Registry.Secrets(r.Context(), id)
	if err != nil {
		return err
	}
	st := secretState{Revealed: true, Rotated: rotated, Secrets: secrets}
	if isFragment(r) {
		d.renderFragment(w, r, http.StatusOK, "webhook_edit", "secret-box", struct {
			surface
			Webhook any
			Secret  secretState
		}{surfaceOf(r.Context()), wh, st})
		return nil
	}
	v, err := d.editView(r, wh, formFromWebhook(wh))
	if err != nil {
		return err
	}
	v.Secret = st
	d.render(w, r, http.StatusOK, "webhook_edit", v)
	return nil
}
