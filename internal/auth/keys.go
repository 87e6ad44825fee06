package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/webhook"
)

// KeyPrefix starts every API key. A key is "hkl_" + 43 base64url
// characters (256 random bits); the recognisable prefix lets secret
// scanners find leaked keys. Only a SHA-256 hash is stored: the key's
// entropy makes a slow hash unnecessary, and a hash lookup keeps
// per-request cost to one index read.
const KeyPrefix = "hkl_"

// PrefixAPIKey starts every API key's ID (not the key itself).
const PrefixAPIKey = "key_"

// API key scopes: what a key may do. Not to be confused with Scope, which
// says which tenants a principal may act on.
const (
	// ScopeOwner allows everything, managing dashboard accounts included:
	// what an owner may do. Only an owner (or the command line on the
	// database) can make a key with it.
	ScopeOwner = "owner"
	// ScopeAdmin allows everything but managing dashboard accounts.
	ScopeAdmin = "admin"
	// ScopePublish allows publishing events.
	ScopePublish = "publish"
	// ScopeRead allows reading (GET and HEAD) everything its key's tenant
	// scope reaches, except webhooks' signing secrets.
	ScopeRead = "read"
)

// KeyScopes are the scopes a key may hold.
var KeyScopes = []string{ScopeOwner, ScopeAdmin, ScopePublish, ScopeRead}

// APIKey is a credential for the REST API. Only its hash is stored.
type APIKey struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// Tenant is the one tenant the key acts on; empty for a key of every
	// tenant (the operator's).
	Tenant     string     `json:"tenant,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// KeyStore is where API keys are kept.
type KeyStore interface {
	APIKeyCreate(ctx context.Context, k APIKey, hash []byte) error
	// APIKeyByHash returns the key with that hash, revoked and expired
	// ones too.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// APIKeyList returns the keys within scope: all of them for every
	// tenant, a tenant's own keys for a tenant (never the keys of every
	// tenant).
	APIKeyList(ctx context.Context, scope Scope) ([]APIKey, error)
	// APIKeyRevoke marks a key within scope revoked at now; the first
	// revocation time sticks. ENOTFOUND when there is no such key in scope.
	APIKeyRevoke(ctx context.Context, scope Scope, id string, now time.Time) error
	APIKeyTouch(ctx context.Context, id string, now time.Time) error
}

// Hash returns the stored form of an API key or a session token: their
// 256 random bits make a slow hash unnecessary.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// NewKey returns a new random key.
func NewKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateParams describe a key to create.
type CreateParams struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
	// Tenant binds the key to one tenant; "" makes a key of every tenant.
	Tenant string
}

// Check reports every problem with p that Create refuses, storing
// nothing: surfaces that read part of the input themselves (the
// dashboard's form) report their own problems together with these.
func (p CreateParams) Check(now time.Time) error {
	var v webhook.Validation
	if name := strings.TrimSpace(p.Name); name == "" || utf8.RuneCountInString(name) > 200 {
		v.Add(webhook.EINVALID, webhook.At("name"), "must be 1 to 200 characters")
	}
	for i, sc := range p.Scopes {
		if !slices.Contains(KeyScopes, sc) {
			// The pointer is the item; the field has always named the list.
			at := webhook.Loc{Field: "scopes", Pointer: webhook.At("scopes").Index(i).Pointer}
			v.Add(webhook.EINVALID, at, "unknown scope %q (use owner, admin, publish or read)", sc)
		}
	}
	if p.Tenant != "" && slices.Contains(p.Scopes, ScopeOwner) {
		v.Add(webhook.EUNPROCESSABLE, webhook.At("scopes"),
			"the owner scope manages dashboard users, who belong to no tenant: a tenant's key cannot hold it")
	}
	if p.Tenant != "" {
		// The default tenant is the operator's: Hookline's own
		// notifications (hookline.*) name every tenant's webhooks and go
		// there, so no key may be bound to it alone.
		if p.Tenant == webhook.DefaultTenant {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("tenant"),
				"%q is the operator's tenant; leave tenant out for a key of every tenant", webhook.DefaultTenant)
		} else if err := v.Merge(webhook.CheckTenant(p.Tenant)); err != nil {
			return err
		}
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
		v.Add(webhook.EINVALID, webhook.At("expires_at"), "must be in the future")
	}
	return v.Err()
}

// Create makes and stores a new key and returns it with its plaintext,
// which is never stored or shown again. It records nothing in the audit
// log: the surfaces use Keys.Create, which does; Create alone is for
// bootstrapping (tests, first keys).
func Create(ctx context.Context, s KeyStore, p CreateParams, now time.Time) (APIKey, string, error) {
	if err := p.Check(now); err != nil {
		return APIKey{}, "", err
	}
	name := strings.TrimSpace(p.Name)
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = []string{ScopeAdmin}
	}
	key := NewKey()
	k := APIKey{
		ID: webhook.NewID(PrefixAPIKey), Name: name, Prefix: key[:len(KeyPrefix)+6],
		Scopes: scopes, Tenant: p.Tenant, CreatedAt: now.UTC(), ExpiresAt: p.ExpiresAt,
	}
	if err := s.APIKeyCreate(ctx, k, Hash(key)); err != nil {
		return APIKey{}, "", err
	}
	return k, key, nil
}

// FromRequest extracts a presented key: "Authorization: Bearer KEY", HTTP
// Basic with the key as user name (what Zapier-style platforms let users
// configure), or "X-API-Key: KEY".
func FromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme name is case-insensitive (RFC 9110 section 11.1).
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		if u, _, ok := r.BasicAuth(); ok {
			return u
		}
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// KeysConfig configures Keys.
type KeysConfig struct {
	Store KeyStore
	// Audit is where creations and revocations are recorded.
	Audit audit.Store
	// Forget is called after a revocation so that this process's key
	// cache (Authenticator.Forget) refuses the key at once; nil when there
	// is no cache (the command line).
	Forget func()
	// TenantKnown, when set, is asked before a key is bound to a tenant:
	// an error refuses the key (a server that creates tenants only on
	// request, --tenants-strict, refuses unknown ones).
	TenantKnown func(ctx context.Context, tenant string) error
	Now         func() time.Time
	Logger      *slog.Logger
}

// Keys creates and revokes API keys for a principal and records both in
// the audit log. It is the one implementation behind the REST API, the
// dashboard and the command line.
type Keys struct {
	cfg      KeysConfig
	recorder *audit.Recorder
}

// NewKeys returns Keys; Store and Audit are required.
func NewKeys(cfg KeysConfig) *Keys {
	if cfg.Forget == nil {
		cfg.Forget = func() {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Keys{cfg: cfg, recorder: audit.NewRecorder(cfg.Audit, cfg.Now, cfg.Logger)}
}

// errKeysForbidden refuses key management to a principal without the
// admin scope.
var errKeysForbidden = &webhook.Error{Code: webhook.EFORBIDDEN,
	Message: "managing API keys needs the admin scope"}

// List returns the keys within p's tenant scope, revoked and expired ones
// too, oldest first.
func (ks *Keys) List(ctx context.Context, p Principal) ([]APIKey, error) {
	if !p.Can(ScopeAdmin) {
		return nil, errKeysForbidden
	}
	return ks.cfg.Store.APIKeyList(ctx, p.Scope)
}

// Get returns the key with that ID within p's tenant scope. The store has
// no lookup by ID, as nothing on the request path needs one; there are
// few keys.
func (ks *Keys) Get(ctx context.Context, p Principal, id string) (APIKey, error) {
	keys, err := ks.List(ctx, p)
	if err != nil {
		return APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return APIKey{}, &webhook.Error{Code: webhook.ENOTFOUND, Message: "API key not found"}
}

// Create makes a key for p (see the Create function) and records
// key.create. No principal mints a key that reaches further than itself:
// a tenant's principal makes keys of its own tenant only (with no tenant
// given, of its tenant), and every scope of the new key must be one p
// holds.
func (ks *Keys) Create(ctx context.Context, p Principal, params CreateParams) (APIKey, string, error) {
	if !p.Can(ScopeAdmin) {
		return APIKey{}, "", errKeysForbidden
	}
	want := AllTenants()
	if params.Tenant != "" {
		want = TenantScope(params.Tenant)
	} else if !p.Scope.All() {
		params.Tenant, want = p.Scope.Tenant(), p.Scope
	}
	if !p.Scope.Covers(want) {
		return APIKey{}, "", webhook.Errorf(webhook.EFORBIDDEN,
			"a key of %s cannot make a key of %s", p.Scope, want)
	}
	for _, sc := range params.Scopes {
		if !p.Can(sc) {
			return APIKey{}, "", webhook.Errorf(webhook.EFORBIDDEN,
				"a key with scopes %v cannot make a key with scope %q", p.Scopes, sc)
		}
	}
	if params.Tenant != "" && ks.cfg.TenantKnown != nil {
		if err := ks.cfg.TenantKnown(ctx, params.Tenant); err != nil {
			return APIKey{}, "", err
		}
	}
	k, plain, err := Create(ctx, ks.cfg.Store, params, ks.cfg.Now())
	if err != nil {
		return APIKey{}, "", err
	}
	ks.record(ctx, p, "key.create", k)
	return k, plain, nil
}

// Revoke revokes a key within p's tenant scope: this process's key cache
// forgets it, and key.revoke is recorded with the key's name. Revoking a
// revoked key changes and records nothing. It returns the key as revoked.
func (ks *Keys) Revoke(ctx context.Context, p Principal, id string) (APIKey, error) {
	k, err := ks.Get(ctx, p, id)
	if err != nil || k.RevokedAt != nil {
		return k, err
	}
	now := ks.cfg.Now().UTC()
	if err := ks.cfg.Store.APIKeyRevoke(ctx, p.Scope, k.ID, now); err != nil {
		return APIKey{}, err
	}
	ks.cfg.Forget()
	ks.record(ctx, p, "key.revoke", k)
	k.RevokedAt = &now
	return k, nil
}

func (ks *Keys) record(ctx context.Context, p Principal, action string, k APIKey) {
	ks.recorder.Record(ctx, audit.Entry{Actor: p.Actor(), Tenant: p.Tenant(), Action: action, Target: k.ID, Detail: k.Name})
}
