package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
)

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

func TestFromRequest(t *testing.T) {
	t.Parallel()
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{name: "bearer", headers: map[string]string{"Authorization": "Bearer hkl_abc"}, want: "hkl_abc"},
		{name: "bearer with spaces", headers: map[string]string{"Authorization": "Bearer   hkl_abc  "}, want: "hkl_abc"},
		{name: "basic user, no password", headers: map[string]string{"Authorization": basic("hkl_abc", "")}, want: "hkl_abc"},
		{name: "basic user, any password", headers: map[string]string{"Authorization": basic("hkl_abc", "ignored")}, want: "hkl_abc"},
		{name: "x-api-key", headers: map[string]string{"X-API-Key": "hkl_abc"}, want: "hkl_abc"},
		{name: "x-api-key lower case name", headers: map[string]string{"x-api-key": " hkl_abc "}, want: "hkl_abc"},
		{name: "bearer wins over x-api-key", headers: map[string]string{"Authorization": "Bearer hkl_a", "X-API-Key": "hkl_b"}, want: "hkl_a"},
		{name: "unknown scheme falls back to x-api-key", headers: map[string]string{"Authorization": "Token hkl_a", "X-API-Key": "hkl_b"}, want: "hkl_b"},
		{name: "unknown scheme alone", headers: map[string]string{"Authorization": "Token hkl_a"}, want: ""},
		{name: "bad basic encoding", headers: map[string]string{"Authorization": "Basic !!!"}, want: ""},
		{name: "none", headers: map[string]string{}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/api/v1/webhooks", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := auth.FromRequest(r); got != tt.want {
				t.Errorf("FromRequest = %q, want %q", got, tt.want)
			}
		})
	}
}

// RFC 9110 section 11.1: the authentication scheme is a case-insensitive
// token, as net/http's BasicAuth already treats "basic". Clients and
// no-code tools do send "bearer".
func TestFromRequestSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"bearer hkl_abc", "BEARER hkl_abc"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		if got := auth.FromRequest(r); got != "hkl_abc" {
			t.Errorf("FromRequest(%q) = %q, want hkl_abc", h, got)
		}
	}
}

// countingStore is the real SQLite store with lookups counted, to see the
// cache at work.
type countingStore struct {
	*sqlite.Store
	mu      sync.Mutex
	lookups int
}

func (s *countingStore) APIKeyByHash(ctx context.Context, hash []byte) (auth.APIKey, error) {
	s.mu.Lock()
	s.lookups++
	s.mu.Unlock()
	return s.Store.APIKeyByHash(ctx, hash)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

var _ auth.KeyStore = (*countingStore)(nil)

type bundle struct {
	ctx   context.Context
	store *countingStore
	clock *fakeclock.Clock
	authn *auth.Authenticator
}

const ttl = 2 * time.Second

func setup(t *testing.T) *bundle {
	t.Helper()
	st := sqlitetest.Open(t)
	b := &bundle{ctx: context.Background(), store: &countingStore{Store: st}, clock: fakeclock.New(t0)}
	b.authn = auth.NewAuthenticator(b.store, ttl, b.clock.Now)
	return b
}

func (b *bundle) create(t *testing.T, p auth.CreateParams) (auth.APIKey, string) {
	t.Helper()
	k, key, err := auth.Create(b.ctx, b.store, p, b.clock.Now())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return k, key
}

func ptr[T any](v T) *T { return &v }

func TestCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, key := b.create(t, auth.CreateParams{Name: "  ci  ", Scopes: []string{auth.ScopePublish}})
	if !strings.HasPrefix(key, auth.KeyPrefix) || len(key) != len(auth.KeyPrefix)+43 {
		t.Errorf("key = %q, want hkl_ + 43 characters", key)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, auth.KeyPrefix))
	if err != nil || len(raw) != 32 {
		t.Errorf("key body is not 32 base64url bytes: %v", err)
	}
	if !webhook.HasPrefix(k.ID, auth.PrefixAPIKey) || k.Name != "ci" || k.Prefix != key[:10] ||
		len(k.Scopes) != 1 || k.Scopes[0] != auth.ScopePublish || !k.CreatedAt.Equal(t0) || k.ExpiresAt != nil {
		t.Errorf("key = %+v", k)
	}

	// Only a hash is stored, and it is not the key.
	h := auth.Hash(key)
	if len(h) != 32 || bytes.Equal(h, []byte(key)) || bytes.Contains(h, []byte(key[len(auth.KeyPrefix):])) {
		t.Errorf("Hash(key) = %x", h)
	}
	stored, err := b.store.Store.APIKeyByHash(b.ctx, h)
	if err != nil || stored.ID != k.ID {
		t.Errorf("lookup by hash = %+v, %v", stored, err)
	}
	if _, err := b.store.Store.APIKeyByHash(b.ctx, []byte(key)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("lookup by plaintext key: %v, want not found", err)
	}

	// Two keys never collide.
	_, other := b.create(t, auth.CreateParams{Name: "other"})
	if other == key {
		t.Error("two keys are equal")
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name       string
		p          auth.CreateParams
		wantField  string
		wantScopes []string
	}{
		{name: "defaults to admin", p: auth.CreateParams{Name: "k"}, wantScopes: []string{auth.ScopeAdmin}},
		{name: "publish", p: auth.CreateParams{Name: "k", Scopes: []string{"publish"}}, wantScopes: []string{"publish"}},
		{name: "both", p: auth.CreateParams{Name: "k", Scopes: []string{"publish", "admin"}}, wantScopes: []string{"publish", "admin"}},
		{name: "name 200", p: auth.CreateParams{Name: strings.Repeat("n", 200)}, wantScopes: []string{"admin"}},
		{name: "future expiry", p: auth.CreateParams{Name: "k", ExpiresAt: ptr(t0.Add(time.Second))}, wantScopes: []string{"admin"}},

		{name: "name empty", p: auth.CreateParams{Name: ""}, wantField: "name"},
		{name: "name blank", p: auth.CreateParams{Name: " \t "}, wantField: "name"},
		{name: "name 201", p: auth.CreateParams{Name: strings.Repeat("n", 201)}, wantField: "name"},
		{name: "unknown scope", p: auth.CreateParams{Name: "k", Scopes: []string{"write"}}, wantField: "scopes"},
		{name: "unknown among known", p: auth.CreateParams{Name: "k", Scopes: []string{"publish", "Admin"}}, wantField: "scopes"},
		{name: "empty scope", p: auth.CreateParams{Name: "k", Scopes: []string{""}}, wantField: "scopes"},
		{name: "expiry now", p: auth.CreateParams{Name: "k", ExpiresAt: ptr(t0)}, wantField: "expires_at"},
		{name: "expiry past", p: auth.CreateParams{Name: "k", ExpiresAt: ptr(t0.Add(-time.Hour))}, wantField: "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, key, err := auth.Create(b.ctx, b.store, tt.p, t0)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if strings.Join(k.Scopes, ",") != strings.Join(tt.wantScopes, ",") {
					t.Errorf("Scopes = %q, want %q", k.Scopes, tt.wantScopes)
				}
				return
			}
			var e *webhook.Error
			if !errors.As(err, &e) || e.Code != webhook.EINVALID || e.Field != tt.wantField {
				t.Errorf("Create error = %v, want EINVALID on %q", err, tt.wantField)
			}
			if key != "" || k.ID != "" {
				t.Errorf("a refused key was returned: %+v %q", k, key)
			}
		})
	}
}

// TestCreateReportsEveryProblem: a request with several bad fields hears
// about all of them, each at its JSON pointer.
func TestCreateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := auth.CreateParams{Name: " ", Scopes: []string{"delete", "admin", "write"}, ExpiresAt: ptr(t0)}
	_, _, err := auth.Create(b.ctx, b.store, p, t0)
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok {
		t.Fatalf("Create error = %v, want *webhook.Error", err)
	}
	var got []string
	for _, pr := range e.Problems() {
		got = append(got, pr.Pointer+" "+pr.Message)
	}
	want := []string{
		"/name must be 1 to 200 characters",
		`/scopes/0 unknown scope "delete" (use owner, admin, publish or read)`,
		`/scopes/2 unknown scope "write" (use owner, admin, publish or read)`,
		"/expires_at must be in the future",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := p.Check(t0); err == nil {
		t.Error("Check accepted what Create refuses")
	}
}

// The limit is documented as characters ("must be 1 to 200 characters")
// and the registry counts runes for every other name; 150 "é" is 150
// characters.
func TestCreateNameLimitCountsCharacters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, _, err := auth.Create(b.ctx, b.store, auth.CreateParams{Name: strings.Repeat("é", 150)}, t0); err != nil {
		t.Errorf("a 150-character name was refused: %v", err)
	}
}

func TestAuthenticateValid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, key := b.create(t, auth.CreateParams{Name: "ci", Scopes: []string{auth.ScopePublish}})
	got, err := b.authn.Authenticate(b.ctx, key)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got.ID != k.ID || got.Name != "ci" || len(got.Scopes) != 1 || got.Scopes[0] != auth.ScopePublish {
		t.Errorf("key = %+v", got)
	}
	// The use is recorded.
	list, err := b.store.APIKeyList(b.ctx, auth.AllTenants())
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(t0) {
		t.Errorf("APIKeyList = %+v, %v; want LastUsedAt %v", list, err, t0)
	}
	// Within the ttl the cache answers.
	for range 3 {
		if _, err := b.authn.Authenticate(b.ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.store.count(); n != 1 {
		t.Errorf("store lookups = %d, want 1", n)
	}
	b.clock.Add(ttl + time.Nanosecond)
	if _, err := b.authn.Authenticate(b.ctx, key); err != nil {
		t.Fatal(err)
	}
	if n := b.store.count(); n != 2 {
		t.Errorf("store lookups after the ttl = %d, want 2", n)
	}
}

func TestAuthenticateUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, key := b.create(t, auth.CreateParams{Name: "ci"})
	body := strings.TrimPrefix(key, auth.KeyPrefix)
	tests := []struct {
		name          string
		presented     string
		wantNoLookups bool
	}{
		{name: "empty", presented: "", wantNoLookups: true},
		{name: "unknown key", presented: auth.NewKey()},
		{name: "no prefix", presented: body, wantNoLookups: true},
		{name: "wrong prefix", presented: "sk_" + body, wantNoLookups: true},
		{name: "upper-case prefix", presented: "HKL_" + body, wantNoLookups: true},
		{name: "prefix only", presented: auth.KeyPrefix},
		{name: "one character changed", presented: key[:len(key)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(key, "A")]},
		{name: "truncated", presented: key[:len(key)-1]},
		{name: "extended", presented: key + "x"},
		{name: "very long", presented: key + strings.Repeat("x", 1000), wantNoLookups: true},
		{name: "the stored prefix", presented: key[:10]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.store.count()
			_, err := b.authn.Authenticate(b.ctx, tt.presented)
			requireUnauthorized(t, err)
			if n := b.store.count() - before; tt.wantNoLookups && n != 0 {
				t.Errorf("%d store lookups for a key that cannot be valid", n)
			}
		})
	}
}

// requireUnauthorized checks err is the one unauthorized answer: the same
// value, so nothing says which case it was.
func requireUnauthorized(t *testing.T, err error) {
	t.Helper()
	if err != auth.ErrUnauthorized { //nolint:errorlint // identity is the point
		t.Fatalf("err = %v, want exactly auth.ErrUnauthorized", err)
	}
	if webhook.ErrorCode(err) != webhook.EUNAUTHORIZED || err.Error() != auth.ErrUnauthorized.Error() {
		t.Errorf("err = %v", err)
	}
}

func TestAuthenticateRevoked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		notice func(b *bundle) // what happens between revocation and the next request
	}{
		{name: "this instance forgets at once", notice: func(b *bundle) { b.authn.Forget() }},
		{name: "another instance within the ttl", notice: func(b *bundle) { b.clock.Add(ttl + time.Nanosecond) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			k, key := b.create(t, auth.CreateParams{Name: "ci"})
			if _, err := b.authn.Authenticate(b.ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := b.store.APIKeyRevoke(b.ctx, auth.AllTenants(), k.ID, b.clock.Now()); err != nil {
				t.Fatal(err)
			}
			tt.notice(b)
			_, err := b.authn.Authenticate(b.ctx, key)
			requireUnauthorized(t, err)
		})
	}
}

// Without Forget, a revoked key keeps passing until the cache entry
// expires: that is the documented bound, and the ttl must apply.
func TestAuthenticateRevokedCachedUntilTTL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, key := b.create(t, auth.CreateParams{Name: "ci"})
	if _, err := b.authn.Authenticate(b.ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := b.store.APIKeyRevoke(b.ctx, auth.AllTenants(), k.ID, t0); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(ttl)
	if _, err := b.authn.Authenticate(b.ctx, key); err != nil {
		t.Errorf("at exactly the ttl the cached answer still stands: %v", err)
	}
	b.clock.Add(time.Nanosecond)
	_, err := b.authn.Authenticate(b.ctx, key)
	requireUnauthorized(t, err)
}

func TestAuthenticateExpired(t *testing.T) {
	t.Parallel()
	b := setup(t)
	expires := t0.Add(time.Hour)
	_, key := b.create(t, auth.CreateParams{Name: "temp", ExpiresAt: &expires})
	tests := []struct {
		at     time.Time
		wantOK bool
	}{
		{at: t0, wantOK: true},
		{at: expires.Add(-time.Nanosecond), wantOK: true},
		{at: expires},
		{at: expires.Add(time.Minute)},
	}
	for _, tt := range tests {
		b.clock.Set(tt.at)
		// Expiry is checked on every request, cached or not.
		_, err := b.authn.Authenticate(b.ctx, key)
		if tt.wantOK {
			if err != nil {
				t.Errorf("at %v: %v", tt.at, err)
			}
			continue
		}
		if err != auth.ErrUnauthorized { //nolint:errorlint // identity is the point
			t.Errorf("at %v: err = %v, want ErrUnauthorized", tt.at, err)
		}
	}
}

// brokenStore fails every lookup, as a database that is down does.
type brokenStore struct{ auth.KeyStore }

var errDown = errors.New("database is down")

func (brokenStore) APIKeyByHash(context.Context, []byte) (auth.APIKey, error) {
	return auth.APIKey{}, errDown
}

// A storage failure is not "unauthorized": the client did nothing wrong
// and must see a 5xx, not be told its key is bad.
func TestAuthenticateStoreError(t *testing.T) {
	t.Parallel()
	a := auth.NewAuthenticator(brokenStore{}, ttl, nil)
	_, err := a.Authenticate(context.Background(), auth.NewKey())
	if !errors.Is(err, errDown) || errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("err = %v, want the storage error", err)
	}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scopes []string
		need   string
		want   bool
	}{
		{scopes: []string{auth.ScopeAdmin}, need: auth.ScopeAdmin, want: true},
		{scopes: []string{auth.ScopeAdmin}, need: auth.ScopePublish, want: true},
		{scopes: []string{auth.ScopeAdmin}, need: "anything", want: true},
		{scopes: []string{auth.ScopePublish}, need: auth.ScopePublish, want: true},
		{scopes: []string{auth.ScopePublish}, need: auth.ScopeAdmin, want: false},
		{scopes: []string{auth.ScopePublish, auth.ScopeAdmin}, need: auth.ScopeAdmin, want: true},
		{scopes: nil, need: auth.ScopePublish, want: false},
		{scopes: []string{"Admin"}, need: auth.ScopePublish, want: false},
	}
	for _, tt := range tests {
		k := auth.APIKey{Scopes: tt.scopes}
		if got := auth.Allows(k, tt.need); got != tt.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", tt.scopes, tt.need, got, tt.want)
		}
		if got := auth.KeyPrincipal(k).Can(tt.need); got != tt.want {
			t.Errorf("KeyPrincipal(%q).Can(%q) = %v, want %v", tt.scopes, tt.need, got, tt.want)
		}
	}
}

func TestKeyContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.PrincipalFrom(context.Background()); ok {
		t.Error("PrincipalFrom on a bare context reports a principal")
	}
	k := auth.APIKey{ID: "key_1", Name: "ci"}
	p, ok := auth.PrincipalFrom(auth.WithPrincipal(context.Background(), auth.KeyPrincipal(k)))
	got, isKey := p.Key()
	if !ok || !isKey || got.ID != k.ID {
		t.Errorf("key of the context's principal = %+v, %v, %v", got, ok, isKey)
	}
}
