package auth

import (
	"context"
	"slices"

	"github.com/hookline/hookline/internal/webhook"
)

// Kind is what a principal authenticated as.
type Kind string

// Kinds of principal.
const (
	// KindSystem is Hookline itself, or an operator with direct access to
	// its database (the command line's keys and admin commands).
	KindSystem Kind = "system"
	// KindUser is a signed-in dashboard account.
	KindUser Kind = "user"
	// KindAPIKey is a request with an API key.
	KindAPIKey Kind = "key"
	// KindPortal is a tenant in the customer portal, signed in by a
	// magic link (PortalPrincipal).
	KindPortal Kind = "portal"
)

// Principal is who is acting: every authenticated request carries one in
// its context (WithPrincipal), and handlers, services and the audit log
// take it from there.
type Principal struct {
	Kind Kind
	// ID identifies the principal within its kind: the key's ID, the
	// username.
	ID string
	// Name is what people call it: the key's name, the username.
	Name string
	// Scopes are the API key scopes it holds (what it may do): a user
	// those of its Role (RoleScopes), the system ScopeOwner.
	Scopes []string
	// Role is a dashboard user's role; "" for every other kind.
	Role Role
	// Scope is the tenants it may act on.
	Scope Scope
	// ReadOnly is a principal that may look but change nothing: a
	// read-only portal session, a viewer.
	ReadOnly bool
	// EventTypes limit what a portal session may subscribe webhooks to:
	// exact slugs or prefix globs ("payment_*"); none means any.
	EventTypes []string
	// key is the API key a KindAPIKey principal presented.
	key APIKey
}

// System is Hookline acting on its own or for an operator at the command
// line: every scope, every tenant.
func System() Principal {
	return Principal{Kind: KindSystem, Scopes: []string{ScopeOwner}, Scope: AllTenants()}
}

// UserPrincipal is a signed-in dashboard user with its role. Dashboard
// users act on every tenant; what they may do is their role's
// (RoleScopes), and a viewer is ReadOnly.
func UserPrincipal(username string, role Role) Principal {
	return Principal{Kind: KindUser, ID: username, Name: username, Role: role, Scopes: RoleScopes(role),
		Scope: AllTenants(), ReadOnly: !role.MayChange()}
}

// KeyPrincipal is a request made with API key k: a key bound to a tenant
// acts on that tenant only, any other on every tenant.
func KeyPrincipal(k APIKey) Principal {
	scope := AllTenants()
	if k.Tenant != "" {
		scope = TenantScope(k.Tenant)
	}
	return Principal{Kind: KindAPIKey, ID: k.ID, Name: k.Name, Scopes: k.Scopes, Scope: scope, key: k}
}

// Key returns the API key a KindAPIKey principal presented.
func (p Principal) Key() (APIKey, bool) { return p.key, p.Kind == KindAPIKey }

// Can reports whether p holds an API key scope; ScopeOwner holds them
// all, ScopeAdmin all but ScopeOwner.
func (p Principal) Can(scope string) bool { return hasScope(p.Scopes, scope) }

// Tenant is the one tenant p acts for, or "" when it acts for every
// tenant (operators, keys of every tenant).
func (p Principal) Tenant() string { return p.Scope.Tenant() }

// Actor is p as the audit log names it: "key:<id> (<name>)",
// "user:<name>", "portal:<tenant>", or "system". A zero Principal (no one authenticated, as
// in background work) is "system" too.
func (p Principal) Actor() string {
	switch p.Kind {
	case KindAPIKey:
		return "key:" + p.ID + " (" + p.Name + ")"
	case KindUser:
		return "user:" + p.Name
	case KindPortal:
		return "portal:" + p.Scope.Tenant()
	}
	return "system"
}

// Allows reports whether key k may use an endpoint needing scope.
func Allows(k APIKey, scope string) bool { return hasScope(k.Scopes, scope) }

func hasScope(scopes []string, need string) bool {
	switch {
	case slices.Contains(scopes, need), slices.Contains(scopes, ScopeOwner):
		return true
	}
	return need != ScopeOwner && slices.Contains(scopes, ScopeAdmin)
}

// Scope is the tenants a principal may act on: all of them, or exactly
// one. The zero Scope allows none, so a principal nobody gave a scope can
// reach nothing.
type Scope struct {
	all    bool
	tenant string
}

// AllTenants is the scope of administrators and API keys.
func AllTenants() Scope { return Scope{all: true} }

// TenantScope is the scope of one tenant's principal.
func TenantScope(tenant string) Scope { return Scope{tenant: tenant} }

// All reports whether s covers every tenant.
func (s Scope) All() bool { return s.all }

// Tenant is the one tenant of s, or "" when it covers all or none.
func (s Scope) Tenant() string {
	if s.all {
		return ""
	}
	return s.tenant
}

// Allows reports whether s covers tenant.
func (s Scope) Allows(tenant string) bool { return s.all || (s.tenant != "" && s.tenant == tenant) }

// Covers reports whether s reaches at least every tenant that o reaches:
// what a principal may hand on (a key it mints) must not reach further
// than itself.
func (s Scope) Covers(o Scope) bool {
	switch {
	case s.all:
		return true
	case o.all:
		return false
	}
	return o.tenant == "" || s.Allows(o.tenant)
}

// Assign returns the tenant that a new row (a webhook, an event) asked
// for tenant goes to under s. Every tenant's principal may name any
// tenant ("" stays "": the caller's default); a tenant's principal writes
// to its own tenant, whether it names it or not, and naming another is
// refused (EFORBIDDEN), so that it learns it cannot rather than
// publishing somewhere unseen.
func (s Scope) Assign(tenant string) (string, error) {
	switch {
	case s.all:
		return tenant, nil
	case s.tenant == "":
		return "", webhook.Errorf(webhook.EFORBIDDEN, "this request may act on no tenant")
	case tenant != "" && tenant != s.tenant:
		return "", webhook.Errorf(webhook.EFORBIDDEN,
			"this API key belongs to tenant %q and cannot act on tenant %q (leave tenant out, or use %q)",
			s.tenant, tenant, s.tenant)
	}
	return s.tenant, nil
}

// String describes s for logs and error messages.
func (s Scope) String() string {
	switch {
	case s.all:
		return "all tenants"
	case s.tenant != "":
		return "tenant " + s.tenant
	}
	return "no tenant"
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, the one who makes the request.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx. Without one it returns the
// zero Principal, which may do nothing and is audited as "system".
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ScopeFrom returns the tenant scope of ctx's principal: what store reads
// and writes by ID are limited to on its behalf. Without a principal it
// is the zero Scope, which reaches no tenant.
func ScopeFrom(ctx context.Context) Scope {
	p, _ := PrincipalFrom(ctx)
	return p.Scope
}
