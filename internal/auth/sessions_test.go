package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

const sessionTTL = time.Hour

// sessionsSetup returns Sessions on a real SQLite store holding one user,
// "ada" with password "correct horse", and the clock they run on.
func sessionsSetup(t *testing.T) (*auth.Sessions, *sqlite.Store, *fakeclock.Clock) {
	t.Helper()
	st := sqlitetest.Open(t)
	clk := fakeclock.New(t0)
	hash, err := auth.HashPasswordCost("correct horse", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UserSave(context.Background(), auth.User{Username: "ada", PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return auth.NewSessions(auth.SessionsConfig{Store: st, TTL: sessionTTL, Now: clk.Now}), st, clk
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	s, st, clk := sessionsSetup(t)
	ctx := context.Background()

	se, token, err := s.SignIn(ctx, "ada", "correct horse", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if se.Username != "ada" || !webhook.HasPrefix(se.ID, auth.PrefixSession) || !se.ExpiresAt.Equal(t0.Add(sessionTTL)) {
		t.Errorf("session = %+v", se)
	}
	// Only the token's hash is stored.
	if _, err := st.SessionGet(ctx, []byte(token)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("session found by its plaintext token: %v", err)
	}
	got, err := s.Lookup(ctx, token)
	if err != nil || got.ID != se.ID {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}

	for _, bad := range []string{"", "unknown", token + "x", string(make([]byte, 101))} {
		if _, err := s.Lookup(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("Lookup(%.10q) = %v, want ErrNoSession", bad, err)
		}
	}

	if err := s.SignOut(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Lookup after SignOut = %v", err)
	}
	if err := s.SignOut(ctx, ""); err != nil {
		t.Errorf("SignOut without a token: %v", err)
	}

	// An expired session is refused and deleted.
	_, token, err = s.SignIn(ctx, "ada", "correct horse", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(sessionTTL)
	if _, err := s.Lookup(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Lookup of an expired session = %v", err)
	}
	if _, err := st.SessionGet(ctx, auth.Hash(token)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("expired session kept: %v", err)
	}
}

func TestSignInRefused(t *testing.T) {
	t.Parallel()
	s, _, _ := sessionsSetup(t)
	for _, tt := range []struct{ name, username, password string }{
		{"wrong password", "ada", "wrong"},
		{"unknown user", "bob", "correct horse"},
		{"empty password", "ada", ""},
		{"empty username", "", "correct horse"},
		{"password too long", "ada", string(make([]byte, auth.MaxPassword+1))},
	} {
		// A fresh address each time, so the throttle stays out of it.
		if _, _, err := s.SignIn(context.Background(), tt.username, tt.password, "192.0.2."+tt.name); !errors.Is(err, auth.ErrSignInFailed) {
			t.Errorf("%s: %v, want ErrSignInFailed", tt.name, err)
		}
	}
}

// After SignInFreeFailures failures for a username, even the right password
// is not checked until the lockout ends; a success then clears the record.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	s, _, clk := sessionsSetup(t)
	ctx := context.Background()
	for i := range auth.SignInFreeFailures {
		// Different addresses: the username alone is enough to lock.
		if _, _, err := s.SignIn(ctx, "Ada", "wrong", "192.0.2."+string(rune('a'+i))); !errors.Is(err, auth.ErrSignInFailed) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, _, err := s.SignIn(ctx, "ada", "correct horse", "198.51.100.1")
	var throttled *auth.ThrottledError
	if !errors.As(err, &throttled) || throttled.Wait != auth.SignInFirstLockout {
		t.Fatalf("after %d failures: %v, want a ThrottledError of %v", auth.SignInFreeFailures, err, auth.SignInFirstLockout)
	}
	clk.Add(auth.SignInFirstLockout)
	if _, _, err := s.SignIn(ctx, "ada", "correct horse", "198.51.100.1"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, _, err := s.SignIn(ctx, "ada", "wrong", "198.51.100.1"); !errors.Is(err, auth.ErrSignInFailed) {
		t.Errorf("a failure right after a success was throttled: %v", err)
	}
}
