package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

// keysBundle is Keys on a real SQLite store, counting cache forgets.
type keysBundle struct {
	ctx     context.Context
	st      *sqlite.Store
	keys    *auth.Keys
	forgets int
}

func keysSetup(t *testing.T) *keysBundle {
	t.Helper()
	b := &keysBundle{ctx: context.Background(), st: sqlitetest.Open(t)}
	b.keys = auth.NewKeys(auth.KeysConfig{Store: b.st, Audit: b.st, Forget: func() { b.forgets++ },
		Now: func() time.Time { return t0 }})
	return b
}

// entries returns the audit log of target, oldest first.
func (b *keysBundle) entries(t *testing.T, target string) []audit.Entry {
	t.Helper()
	page, err := b.st.AuditList(b.ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: target})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(page.Entries)
	return page.Entries
}

var (
	admin     = auth.UserPrincipal("admin", auth.RoleOwner)
	ciKey     = auth.KeyPrincipal(auth.APIKey{ID: "key_01jbx5kq4w7a0j6s5yq6d1j2c3", Name: "ci", Scopes: []string{auth.ScopeAdmin}})
	publisher = auth.KeyPrincipal(auth.APIKey{ID: "key_01jbx5kq4w7a0j6s5yq6d1j2c4", Name: "pub", Scopes: []string{auth.ScopePublish}})
	tenantA   = auth.Principal{Kind: auth.KindUser, ID: "a", Name: "a", Scopes: []string{auth.ScopeAdmin}, Scope: auth.TenantScope("a")}
)

// Revoking is one implementation for every surface: the key is refused,
// the cache forgets, and the audit log names who did it and which key.
func TestKeysRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		by        auth.Principal
		wantActor string
	}{
		{name: "dashboard user", by: admin, wantActor: "user:admin"},
		{name: "API key", by: ciKey, wantActor: "key:" + ciKey.ID + " (ci)"},
		{name: "command line", by: auth.System(), wantActor: "system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := keysSetup(t)
			k, plain, err := b.keys.Create(b.ctx, tt.by, auth.CreateParams{Name: "deploy bot"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.keys.Revoke(b.ctx, tt.by, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.RevokedAt == nil || !got.RevokedAt.Equal(t0) {
				t.Errorf("Revoke returned %+v, want revoked at %s", got, t0)
			}
			if _, err := auth.NewAuthenticator(b.st, 0, func() time.Time { return t0 }).Authenticate(b.ctx, plain); err != auth.ErrUnauthorized {
				t.Errorf("revoked key: %v, want ErrUnauthorized", err)
			}
			if b.forgets != 1 {
				t.Errorf("Forget called %d times, want 1", b.forgets)
			}
			// Again: nothing changes, nothing is recorded.
			if again, err := b.keys.Revoke(b.ctx, tt.by, k.ID); err != nil || !again.RevokedAt.Equal(t0) {
				t.Errorf("second Revoke = %+v, %v", again, err)
			}
			if b.forgets != 1 {
				t.Errorf("a second revocation told the cache again")
			}
			type entry struct{ actor, action, detail string }
			var log []entry
			for _, e := range b.entries(t, k.ID) {
				log = append(log, entry{e.Actor, e.Action, e.Detail})
				if !webhook.HasPrefix(e.ID, audit.Prefix) || !e.At.Equal(t0) {
					t.Errorf("entry %+v: want an aud_ ID at the Keys clock", e)
				}
			}
			want := []entry{{tt.wantActor, "key.create", "deploy bot"}, {tt.wantActor, "key.revoke", "deploy bot"}}
			if !slices.Equal(log, want) {
				t.Errorf("audit log of the key =\n%v\nwant\n%v", log, want)
			}
		})
	}
}

func TestKeysRevokeRefused(t *testing.T) {
	t.Parallel()
	b := keysSetup(t)
	k, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		by   auth.Principal
		id   string
		want webhook.Code
	}{
		{name: "unknown key", by: admin, id: "key_01jbx5kq4w7a0j6s5yq6d1j2c9", want: webhook.ENOTFOUND},
		{name: "no principal", by: auth.Principal{}, id: k.ID, want: webhook.EFORBIDDEN},
		{name: "publish key", by: publisher, id: k.ID, want: webhook.EFORBIDDEN},
		// A tenant's key sees only its tenant's keys: a key of every
		// tenant does not exist for it.
		{name: "one tenant's admin", by: tenantA, id: k.ID, want: webhook.ENOTFOUND},
	}
	for _, tt := range tests {
		if _, err := b.keys.Revoke(b.ctx, tt.by, tt.id); webhook.ErrorCode(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
		if tt.want != webhook.EFORBIDDEN {
			continue
		}
		if _, _, err := b.keys.Create(b.ctx, tt.by, auth.CreateParams{Name: "x"}); webhook.ErrorCode(err) != webhook.EFORBIDDEN {
			t.Errorf("%s: Create: %v, want EFORBIDDEN", tt.name, err)
		}
	}
	if got, err := b.keys.Get(b.ctx, auth.System(), k.ID); err != nil || got.RevokedAt != nil {
		t.Errorf("key after refused revocations: %+v, %v", got, err)
	}
	if b.forgets != 0 {
		t.Errorf("Forget called %d times", b.forgets)
	}
	if log := b.entries(t, k.ID); len(log) != 1 || log[0].Action != "key.create" {
		t.Errorf("audit log of the key: %+v, want its creation alone", log)
	}
	keys, err := b.keys.List(b.ctx, auth.System())
	if err != nil || len(keys) != 1 {
		t.Errorf("List = %d keys, %v; a refused Create made one", len(keys), err)
	}
}

// A tenant's key manages the keys of its tenant only, and no principal
// mints a key that reaches further than itself: more scopes, another
// tenant, or every tenant.
func TestKeysTenantScope(t *testing.T) {
	t.Parallel()
	b := keysSetup(t)
	operatorKey, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "operator"})
	if err != nil {
		t.Fatal(err)
	}
	acmeAdmin, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "acme admin", Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	acme := auth.KeyPrincipal(acmeAdmin)
	if acme.Scope != auth.TenantScope("acme") {
		t.Fatalf("a tenant key's principal has scope %s", acme.Scope)
	}
	// With no tenant given, a tenant's key makes a key of its tenant.
	reader, _, err := b.keys.Create(b.ctx, acme, auth.CreateParams{Name: "acme reader", Scopes: []string{auth.ScopeRead}})
	if err != nil || reader.Tenant != "acme" {
		t.Fatalf("Create by a tenant key: %+v, %v", reader, err)
	}
	globex, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "globex", Tenant: "globex"})
	if err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		name string
		by   auth.Principal
		p    auth.CreateParams
	}{
		{"another tenant", acme, auth.CreateParams{Name: "x", Tenant: "globex"}},
		{"more scopes", auth.KeyPrincipal(reader), auth.CreateParams{Name: "x", Scopes: []string{auth.ScopeAdmin}}},
		{"a read key minting a read key", auth.KeyPrincipal(reader), auth.CreateParams{Name: "x", Scopes: []string{auth.ScopeRead}}},
		{"every tenant from a publish key", publisher, auth.CreateParams{Name: "x", Scopes: []string{auth.ScopePublish}}},
	}
	for _, tt := range refused {
		if _, _, err := b.keys.Create(b.ctx, tt.by, tt.p); webhook.ErrorCode(err) != webhook.EFORBIDDEN {
			t.Errorf("%s: %v, want EFORBIDDEN", tt.name, err)
		}
	}
	if _, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "x", Tenant: webhook.DefaultTenant}); webhook.ErrorCode(err) != webhook.EUNPROCESSABLE {
		t.Errorf("a key of the operator's default tenant: %v, want EUNPROCESSABLE", err)
	}

	keys, err := b.keys.List(b.ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	if !slices.Equal(names, []string{"acme admin", "acme reader"}) {
		t.Errorf("acme's key list: %v", names)
	}
	for _, id := range []string{operatorKey.ID, globex.ID} {
		if _, err := b.keys.Revoke(b.ctx, acme, id); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("acme revoking %s: %v, want ENOTFOUND", id, err)
		}
	}
	if _, err := b.keys.Revoke(b.ctx, acme, reader.ID); err != nil {
		t.Errorf("acme revoking its own key: %v", err)
	}
	// The tenant's actions are its own audit entries.
	entries := b.entries(t, reader.ID)
	if len(entries) != 2 || entries[0].Tenant != "acme" || entries[1].Tenant != "acme" {
		t.Errorf("audit entries of acme's key: %+v", entries)
	}
}

// A key is bound to a tenant only when the server's tenant check passes
// (--tenants-strict refuses unknown tenants); nothing is stored or
// audited otherwise.
func TestKeysCreateChecksTenant(t *testing.T) {
	t.Parallel()
	b := keysSetup(t)
	strict := auth.NewKeys(auth.KeysConfig{Store: b.st, Audit: b.st, Now: func() time.Time { return t0 },
		TenantKnown: registry.TenantCheck(b.st, true)})
	_, _, err := strict.Create(b.ctx, admin, auth.CreateParams{Name: "k", Scopes: []string{auth.ScopePublish}, Tenant: "ghost"})
	if webhook.ErrorCode(err) != webhook.EUNPROCESSABLE {
		t.Fatalf("key for an unknown tenant under strict: %v, want EUNPROCESSABLE", err)
	}
	if keys, _ := b.st.APIKeyList(b.ctx, auth.AllTenants()); len(keys) != 0 {
		t.Fatalf("a refused key was stored: %+v", keys)
	}
	if err := b.st.TenantCreate(b.ctx, webhook.Tenant{ID: "ghost", Name: "Ghost", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	k, _, err := strict.Create(b.ctx, admin, auth.CreateParams{Name: "k", Scopes: []string{auth.ScopePublish}, Tenant: "ghost"})
	if err != nil || k.Tenant != "ghost" {
		t.Fatalf("key for a known tenant: %+v, %v", k, err)
	}
	// Without strict, any tenant goes (its row comes with its first use).
	if _, _, err := b.keys.Create(b.ctx, admin, auth.CreateParams{Name: "k2", Scopes: []string{auth.ScopePublish}, Tenant: "later"}); err != nil {
		t.Fatalf("key for a new tenant without strict: %v", err)
	}
}
