package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
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
	admin     = auth.UserPrincipal("admin")
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
