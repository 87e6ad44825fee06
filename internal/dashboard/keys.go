package dashboard

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// maxKeyDays bounds the expiry a key form accepts (ten years).
const maxKeyDays = 3650

// keyForm is the new-key form, as typed.
type keyForm struct {
	Name  string
	Scope string // one of auth.KeyScopes
	// Days is the optional lifetime in days; empty means no expiry.
	Days string
	// Tenant binds the key to one tenant; empty makes a key of every
	// tenant.
	Tenant string
	// Once is this render's one-shot token (formOnce): a second send of
	// the same form makes no second key.
	Once string
}

// keyFormFields maps auth.Create's field names to the form's.
var keyFormFields = map[string]string{"name": "name", "scopes": "scope", "expires_at": "days", "days": "days", "tenant": "tenant"}

func keyFormFrom(r *http.Request) keyForm {
	f := r.PostForm
	return keyForm{Name: f.Get("name"), Scope: f.Get("scope"), Days: strings.TrimSpace(f.Get("days")),
		Tenant: strings.TrimSpace(f.Get("tenant")), Once: f.Get("once")}
}

// params turns the form into auth.Create's input; auth.Create validates
// name and scope, as it does for the REST API. When the form itself has
// problems, auth's checks of the rest are reported with them.
func (f keyForm) params(now time.Time) (auth.CreateParams, error) {
	p := auth.CreateParams{Name: f.Name, Tenant: f.Tenant}
	var v webhook.Validation
	if f.Scope == "" {
		v.Add(webhook.EINVALID, webhook.At("scopes"), "choose admin or publish, or read for a key that only reads")
	} else {
		p.Scopes = []string{f.Scope}
	}
	if f.Days != "" {
		n, err := strconv.Atoi(f.Days)
		if err != nil || n < 1 || n > maxKeyDays {
			v.Add(webhook.EINVALID, webhook.At("days"), "must be a whole number of days from 1 to %d, or empty for no expiry", maxKeyDays)
		} else {
			t := now.UTC().Add(time.Duration(n) * 24 * time.Hour)
			p.ExpiresAt = &t
		}
	}
	if v.Len() > 0 {
		if err := v.Merge(p.Check(now)); err != nil {
			return p, err
		}
	}
	return p, v.Err()
}

// keyRow is a key in the list with its state at the time of the request.
type keyRow struct {
	auth.APIKey
	State string // "active", "revoked" or "expired"
}

func newKeyRow(k auth.APIKey, now time.Time) keyRow {
	row := keyRow{APIKey: k, State: "active"}
	switch {
	case k.RevokedAt != nil:
		row.State = "revoked"
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		row.State = "expired"
	}
	return row
}

type keysView struct {
	base
	Rows   []keyRow
	Form   keyForm
	Errors formErrors
	Error  string
}

// keysView loads the key list, newest first.
func (d *Dashboard) keysView(r *http.Request, f keyForm) (keysView, error) {
	v := keysView{base: d.base(r, "API keys", "keys"), Form: f}
	p, _ := auth.PrincipalFrom(r.Context())
	keys, err := d.cfg.Keys.List(r.Context(), p)
	if err != nil {
		return v, err
	}
	now := d.cfg.Now()
	for _, k := range slices.Backward(keys) {
		v.Rows = append(v.Rows, newKeyRow(k, now))
	}
	return v, nil
}

// keys lists the API keys with a form to create one.
func (d *Dashboard) keys(w http.ResponseWriter, r *http.Request) error {
	v, err := d.keysView(r, keyForm{Scope: auth.ScopePublish, Once: newFormToken()})
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "keys", v)
	return nil
}

type keyCreatedView struct {
	base
	Key auth.APIKey
	// Plaintext is the key itself: on this page only, never stored.
	Plaintext string
}

// createKey makes a key with the REST API's code (auth.Keys) and shows its plaintext
// once, on the answer to the POST itself: it is in no URL, no redirect
// and no later page.
func (d *Dashboard) createKey(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := keyFormFrom(r)
	now := d.cfg.Now()
	if sent, ok := d.keyForms.sent(f.Once, now); ok {
		// The form was sent before (a reload of the answer page): its key
		// exists, and its secret was shown once.
		http.Redirect(w, r, "/keys?notice=key-exists#"+sent.ID, http.StatusSeeOther)
		return nil
	}
	p, err := f.params(now)
	var k auth.APIKey
	var plain string
	if err == nil {
		pr, _ := auth.PrincipalFrom(r.Context())
		k, plain, err = d.cfg.Keys.Create(r.Context(), pr, p)
	}
	if err != nil {
		errs, top, err := keyFieldErrors(err)
		if err != nil {
			return err
		}
		v, err := d.keysView(r, f)
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		v.Form.Once = f.Once // not sent yet: the corrected form may still be
		d.render(w, r, http.StatusUnprocessableEntity, "keys", v)
		return nil
	}
	d.keyForms.record(f.Once, k.ID, now)
	d.render(w, r, http.StatusCreated, "key_created",
		keyCreatedView{base: d.base(r, "API key created", "keys"), Key: k, Plaintext: plain})
	return nil
}

// keyFieldErrors places the problems of auth.Create or the form next to
// the form fields they are about.
func keyFieldErrors(err error) (formErrors, string, error) {
	errs, top, err := fieldErrors(err, slices.Collect(maps.Keys(keyFormFields))...)
	if errs == nil {
		return errs, top, err
	}
	placed := formErrors{}
	for _, field := range slices.Sorted(maps.Keys(errs)) {
		placed.add(keyFormFields[field], errs[field])
	}
	return placed, top, err
}
