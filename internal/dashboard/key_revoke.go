package dashboard

import (
	"context"
	"net/http"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type keyRevokeView struct {
	base
	Key keyRow
}

// findKey returns a key by ID. The store lists keys but has no lookup by
// ID; there are few keys.
func (d *Dashboard) findKey(ctx context.Context, id string) (auth.APIKey, error) {
	keys, err := d.cfg.Store.APIKeyList(ctx)
	if err != nil {
		return auth.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return auth.APIKey{}, webhook.ErrNotFound
}

// confirmRevokeKey asks before revoking; the list's Revoke leads here.
func (d *Dashboard) confirmRevokeKey(w http.ResponseWriter, r *http.Request) error {
	k, err := d.findKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "key_revoke", keyRevokeView{
		base: d.base(r, "Revoke "+k.Name, "keys"), Key: newKeyRow(k, d.cfg.Now()),
	})
	return nil
}

// revokeKey revokes a key, as the REST API does: the key cache forgets it
// and the audit log records who did it. Revoking a revoked key changes and
// records nothing.
func (d *Dashboard) revokeKey(w http.ResponseWriter, r *http.Request) error {
	k, err := d.findKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if k.RevokedAt == nil {
		if err := d.cfg.Store.APIKeyRevoke(r.Context(), k.ID, d.cfg.Now()); err != nil {
			return err
		}
		d.cfg.ForgetKeys()
		d.cfg.Registry.Audit(r.Context(), "key.revoke", k.ID, k.Name)
	}
	http.Redirect(w, r, "/keys?notice=key-revoked", http.StatusSeeOther)
	return nil
}
