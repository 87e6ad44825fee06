package dashboard

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

var plainKeyRE = regexp.MustCompile(`hkl_[A-Za-z0-9_-]{43}`)

// createKey submits the new-key form and returns the key shown once.
func (b *bundle) createKey(form url.Values) (auth.APIKey, string) {
	b.t.Helper()
	r := b.post("/keys", form)
	if r.Status != http.StatusCreated {
		b.t.Fatalf("create key: status %d: %s", r.Status, r.Body)
	}
	plain := plainKeyRE.FindString(r.Body)
	if plain == "" {
		b.t.Fatalf("no key on the result page: %s", r.Body)
	}
	k, err := b.st.APIKeyByHash(context.Background(), auth.Hash(plain))
	if err != nil {
		b.t.Fatalf("the key shown is not stored: %v", err)
	}
	return k, plain
}

func TestKeysCreateShowOnceAndRevoke(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	ctx := context.Background()

	r := b.get("/keys")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /keys: %d", r.Status)
	}
	mustContain(t, r.Body, "No API keys yet", `action="/keys"`, `href="/keys" aria-current="page"`, `href="/audit"`)

	r = b.post("/keys", url.Values{"name": {"CI deploy"}, "scope": {"publish"}, "days": {"30"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	plain := plainKeyRE.FindString(r.Body)
	if plain == "" {
		t.Fatal("the new key is not shown")
	}
	mustContain(t, r.Body, "you will not see it again", `data-copy="new-api-key"`, "CI deploy", "publish")
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("result page Cache-Control %q, want no-store", cc)
	}

	// Only the hash is stored.
	k, err := b.st.APIKeyByHash(ctx, auth.Hash(plain))
	if err != nil {
		t.Fatalf("key not stored by hash: %v", err)
	}
	if _, err := b.st.APIKeyByHash(ctx, []byte(plain)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("key found by its plaintext: %v", err)
	}
	if k.Name != "CI deploy" || len(k.Scopes) != 1 || k.Scopes[0] != auth.ScopePublish || k.ExpiresAt == nil {
		t.Fatalf("stored key: %+v", k)
	}
	if want := b.clock.Now().Add(30 * 24 * time.Hour); k.ExpiresAt.Sub(want).Abs() > time.Second {
		t.Errorf("expires at %v, want %v", k.ExpiresAt, want)
	}

	// The list shows the key, never its plaintext again.
	r = b.get("/keys")
	mustContain(t, r.Body, "CI deploy", k.Prefix+"…", "Active", `href="/keys/`+k.ID+`/revoke"`)
	mustNotContain(t, r.Body, plain, plain[len(k.Prefix):])

	authn := auth.NewAuthenticator(b.st, time.Minute, b.clock.Now)
	if got, err := authn.Authenticate(ctx, plain); err != nil || got.ID != k.ID {
		t.Fatalf("new key refused: %v", err)
	}

	// Revoking asks first, and the question page changes nothing.
	r = b.get("/keys/" + k.ID + "/revoke")
	if r.Status != http.StatusOK {
		t.Fatalf("confirm page: %d", r.Status)
	}
	mustContain(t, r.Body, "Revoke this API key?", `action="/keys/`+k.ID+`/revoke"`)
	if k, _ := b.st.APIKeyByHash(ctx, auth.Hash(plain)); k.RevokedAt != nil {
		t.Fatal("the confirmation page revoked the key")
	}

	r = b.post("/keys/"+k.ID+"/revoke", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/keys?notice=key-revoked" {
		t.Fatalf("revoke: %d %q %s", r.Status, r.Location, r.Body)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "API key revoked.", "Revoked")
	mustNotContain(t, r.Body, `href="/keys/`+k.ID+`/revoke"`)

	// The API refuses it now (a fresh authenticator: another instance,
	// or this one after its key cache forgot).
	if _, err := auth.NewAuthenticator(b.st, time.Minute, b.clock.Now).Authenticate(ctx, plain); err != auth.ErrUnauthorized {
		t.Errorf("revoked key: %v, want ErrUnauthorized", err)
	}

	// Revoking again is harmless and records nothing more.
	if r := b.post("/keys/"+k.ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Errorf("second revoke: %d", r.Status)
	}
	r = b.get("/keys/" + k.ID + "/revoke")
	mustContain(t, r.Body, "already revoked")
	page, err := b.st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: k.ID})
	if err != nil || len(page.Entries) != 2 || page.Entries[0].Action != "key.revoke" || page.Entries[0].Actor != "user:"+testUser {
		t.Errorf("audit log of the key after two revocations: %+v, %v; want one key.revoke by the user", page.Entries, err)
	}
}

func TestKeysRevokeTellsTheKeyCache(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A second dashboard on the same store, configured before it serves.
	var forgotten atomic.Int32
	keys := auth.NewKeys(auth.KeysConfig{Store: b.st, Audit: b.st, Now: b.clock.Now, Forget: func() { forgotten.Add(1) }})
	d, err := New(Config{Store: b.st, Registry: b.reg, Inspector: b.insp, Now: b.clock.Now, Version: "test", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	b2 := *b
	b2.dash, b2.srv = d, srv
	b2.client = &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	b2.signIn()
	k, _ := b2.createKey(url.Values{"name": {"cache"}, "scope": {"admin"}})
	if r := b2.post("/keys/"+k.ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if n := forgotten.Load(); n != 1 {
		t.Errorf("Forget called %d times, want 1", n)
	}
}

func TestKeysValidationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()

	for _, tc := range []struct {
		form url.Values
		want []string
	}{
		{url.Values{"name": {"  "}, "scope": {"admin"}}, []string{`id="name-error">must be 1 to 200 characters`}},
		{url.Values{"name": {strings.Repeat("x", 201)}, "scope": {"admin"}}, []string{`id="name-error">`}},
		{url.Values{"name": {"ok"}, "scope": {"root"}}, []string{`id="scope-error">unknown scope &#34;root&#34;`}},
		{url.Values{"name": {"ok"}}, []string{`id="scope-error">choose admin or publish`}},
		{url.Values{"name": {"kept name"}, "scope": {"publish"}, "days": {"abc"}},
			[]string{`id="days-error">must be a whole number of days`, `value="kept name"`, `value="abc"`, `value="publish" checked`}},
		{url.Values{"name": {"ok"}, "scope": {"publish"}, "days": {"0"}}, []string{`id="days-error">`}},
		{url.Values{"name": {"ok"}, "scope": {"publish"}, "days": {"99999"}}, []string{`id="days-error">`}},
	} {
		r := b.post("/keys", tc.form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d", tc.form, r.Status)
			continue
		}
		mustContain(t, r.Body, append(tc.want, `aria-invalid="true"`, "Please correct the fields marked below.")...)
		mustNotContain(t, r.Body, "hkl_")
	}
	keys, err := b.st.APIKeyList(context.Background(), auth.AllTenants())
	if err != nil || len(keys) != 0 {
		t.Fatalf("invalid forms stored keys: %v %v", keys, err)
	}
}

// TestKeysFormShowsEveryFieldsMessage: the form's own problems (scope,
// days) and auth's (name) are shown together, each at its field.
func TestKeysFormShowsEveryFieldsMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	r := b.post("/keys", url.Values{"name": {" "}, "days": {"abc"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	mustContain(t, r.Body, `id="name-error">must be 1 to 200 characters`, `id="scope-error">choose admin or publish`,
		`id="days-error">must be a whole number of days`, "Please correct the fields marked below.")
	mustNotContain(t, r.Body, "hkl_")
}

func TestKeysNameIsEscaped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	const name = `<script>alert("k")</script>`
	r := b.post("/keys", url.Values{"name": {name}, "scope": {"admin"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d", r.Status)
	}
	for _, page := range []response{r, b.get("/keys"), b.get("/audit")} {
		mustContain(t, page.Body, "&lt;script&gt;alert(&#34;k&#34;)&lt;/script&gt;")
		mustNotContain(t, page.Body, name)
	}
}

func TestKeysCrossSitePostIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	k, plain := b.createKey(url.Values{"name": {"victim"}, "scope": {"admin"}})

	r := b.post("/keys", url.Values{"name": {"forged"}, "scope": {"admin"}}, "Sec-Fetch-Site", "cross-site")
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site create: %d, want 403", r.Status)
	}
	mustContain(t, r.Body, "cross-site request forgery")
	mustNotContain(t, r.Body, "hkl_")
	r = b.post("/keys/"+k.ID+"/revoke", nil, "Sec-Fetch-Site", "", "Origin", "https://evil.example")
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site revoke: %d, want 403", r.Status)
	}
	keys, err := b.st.APIKeyList(context.Background(), auth.AllTenants())
	if err != nil || len(keys) != 1 || keys[0].RevokedAt != nil {
		t.Fatalf("a forged request changed the keys: %+v %v", keys, err)
	}
	if _, err := auth.NewAuthenticator(b.st, 0, b.clock.Now).Authenticate(context.Background(), plain); err != nil {
		t.Errorf("key refused after a forged revoke: %v", err)
	}
}

func TestKeysSignedOutAndUnknown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.get("/keys"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("signed out GET /keys: %d %q", r.Status, r.Location)
	}
	// A signed-out post gets the sign-in page (keeping the form), not a key.
	if r := b.post("/keys", url.Values{"name": {"x"}, "scope": {"admin"}}); r.Status != http.StatusUnauthorized ||
		!strings.Contains(r.Body, `name="resume_path" value="/keys"`) {
		t.Errorf("signed out POST /keys: %d", r.Status)
	}
	if keys, err := b.st.APIKeyList(context.Background(), auth.AllTenants()); err != nil || len(keys) != 0 {
		t.Errorf("a signed-out post made keys: %+v %v", keys, err)
	}
	b.signIn()
	const missing = "key_01j9z3k4m5n6p7q8r9s0t1v2w3"
	if r := b.get("/keys/" + missing + "/revoke"); r.Status != http.StatusNotFound {
		t.Errorf("confirm unknown key: %d", r.Status)
	}
	if r := b.post("/keys/"+missing+"/revoke", nil); r.Status != http.StatusNotFound {
		t.Errorf("revoke unknown key: %d", r.Status)
	}
}

func TestKeysExpiredState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	b.createKey(url.Values{"name": {"short-lived"}, "scope": {"publish"}, "days": {"1"}})
	mustContain(t, b.get("/keys").Body, "Active")
	b.clock.Add(25 * time.Hour)
	b.signIn() // the session outlived its 12 h
	r := b.get("/keys")
	mustContain(t, r.Body, "Expired")
	mustNotContain(t, r.Body, `<span class="badge ok">Active</span>`)
}

// TestKeyFormSentTwice: sending the same rendering of the "create API
// key" form again (a reload of the answer page) makes no second key; it
// leads back to the list, which says why.
func TestKeyFormSentTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	page := b.get("/keys")
	m := regexp.MustCompile(`name="once" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("the key form carries no one-shot token")
	}
	form := url.Values{"name": {"ci"}, "scope": {"publish"}, "once": {m[1]}}
	if r := b.post("/keys", form); r.Status != http.StatusCreated {
		t.Fatalf("first send: %d", r.Status)
	}
	r := b.post("/keys", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/keys?notice=key-exists#key_") {
		t.Fatalf("second send: %d %q", r.Status, r.Location)
	}
	mustContain(t, b.get(r.Location).Body, "That form was already sent")
	keys, err := b.st.APIKeyList(context.Background(), auth.AllTenants())
	if err != nil || len(keys) != 1 {
		t.Errorf("%d keys after sending the form twice (%v)", len(keys), err)
	}
	// A fresh rendering makes a new key.
	m = regexp.MustCompile(`name="once" value="([^"]+)"`).FindStringSubmatch(b.get("/keys").Body)
	form.Set("once", m[1])
	if r := b.post("/keys", form); r.Status != http.StatusCreated {
		t.Errorf("a new form: %d", r.Status)
	}
}
