package dashboard

import (
	"net/http"

	"github.com/hookline/hookline/internal/auth"
)

type keyRevokeView struct {
	base
	Key keyRow
}

// confirmRevokeKey asks before revoking; the list's Revoke leads here.
func (d *Dashboard) confirmRevokeKey(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	k, err := d.cfg.Keys.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "key_revoke", keyRevokeView{
		base: d.base(r, "Revoke "+k.Name, "keys"), Key: newKeyRow(k, d.cfg.Now()),
	})
	return nil
}

// revokeKey revokes a key with the REST API's code (auth.Keys): the key
// cache forgets it and the audit log records who did it. Revoking a
// revoked key changes and records nothing.
func (d *Dashboard) revokeKey(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	if _, err := d.cfg.Keys.Revoke(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/keys?notice=key-revoked", http.StatusSeeOther)
	return nil
}
