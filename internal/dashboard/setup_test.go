package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/alerting"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	testUser     = "admin"
	testPassword = "correct horse battery"
	// testPublicURL is where the test inspector says its bins live. Nothing
	// resolves it: deliveries to it are served in process.
	testPublicURL = "http://hookline.test"
)

// bundle is a dashboard on a real SQLite store behind a real HTTP server,
// with a browser-like client (cookie jar, redirects not followed).
type bundle struct {
	t      *testing.T
	st     store.Store
	reg    *registry.Registry
	insp   *inspect.Inspector
	dash   *Dashboard
	srv    *httptest.Server
	clock  *fakeclock.Clock
	client *http.Client
}

func setup(t *testing.T, tweaks ...func(*Config)) *bundle {
	t.Helper()
	st := sqlitetest.Open(t)
	ctx := context.Background()
	types, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EventTypeSeed(ctx, types); err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(time.Now())
	// Receivers in these tests are on loopback; bins are reached in process.
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	insp, err := inspect.New(inspect.Config{Store: st, PublicURL: testPublicURL, RedactCookie: SessionCookie, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	client := egress.NewClient(egress.Config{AllowPrivate: loopback, Timeout: 5 * time.Second})
	client.Transport = insp.Transport(client.Transport)
	dlv := deliver.New(deliver.Config{Client: client, Version: "test", Timeout: 5 * time.Second})
	reg := registry.New(registry.Config{Store: st, Guard: egress.NewGuard(loopback), Sender: dlv,
		Transform: transform.Limits{Timeout: time.Minute}}) // transform tests must not time out on a busy machine
	alerts := alerting.New(alerting.Config{Store: st, Owner: "inst_test", Guard: egress.NewGuard(loopback),
		Client: egress.NewClient(egress.Config{AllowPrivate: loopback, Timeout: 5 * time.Second}), Now: clk.Now})
	cfg := Config{Store: st, Registry: reg, Inspector: insp, Alerts: alerts, Now: clk.Now, Version: "test", HashPassword: cheapHash}
	for _, tw := range tweaks {
		tw(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPasswordCost(testPassword, 1000) // fast: the KDF cost is tested on its own
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UserSave(ctx, auth.User{Username: testUser, PasswordHash: hash, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	insp.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &bundle{t: t, st: st, reg: reg, insp: insp, dash: d, srv: srv, clock: clk, client: hc}
}

// cheapHash hashes new passwords fast: the KDF cost is tested on its own.
func cheapHash(p string) (string, error) { return auth.HashPasswordCost(p, 1000) }

// response is a finished request.
type response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *bundle) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (b *bundle) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form the way a browser does from one of the dashboard's
// own pages (Sec-Fetch-Site: same-origin); extra headers override.
func (b *bundle) post(path string, form url.Values, headers ...string) response {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.srv.URL)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *bundle) signIn() {
	b.t.Helper()
	r := b.post("/login", url.Values{"username": {testUser}, "password": {testPassword}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		b.t.Fatalf("sign in: status %d, location %q: %s", r.Status, r.Location, r.Body)
	}
}

// createWebhook makes a webhook through the registry and returns it.
func (b *bundle) createWebhook(name, rawURL string, events ...string) webhook.Webhook {
	b.t.Helper()
	w, _, err := b.reg.CreateWebhook(operator(), registry.WebhookInput{Name: &name, URL: &rawURL, Events: events})
	if err != nil {
		b.t.Fatalf("create webhook: %v", err)
	}
	return w
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page does not contain %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}
}

// operator is a context of an operator, who reaches every tenant, for
// the tests' own calls to the services behind the dashboard.
func operator() context.Context {
	return auth.WithPrincipal(context.Background(), auth.System())
}
