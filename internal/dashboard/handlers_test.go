package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	b := setup(t)

	r := b.get("/")
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("signed out GET /: %d %q", r.Status, r.Location)
	}
	r = b.get("/webhooks/new")
	if r.Location != "/login?next=%2Fwebhooks%2Fnew" {
		t.Errorf("next is not kept: %q", r.Location)
	}

	r = b.post("/login", url.Values{"username": {testUser}, "password": {"wrong password"}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d", r.Status)
	}
	mustContain(t, r.Body, "Wrong username or password.", `value="admin"`)
	mustNotContain(t, r.Body, "wrong password")

	r = b.post("/login", url.Values{"username": {testUser}, "password": {testPassword}, "next": {"/event-types"}})
	if r.Status != http.StatusSeeOther || r.Location != "/event-types" {
		t.Fatalf("sign in: %d %q", r.Status, r.Location)
	}
	c := sessionCookie(t, r.Header)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie attributes: %+v", c)
	}
	if len(c.Value) < 43 {
		t.Errorf("session token too short: %d characters", len(c.Value))
	}
	// Only the token's hash is stored.
	if _, err := b.st.SessionGet(context.Background(), []byte(c.Value)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("session found by the raw token: %v", err)
	}
	if _, err := b.st.SessionGet(context.Background(), auth.Hash(c.Value)); err != nil {
		t.Errorf("session not stored by hash: %v", err)
	}

	r = b.get("/")
	if r.Status != http.StatusOK {
		t.Fatalf("signed in GET /: %d", r.Status)
	}
	mustContain(t, r.Body, "<h1>Webhooks</h1>", "Sign out")
	if r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("missing security headers: %v", r.Header)
	}

	r = b.post("/logout", nil)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("sign out: %d %q", r.Status, r.Location)
	}
	if r := b.get("/"); r.Status != http.StatusSeeOther {
		t.Errorf("after sign out GET /: %d", r.Status)
	}
	if _, err := b.st.SessionGet(context.Background(), auth.Hash(c.Value)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("session still stored after sign out: %v", err)
	}
}

func TestSignInRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	for next, want := range map[string]string{
		"//evil.example/x": "/", "/\\evil.example": "/", "https://evil.example": "/", "": "/",
		"/webhooks/x?y=1": "/webhooks/x?y=1",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", h["Set-Cookie"])
	return nil
}

func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range auth.SignInFreeFailures {
		r := b.post("/login", url.Values{"username": {testUser}, "password": {"nope"}})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, r.Status)
		}
	}
	// Locked out now, even with the right password.
	r := b.post("/login", url.Values{"username": {testUser}, "password": {testPassword}})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: status %d", auth.SignInFreeFailures, r.Status)
	}
	mustContain(t, r.Body, "Too many failed sign-ins")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	b.clock.Add(auth.SignInFirstLockout + time.Second)
	b.signIn()
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	if r := b.get("/"); r.Status != http.StatusOK {
		t.Fatalf("GET /: %d", r.Status)
	}
	b.clock.Add(12*time.Hour + time.Second)
	r := b.get("/overview")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("expired session: %d %q", r.Status, r.Location)
	}
	// The page's script is told 401 rather than given the sign-in page.
	r = b.post("/webhooks/wh_x/test", nil, "X-Hookline-Fragment", "1")
	if r.Status != http.StatusUnauthorized {
		t.Errorf("expired session, fragment request: %d", r.Status)
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	form := url.Values{"name": {"forged"}, "url": {"https://example.com/hook"}, "events": {"*"}, "active": {"on"}}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		r := b.post("/webhooks/new", form, h...)
		if r.Status != http.StatusForbidden {
			t.Errorf("headers %v: status %d, want 403", h, r.Status)
		}
		mustContain(t, r.Body, "cross-site request forgery")
	}
	// Sign-in and sign-out are protected too.
	if r := b.post("/logout", nil, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site sign out: %d", r.Status)
	}
	page, err := b.st.WebhookList(context.Background(), store.WebhookListParams{Scope: auth.AllTenants()})
	if err != nil || len(page.Webhooks) != 0 {
		t.Fatalf("a forged request created a webhook: %v %v", page.Webhooks, err)
	}
	// The same form from the dashboard itself works.
	if r := b.post("/webhooks/new", form); r.Status != http.StatusSeeOther {
		t.Errorf("same-origin create: %d %s", r.Status, r.Body)
	}
}

func TestFormValidationErrorsKeepValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()

	r := b.post("/webhooks/new", url.Values{"name": {"x"}, "url": {"https://example.com/typed"}, "events": {"payment_received"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	mustContain(t, r.Body, `id="name-error">must be 2 to 200 characters`, `value="https://example.com/typed"`,
		`name="events" value="payment_received" checked>`, `aria-invalid="true"`)

	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"ftp://example.com"}, "events": {"payment_received"}})
	mustContain(t, r.Body, `id="url-error">scheme must be http or https`, `value="Valid name"`)

	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"https://example.com/x"}})
	mustContain(t, r.Body, `id="events-error">must list at least one event type`)

	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"https://example.com/x"}, "events": {"payment_received"},
		"headers": {"X-Good: 1\nWebhook-Id: forged"}})
	mustContain(t, r.Body, `id="headers-error">headers.Webhook-Id: is set by Hookline`, "X-Good: 1\nWebhook-Id: forged")

	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"https://example.com/x"}, "events": {"payment_received"},
		"headers": {"no colon here"}})
	mustContain(t, r.Body, `id="headers-error">write one header per line`)

	// The SSRF guard speaks through the same field.
	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"http://10.0.0.1/x"}, "events": {"payment_received"}})
	mustContain(t, r.Body, `id="url-error">points to a private or reserved address`)
}

// TestFormShowsEveryFieldsMessage: a form with several bad fields shows
// each field's message next to it, not only the first one's.
func TestFormShowsEveryFieldsMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()

	r := b.post("/webhooks/new", url.Values{"name": {"x"}, "url": {"ftp://example.com/typed"}, "events": {"payment_received", "no.such.type"},
		"format": {"xml"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.Status)
	}
	mustContain(t, r.Body, "Please correct the fields marked below.",
		`id="name-error">must be 2 to 200 characters`,
		`id="url-error">scheme must be http or https`,
		`id="events-error">events[1]: unknown event type &#34;no.such.type&#34;`,
		`id="format-error">must be &#34;envelope&#34; or &#34;raw&#34;`,
		`value="ftp://example.com/typed"`)

	// Two bad headers share the headers field; both are shown.
	r = b.post("/webhooks/new", url.Values{"name": {"Valid name"}, "url": {"https://example.com/x"}, "events": {"payment_received"},
		"headers": {"Host: evil\nWebhook-Id: forged"}})
	mustContain(t, r.Body, `id="headers-error">headers.Host: is set by Hookline and cannot be overridden; headers.Webhook-Id: is set by Hookline`)

	// The form's own check of the header lines and the registry's checks
	// of the other fields are reported together.
	r = b.post("/webhooks/new", url.Values{"name": {"x"}, "url": {"https://example.com/x"}, "events": {"payment_received"},
		"headers": {"no colon here\nContent-Length: 1"}})
	mustContain(t, r.Body, `id="name-error">must be 2 to 200 characters`,
		`id="headers-error">write one header per line as Name: value; headers.Content-Length: is set by Hookline`)

	// Editing works the same way, and changes nothing.
	w := b.createWebhook("Kept name", "https://example.com/kept", "payment_received")
	r = b.post("/webhooks/"+w.ID, url.Values{"name": {""}, "url": {"/relative"}, "events": {"payment_received"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("edit: status %d", r.Status)
	}
	mustContain(t, r.Body, `id="name-error">must be 2 to 200 characters`, `id="url-error">must be an absolute URL`)
	if got, err := b.st.WebhookGet(context.Background(), auth.AllTenants(), w.ID); err != nil || got.Name != "Kept name" {
		t.Errorf("a refused edit changed the webhook: %+v %v", got, err)
	}
	list, err := b.st.WebhookList(context.Background(), store.WebhookListParams{Scope: auth.AllTenants(), Limit: 10})
	if err != nil || len(list.Webhooks) != 1 {
		t.Errorf("refused forms stored webhooks: %v %v", list.Webhooks, err)
	}
}

func TestFormBodyIsLimited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	r := b.post("/webhooks/new", url.Values{"name": {strings.Repeat("a", 100<<10)}})
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", r.Status)
	}
	mustContain(t, r.Body, "the form is too large")
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	w := b.createWebhook("Hook "+evil, "https://example.com/?q=<script>", "payment_received")
	if _, err := b.reg.UpdateWebhook(auth.WithPrincipal(context.Background(), auth.System()), w.ID, registryHeaders(map[string]string{"X-Evil": evil})); err != nil {
		t.Fatal(err)
	}
	bin, err := b.insp.Create(operator(), "Bin "+evil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", b.srv.URL+"/bins/"+bin.Token+"/"+url.PathEscape(evil)+"?a="+url.QueryEscape(evil),
		strings.NewReader(`{"html":"`+strings.ReplaceAll(evil, `"`, `\"`)+`"}`))
	req.Header.Set("X-Evil", evil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	for _, path := range []string{"/", "/webhooks/" + w.ID, "/inspector", "/inspector/" + bin.ID, "/webhooks/" + w.ID + "/delete"} {
		r := b.get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.Status)
		}
		mustNotContain(t, r.Body, "<script>alert", "<img src=x")
		mustContain(t, r.Body, "&lt;script&gt;")
	}
}

func TestWebhookCRUDWithoutJavaScript(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Receiver", "yes")
		io.WriteString(w, `{"received":true,"note":"<b>bold</b>"}`)
	}))
	defer rcv.Close()

	// Add.
	r := b.post("/webhooks/new", url.Values{"name": {"Orders"}, "url": {rcv.URL + "/hook"},
		"events": {"payment_received", "domain_created"}, "active": {"on"}, "headers": {"X-Team: billing"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	if !webhook.HasPrefix(id, webhook.PrefixWebhook) {
		t.Fatalf("redirect to %q", r.Location)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "Webhook created.", "Orders", "X-Team: billing", `name="events" value="domain_created" checked>`)

	// List.
	r = b.get("/")
	mustContain(t, r.Body, `href="/webhooks/`+id+`"`, "payment_received", ">Active<", "No deliveries yet")
	r = b.get("/?q=nothing-matches")
	mustContain(t, r.Body, "No webhook matches")
	r = b.get("/?status=disabled")
	mustNotContain(t, r.Body, `href="/webhooks/`+id+`"`)
	r = b.get("/?event=domain_created&q=Orders")
	mustContain(t, r.Body, `href="/webhooks/`+id+`"`)

	// Edit: rename and switch off.
	r = b.post("/webhooks/"+id, url.Values{"name": {"Orders v2"}, "url": {rcv.URL + "/hook"}, "events": {"payment_received"},
		"format": {"raw"}, "integration": {"zapier"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	w, err := b.st.WebhookGet(context.Background(), auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "Orders v2" || w.Active || w.Format != webhook.FormatRaw || w.Integration != "zapier" || len(w.Headers) != 0 {
		t.Errorf("after update: %+v", w)
	}
	r = b.get("/?status=disabled")
	mustContain(t, r.Body, "Orders v2", ">Disabled<")

	// Enable again with the toggle.
	r = b.post("/webhooks/"+id+"/toggle", url.Values{"active": {"true"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "notice=enabled") {
		t.Fatalf("toggle: %d %q", r.Status, r.Location)
	}

	// Send a test without JavaScript: a result page.
	r = b.post("/webhooks/"+id+"/test", url.Values{"event_type": {"payment_received"}})
	if r.Status != http.StatusOK {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}
	mustContain(t, r.Body, "Test event delivered", "HTTP 200", "X-Receiver", "Webhook-Signature", "v1,",
		`&#34;received&#34;: true`, "&lt;b&gt;bold&lt;/b&gt;")
	mustNotContain(t, r.Body, "Test event failed")

	// The same as a fragment for the dialog.
	r = b.post("/webhooks/"+id+"/test", url.Values{}, "X-Hookline-Fragment", "1")
	mustContain(t, r.Body, `data-outcome="success"`)
	mustNotContain(t, r.Body, "<html")

	// A receiver that is down: a clear failure, never a success.
	rcv.Close()
	r = b.post("/webhooks/"+id+"/test", url.Values{"event_type": {"payment_received"}})
	mustContain(t, r.Body, "Test event failed", "connection was refused", `data-outcome="failure"`)
	mustNotContain(t, r.Body, "Test event delivered", "result-icon ok")

	// An unknown event type is a message, not an error page.
	r = b.post("/webhooks/"+id+"/test", url.Values{"event_type": {"no_such_type"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown type: %d", r.Status)
	}
	mustContain(t, r.Body, "Test event not sent", "unknown event type")

	// Delete: confirmation page, then the POST.
	r = b.get("/webhooks/" + id + "/delete")
	mustContain(t, r.Body, "Delete this webhook?", `action="/webhooks/`+id+`/delete"`)
	r = b.post("/webhooks/"+id+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/?notice=deleted" {
		t.Fatalf("delete: %d %q", r.Status, r.Location)
	}
	r = b.get("/?notice=deleted")
	mustContain(t, r.Body, "Webhook deleted.", "No webhooks yet")

	// Gone: a readable 404 page.
	r = b.get("/webhooks/" + id)
	if r.Status != http.StatusNotFound {
		t.Fatalf("deleted webhook: %d", r.Status)
	}
	mustContain(t, r.Body, "404")
	mustNotContain(t, r.Body, "not_found:", "goroutine")
}

func TestSecretRevealAndRotate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	w := b.createWebhook("Secret", "https://example.com/h", "payment_received")
	secrets, err := b.reg.Secrets(operator(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := b.get("/webhooks/" + w.ID)
	mustNotContain(t, r.Body, escaped(secrets[0].Value))

	r = b.post("/webhooks/"+w.ID+"/secret", nil)
	mustContain(t, r.Body, escaped(secrets[0].Value), "Current secret.")
	r = b.post("/webhooks/"+w.ID+"/secret", nil, "X-Hookline-Fragment", "1")
	mustContain(t, r.Body, escaped(secrets[0].Value))
	mustNotContain(t, r.Body, "<html")

	r = b.post("/webhooks/"+w.ID+"/rotate-secret", nil)
	after, err := b.reg.Secrets(operator(), w.ID)
	if err != nil || len(after) != 2 || after[0].Value == secrets[0].Value {
		t.Fatalf("after rotation: %v %v", after, err)
	}
	mustContain(t, r.Body, "New secret created", escaped(after[0].Value), escaped(secrets[0].Value), "Previous secret")
}

func TestRetryAndReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	ctx := context.Background()
	w := b.createWebhook("Retry me", "https://example.com/h", "payment_received")
	res, err := b.st.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "payment_received",
		Data: []byte(`{"payment_id":1}`), CreatedAt: time.Now().UTC().Add(-time.Hour),
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("event: %v %v", res, err)
	}
	dl := res.Deliveries[0]

	r := b.get("/webhooks/" + w.ID)
	mustContain(t, r.Body, `action="/deliveries/`+dl.ID+`/retry"`, "Delivery log", "Pending")
	r = b.get("/events")
	mustContain(t, r.Body, res.Event.ID, "1 pending")
	r = b.get("/events/" + res.Event.ID)
	mustContain(t, r.Body, "Retry me", `href="/deliveries/`+dl.ID+`"`, `&#34;payment_id&#34;: 1`,
		"trace <span", "4bf92f3577b34da6a3ce929d0e0e4736")
	r = b.get("/deliveries/" + dl.ID)
	mustContain(t, r.Body, "No attempt yet.")

	r = b.post("/deliveries/"+dl.ID+"/retry", url.Values{"return": {"/webhooks/" + w.ID + "#deliveries"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/webhooks/"+w.ID+"?") ||
		!strings.Contains(r.Location, "notice=retried") || !strings.Contains(r.Location, "retried="+dl.ID) ||
		!strings.HasSuffix(r.Location, "#deliveries") {
		t.Fatalf("retry: %d %q", r.Status, r.Location)
	}
	// No attempt since: the notice says it is queued.
	mustContain(t, b.get(r.Location).Body, "Delivery queued for another attempt.")
	// Off-site return addresses are ignored.
	r = b.post("/deliveries/"+dl.ID+"/retry", url.Values{"return": {"//evil.example"}})
	if !strings.HasPrefix(r.Location, "/deliveries/"+dl.ID+"?") || !strings.Contains(r.Location, "notice=retried") {
		t.Errorf("retry return: %q", r.Location)
	}
	page, err := b.st.AuditList(ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: dl.ID})
	if err != nil || len(page.Entries) == 0 || page.Entries[0].Actor != "user:"+testUser {
		t.Errorf("audit: %+v %v", page.Entries, err)
	}

	r = b.post("/webhooks/"+w.ID+"/replay", url.Values{"since": {time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04")}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "notice=replayed&n=1") {
		t.Fatalf("replay: %d %q", r.Status, r.Location)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "Replay queued: 1 event.")
	r = b.post("/webhooks/"+w.ID+"/replay", url.Values{"since": {"yesterday"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad since: %d", r.Status)
	}
	mustContain(t, r.Body, `id="since-error"`, "value=\"yesterday\"")
}

func TestPagesRender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	b.createWebhook("Failing", "https://example.com/h", "*")
	for path, want := range map[string]string{
		"/event-types":  "Payment Received",
		"/events":       "No events yet",
		"/overview":     "Delivery attempts per minute",
		"/inspector":    "No bins yet",
		"/webhooks/new": "Add New Webhook",
		"/webhooks":     "",
	} {
		r := b.get(path)
		if want == "" {
			if r.Status != http.StatusSeeOther {
				t.Errorf("GET %s: %d", path, r.Status)
			}
			continue
		}
		if r.Status != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.Status)
		}
		mustContain(t, r.Body, want)
	}
	r := b.get("/static/app.css?v=" + assetVersion)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("static: %d %v", r.Status, r.Header)
	}
	if r := b.get("/static/missing.css"); r.Status != http.StatusNotFound {
		t.Errorf("missing static file: %d", r.Status)
	}
}

func TestBinCaptureLiveAndVerify(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()

	r := b.post("/inspector", url.Values{"name": {"Payments"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create bin: %d %s", r.Status, r.Body)
	}
	binPath := strings.TrimSuffix(r.Location, "?notice=bin-created")
	binID := strings.TrimPrefix(binPath, "/inspector/")
	bin, err := b.insp.Get(operator(), binID)
	if err != nil {
		t.Fatal(err)
	}
	r = b.get(binPath)
	mustContain(t, r.Body, testPublicURL+"/bins/"+bin.Token, "Nothing yet")

	// Live: open the stream, then capture a request.
	req, _ := http.NewRequest("GET", b.srv.URL+binPath+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := b.client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev strings.Builder
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if ev.Len() > 0 {
					events <- ev.String()
				}
				ev.Reset()
				continue
			}
			ev.WriteString(line + "\n")
		}
		close(events)
	}()
	<-events // the "connected" comment

	capture, err := http.Post(b.srv.URL+"/bins/"+bin.Token+"/orders?x=1", "application/json", strings.NewReader(`{"a":[1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	capture.Body.Close()
	if capture.StatusCode != http.StatusOK {
		t.Fatalf("capture: %d", capture.StatusCode)
	}
	ev := <-events
	mustContain(t, ev, "event: request\n", "id: req_", "data: <details", "/bins/"+bin.Token+"/orders", "x=1", "Unsigned")

	// Use this bin, then send a test through it: delivered in process,
	// although nothing resolves the public host, and verified.
	r = b.post(binPath+"/use", nil)
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "notice=bin-used") {
		t.Fatalf("use bin: %d %q %s", r.Status, r.Location, r.Body)
	}
	whID := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=bin-used")
	r = b.post("/webhooks/"+whID+"/test", url.Values{"event_type": {"payment_received"}})
	mustContain(t, r.Body, "Test event delivered", "HTTP 200")
	ev = <-events
	// The stream was opened without a webhook to verify against.
	mustContain(t, ev, ">Signed<", "Webhook-Signature", "hookline (in-process)")

	// The page verifies against the webhook that points here by default.
	r = b.get(binPath)
	mustContain(t, r.Body, "Signature valid", `<option value="`+whID+`" selected>`)
	// Against another webhook's secret the same request is invalid.
	other := b.createWebhook("Other", "https://example.com/o", "*")
	r = b.get(binPath + "?verify=" + other.ID)
	mustContain(t, r.Body, "Signature invalid")

	// One request in full.
	reqs, err := b.insp.Requests(operator(), binID)
	if err != nil || len(reqs) != 2 {
		t.Fatalf("requests: %v %v", reqs, err)
	}
	r = b.get(binPath + "/requests/" + reqs[1].ID)
	mustContain(t, r.Body, "&#34;a&#34;: [", "/orders")

	// Delete the bin.
	r = b.post(binPath+"/delete", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("delete bin: %d", r.Status)
	}
	if r := b.get(binPath); r.Status != http.StatusNotFound {
		t.Errorf("deleted bin page: %d", r.Status)
	}
}

func registryHeaders(h map[string]string) registry.WebhookInput {
	return registry.WebhookInput{Headers: h}
}

// escaped is s as html/template writes it in text.
func escaped(s string) string {
	return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;")
}

func TestStreamEndsAtShutdown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	bin, err := b.insp.Create(operator(), "s")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.client.Get(b.srv.URL + "/inspector/" + bin.ID + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 8)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("stream did not start: %v", err)
	}
	// Graceful shutdown must not wait for the open stream until its
	// deadline: the stream ends when shutdown begins.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		read <- err
	}()
	if err := b.srv.Config.Shutdown(ctx); err != nil {
		b.srv.CloseClientConnections() // unblock the reader
		t.Fatalf("shutdown: %v (the stream held it)", err)
	}
	if err := <-read; err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
}

// TestSessionExpiryKeepsTheForm: a form sent after the session ended is
// kept through the sign-in page and offered again, with what was typed,
// once signed in; sending it saves it.
func TestSessionExpiryKeepsTheForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	w := b.createWebhook("Before", "https://example.com/h", "payment_received")
	b.clock.Add(13 * time.Hour) // past the session's TTL

	typed := url.Values{"name": {"Typed <while> away"}, "url": {"https://example.com/new"},
		"events": {"payment_received", "payment_failed"}, "active": {"on"}, "headers": {"X-Team: billing"}}
	r := b.post("/webhooks/"+w.ID, typed)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("post after expiry: %d (%q)", r.Status, r.Location)
	}
	mustContain(t, r.Body, "Your session ended before this was saved", `name="resume_path" value="/webhooks/`+w.ID+`"`,
		`name="resume:name" value="Typed &lt;while&gt; away"`, `name="resume:events" value="payment_failed"`)

	login := url.Values{"username": {testUser}, "password": {testPassword}, "resume_path": {"/webhooks/" + w.ID}}
	for k, vs := range typed {
		login["resume:"+k] = vs
	}
	r = b.post("/login", login)
	if r.Status != http.StatusOK {
		t.Fatalf("sign in with a kept form: %d %q", r.Status, r.Location)
	}
	mustContain(t, r.Body, "Signed in again", `action="/webhooks/`+w.ID+`"`, `name="name" value="Typed &lt;while&gt; away"`,
		`name="headers" value="X-Team: billing"`)
	if got, _ := b.st.WebhookGet(operator(), auth.AllTenants(), w.ID); got.Name != "Before" {
		t.Fatalf("saved before the user chose to: %q", got.Name)
	}

	if r = b.post("/webhooks/"+w.ID, typed); r.Status != http.StatusSeeOther {
		t.Fatalf("send it now: %d: %s", r.Status, r.Body)
	}
	got, _ := b.st.WebhookGet(operator(), auth.AllTenants(), w.ID)
	if got.Name != "Typed <while> away" || len(got.Events) != 2 || got.Headers["X-Team"] != "billing" {
		t.Errorf("saved %+v", got)
	}

	// Only the dashboard's own pages are resumed.
	login = url.Values{"username": {testUser}, "password": {testPassword}, "resume_path": {"//evil.example/x"}, "resume:a": {"b"}}
	if r = b.post("/login", login); r.Status != http.StatusSeeOther {
		t.Errorf("sign in with an off-site kept form: %d", r.Status)
	}
}

// TestWebhookFilterField: the form's payload filter is saved, shown back,
// refused with its problem next to the field, tried on an example payload
// in place, and removed when emptied.
func TestWebhookFilterField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	form := url.Values{"name": {"Big payments"}, "url": {"https://example.com/big"}, "events": {"payment_received"},
		"active": {"on"}, "filter": {`{"data.payment_total_raw": {"$gte": 100}}`}}
	r := b.post("/webhooks/new", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d: %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	w, err := b.st.WebhookGet(operator(), auth.AllTenants(), id)
	if err != nil || string(w.Filter) != `{"data.payment_total_raw":{"$gte":100}}` {
		t.Fatalf("stored filter %s (%v)", w.Filter, err)
	}
	mustContain(t, b.get(r.Location).Body, "&#34;$gte&#34;: 100", `id="filter-test"`)

	form.Set("filter", `{"data.payment_total_raw": {"$gtee": 100}}`)
	r = b.post("/webhooks/"+id, form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter: %d", r.Status)
	}
	mustContain(t, r.Body, `id="filter-error"`, "unknown operator $gtee", "$gtee")

	form.Set("filter", `{"data.payment_total_raw": {"$gte": 100}}`)
	r = b.post("/webhooks/filter-test", form, "X-Hookline-Fragment", "1")
	if r.Status != http.StatusOK {
		t.Fatalf("filter test: %d: %s", r.Status, r.Body)
	}
	mustContain(t, r.Body, "No match", "payment_received", "data.payment_total_raw is 29")
	mustNotContain(t, r.Body, "<html")
	form.Set("filter", `{"data.payment_total_raw": {"$lt": 100}}`)
	mustContain(t, b.post("/webhooks/filter-test", form).Body, "Matches", "<html")

	form.Set("filter", "")
	if r = b.post("/webhooks/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("clear filter: %d", r.Status)
	}
	if w, _ := b.st.WebhookGet(operator(), auth.AllTenants(), id); w.Filter != nil {
		t.Errorf("filter after clearing: %s", w.Filter)
	}
}

// TestEventPageShowsFilteredOut: the event page lists the subscribed
// webhooks whose payload filter left the event out, with the reason.
func TestEventPageShowsFilteredOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	name, u := "Big only", "https://example.com/big"
	w, _, err := b.reg.CreateWebhook(operator(), registry.WebhookInput{Name: &name, URL: &u, Events: []string{"payment_received"},
		Filter: json.RawMessage(`{"data.amount": {"$gte": 100}}`)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "payment_received",
		Data: []byte(`{"amount": 5}`), CreatedAt: time.Now().UTC()}})
	if err != nil || len(res.Deliveries) != 0 {
		t.Fatalf("event: %v %+v", err, res.Deliveries)
	}
	r := b.get("/events/" + res.Event.ID)
	mustContain(t, r.Body, "Left out by payload filters", `href="/webhooks/`+w.ID+`"`, "data.amount is 5")
}

// TestSignInPageNoPrefill: with team accounts no user name is the right
// guess, so the sign-in page prefills none and focuses the user name; the
// browser's password manager still finds both fields by their autocomplete
// tokens. After a failed attempt the typed name is kept and the password
// has the focus.
func TestSignInPageNoPrefill(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.get("/login")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /login: %d", r.Status)
	}
	mustContain(t, r.Body, `name="username" value=""`, `autocomplete="username"`, `autocomplete="current-password"`,
		`spellcheck="false" required autofocus>`)
	mustNotContain(t, r.Body, `value="admin"`, `autocomplete="current-password" required autofocus`)

	r = b.post("/login", url.Values{"username": {"grace"}, "password": {"wrong password"}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	mustContain(t, r.Body, `name="username" value="grace"`, `autocomplete="current-password" required autofocus>`)
}
