package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store"
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

// After SignInFreeFailures failures for an account, an address that
// failed on it is refused until the lockout ends, but an address with no
// failures still signs in with the right password: failures sent from
// elsewhere cannot lock the owner out. A success clears the record.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	s, _, clk := sessionsSetup(t)
	ctx := context.Background()
	for i := range auth.SignInFreeFailures {
		// Different addresses: the account's own limit.
		if _, _, err := s.SignIn(ctx, "Ada", "wrong", "192.0.2."+string(rune('a'+i))); !errors.Is(err, auth.ErrSignInFailed) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, _, err := s.SignIn(ctx, "ada", "correct horse", "192.0.2.a")
	var throttled *auth.ThrottledError
	if !errors.As(err, &throttled) || throttled.Wait != auth.SignInFirstLockout {
		t.Fatalf("after %d failures, from an address that failed: %v, want a ThrottledError of %v",
			auth.SignInFreeFailures, err, auth.SignInFirstLockout)
	}
	if _, _, err := s.SignIn(ctx, "ada", "correct horse", "198.51.100.1"); err != nil {
		t.Fatalf("the right password from a clean address: %v", err)
	}
	clk.Add(auth.SignInFirstLockout)
	if _, _, err := s.SignIn(ctx, "ada", "correct horse", "192.0.2.a"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, _, err := s.SignIn(ctx, "ada", "wrong", "198.51.100.1"); !errors.Is(err, auth.ErrSignInFailed) {
		t.Errorf("a failure right after a success was throttled: %v", err)
	}
}

// gatedStore holds every account lookup (the step before the password
// check) until release is closed, and counts them.
type gatedStore struct {
	*sqlite.Store
	release chan struct{}
	looked  chan struct{} // a signal per lookup
	mu      sync.Mutex
	lookups int
}

func (g *gatedStore) UserGet(ctx context.Context, username string) (auth.User, error) {
	g.mu.Lock()
	g.lookups++
	g.mu.Unlock()
	select {
	case g.looked <- struct{}{}:
	default:
	}
	<-g.release
	return g.Store.UserGet(ctx, username)
}

// TestSignInRaceChecksAtMostTheLimit is issue 17's login race: 40 wrong
// guesses sent at once and the right password sent with them, from one
// address. At most SignInFreeFailures attempts reach the password check,
// the right password does not get in while they hold the limit, and a
// clean address then signs in with it. Every failure is in the audit log
// by the client address, naming the account by its ID and never the
// password.
func TestSignInRaceChecksAtMostTheLimit(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	hash, err := auth.HashPasswordCost("correct horse", 1000)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.UserSave(ctx, auth.User{Username: "ada", PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	g := &gatedStore{Store: st, release: make(chan struct{}), looked: make(chan struct{}, 100)}
	release := sync.OnceFunc(func() { close(g.release) })
	t.Cleanup(release) // a failed test lets its held attempts go too
	s := auth.NewSessions(auth.SessionsConfig{Store: g, TTL: sessionTTL, Now: fakeclock.New(t0).Now})

	const attacker, guesses = "192.0.2.66", 40
	results := make(chan error, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			_, _, err := s.SignIn(ctx, "ada", fmt.Sprint("guess ", i), attacker)
			results <- err
		})
	}
	// The attempts that were let through are held in their lookup; every
	// other one has been answered. Wait for the answers (bounded).
	refused := 0
	deadline := time.After(30 * time.Second)
	for refused < guesses {
		g.mu.Lock()
		inFlight := g.lookups
		g.mu.Unlock()
		if refused+inFlight == guesses || inFlight > auth.SignInFreeFailures {
			break
		}
		select {
		case err := <-results:
			var throttled *auth.ThrottledError
			if !errors.As(err, &throttled) {
				t.Fatalf("an attempt was answered before the checks ended: %v", err)
			}
			refused++
		case <-g.looked:
		case <-deadline:
			t.Fatalf("%d refused, %d in their lookup, of %d", refused, inFlight, guesses)
		}
	}
	g.mu.Lock()
	checked := g.lookups
	g.mu.Unlock()
	if checked > auth.SignInFreeFailures {
		t.Fatalf("%d of %d guesses sent at once reached the password check, want at most %d",
			checked, guesses, auth.SignInFreeFailures)
	}
	// The right password, while the guesses hold the limit.
	var throttled *auth.ThrottledError
	if _, _, err := s.SignIn(ctx, "ada", "correct horse", attacker); !errors.As(err, &throttled) {
		t.Fatalf("the right password among the guesses: %v, want refused unchecked", err)
	}
	release()
	wg.Wait()
	close(results)
	for err := range results {
		var throttled *auth.ThrottledError
		if !errors.Is(err, auth.ErrSignInFailed) && !errors.As(err, &throttled) {
			t.Fatalf("a guess: %v", err)
		}
	}
	if _, _, err := s.SignIn(ctx, "ada", "correct horse", "198.51.100.9"); err != nil {
		t.Fatalf("the right password from a clean address: %v", err)
	}

	page, err := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range page.Entries {
		if e.Action != "user.sign_in_failed" {
			continue
		}
		failed++
		if e.Actor != "address:"+attacker || e.Target != "ada" || strings.Contains(e.Detail, "guess") {
			t.Errorf("audit entry %+v, want actor address:%s, target ada, no password", e, attacker)
		}
	}
	if failed == 0 || failed > checked {
		t.Fatalf("%d failed sign-ins audited, want one per checked guess (%d)", failed, checked)
	}
}

// A failed sign-in to an account that does not exist is audited with the
// target "unknown", never the typed name (often a password typed in the
// wrong field).
func TestSignInFailureAuditUnknownAccount(t *testing.T) {
	t.Parallel()
	s, st, _ := sessionsSetup(t)
	ctx := context.Background()
	_, _, err := s.SignIn(ctx, "hunter2-typed-here", "x", "192.0.2.5")
	var failure *auth.SignInFailure
	if !errors.As(err, &failure) || failure.Target != auth.UnknownAccount || webhook.ErrorCode(err) != webhook.EUNAUTHORIZED {
		t.Fatalf("SignIn = %v, want a failure with target %q", err, auth.UnknownAccount)
	}
	page, err := st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(page.Entries))
	}
	e := page.Entries[0]
	if e.Actor != "address:192.0.2.5" || e.Target != auth.UnknownAccount || e.Action != "user.sign_in_failed" ||
		strings.Contains(fmt.Sprintf("%+v", e), "hunter2") {
		t.Fatalf("audit entry %+v", e)
	}
}
