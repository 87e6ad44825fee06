package auth_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline/internal/auth"
)

// The audit log's actor strings are stable: they are stored and shown.
func TestPrincipalActor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{name: "no principal", ctx: context.Background(), want: "system"},
		{name: "zero principal", ctx: auth.WithPrincipal(context.Background(), auth.Principal{}), want: "system"},
		{name: "system", ctx: auth.WithPrincipal(context.Background(), auth.System()), want: "system"},
		{name: "user", ctx: auth.WithPrincipal(context.Background(), auth.UserPrincipal("admin", auth.RoleOwner)), want: "user:admin"},
		{name: "key", ctx: auth.WithPrincipal(context.Background(), auth.KeyPrincipal(auth.APIKey{ID: "key_1", Name: "ci"})),
			want: "key:key_1 (ci)"},
	}
	for _, tt := range tests {
		p, _ := auth.PrincipalFrom(tt.ctx)
		if got := p.Actor(); got != tt.want {
			t.Errorf("%s: Actor = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPrincipalRights(t *testing.T) {
	t.Parallel()
	publisher := auth.KeyPrincipal(auth.APIKey{ID: "key_1", Name: "ci", Scopes: []string{auth.ScopePublish}})
	tests := []struct {
		name         string
		p            auth.Principal
		admin, all   bool
		tenantA      bool
		wantKey      bool
		wantKindName string
	}{
		{name: "zero", p: auth.Principal{}},
		{name: "system", p: auth.System(), admin: true, all: true, tenantA: true, wantKindName: "system"},
		{name: "user", p: auth.UserPrincipal("ada", auth.RoleOwner), admin: true, all: true, tenantA: true, wantKindName: "user"},
		{name: "publish key", p: publisher, all: true, tenantA: true, wantKey: true, wantKindName: "key"},
	}
	for _, tt := range tests {
		if got := tt.p.Can(auth.ScopeAdmin); got != tt.admin {
			t.Errorf("%s: Can(admin) = %v", tt.name, got)
		}
		if got := tt.p.Scope.All(); got != tt.all {
			t.Errorf("%s: Scope.All = %v", tt.name, got)
		}
		if got := tt.p.Scope.Allows("a"); got != tt.tenantA {
			t.Errorf("%s: Scope.Allows(a) = %v", tt.name, got)
		}
		if _, got := tt.p.Key(); got != tt.wantKey {
			t.Errorf("%s: Key reports %v", tt.name, got)
		}
		if string(tt.p.Kind) != tt.wantKindName {
			t.Errorf("%s: Kind = %q", tt.name, tt.p.Kind)
		}
	}
}

func TestScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		s       auth.Scope
		all     bool
		tenant  string
		allowed []string
		refused []string
		str     string
	}{
		{name: "all", s: auth.AllTenants(), all: true, allowed: []string{"a", "default", ""}, str: "all tenants"},
		{name: "one", s: auth.TenantScope("a"), tenant: "a", allowed: []string{"a"}, refused: []string{"b", "A", ""}, str: "tenant a"},
		{name: "zero", s: auth.Scope{}, refused: []string{"a", "default", ""}, str: "no tenant"},
		{name: "empty tenant", s: auth.TenantScope(""), refused: []string{"a", ""}, str: "no tenant"},
	}
	for _, tt := range tests {
		if tt.s.All() != tt.all || tt.s.Tenant() != tt.tenant || tt.s.String() != tt.str {
			t.Errorf("%s: All %v, Tenant %q, String %q", tt.name, tt.s.All(), tt.s.Tenant(), tt.s.String())
		}
		for _, ten := range tt.allowed {
			if !tt.s.Allows(ten) {
				t.Errorf("%s: refuses %q", tt.name, ten)
			}
		}
		for _, ten := range tt.refused {
			if tt.s.Allows(ten) {
				t.Errorf("%s: allows %q", tt.name, ten)
			}
		}
	}
}
