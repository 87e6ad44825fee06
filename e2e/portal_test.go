package e2e

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
)

func withPortalOrigins(origins ...string) serverOption {
	return func(c *config.Config) { c.PortalAllowedOrigins = origins }
}

// localSecureJar is a cookie jar that, like browsers, treats localhost
// and 127.0.0.1 as secure origins, so the portal's Secure cookie comes
// back over the test server's plain HTTP.
type localSecureJar struct{ jar *cookiejar.Jar }

func (j localSecureJar) secure(u *url.URL) *url.URL {
	c := *u
	if h := c.Hostname(); h == "127.0.0.1" || h == "localhost" {
		c.Scheme = "https"
	}
	return &c
}

func (j localSecureJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.jar.SetCookies(j.secure(u), cs) }
func (j localSecureJar) Cookies(u *url.URL) []*http.Cookie        { return j.jar.Cookies(j.secure(u)) }

// TestPortalMagicLink: the operator mints a link through the API; a
// browser opens it, lands on /portal/ with a session cookie and sees its
// tenant's webhook and not another tenant's; the link does not open twice.
func TestPortalMagicLink(t *testing.T) {
	t.Parallel()
	s := startServer(t, withPortalOrigins("https://app.example.com"))
	api := client.New(s.URL, s.Key)
	ctx := t.Context()
	rc := startReceiver(t, nil)
	for _, p := range []client.WebhookCreateParams{
		{Tenant: "acme", Name: "Acme orders", URL: rc.URL + "/acme", Events: []string{"*"}},
		{Tenant: "globex", Name: "Globex billing", URL: rc.URL + "/globex", Events: []string{"*"}},
	} {
		if _, err := api.WebhookCreate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	ps, err := api.PortalSessionCreate(ctx, "acme", client.PortalSessionParams{TTL: "30m",
		ReturnURL: "https://app.example.com/settings", EventTypes: []string{"payment_*", "order.created"}})
	if err != nil {
		t.Fatalf("PortalSessionCreate: %v", err)
	}
	port := s.URL[strings.LastIndex(s.URL, ":"):]
	if !strings.HasPrefix(ps.URL, "http://localhost"+port+"/portal/open?token=") ||
		time.Until(ps.ExpiresAt) > 15*time.Minute || time.Until(ps.ExpiresAt) < 14*time.Minute {
		t.Errorf("portal session %+v", ps)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: localSecureJar{jar}, Timeout: 10 * time.Second}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get(ps.URL)
	if status != http.StatusOK || !strings.Contains(body, "Acme orders") || strings.Contains(body, "Globex billing") {
		t.Fatalf("opening the link: %d\n%s", status, body)
	}
	if !strings.Contains(body, `href="https://app.example.com/settings"`) {
		t.Error("the portal does not link back to the return URL")
	}
	status, body = get(ps.URL)
	if status != http.StatusGone || !strings.Contains(body, "used already") {
		t.Errorf("opening the link again: %d\n%s", status, body)
	}
	// The session outlives its link.
	home := strings.Replace(ps.URL, "/portal/open?"+strings.SplitN(ps.URL, "?", 2)[1], "/portal/", 1)
	if status, body := get(home); status != http.StatusOK || !strings.Contains(body, "Acme orders") {
		t.Errorf("/portal/ with the session: %d", status)
	}
	if status, _ := get(s.URL + "/portal/"); status != http.StatusUnauthorized {
		t.Errorf("/portal/ on another origin, without the cookie: %d", status)
	}

	var e *client.Error
	_, err = api.PortalSessionCreate(ctx, "acme", client.PortalSessionParams{ReturnURL: "https://evil.example.net/"})
	if !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity || e.Field != "return_url" {
		t.Errorf("return URL on another origin: %v, want 422 about return_url", err)
	}
	_, err = api.PortalSessionCreate(ctx, "acme", client.PortalSessionParams{TTL: "13h", EventTypes: []string{"a*b"}})
	if !client.IsInvalid(err) {
		t.Errorf("13h session with a bad glob: %v, want 400", err)
	}
	if _, err := api.PortalSessionCreate(ctx, "initech", client.PortalSessionParams{}); !client.IsNotFound(err) {
		t.Errorf("unknown tenant: %v, want 404", err)
	}

	// The CLI prints the link; the audit log records who minted it.
	c := newCLI(t, s, true)
	out := c.ok("tenants", "portal", "acme", "--ttl", "2h", "--read-only", "--event-type", "payment_*")
	if !strings.HasPrefix(out, "http://localhost"+port+"/portal/open?token=") {
		t.Errorf("hookline tenants portal printed %q", out)
	}
	c.fails(1, []string{"return_url"}, "tenants", "portal", "acme", "--return-url", "https://evil.example.net/")
	audit, err := api.AuditList(ctx, client.AuditListParams{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit.Data {
		if a.Action == "portal_link.create" && a.Target == "acme" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d portal_link.create entries for acme, want 2", n)
	}
}
