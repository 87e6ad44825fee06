package dashboard_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/hookline/hookline/internal/config"
)

// TestBrowserSSO signs in with single sign-on against an OpenID Connect
// provider started inside the test, configured as an operator would
// (--oidc-* flags, the client secret in a file): the sign-in page offers
// it, one click goes to the provider and back, signed in with the role
// the claim names. The sign-in page passes axe-core in light and dark.
func TestBrowserSSO(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	secret := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secret, []byte(m.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHookline(t, func(c *config.Config) {
		c.PublicURL = "" // the provider sends the browser back to this server's own address
		c.OIDC = config.OIDC{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecretFile: secret,
			AllowedDomains: []string{"example.com"}, RoleClaim: "groups", DefaultRole: "viewer",
			Scopes: []string{"openid", "email", "groups"}}
	})
	b := startBrowser(t, chrome)
	ctx := b.ctx
	do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.WaitVisible(css("#sso")))
	for _, scheme := range []string{"light", "dark"} {
		colorScheme(t, ctx, scheme)
		axeCheck(t, ctx, axe, "/login with SSO ("+scheme+")")
		b.screenshot(t, ctx, "login-sso-"+scheme)
	}
	colorScheme(t, ctx, "light")
	m.QueueUser(&mockoidc.MockUser{Subject: "42", Email: "ana@example.com", EmailVerified: true, Groups: []string{"admin"}})
	nav(t, ctx, chromedp.Click(css("#sso")))
	do(t, ctx, waitText("main h1", "Webhooks"), waitText(".account", "ana@example.com"))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('nav a[href="/keys"]').length`)); n != 1 {
		t.Error("ana, an admin by the claim, has no API keys in the navigation")
	}
	b.screenshot(t, ctx, "sso-signed-in")
}
