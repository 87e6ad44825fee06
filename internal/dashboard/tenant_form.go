package dashboard

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// tenantForm is the tenant form (new and edit), as typed.
type tenantForm struct {
	ID           string
	Name         string
	ContactEmail string
	BrandName    string
	BrandLogoURL string
	BrandAccent  string
	// Metadata is one KEY=VALUE per line.
	Metadata string
}

func tenantFormFrom(r *http.Request) tenantForm {
	f := r.PostForm
	return tenantForm{ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), ContactEmail: f.Get("contact_email"),
		BrandName: f.Get("brand_name"), BrandLogoURL: f.Get("brand_logo_url"), BrandAccent: f.Get("brand_accent"),
		Metadata: f.Get("metadata")}
}

// tenantFormOf fills the edit form with a stored tenant.
func tenantFormOf(t webhook.Tenant) tenantForm {
	f := tenantForm{ID: t.ID, Name: t.Name, ContactEmail: t.ContactEmail}
	if b := t.Branding; b != nil {
		f.BrandName, f.BrandLogoURL, f.BrandAccent = b.Name, b.LogoURL, b.Accent
	}
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(t.Metadata)) {
		lines = append(lines, k+"="+t.Metadata[k])
	}
	f.Metadata = strings.Join(lines, "\n")
	return f
}

// input turns the form into the registry's input: every field is set, as
// the form shows them all. The registry validates them, as it does for
// the REST API; only the metadata lines are read here.
func (f tenantForm) input(create bool) (registry.TenantInput, error) {
	in := registry.TenantInput{Name: &f.Name, ContactEmail: &f.ContactEmail, Metadata: map[string]string{}}
	if create {
		in.ID = &f.ID
		if strings.TrimSpace(f.Name) == "" {
			in.Name = nil // named after its ID
		}
	}
	in.Branding.Set = true
	if b := (webhook.Branding{Name: f.BrandName, LogoURL: f.BrandLogoURL, Accent: f.BrandAccent}); b != (webhook.Branding{}) {
		in.Branding.Value = &b
	}
	for i, line := range strings.Split(strings.ReplaceAll(f.Metadata, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return in, webhook.FieldError(webhook.EINVALID, "metadata", "line %d: write KEY=VALUE", i+1)
		}
		in.Metadata[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return in, nil
}

// tenantFormFields maps the registry's field names to the form's.
var tenantFormFields = map[string]string{
	"id": "id", "name": "name", "contact_email": "contact_email", "metadata": "metadata",
	"branding": "brand_name", "branding.name": "brand_name", "branding.logo_url": "brand_logo_url",
	"branding.accent": "brand_accent",
}

// tenantFieldErrors places every problem of a registry or form error next
// to its field: a metadata key's problem next to the metadata box, named.
func tenantFieldErrors(err error) (formErrors, string, error) {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok || e.Code == webhook.EINTERNAL || e.Code == webhook.EUNAVAILABLE || e.Code == webhook.ENOTFOUND {
		return nil, "", err
	}
	problems := e.Problems()
	if len(problems) == 0 {
		return nil, e.Message, nil
	}
	var errs formErrors
	var top []string
	for _, p := range problems {
		field, msg := tenantFormFields[p.Field], p.Message
		if key, ok := strings.CutPrefix(p.Field, "metadata."); ok {
			field, msg = "metadata", key+": "+p.Message
		}
		if field == "" {
			top = append(top, p.Field+": "+p.Message)
			continue
		}
		if errs == nil {
			errs = formErrors{}
		}
		errs.add(field, msg)
	}
	return errs, strings.Join(top, "; "), nil
}

// tenantFormView is what the "tenant-form" template shows: the form, its
// errors, and whether it edits a stored tenant (whose ID is fixed).
type tenantFormView struct {
	Form   tenantForm
	Errors formErrors
	Error  string
	Edit   bool
}

// FormView is the add form of the tenants page.
func (v tenantsView) FormView() tenantFormView {
	return tenantFormView{Form: v.Form, Errors: v.Errors, Error: v.Error}
}

// FormView is the edit form of a tenant's page.
func (v tenantView) FormView() tenantFormView {
	return tenantFormView{Form: v.Form, Errors: v.Errors, Error: v.Error, Edit: true}
}
