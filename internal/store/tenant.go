package store

import "github.com/hookline/hookline/internal/webhook"

// ErrUnknownTenant is how every backend refuses work for a tenant that
// has no row when the caller asked it not to create one (the server runs
// with --tenants-strict).
func ErrUnknownTenant(id string) error {
	return webhook.FieldError(webhook.EUNPROCESSABLE, "tenant",
		"unknown tenant %q: this server creates tenants only on request (--tenants-strict); "+
			"create it first with POST /api/v1/tenants", id)
}

// ErrTenantExists is how every backend refuses a second tenant with an ID.
func ErrTenantExists(id string) error {
	return webhook.FieldError(webhook.ECONFLICT, "id", "tenant %q already exists", id)
}

// ErrTenantHasWebhooks is how every backend refuses to delete a tenant that
// still has webhooks without being told to delete them too.
func ErrTenantHasWebhooks(id string, n int) error {
	return webhook.Errorf(webhook.ECONFLICT,
		"tenant %q has %d webhook(s): delete them first, or delete with cascade=true to delete them with it", id, n)
}
