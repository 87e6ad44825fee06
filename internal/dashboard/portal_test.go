package dashboard

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// localSecureJar is a cookie jar that, like browsers, treats
// http://127.0.0.1 as a secure origin, so that the portal's Secure cookie
// comes back over the test server's plain HTTP.
type localSecureJar struct{ jar *cookiejar.Jar }

func newLocalSecureJar() *localSecureJar {
	j, _ := cookiejar.New(nil)
	return &localSecureJar{jar: j}
}

func (j *localSecureJar) secure(u *url.URL) *url.URL {
	c := *u
	if h := c.Hostname(); h == "127.0.0.1" || h == "localhost" {
		c.Scheme = "https"
	}
	return &c
}

func (j *localSecureJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.jar.SetCookies(j.secure(u), cs) }
func (j *localSecureJar) Cookies(u *url.URL) []*http.Cookie        { return j.jar.Cookies(j.secure(u)) }

// portalSetup is setup with a browser that keeps the portal's cookie,
// and tenants acme (branded "Acme Cloud") and globex with a webhook each.
func portalSetup(t *testing.T) (*bundle, webhook.Webhook, webhook.Webhook) {
	t.Helper()
	b := setup(t)
	b.client.Jar = newLocalSecureJar()
	b.dash.cfg.Portals = auth.NewPortals(auth.PortalsConfig{Store: b.st, Audit: b.st, Now: b.clock.Now,
		AllowedOrigins: []string{"https://app.example.com"}})
	for _, id := range []string{"acme", "globex"} {
		in := registry.TenantInput{ID: &id}
		if id == "acme" {
			in.Branding = registry.BrandingPatch{Set: true, Value: &webhook.Branding{Name: "Acme Cloud"}}
		}
		if _, err := b.reg.CreateTenant(operator(), in); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(tenant, name, rawURL string) webhook.Webhook {
		w, _, err := b.reg.CreateWebhook(operator(), registry.WebhookInput{Tenant: &tenant, Name: &name, URL: &rawURL,
			Events: []string{webhook.AllEvents}})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	return b, mk("acme", "Acme orders", "https://acme.example/hooks"), mk("globex", "Globex billing", "https://globex.example/hooks")
}

func (b *bundle) mintPortal(m auth.PortalMint) string {
	b.t.Helper()
	_, token, err := b.dash.cfg.Portals.Mint(context.Background(), auth.System(), m)
	if err != nil {
		b.t.Fatal(err)
	}
	return token
}

func TestPortalShowsOnlyItsTenant(t *testing.T) {
	t.Parallel()
	b, acme, globex := portalSetup(t)
	token := b.mintPortal(auth.PortalMint{Tenant: "acme"})

	r := b.get("/portal/open?token=" + url.QueryEscape(token))
	if r.Status != http.StatusSeeOther || r.Location != "/portal/" {
		t.Fatalf("open: %d to %q: %s", r.Status, r.Location, r.Body)
	}
	c := r.Header.Get("Set-Cookie")
	for _, attr := range []string{PortalCookie + "=", "Path=/portal/", "HttpOnly", "Secure", "SameSite=None", "Partitioned"} {
		if !strings.Contains(c, attr) {
			t.Errorf("portal cookie %q lacks %s", c, attr)
		}
	}
	if strings.Contains(c, token) {
		t.Error("the portal cookie is the link's token")
	}

	r = b.get("/portal/")
	if r.Status != http.StatusOK {
		t.Fatalf("/portal/: %d: %s", r.Status, r.Body)
	}
	mustContain(t, r.Body, "Acme Cloud", acme.Name, acme.ID, "https://acme.example/hooks")
	mustNotContain(t, r.Body, globex.Name, globex.ID, "globex.example",
		`href="/tenants"`, `href="/keys"`, `action="/logout"`) // no admin navigation
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	// The portal session is no dashboard session.
	if r := b.get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("dashboard with a portal session: %d to %q", r.Status, r.Location)
	}
}

func TestPortalLinkRefused(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	token := b.mintPortal(auth.PortalMint{Tenant: "acme", ReturnURL: "https://app.example.com/settings"})
	if r := b.get("/portal/open?token=" + url.QueryEscape(token)); r.Status != http.StatusSeeOther {
		t.Fatalf("first open: %d: %s", r.Status, r.Body)
	}

	tests := []struct {
		name, token string
		status      int
		want        []string
	}{
		{"used", token, http.StatusGone, []string{"used already", `href="https://app.example.com/settings"`}},
		{"forged", "Zm9yZ2VkLXRva2VuLWZvcmdlZC10b2tlbi1mb3JnZWQtdG9r", http.StatusNotFound, []string{"not valid"}},
		{"missing", "", http.StatusNotFound, []string{"not valid"}},
	}
	for _, tt := range tests {
		r := b.get("/portal/open?token=" + url.QueryEscape(tt.token))
		if r.Status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, r.Status, tt.status)
		}
		mustContain(t, r.Body, append(tt.want, "/static/app.css")...)
		mustNotContain(t, r.Body, "goroutine", ".go:")
		if r.Location != "" {
			t.Errorf("%s: redirected to %q", tt.name, r.Location)
		}
	}

	expired := b.mintPortal(auth.PortalMint{Tenant: "acme", ReturnURL: "https://app.example.com/x"})
	b.clock.Add(auth.PortalOpenTTL + time.Second)
	r := b.get("/portal/open?token=" + url.QueryEscape(expired))
	if r.Status != http.StatusGone {
		t.Errorf("expired: status %d", r.Status)
	}
	mustContain(t, r.Body, "has expired", `href="https://app.example.com/x"`)
}

func TestPortalNeedsSession(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	r := b.get("/portal/")
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("/portal/ without a session: %d", r.Status)
	}
	mustContain(t, r.Body, "Link expired or missing", "/static/app.css")
	if xfo := r.Header.Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("X-Frame-Options %q", xfo)
	}

	token := b.mintPortal(auth.PortalMint{Tenant: "acme", TTL: time.Hour})
	b.get("/portal/open?token=" + url.QueryEscape(token))
	if r := b.get("/portal/"); r.Status != http.StatusOK {
		t.Fatalf("/portal/ with a session: %d", r.Status)
	}
	b.clock.Add(time.Hour)
	if r := b.get("/portal/"); r.Status != http.StatusUnauthorized {
		t.Errorf("/portal/ after the session's TTL: %d", r.Status)
	}
}
