package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

func normInvite(inv auth.Invite) auth.Invite {
	inv.CreatedAt, inv.ExpiresAt = normTime(inv.CreatedAt), normTime(inv.ExpiresAt)
	if inv.AcceptedAt != nil {
		t := normTime(*inv.AcceptedAt)
		inv.AcceptedAt = &t
	}
	return inv
}

func normUsers(us []auth.User) []auth.User {
	out := make([]auth.User, len(us))
	for i, u := range us {
		out[i] = normUser(u)
	}
	return out
}

func (h *harness) role(username string) auth.Role {
	h.t.Helper()
	u, err := h.s.UserGet(h.ctx, username)
	ok(h.t, err, "UserGet "+username)
	return u.Role
}

func testTeam(t *testing.T, open Opener) {
	t.Run("CreateListSetDelete", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		ada := auth.User{Username: "ada", Role: auth.RoleOwner, PasswordHash: "h-ada", CreatedAt: t0, UpdatedAt: t0}
		bob := auth.User{Username: "bob", Role: auth.RoleViewer, PasswordHash: "h-bob", CreatedAt: at(time.Second), UpdatedAt: at(time.Second)}
		ok(t, h.s.UserCreate(h.ctx, bob), "UserCreate bob")
		ok(t, h.s.UserCreate(h.ctx, ada), "UserCreate ada")
		taken := bob
		taken.Role, taken.PasswordHash = auth.RoleOwner, "h-other"
		wantCode(t, h.s.UserCreate(h.ctx, taken), webhook.ECONFLICT, "UserCreate of a taken username")
		list, err := h.s.UserList(h.ctx)
		ok(t, err, "UserList")
		equal(t, "UserList (by username; the taken name unchanged)", list, []auth.User{ada, bob}, normUsers)

		ok(t, h.s.UserSetRole(h.ctx, "bob", auth.RoleAdmin, at(time.Hour)), "UserSetRole bob admin")
		got, _ := h.s.UserGet(h.ctx, "bob")
		want := bob
		want.Role, want.UpdatedAt = auth.RoleAdmin, at(time.Hour)
		equal(t, "bob after UserSetRole", got, want, normUser)
		wantCode(t, h.s.UserSetRole(h.ctx, "nobody", auth.RoleAdmin, t0), webhook.ENOTFOUND, "UserSetRole of an unknown user")

		ok(t, h.s.UserSetPassword(h.ctx, "bob", "h-bob-2", at(2*time.Hour)), "UserSetPassword")
		if got, _ := h.s.UserGet(h.ctx, "bob"); got.PasswordHash != "h-bob-2" || got.Role != auth.RoleAdmin {
			t.Errorf("bob after UserSetPassword: %+v", got)
		}
		wantCode(t, h.s.UserSetPassword(h.ctx, "nobody", "h", t0), webhook.ENOTFOUND, "UserSetPassword of an unknown user")
		if _, err := h.s.UserGet(h.ctx, "nobody"); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("UserSetPassword of an unknown user made it: %v", err)
		}

		// Deleting a user ends its sessions.
		ok(t, h.s.SessionCreate(h.ctx, auth.Session{ID: "ses_bob", Username: "bob", CreatedAt: t0, ExpiresAt: at(time.Hour)},
			tokenHash("tok-bob")), "SessionCreate")
		ok(t, h.s.UserDelete(h.ctx, "bob"), "UserDelete bob")
		_, err = h.s.SessionGet(h.ctx, tokenHash("tok-bob"))
		wantCode(t, err, webhook.ENOTFOUND, "SessionGet of a deleted user's session")
		wantCode(t, h.s.UserDelete(h.ctx, "bob"), webhook.ENOTFOUND, "UserDelete again")
		h.userCount(1, "after deleting bob")
	})

	t.Run("LastOwner", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		for _, u := range []auth.User{{Username: "ada", Role: auth.RoleOwner}, {Username: "cy", Role: auth.RoleAdmin}} {
			u.PasswordHash, u.CreatedAt, u.UpdatedAt = "h", t0, t0
			ok(t, h.s.UserCreate(h.ctx, u), "UserCreate "+u.Username)
		}
		wantCode(t, h.s.UserSetRole(h.ctx, "ada", auth.RoleAdmin, t0), webhook.ECONFLICT, "demoting the last owner")
		wantCode(t, h.s.UserDelete(h.ctx, "ada"), webhook.ECONFLICT, "deleting the last owner")
		if h.role("ada") != auth.RoleOwner {
			t.Fatal("the refused changes changed ada")
		}
		ok(t, h.s.UserSetRole(h.ctx, "ada", auth.RoleOwner, t0), "UserSetRole of an owner to owner")
		ok(t, h.s.UserDelete(h.ctx, "cy"), "deleting a non-owner")

		// Two owners demoting each other at once: one wins, one owner
		// stays.
		ok(t, h.s.UserCreate(h.ctx, auth.User{Username: "dee", Role: auth.RoleOwner, PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0}), "UserCreate dee")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, name := range []string{"ada", "dee"} {
			wg.Go(func() { errs[i] = h.s.UserSetRole(h.ctx, name, auth.RoleViewer, at(time.Minute)) })
		}
		wg.Wait()
		owners := 0
		for _, name := range []string{"ada", "dee"} {
			if h.role(name) == auth.RoleOwner {
				owners++
			}
		}
		if owners != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("two owners demoting each other: %d owners left, errors %v", owners, errs)
		}
	})
}

func testInvites(t *testing.T, open Opener) {
	h := setup(t, open)
	invite := func(id string, role auth.Role, created time.Time) auth.Invite {
		return auth.Invite{ID: id, Role: role, Note: "for " + id, CreatedBy: "user:ada", CreatedAt: created,
			ExpiresAt: created.Add(auth.InviteTTL)}
	}
	first := invite("inv_first", auth.RoleViewer, t0)
	second := invite("inv_second", auth.RoleAdmin, at(time.Minute))
	old := invite("inv_old", auth.RoleOwner, at(-30*24*time.Hour))
	for tok, inv := range map[string]auth.Invite{"tok-first": first, "tok-second": second, "tok-old": old} {
		ok(t, h.s.InviteCreate(h.ctx, inv, tokenHash(tok)), "InviteCreate "+inv.ID)
	}
	list, err := h.s.InviteList(h.ctx)
	ok(t, err, "InviteList")
	equal(t, "InviteList (newest first)", list, []auth.Invite{second, first, old}, func(l []auth.Invite) []auth.Invite {
		out := make([]auth.Invite, len(l))
		for i, inv := range l {
			out[i] = normInvite(inv)
		}
		return out
	})
	got, err := h.s.InviteByToken(h.ctx, tokenHash("tok-first"))
	ok(t, err, "InviteByToken")
	equal(t, "InviteByToken", got, first, normInvite)
	_, err = h.s.InviteByToken(h.ctx, tokenHash("tok-unknown"))
	wantCode(t, err, webhook.ENOTFOUND, "InviteByToken of an unknown token")

	ok(t, h.s.UserCreate(h.ctx, auth.User{Username: "ada", Role: auth.RoleOwner, PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0}), "UserCreate ada")
	now := at(time.Hour)
	newUser := func(name string) auth.User {
		// The role comes from the invitation, whatever the caller says.
		return auth.User{Username: name, Role: auth.RoleOwner, PasswordHash: "h-" + name, CreatedAt: now, UpdatedAt: now}
	}
	// A taken username refuses the acceptance and leaves the invitation
	// unused.
	_, err = h.s.InviteAccept(h.ctx, tokenHash("tok-first"), newUser("ada"), now)
	wantCode(t, err, webhook.ECONFLICT, "InviteAccept with a taken username")
	if got, _ := h.s.InviteByToken(h.ctx, tokenHash("tok-first")); got.AcceptedAt != nil {
		t.Fatalf("a refused acceptance used the invitation: %+v", got)
	}
	accepted, err := h.s.InviteAccept(h.ctx, tokenHash("tok-first"), newUser("bob"), now)
	ok(t, err, "InviteAccept")
	want := first
	want.AcceptedAt, want.AcceptedBy = &now, "bob"
	equal(t, "InviteAccept", accepted, want, normInvite)
	if got, _ := h.s.InviteByToken(h.ctx, tokenHash("tok-first")); got.AcceptedBy != "bob" {
		t.Errorf("InviteByToken after accepting: %+v", got)
	}
	if h.role("bob") != auth.RoleViewer {
		t.Errorf("bob's role %q, want the invitation's viewer", h.role("bob"))
	}
	_, err = h.s.InviteAccept(h.ctx, tokenHash("tok-first"), newUser("carl"), now)
	wantCode(t, err, webhook.ENOTFOUND, "InviteAccept a second time")
	_, err = h.s.InviteAccept(h.ctx, tokenHash("tok-old"), newUser("carl"), now)
	wantCode(t, err, webhook.ENOTFOUND, "InviteAccept of an expired invitation")
	_, err = h.s.InviteAccept(h.ctx, tokenHash("tok-second"), newUser("carl"), second.ExpiresAt)
	wantCode(t, err, webhook.ENOTFOUND, "InviteAccept at the moment it expires")
	for _, name := range []string{"carl"} {
		if _, err := h.s.UserGet(h.ctx, name); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("a refused acceptance made %s: %v", name, err)
		}
	}

	// Acceptances racing for one invitation: exactly one account.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = h.s.InviteAccept(h.ctx, tokenHash("tok-second"), newUser("racer"+string(rune('a'+i))), now)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		default:
			t.Errorf("racing InviteAccept: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing acceptances of one invitation succeeded, want 1", won)
	}

	ok(t, h.s.InviteDelete(h.ctx, "inv_old"), "InviteDelete")
	wantCode(t, h.s.InviteDelete(h.ctx, "inv_old"), webhook.ENOTFOUND, "InviteDelete again")
	_, err = h.s.InviteByToken(h.ctx, tokenHash("tok-old"))
	wantCode(t, err, webhook.ENOTFOUND, "InviteByToken of a deleted invitation")
}
