package dashboard

import (
	"errors"
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
	Scope string // auth.ScopeAdmin or auth.ScopePublish
	// Days is the optional lifetime in days; empty means no expiry.
	Days string
}

// keyFormFields maps auth.Create's field names to the form's.
var keyFormFields = map[string]string{"name": "name", "scopes": "scope", "expires_at": "days", "days": "days"}

func keyFormFrom(r *http.Request) keyForm {
	f := r.PostForm
	return keyForm{Name: f.Get("name"), Scope: f.Get("scope"), Days: strings.TrimSpace(f.Get("days"))}
}

// params turns the form into auth.Create's input; auth.Create validates
// name and scope, as it does for the REST API.
func (f keyForm) params(now time.Time) (auth.CreateParams, error) {
	p := auth.CreateParams{Name: f.Name}
	if f.Scope == "" {
		return p, webhook.FieldError(webhook.EINVALID, "scopes", "choose admin or publish")
	}
	p.Scopes = []string{f.Scope}
	if f.Days != "" {
		n, err := strconv.Atoi(f.Days)
		if err != nil || n < 1 || n > maxKeyDays {
			return p, webhook.FieldError(webhook.EINVALID, "days", "must be a whole number of days from 1 to %d, or empty for no expiry", maxKeyDays)
		}
		t := now.UTC().Add(time.Duration(n) * 24 * time.Hour)
		p.ExpiresAt = &t
	}
	return p, nil
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
	keys, err := d.cfg.Keys.List(r.Context())
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
	v, err := d.keysView(r, keyForm{Scope: auth.ScopePublish})
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
		d.render(w, r, http.StatusUnprocessableEntity, "keys", v)
		return nil
	}
	d.render(w, r, http.StatusCreated, "key_created",
		keyCreatedView{base: d.base(r, "API key created", "keys"), Key: k, Plaintext: plain})
	return nil
}

// keyFieldErrors places an error from auth.Create or the form next to the
// form field it is about.
func keyFieldErrors(err error) (formErrors, string, error) {
	if e, ok := errors.AsType[*webhook.Error](err); ok {
		if f, ok := keyFormFields[e.Field]; ok && f != e.Field {
			c := *e
			c.Field = f
			err = &c
		}
	}
	return fieldErrors(err, "name", "scope", "days")
}
