package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"time"
)

// Tenant is one of your customers: the owner of the webhooks, events and
// deliveries whose Tenant is its ID. Publishing an event or creating a
// webhook for an unknown tenant creates it, named after its ID, unless
// the server runs with --tenants-strict.
type Tenant struct {
	// ID is your own customer ID; it cannot be changed.
	ID   string `json:"id"`
	Name string `json:"name"`
	// ContactEmail is who hears about the tenant's failing endpoints; ""
	// when none.
	ContactEmail string `json:"contact_email"`
	// Branding overrides the server's look on pages shown to the tenant;
	// nil keeps the server's.
	Branding *Branding `json:"branding"`
	// Metadata is yours: Hookline stores it and never reads it.
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	// Webhooks counts the tenant's webhooks; FailingWebhooks the active
	// ones whose every attempt since their last success failed.
	Webhooks        int64 `json:"webhooks"`
	FailingWebhooks int64 `json:"failing_webhooks"`
}

// Branding is how pages shown to a tenant look; each set field overrides
// the server's.
type Branding struct {
	Name    string `json:"name,omitempty"`
	LogoURL string `json:"logo_url,omitempty"`
	// Accent is a CSS hex colour, e.g. "#0a7d5a".
	Accent string `json:"accent,omitempty"`
}

// TenantListParams filters and pages GET /api/v1/tenants.
type TenantListParams struct {
	// Search keeps tenants whose ID or name contains it, ignoring case.
	Search string
	// Limit is the page size, 1 to 1000; the server's default (50) when 0.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// TenantCreateParams is a tenant to create. Only ID is required; Name
// defaults to it.
type TenantCreateParams struct {
	ID           string            `json:"id"`
	Name         string            `json:"name,omitempty"`
	ContactEmail string            `json:"contact_email,omitempty"`
	Branding     *Branding         `json:"branding,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

// TenantUpdateParams are the fields to change: nil ones are left alone.
type TenantUpdateParams struct {
	Name *string `json:"name,omitempty"`
	// ContactEmail set to "" removes it.
	ContactEmail *string `json:"contact_email,omitempty"`
	// Branding replaces the branding when not nil.
	Branding *Branding `json:"branding,omitempty"`
	// RemoveBranding gives the tenant the server's look back.
	RemoveBranding bool `json:"-"`
	// Metadata replaces the whole map when not nil; an empty map removes
	// every key.
	Metadata map[string]string `json:"metadata"`
}

// MarshalJSON sends "branding": null for RemoveBranding.
func (p TenantUpdateParams) MarshalJSON() ([]byte, error) {
	type plain TenantUpdateParams
	b, err := json.Marshal(plain(p))
	if err != nil || !p.RemoveBranding {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["branding"] = json.RawMessage("null")
	return json.Marshal(m)
}

// TenantDeleteParams says whether a tenant's webhooks go with it.
type TenantDeleteParams struct {
	// Cascade deletes the tenant's webhooks too (their pending deliveries
	// end as failed); without it a tenant with webhooks IsConflict.
	Cascade bool
}

// TenantList returns one page of tenants in ID order, with their counts.
// TenantListAll follows the cursors.
//
// GET /api/v1/tenants (admin).
func (c *Client) TenantList(ctx context.Context, p TenantListParams) (*Page[Tenant], error) {
	q := url.Values{}
	setQuery(q, "search", p.Search)
	setLimit(q, p.Limit)
	setQuery(q, "cursor", p.Cursor)
	var page Page[Tenant]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/tenants", query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// TenantListAll yields every tenant matching p, following the cursors. It
// stops at the first error, which it yields with a zero Tenant.
func (c *Client) TenantListAll(ctx context.Context, p TenantListParams) iter.Seq2[Tenant, error] {
	return listAll(p.Cursor, func(cursor string) (*Page[Tenant], error) {
		p.Cursor = cursor
		return c.TenantList(ctx, p)
	})
}

// TenantGet returns one tenant with its counts.
//
// GET /api/v1/tenants/{id} (admin); IsNotFound for an unknown ID.
func (c *Client) TenantGet(ctx context.Context, id string) (*Tenant, error) {
	var t Tenant
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/tenants/%s", id)}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// TenantCreate creates a tenant.
//
// POST /api/v1/tenants (admin); IsConflict when the ID is taken, IsInvalid
// with the *Error's Field set for a bad field.
func (c *Client) TenantCreate(ctx context.Context, p TenantCreateParams) (*Tenant, error) {
	var t Tenant
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/tenants", body: p}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// TenantUpdate changes the fields set in p and returns the tenant as
// stored.
//
// PATCH /api/v1/tenants/{id} (admin).
func (c *Client) TenantUpdate(ctx context.Context, id string, p TenantUpdateParams) (*Tenant, error) {
	var t Tenant
	if err := c.do(ctx, request{method: "PATCH", path: pathf("/api/v1/tenants/%s", id), body: p}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// TenantDelete deletes a tenant; see TenantDeleteParams.Cascade.
//
// DELETE /api/v1/tenants/{id} (admin); IsNotFound for an unknown ID,
// IsConflict while it has webhooks and Cascade is not set.
func (c *Client) TenantDelete(ctx context.Context, id string, p TenantDeleteParams) error {
	q := url.Values{}
	if p.Cascade {
		q.Set("cascade", "true")
	}
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/tenants/%s", id), query: q}, nil)
}

// PortalSessionParams says what a customer-portal link opens; every field
// is optional.
type PortalSessionParams struct {
	// TTL is how long the session lasts once the link is opened, a Go
	// duration from "1m" to "12h"; "" means one hour.
	TTL string `json:"ttl,omitempty"`
	// ReadOnly sessions see everything and change nothing.
	ReadOnly bool `json:"read_only,omitempty"`
	// ReturnURL is where the portal links back to in your application; its
	// origin must be one of the server's --portal-allowed-origins.
	ReturnURL string `json:"return_url,omitempty"`
	// EventTypes limit what the session may subscribe webhooks to: exact
	// slugs or prefix globs such as "payment_*"; none means every type.
	EventTypes []string `json:"event_types,omitempty"`
}

// PortalSession is a magic link into the customer portal.
type PortalSession struct {
	// URL opens the portal for the tenant, once.
	URL string `json:"url"`
	// ExpiresAt is until when the link can be opened (15 minutes).
	ExpiresAt time.Time `json:"expires_at"`
}

// PortalSessionCreate mints a magic link into the customer portal for
// tenant id.
//
// POST /api/v1/tenants/{id}/portal-sessions (admin); IsNotFound for an
// unknown tenant, IsInvalid for a bad TTL or event type, and a 422 *Error
// with Field "return_url" for a return URL on an origin not allowed.
func (c *Client) PortalSessionCreate(ctx context.Context, id string, p PortalSessionParams) (*PortalSession, error) {
	var s PortalSession
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/tenants/%s/portal-sessions", id), body: p}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
