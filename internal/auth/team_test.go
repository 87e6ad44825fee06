package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

func cheapHash(p string) (string, error) { return auth.HashPasswordCost(p, 1000) }

// teamSetup returns Users on a real SQLite store holding the owner "ada".
func teamSetup(t *testing.T) (*auth.Users, *sqlite.Store, *fakeclock.Clock) {
	t.Helper()
	st := sqlitetest.Open(t)
	clk := fakeclock.New(t0)
	hash, _ := cheapHash("correct horse")
	if err := st.UserCreate(context.Background(), auth.User{Username: "ada", Role: auth.RoleOwner, PasswordHash: hash,
		CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return auth.NewUsers(auth.UsersConfig{Store: st, Now: clk.Now, HashPassword: cheapHash}), st, clk
}

// Only an owner manages users: every other principal, including an admin
// user, an admin key and an owner-scoped key of one tenant, is refused
// before anything changes.
func TestUsersOnlyOwnersManage(t *testing.T) {
	t.Parallel()
	us, st, _ := teamSetup(t)
	ctx := context.Background()
	key := func(tenant string, scopes ...string) auth.Principal {
		return auth.KeyPrincipal(auth.APIKey{ID: "key_x", Name: "x", Scopes: scopes, Tenant: tenant})
	}
	refused := map[string]auth.Principal{
		"admin user":        auth.UserPrincipal("cy", auth.RoleAdmin),
		"viewer":            auth.UserPrincipal("vi", auth.RoleViewer),
		"admin key":         key("", auth.ScopeAdmin),
		"read key":          key("", auth.ScopeRead),
		"tenant owner key":  key("acme", auth.ScopeOwner),
		"portal":            auth.PortalPrincipal(auth.PortalLink{Tenant: "acme"}),
		"nobody (zero)":     {},
		"user without role": auth.UserPrincipal("old", ""),
	}
	for name, p := range refused {
		calls := map[string]error{}
		_, calls["List"] = us.List(ctx, p)
		_, _, calls["Create"] = us.Create(ctx, p, auth.UserParams{Username: "eve", Role: "owner", Password: "long enough"})
		_, calls["SetRole"] = us.SetRole(ctx, p, "ada", "viewer")
		_, calls["SetPassword"] = us.SetPassword(ctx, p, "ada", "long enough")
		calls["Delete"] = us.Delete(ctx, p, "ada")
		_, _, calls["Invite"] = us.Invite(ctx, p, auth.InviteParams{Role: "owner"})
		_, calls["Invites"] = us.Invites(ctx, p)
		calls["RevokeInvite"] = us.RevokeInvite(ctx, p, "inv_x")
		for call, err := range calls {
			if !errors.Is(err, auth.ErrNotOwner) {
				t.Errorf("%s: %s = %v, want ErrNotOwner", name, call, err)
			}
		}
	}
	users, _ := st.UserList(ctx)
	if len(users) != 1 || users[0].Role != auth.RoleOwner {
		t.Errorf("users after the refusals: %+v", users)
	}
	for name, p := range map[string]auth.Principal{"owner": auth.UserPrincipal("ada", auth.RoleOwner),
		"owner key": key("", auth.ScopeOwner), "system": auth.System()} {
		if _, err := us.List(ctx, p); err != nil {
			t.Errorf("%s: List = %v", name, err)
		}
	}
}

// An admin user, and every key it makes, stays below an owner: it cannot
// make an owner key.
func TestAdminCannotMintOwnerKey(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	ks := auth.NewKeys(auth.KeysConfig{Store: st, Audit: st})
	ctx := context.Background()
	admin := auth.UserPrincipal("cy", auth.RoleAdmin)
	if _, _, err := ks.Create(ctx, admin, auth.CreateParams{Name: "up", Scopes: []string{auth.ScopeOwner}}); webhook.ErrorCode(err) != webhook.EFORBIDDEN {
		t.Errorf("an admin making an owner key: %v", err)
	}
	k, _, err := ks.Create(ctx, admin, auth.CreateParams{Name: "ci", Scopes: []string{auth.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Create(ctx, auth.KeyPrincipal(k), auth.CreateParams{Name: "up", Scopes: []string{auth.ScopeOwner}}); webhook.ErrorCode(err) != webhook.EFORBIDDEN {
		t.Errorf("an admin's key making an owner key: %v", err)
	}
	if _, err := ks.List(ctx, auth.UserPrincipal("vi", auth.RoleViewer)); webhook.ErrorCode(err) != webhook.EFORBIDDEN {
		t.Errorf("a viewer listing keys: %v", err)
	}
	if _, _, err := ks.Create(ctx, auth.UserPrincipal("ada", auth.RoleOwner), auth.CreateParams{Name: "own", Scopes: []string{auth.ScopeOwner}}); err != nil {
		t.Errorf("an owner making an owner key: %v", err)
	}
	// Users belong to no tenant: no tenant's key holds the owner scope.
	_, _, err = ks.Create(ctx, auth.System(), auth.CreateParams{Name: "acme", Tenant: "acme", Scopes: []string{auth.ScopeOwner}})
	if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != 1 || e.Problems()[0].Field != "scopes" {
		t.Errorf("a tenant's owner key: %v", err)
	}
}

func TestInviteLifecycle(t *testing.T) {
	t.Parallel()
	us, st, clk := teamSetup(t)
	ctx := context.Background()
	ada := auth.UserPrincipal("ada", auth.RoleOwner)

	_, _, err := us.Invite(ctx, ada, auth.InviteParams{Role: "boss", Note: string(make([]byte, 201))})
	if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != 2 {
		t.Fatalf("a bad role and a long note: %v, want both problems", err)
	}
	inv, token, err := us.Invite(ctx, ada, auth.InviteParams{Role: "viewer", Note: " grace@example.com "})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Role != auth.RoleViewer || inv.Note != "grace@example.com" || inv.CreatedBy != "user:ada" ||
		!inv.ExpiresAt.Equal(t0.Add(auth.InviteTTL)) || len(token) < 40 {
		t.Errorf("invite %+v, token %q", inv, token)
	}
	if got, err := us.LookupInvite(ctx, token); err != nil || got.ID != inv.ID {
		t.Fatalf("LookupInvite = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "nope", token + "x"} {
		if _, err := us.LookupInvite(ctx, bad); !errors.Is(err, auth.ErrInviteInvalid) {
			t.Errorf("LookupInvite(%q) = %v", bad, err)
		}
	}
	// Bad input leaves the invitation unused.
	_, err = us.AcceptInvite(ctx, token, "Ada", "short")
	if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != 1 || e.Problems()[0].Field != "password" {
		t.Fatalf("a short password: %v", err)
	}
	if _, err := us.AcceptInvite(ctx, token, "ADA", "long enough"); webhook.ErrorCode(err) != webhook.ECONFLICT {
		t.Fatalf("a taken username (any case): %v", err)
	}
	u, err := us.AcceptInvite(ctx, token, " Grace@Example.com ", "long enough")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "grace@example.com" || u.Role != auth.RoleViewer {
		t.Errorf("accepted %+v", u)
	}
	if got, _ := st.UserGet(ctx, "grace@example.com"); !auth.CheckPassword(got.PasswordHash, "long enough") {
		t.Error("the chosen password does not sign in")
	}
	if _, err := us.AcceptInvite(ctx, token, "mallory", "long enough"); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("a second acceptance: %v", err)
	}

	late, lateToken, _ := us.Invite(ctx, ada, auth.InviteParams{Role: "admin"})
	clk.Add(auth.InviteTTL)
	if _, err := us.AcceptInvite(ctx, lateToken, "late", "long enough"); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("an expired invitation: %v", err)
	}
	revoked, revokedToken, _ := us.Invite(ctx, ada, auth.InviteParams{Role: "admin"})
	if err := us.RevokeInvite(ctx, ada, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := us.LookupInvite(ctx, revokedToken); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("a revoked invitation: %v", err)
	}

	page, err := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Target)
	}
	want := []string{"user:ada invite.revoke " + revoked.ID, "user:ada invite.create " + revoked.ID,
		"user:ada invite.create " + late.ID, "user:grace@example.com invite.accept grace@example.com",
		"user:ada invite.create " + inv.ID}
	if len(got) != len(want) {
		t.Fatalf("audit log:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit entry %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// Changing one's own password needs the current one, whose check is a
// throttled, audited sign-in attempt; it ends every other session.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	clk := fakeclock.New(t0)
	ctx := context.Background()
	hash, _ := cheapHash("correct horse")
	if err := st.UserCreate(ctx, auth.User{Username: "vi", Role: auth.RoleViewer, PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	s := auth.NewSessions(auth.SessionsConfig{Store: st, Now: clk.Now, HashPassword: cheapHash})
	_, laptop, err := s.SignIn(ctx, "vi", "correct horse", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ChangePassword(ctx, "vi", "correct horse", "short", "192.0.2.1"); webhook.ErrorCode(err) != webhook.EINVALID {
		t.Errorf("a short new password: %v", err)
	}
	for i := range auth.SignInFreeFailures {
		_, _, err := s.ChangePassword(ctx, "vi", "wrong", "new password!", "192.0.2.1")
		if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != 1 || e.Problems()[0].Field != "current_password" {
			t.Fatalf("wrong current password %d: %v", i, err)
		}
	}
	if _, _, err := s.ChangePassword(ctx, "vi", "correct horse", "new password!", "192.0.2.1"); !errors.As(err, new(*auth.ThrottledError)) {
		t.Fatalf("after %d wrong current passwords: %v, want throttled", auth.SignInFreeFailures, err)
	}
	clk.Add(auth.SignInMaxLockout)
	se, token, err := s.ChangePassword(ctx, "vi", "correct horse", "new password!", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if se.Username != "vi" || se.Role != auth.RoleViewer {
		t.Errorf("new session %+v", se)
	}
	if _, err := s.Lookup(ctx, laptop); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("the other session lives on: %v", err)
	}
	if _, err := s.Lookup(ctx, token); err != nil {
		t.Errorf("the new session: %v", err)
	}
	if _, _, err := s.SignIn(ctx, "vi", "new password!", "198.51.100.1"); err != nil {
		t.Errorf("signing in with the new password: %v", err)
	}
	page, _ := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Limit: 10})
	failed, changed := 0, 0
	for _, e := range page.Entries {
		switch e.Action {
		case "user.sign_in_failed":
			failed++
		case "user.password_change":
			changed++
		}
	}
	if failed != auth.SignInFreeFailures || changed != 1 {
		t.Errorf("audit: %d failed checks, %d changes; want %d and 1", failed, changed, auth.SignInFreeFailures)
	}
}

// Lockout is per account: an attacker who locks one account from many
// addresses locks no other account, and the locked account's owner still
// gets in from an address that has not failed. No one can lock everyone
// out.
func TestLockoutIsPerAccount(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	ctx := context.Background()
	for _, name := range []string{"ada", "bob"} {
		hash, _ := cheapHash("pw of " + name)
		if err := st.UserCreate(ctx, auth.User{Username: name, Role: auth.RoleAdmin, PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	s := auth.NewSessions(auth.SessionsConfig{Store: st, Now: fakeclock.New(t0).Now})
	attackers := []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"}
	for _, a := range attackers {
		if _, _, err := s.SignIn(ctx, "ada", "guess", a); !errors.Is(err, auth.ErrSignInFailed) {
			t.Fatalf("guess from %s: %v", a, err)
		}
	}
	if _, _, err := s.SignIn(ctx, "ada", "pw of ada", attackers[0]); !errors.As(err, new(*auth.ThrottledError)) {
		t.Fatalf("ada is not locked for the attackers: %v", err)
	}
	// Another account, even from an attacker's address (one failure on
	// record, under its own limit): not locked.
	if _, _, err := s.SignIn(ctx, "bob", "pw of bob", attackers[1]); err != nil {
		t.Errorf("bob from an attacker's address: %v", err)
	}
	if _, _, err := s.SignIn(ctx, "bob", "pw of bob", "198.51.100.9"); err != nil {
		t.Errorf("bob: %v", err)
	}
	if _, _, err := s.SignIn(ctx, "ada", "pw of ada", "198.51.100.7"); err != nil {
		t.Errorf("ada from her own, clean address: %v", err)
	}
}
