package auth

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("s3cret password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		t.Fatalf("format: %q", h)
	}
	if n, _ := strconv.Atoi(parts[1]); n < 600_000 {
		t.Errorf("iterations %d < 600000", n)
	}
	if !CheckPassword(h, "s3cret password") || CheckPassword(h, "s3cret passworD") || CheckPassword(h, "") {
		t.Error("CheckPassword does not tell right from wrong")
	}
	h2, _ := HashPasswordCost("s3cret password", 1000)
	if h2 == h || !CheckPassword(h2, "s3cret password") {
		t.Error("salt is not random, or the stored count is not used")
	}
	for _, bad := range []string{"", "plain", "pbkdf2-sha256$x$AA$AA", "pbkdf2-sha256$1000$!!$AA", "bcrypt$1$a$b",
		"pbkdf2-sha256$1000$AAAA$"} {
		if CheckPassword(bad, "") || CheckPassword(bad, "plain") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

type memUsers struct {
	users    map[string]User
	sessions map[string]int
}

func (m *memUsers) UserCount(context.Context) (int, error) { return len(m.users), nil }
func (m *memUsers) UserGet(_ context.Context, name string) (User, error) {
	u, ok := m.users[name]
	if !ok {
		return u, webhook.ErrNotFound
	}
	return u, nil
}
func (m *memUsers) UserSave(_ context.Context, u User) error {
	m.users[u.Username] = u
	return nil
}
func (m *memUsers) SessionDeleteUser(_ context.Context, name string) error {
	delete(m.sessions, name)
	return nil
}

func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := &memUsers{users: map[string]User{}}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := EnsureAdmin(ctx, st, "", time.Now(), log); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`password=([a-z2-7]{24})`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("generated password not logged: %s", logs.String())
	}
	if !CheckPassword(st.users[AdminUser].PasswordHash, m[1]) {
		t.Error("logged password does not sign in")
	}
	// Once only.
	logs.Reset()
	if err := EnsureAdmin(ctx, st, "", time.Now(), log); err != nil || logs.Len() != 0 {
		t.Errorf("second start: %v %q", err, logs.String())
	}

	st = &memUsers{users: map[string]User{}}
	if err := EnsureAdmin(ctx, st, "short", time.Now(), log); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if err := EnsureAdmin(ctx, st, "pw-from-config-17", time.Now(), log); err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(st.users[AdminUser].PasswordHash, "pw-from-config-17") {
		t.Error("configured password does not sign in")
	}
	if strings.Contains(logs.String(), "pw-from-config-17") {
		t.Error("a configured password was logged")
	}
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	st := &memUsers{users: map[string]User{AdminUser: {Username: AdminUser, PasswordHash: "x"}}, sessions: map[string]int{AdminUser: 2}}
	if err := ResetPassword(context.Background(), st, AdminUser, "a new password", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(st.users[AdminUser].PasswordHash, "a new password") || st.sessions[AdminUser] != 0 {
		t.Error("password not set or sessions kept")
	}
	if err := ResetPassword(context.Background(), st, AdminUser, "short", time.Now()); err == nil {
		t.Error("short password accepted")
	}
}
