package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// TenantInput is a tenant to create, or with Patch semantics the fields
// to change: nil pointers and a nil Metadata are left alone.
type TenantInput struct {
	ID           *string // create only
	Name         *string // on create, defaults to the ID
	ContactEmail *string // "" removes it
	Branding     BrandingPatch
	// Metadata replaces the whole map when not nil.
	Metadata map[string]string
}

// BrandingPatch changes a tenant's branding when Set: to Value, or with a
// nil Value (JSON null) back to the server's.
type BrandingPatch struct {
	Set   bool
	Value *webhook.Branding
}

// Limits on tenant fields. Metadata's follow Stripe's, which producers
// know: enough for a few IDs and labels, not a document store.
const (
	MaxTenantName    = 200
	MaxContactEmail  = 254
	MaxBrandingName  = webhook.MaxBrandingName
	MaxLogoURL       = webhook.MaxLogoURL
	MaxMetadataKeys  = 50
	MaxMetadataKey   = 40
	MaxMetadataValue = 500
)

// CreateTenant validates in and stores a new tenant.
func (r *Registry) CreateTenant(ctx context.Context, in TenantInput) (webhook.Tenant, error) {
	now := r.cfg.Now().UTC()
	t := webhook.Tenant{Metadata: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	var v webhook.Validation
	switch {
	case in.ID == nil || *in.ID == "":
		v.Add(webhook.EINVALID, webhook.At("id"), "is required: the tenant's ID in your system (letters, digits and _ - . : @)")
	default:
		id, err := ingest.ValidTenant(*in.ID)
		if e, ok := errors.AsType[*webhook.Error](err); ok {
			v.Add(e.Code, webhook.At("id"), "%s", e.Message)
		}
		t.ID = id
	}
	if in.Name == nil {
		t.Name = t.ID
	}
	r.applyTenant(&t, in, &v)
	if err := v.Err(); err != nil {
		return t, err
	}
	if err := r.cfg.Store.TenantCreate(ctx, t); err != nil {
		return t, err
	}
	r.audit(ctx, "tenant.create", t.ID, t.Name)
	return t, nil
}

// UpdateTenant changes the fields set in in.
func (r *Registry) UpdateTenant(ctx context.Context, id string, in TenantInput) (webhook.Tenant, error) {
	t, err := r.cfg.Store.TenantGet(ctx, id)
	if err != nil {
		return t, err
	}
	var v webhook.Validation
	if in.ID != nil && *in.ID != t.ID {
		v.Add(webhook.EINVALID, webhook.At("id"), "cannot be changed: webhooks and events name their tenant by it")
	}
	r.applyTenant(&t, in, &v)
	if err := v.Err(); err != nil {
		return t, err
	}
	t.UpdatedAt = r.cfg.Now().UTC()
	if err := r.cfg.Store.TenantUpdate(ctx, t); err != nil {
		return t, err
	}
	r.audit(ctx, "tenant.update", id, changedTenant(in))
	return t, nil
}

// DeleteTenant deletes a tenant; with cascade its webhooks go too (their
// pending deliveries fail, as when a webhook is deleted), otherwise a
// tenant with webhooks is refused (ECONFLICT).
func (r *Registry) DeleteTenant(ctx context.Context, id string, cascade bool) error {
	deleted, err := r.cfg.Store.TenantDelete(ctx, store.TenantDeleteParams{ID: id, Cascade: cascade, Now: r.cfg.Now().UTC()})
	if err != nil {
		return err
	}
	for _, wid := range deleted {
		r.invalidate(wid)
	}
	detail := "its API keys revoked"
	if len(deleted) > 0 {
		detail = fmt.Sprintf("cascade: deleted %d webhook(s): %s; its API keys revoked", len(deleted), strings.Join(deleted, ", "))
	}
	r.audit(ctx, "tenant.delete", id, detail)
	return nil
}

// tenantKnown refuses a tenant without a row when the server creates
// tenants only on request (Config.TenantsStrict); see TenantCheck.
func (r *Registry) tenantKnown(ctx context.Context, id string) error {
	return TenantCheck(r.cfg.Store, r.cfg.TenantsStrict)(ctx, id)
}

// TenantCheck returns the check a tenant passes before something is bound
// to it (a webhook, an API key): with strict (--tenants-strict) it must
// have a row; otherwise any tenant passes. The default tenant, the one of
// requests that name none (the dashboard's webhook form, `hookline
// listen`, REST Hooks), is always known.
func TenantCheck(st store.TenantStore, strict bool) func(ctx context.Context, id string) error {
	return func(ctx context.Context, id string) error {
		if !strict || id == webhook.DefaultTenant {
			return nil
		}
		_, err := st.TenantGet(ctx, id)
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			return store.ErrUnknownTenant(id)
		}
		return err
	}
}

// applyTenant validates the set fields of in and copies them into t,
// noting every problem in v.
func (r *Registry) applyTenant(t *webhook.Tenant, in TenantInput, v *webhook.Validation) {
	// Not UTF-8: refused before anything reads it (see apply).
	for _, f := range []struct {
		name string
		s    *string
	}{{"name", in.Name}, {"contact_email", in.ContactEmail}} {
		if f.s != nil && !utf8.ValidString(*f.s) {
			v.Add(webhook.EINVALID, webhook.At(f.name), "is not valid UTF-8 text")
			return
		}
	}
	for k, val := range in.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(val) {
			v.Add(webhook.EINVALID, webhook.At("metadata"), "is not valid UTF-8 text")
			return
		}
	}
	if b := in.Branding.Value; in.Branding.Set && b != nil && !(utf8.ValidString(b.Name) && utf8.ValidString(b.LogoURL) && utf8.ValidString(b.Accent)) {
		v.Add(webhook.EINVALID, webhook.At("branding"), "is not valid UTF-8 text")
		return
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if n := utf8.RuneCountInString(name); n < 1 || n > MaxTenantName {
			v.Add(webhook.EINVALID, webhook.At("name"), "must be 1 to %d characters", MaxTenantName)
		}
		t.Name = name
	}
	if in.ContactEmail != nil {
		email := strings.TrimSpace(*in.ContactEmail)
		if email != "" && !validEmail(email) {
			v.Add(webhook.EINVALID, webhook.At("contact_email"), "must be an email address like ops@example.com (or empty for none)")
		}
		t.ContactEmail = email
	}
	if in.Branding.Set {
		t.Branding = checkBranding(in.Branding.Value, v)
	}
	if in.Metadata != nil {
		checkMetadata(in.Metadata, v)
		t.Metadata = in.Metadata
	}
}

func validEmail(s string) bool {
	if len(s) > MaxContactEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// checkBranding returns b to store: nil when it overrides nothing.
func checkBranding(b *webhook.Branding, v *webhook.Validation) *webhook.Branding {
	at := webhook.At("branding")
	if b == nil {
		return nil
	}
	c := b.Clean(v, at)
	if c == (webhook.Branding{}) {
		return nil
	}
	return &c
}

func checkMetadata(m map[string]string, v *webhook.Validation) {
	at := webhook.At("metadata")
	if len(m) > MaxMetadataKeys {
		v.Add(webhook.EINVALID, at, "must have at most %d keys", MaxMetadataKeys)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch {
		case k == "" || utf8.RuneCountInString(k) > MaxMetadataKey:
			v.Add(webhook.EINVALID, at, "keys must be 1 to %d characters (%q is not)", MaxMetadataKey, k)
		case utf8.RuneCountInString(m[k]) > MaxMetadataValue:
			v.Add(webhook.EINVALID, at.Key(k), "must be at most %d characters", MaxMetadataValue)
		}
	}
}

func changedTenant(in TenantInput) string {
	var f []string
	add := func(set bool, name string) {
		if set {
			f = append(f, name)
		}
	}
	add(in.Name != nil, "name")
	add(in.ContactEmail != nil, "contact_email")
	add(in.Branding.Set, "branding")
	add(in.Metadata != nil, "metadata")
	return strings.Join(f, ", ")
}
