package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/store"
)

// ssoSetup is a dashboard with single sign-on to an OpenID Connect
// provider started inside the test (mockoidc): users of example.com are
// let in, their role from the "groups" claim.
func ssoSetup(t *testing.T) (*bundle, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	b := setup(t, func(c *Config) {
		c.SSO = &SSOConfig{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret,
			Scopes: []string{"openid", "email", "groups"}, RoleClaim: "groups",
			Policy: auth.SSOPolicy{AllowedDomains: []string{"example.com"}, DefaultRole: auth.RoleViewer},
			Client: egress.NewClient(egress.Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 10 * time.Second})}
	})
	return b, m
}

// ssoSignIn goes through the whole single sign-on in a fresh browser
// (following every redirect: here, to the provider, which signs the
// queued user in at once, and back) and returns the last answer.
func (b *bundle) ssoSignIn(m *mockoidc.MockOIDC, u *mockoidc.MockUser, next string) (int, string, string) {
	b.t.Helper()
	m.QueueUser(u)
	jar, _ := cookiejar.New(nil)
	b.client.Jar = jar
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	resp, err := c.Get(b.srv.URL + "/login/sso?next=" + url.QueryEscape(next))
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(body)
}

func TestSSOSignIn(t *testing.T) {
	t.Parallel()
	b, m := ssoSetup(t)
	ctx := context.Background()
	mustContain(t, b.get("/login").Body, `id="sso"`, "Sign in with single sign-on")

	// A new user of an allowed domain: made with the role its claim names,
	// signed in, and back where they were going.
	status, path, body := b.ssoSignIn(m, &mockoidc.MockUser{Subject: "1", Email: "Jane@Example.com", EmailVerified: true,
		Groups: []string{"engineering", "admin"}}, "/events")
	if status != http.StatusOK || path != "/events" {
		t.Fatalf("sign-in: %d at %s:\n%s", status, path, body)
	}
	mustContain(t, body, "jane@example.com")
	jane, err := b.st.UserGet(ctx, "jane@example.com")
	if err != nil || jane.Role != auth.RoleAdmin {
		t.Fatalf("jane: %+v, %v", jane, err)
	}
	if r := b.get("/keys"); r.Status != http.StatusOK {
		t.Errorf("jane, an admin, on /keys: %d", r.Status)
	}
	if r := b.get("/account"); !strings.Contains(r.Body, "You sign in with single sign-on") || strings.Contains(r.Body, "current_password") {
		t.Errorf("jane's account page offers to change a password she does not have")
	}
	// Her account has no password: the provider is the only way in.
	b.client.Jar, _ = cookiejar.New(nil)
	if r := b.post("/login", url.Values{"username": {"jane@example.com"}, "password": {"sso"}}); r.Status != http.StatusUnauthorized {
		t.Errorf("a password sign-in to an SSO account: %d", r.Status)
	}

	// The claim sets the role at each sign-in; no role in it, the default.
	b.ssoSignIn(m, &mockoidc.MockUser{Subject: "1", Email: "jane@example.com", EmailVerified: true, Groups: []string{"viewer"}}, "/")
	if u, _ := b.st.UserGet(ctx, "jane@example.com"); u.Role != auth.RoleViewer {
		t.Errorf("jane after a viewer claim: %s", u.Role)
	}
	if r := b.post("/webhooks/new", url.Values{"name": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("jane as a viewer posts: %d", r.Status)
	}
	b.ssoSignIn(m, &mockoidc.MockUser{Subject: "2", Email: "kim@example.com", EmailVerified: true}, "/")
	if u, _ := b.st.UserGet(ctx, "kim@example.com"); u.Role != auth.RoleViewer {
		t.Errorf("kim, no role claim: %q, want the default viewer", u.Role)
	}

	// Refused: another domain without an account, an unverified address.
	status, _, body = b.ssoSignIn(m, &mockoidc.MockUser{Subject: "3", Email: "eve@elsewhere.test", EmailVerified: true,
		Groups: []string{"owner"}}, "/")
	if status != http.StatusForbidden || !strings.Contains(body, "ask an owner to invite you") {
		t.Errorf("another domain: %d", status)
	}
	if _, err := b.st.UserGet(ctx, "eve@elsewhere.test"); err == nil {
		t.Error("eve was made")
	}
	status, _, body = b.ssoSignIn(m, &mockoidc.MockUser{Subject: "4", Email: "liz@example.com", EmailVerified: false}, "/")
	if status != http.StatusForbidden || !strings.Contains(body, "not verified") {
		t.Errorf("an unverified address: %d", status)
	}
	// Another domain with an account (an invited user) gets in.
	b.addUser("ops@elsewhere.test", auth.RoleAdmin)
	if status, path, _ := b.ssoSignIn(m, &mockoidc.MockUser{Subject: "5", Email: "ops@elsewhere.test", EmailVerified: true}, "/"); status != http.StatusOK || path != "/" {
		t.Errorf("an existing user of another domain: %d at %s", status, path)
	}

	// An answer that no sign-in here started is refused.
	b.client.Jar, _ = cookiejar.New(nil)
	if r := b.get("/login/sso/callback?state=forged&code=x"); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, "does not belong to a sign-in started here") {
		t.Errorf("a forged callback: %d", r.Status)
	}
	// A claim cannot demote the last owner.
	b.addUser("boss@example.com", auth.RoleOwner)
	if err := b.st.UserDelete(ctx, testUser); err != nil {
		t.Fatal(err)
	}
	b.ssoSignIn(m, &mockoidc.MockUser{Subject: "6", Email: "boss@example.com", EmailVerified: true, Groups: []string{"viewer"}}, "/")
	if u, _ := b.st.UserGet(ctx, "boss@example.com"); u.Role != auth.RoleOwner {
		t.Errorf("the last owner after a viewer claim: %s", u.Role)
	}

	page, err := b.st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: "jane@example.com", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
	}
	want := []string{"user:jane@example.com user.sign_in 127.0.0.1, single sign-on",
		"system user.role_change admin → viewer, from the identity provider",
		"address:127.0.0.1 user.sign_in_failed ",
		"user:jane@example.com user.sign_in 127.0.0.1, single sign-on",
		"system user.create role admin, by single sign-on"}
	if !slices.Equal(got, want) {
		t.Errorf("jane's audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Without single sign-on its routes do not exist and the sign-in page
// offers none.
func TestSSOOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mustNotContain(t, b.get("/login").Body, `id="sso"`)
	if r := b.get("/login/sso"); r.Status != http.StatusNotFound {
		t.Errorf("/login/sso without SSO: %d", r.Status)
	}
}
