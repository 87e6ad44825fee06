package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

func normUser(u auth.User) auth.User {
	u.CreatedAt, u.UpdatedAt = normTime(u.CreatedAt), normTime(u.UpdatedAt)
	return u
}

func normSession(s auth.Session) auth.Session {
	s.CreatedAt, s.ExpiresAt = normTime(s.CreatedAt), normTime(s.ExpiresAt)
	return s
}

// tokenHash is what the dashboard stores for a session token.
func tokenHash(token string) []byte {
	b := sha256.Sum256([]byte(token))
	return b[:]
}

func (h *harness) userCount(want int, what string) {
	h.t.Helper()
	n, err := h.s.UserCount(h.ctx)
	ok(h.t, err, "UserCount")
	if n != want {
		h.t.Errorf("UserCount %s: %d, want %d", what, n, want)
	}
}

func (h *harness) saveUser(u auth.User) auth.User {
	h.t.Helper()
	ok(h.t, h.s.UserSave(h.ctx, u), "UserSave")
	return u
}

func testUsers(t *testing.T, open Opener) {
	t.Run("Accounts", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.userCount(0, "of an empty store")
		_, err := h.s.UserGet(h.ctx, "admin")
		wantCode(t, err, webhook.ENOTFOUND, "UserGet of an unknown user")

		admin := h.saveUser(auth.User{Username: "admin", Role: auth.RoleOwner, PasswordHash: "$argon2id$v=19$first",
			CreatedAt: at(time.Microsecond), UpdatedAt: at(time.Microsecond)})
		h.userCount(1, "after the first account")
		got, err := h.s.UserGet(h.ctx, "admin")
		ok(t, err, "UserGet")
		equal(t, "UserGet", got, admin, normUser)

		// A password reset saves the user again: the hash is replaced, the
		// account is not duplicated, and it keeps its creation time.
		// A save without a role keeps the account's.
		reset := auth.User{Username: "admin", Role: auth.RoleOwner, PasswordHash: "$argon2id$v=19$second",
			CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
		h.saveUser(reset)
		h.userCount(1, "after saving the same account again")
		got, err = h.s.UserGet(h.ctx, "admin")
		ok(t, err, "UserGet after a reset")
		want := reset
		want.CreatedAt = admin.CreatedAt
		equal(t, "UserGet after a reset", got, want, normUser)

		ops := h.saveUser(auth.User{Username: "ops", Role: auth.RoleViewer, PasswordHash: "$argon2id$v=19$ops", CreatedAt: t0, UpdatedAt: t0})
		h.userCount(2, "after a second account")
		got, err = h.s.UserGet(h.ctx, "ops")
		ok(t, err, "UserGet ops")
		equal(t, "UserGet ops", got, ops, normUser)
		if got, _ := h.s.UserGet(h.ctx, "admin"); got.PasswordHash != reset.PasswordHash {
			t.Errorf("saving ops changed admin's hash to %q", got.PasswordHash)
		}
	})

	t.Run("Sessions", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.saveUser(auth.User{Username: "admin", PasswordHash: "h1", CreatedAt: t0, UpdatedAt: t0})
		h.saveUser(auth.User{Username: "ops", Role: auth.RoleViewer, PasswordHash: "h2", CreatedAt: t0, UpdatedAt: t0})
		// A session is read with its user's role: an account saved
		// without one is an owner.
		session := func(user string, role auth.Role, created, expires time.Time) auth.Session {
			return auth.Session{ID: webhook.NewID(auth.PrefixSession), Username: user, Role: role, CreatedAt: created, ExpiresAt: expires}
		}
		sessions := map[string]auth.Session{ // by token
			"tok-admin-laptop": session("admin", auth.RoleOwner, at(time.Microsecond), at(12*time.Hour+time.Microsecond)),
			"tok-admin-phone":  session("admin", auth.RoleOwner, at(time.Minute), at(12*time.Hour+time.Minute)),
			// Expired sessions are still returned: the caller checks ExpiresAt.
			"tok-admin-old": session("admin", auth.RoleOwner, at(-48*time.Hour), at(-36*time.Hour)),
			"tok-ops":       session("ops", auth.RoleViewer, at(time.Second), at(12*time.Hour)),
		}
		for tok, s := range sessions {
			ok(t, h.s.SessionCreate(h.ctx, s, tokenHash(tok)), "SessionCreate")
		}
		check := func(what string, live ...string) {
			t.Helper()
			isLive := map[string]bool{}
			for _, tok := range live {
				isLive[tok] = true
			}
			for tok, s := range sessions {
				got, err := h.s.SessionGet(h.ctx, tokenHash(tok))
				if !isLive[tok] {
					wantCode(t, err, webhook.ENOTFOUND, what+": SessionGet of ended session "+tok)
					continue
				}
				ok(t, err, what+": SessionGet "+tok)
				equal(t, what+": SessionGet "+tok, got, s, normSession)
			}
		}
		check("after creating", "tok-admin-laptop", "tok-admin-phone", "tok-admin-old", "tok-ops")
		_, err := h.s.SessionGet(h.ctx, tokenHash("tok-unknown"))
		wantCode(t, err, webhook.ENOTFOUND, "SessionGet of an unknown token")

		ok(t, h.s.SessionDelete(h.ctx, tokenHash("tok-admin-laptop")), "SessionDelete")
		check("after signing out the laptop", "tok-admin-phone", "tok-admin-old", "tok-ops")

		ok(t, h.s.SessionDeleteUser(h.ctx, "admin"), "SessionDeleteUser")
		check("after ending admin's sessions", "tok-ops")
		if _, err := h.s.UserGet(h.ctx, "admin"); err != nil {
			t.Errorf("UserGet after ending the user's sessions: %v", err)
		}
	})
}
