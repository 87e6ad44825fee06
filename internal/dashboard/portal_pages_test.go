package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// openPortal mints a link with m, opens it in b's browser and returns the
// session's form token, read from the portal's first page.
func (b *bundle) openPortal(m auth.PortalMint) string {
	b.t.Helper()
	if r := b.get("/portal/open?token=" + url.QueryEscape(b.mintPortal(m))); r.Status != http.StatusSeeOther {
		b.t.Fatalf("open: %d: %s", r.Status, r.Body)
	}
	if m.ReadOnly {
		// Its pages have no form: the token is what a forged post would
		// need, made from the session cookie in the jar.
		u, _ := url.Parse(b.srv.URL + "/portal/")
		for _, c := range b.client.Jar.Cookies(u) {
			if c.Name == PortalCookie {
				return csrfToken(c.Value)
			}
		}
		b.t.Fatal("no portal cookie")
	}
	return formToken(b.t, b.get("/portal/webhooks/new").Body)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func formToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// portalPost posts a portal form with the session's token.
func (b *bundle) portalPost(token, path string, form url.Values, headers ...string) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(csrfField, token)
	return b.post(path, form, headers...)
}

// recorder is a receiver on loopback that answers 200 and keeps what it got.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	got  []http.Header
	body []string
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.got = append(rec.got, r.Header.Clone())
		rec.body = append(rec.body, string(b))
		rec.mu.Unlock()
		w.Write([]byte("thanks from the receiver"))
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.got)
}

// TestPortalWalkthrough is the seed's walkthrough for one tenant, in the
// portal without JavaScript: add a webhook, send a test, see the answer,
// edit, reveal and rotate the secret, see the delivery log, retry,
// replay, disable, delete; each change is the tenant's, audited as
// portal:<tenant>, and visible on its Activity page.
func TestPortalWalkthrough(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	rec := newRecorder(t)
	tok := b.openPortal(auth.PortalMint{Tenant: "acme"})
	if tok == "" {
		t.Fatal("the Add New page has no form token")
	}

	r := b.get("/portal/webhooks/new")
	mustContain(t, r.Body, `action="/portal/webhooks/new"`, `value="payment_received"`, `value="*"`, "Acme Cloud",
		`href="/portal/event-types"`, `href="/portal/verify"`, `href="/portal/audit"`)
	mustNotContain(t, r.Body, `value="hookline.`, `name="integration"`, `href="/tenants"`)

	// A bad form keeps its values and says what is wrong, next to the field.
	r = b.portalPost(tok, "/portal/webhooks/new", url.Values{"name": {"Orders"}, "url": {"ftp://x"}, "events": {"payment_received"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad create: %d", r.Status)
	}
	mustContain(t, r.Body, `id="url-error"`, `value="Orders"`, `name="csrf_token"`)

	r = b.portalPost(tok, "/portal/webhooks/new", url.Values{"name": {"Orders"}, "url": {rec.URL + "/hook"},
		"events": {"payment_received"}, "active": {"on"}, "headers": {"Authorization: Bearer s3cret"},
		"integration": {"sneaky"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/webhooks/wh_") {
		t.Fatalf("create: %d to %q: %s", r.Status, r.Location, r.Body)
	}
	id := strings.TrimPrefix(strings.Split(r.Location, "?")[0], "/portal/webhooks/")
	w, err := b.st.WebhookGet(operator(), auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	if w.Tenant != "acme" || w.Integration != "manual" || w.Headers["Authorization"] != "Bearer s3cret" {
		t.Errorf("created %+v", w)
	}

	r = b.get(r.Location)
	mustContain(t, r.Body, "Webhook created.", `action="/portal/webhooks/`+id+`/test"`,
		`action="/portal/webhooks/`+id+`/rotate-secret"`, `href="/portal/webhooks/`+id+`/delete"`)
	mustNotContain(t, r.Body, `action="/webhooks/`, `href="/webhooks/`)

	// Send Test Event: the receiver gets a signed request and the page
	// shows its answer.
	r = b.portalPost(tok, "/portal/webhooks/"+id+"/test", url.Values{"event_type": {"payment_received"}})
	if r.Status != http.StatusOK || rec.count() != 1 {
		t.Fatalf("test: %d, %d requests: %s", r.Status, rec.count(), r.Body)
	}
	mustContain(t, r.Body, "thanks from the receiver", "Webhook-Signature", `href="/portal/webhooks/`+id+`"`)
	if rec.got[0].Get("Webhook-Signature") == "" {
		t.Error("the test was not signed")
	}

	r = b.portalPost(tok, "/portal/webhooks/"+id, url.Values{"name": {"Orders (EU)"}, "url": {rec.URL + "/hook"},
		"events": {"payment_received", "payment_failed"}, "active": {"on"}})
	if r.Status != http.StatusSeeOther || r.Location != "/portal/webhooks/"+id+"?notice=saved" {
		t.Fatalf("update: %d %q: %s", r.Status, r.Location, r.Body)
	}

	r = b.portalPost(tok, "/portal/webhooks/"+id+"/secret", nil)
	mustContain(t, r.Body, "whsec_", "Current secret.")
	r = b.portalPost(tok, "/portal/webhooks/"+id+"/rotate-secret", nil)
	mustContain(t, r.Body, "New secret created.", "Previous secret")

	// The delivery log, a delivery's page, retry and replay.
	res, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: "acme", Type: "payment_received",
		Data: []byte(`{"payment_id":7}`), CreatedAt: time.Now().UTC().Add(-time.Hour),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var dl webhook.Delivery
	for _, d := range res.Deliveries {
		if d.WebhookID == id {
			dl = d
		}
	}
	if dl.ID == "" {
		t.Fatalf("no delivery to the portal's webhook: %+v", res.Deliveries)
	}
	r = b.get("/portal/webhooks/" + id)
	mustContain(t, r.Body, "Delivery log", `href="/portal/deliveries/`+dl.ID+`"`, `action="/portal/deliveries/`+dl.ID+`/retry"`)
	r = b.get("/portal/deliveries/" + dl.ID)
	mustContain(t, r.Body, dl.ID, `href="/portal/events/`+res.Event.ID+`"`)
	r = b.get("/portal/events/" + res.Event.ID)
	mustContain(t, r.Body, "Orders (EU)", `&#34;payment_id&#34;: 7`)
	r = b.portalPost(tok, "/portal/deliveries/"+dl.ID+"/retry", url.Values{"return": {"/webhooks/" + id}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/deliveries/"+dl.ID+"?") ||
		!strings.Contains(r.Location, "notice=retried") {
		t.Errorf("retry (a return out of the portal is ignored): %d %q", r.Status, r.Location)
	}
	r = b.portalPost(tok, "/portal/webhooks/"+id+"/replay", url.Values{"since": {time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04")}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/webhooks/"+id+"?notice=replayed&n=1") {
		t.Errorf("replay: %d %q", r.Status, r.Location)
	}

	r = b.portalPost(tok, "/portal/webhooks/"+id+"/toggle", url.Values{"active": {"false"}})
	if r.Status != http.StatusSeeOther || r.Location != "/portal/webhooks/"+id+"?notice=disabled" {
		t.Errorf("disable: %d %q", r.Status, r.Location)
	}

	r = b.get("/portal/audit")
	mustContain(t, r.Body, "Activity", "portal:acme", "webhook.create", "webhook.rotate_secret", `href="/portal/webhooks/`+id+`"`)
	mustNotContain(t, r.Body, "globex", `href="/keys`)

	r = b.get("/portal/webhooks/" + id + "/delete")
	mustContain(t, r.Body, `action="/portal/webhooks/`+id+`/delete"`)
	r = b.portalPost(tok, "/portal/webhooks/"+id+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/portal/?notice=deleted" {
		t.Errorf("delete: %d %q", r.Status, r.Location)
	}
	page, err := b.st.AuditList(context.Background(), store.AuditListParams{Scope: auth.AllTenants(), Target: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if e.Actor != "portal:acme" {
			t.Errorf("audit entry %s by %q, want portal:acme", e.Action, e.Actor)
		}
	}
	if len(page.Entries) < 5 {
		t.Errorf("%d audit entries for the webhook", len(page.Entries))
	}
}

// TestPortalFormsNeedTheirToken: a portal session's cookie goes with
// cross-site requests (SameSite=None, for the iframe), so every form
// needs the session's token; one from another session does not do.
func TestPortalFormsNeedTheirToken(t *testing.T) {
	t.Parallel()
	b, acme, _ := portalSetup(t)
	tok := b.openPortal(auth.PortalMint{Tenant: "acme"})
	other := csrfToken("another session's token")
	for _, form := range []url.Values{{}, {csrfField: {other}}, {csrfField: {""}}} {
		form.Set("active", "false")
		r := b.post("/portal/webhooks/"+acme.ID+"/toggle", form)
		if r.Status != http.StatusForbidden {
			t.Errorf("toggle with token %q: %d", form.Get(csrfField), r.Status)
		}
		mustContain(t, r.Body, "This form has expired")
	}
	if w, _ := b.st.WebhookGet(operator(), auth.AllTenants(), acme.ID); !w.Active {
		t.Fatal("a post without the form token changed the webhook")
	}
	if r := b.portalPost(tok, "/portal/webhooks/"+acme.ID+"/toggle", url.Values{"active": {"false"}}); r.Status != http.StatusSeeOther {
		t.Errorf("toggle with the token: %d: %s", r.Status, r.Body)
	}
	// The origin check stays in front of the token.
	r := b.portalPost(tok, "/portal/webhooks/"+acme.ID+"/toggle", url.Values{"active": {"true"}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site post with the token: %d", r.Status)
	}
}

// TestPortalReadOnly: a read-only session sees the tenant's webhooks,
// their deliveries and the catalog, is offered no control that changes
// anything, and its posts are refused even with a valid token.
func TestPortalReadOnly(t *testing.T) {
	t.Parallel()
	b, acme, _ := portalSetup(t)
	tok := b.openPortal(auth.PortalMint{Tenant: "acme", ReadOnly: true})
	if tok == "" {
		t.Fatal("no form token on a read-only page")
	}
	res, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: "acme", Type: "payment_received",
		Data: []byte(`{}`), CreatedAt: time.Now().UTC(),
	}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("event: %v %+v", err, res.Deliveries)
	}
	dl := res.Deliveries[0]
	for _, path := range []string{"/portal/", "/portal/webhooks/" + acme.ID, "/portal/deliveries/" + dl.ID} {
		r := b.get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Status)
		}
		mustContain(t, r.Body, "Read-only")
		mustNotContain(t, r.Body, `method="post"`, "Add New Webhook", "Delete", "Send Test Event", "Rotate secret", ">Retry<")
	}
	mustContain(t, b.get("/portal/webhooks/"+acme.ID).Body, "Acme orders", "https://acme.example/hooks", "Delivery log")

	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/portal/webhooks/new", url.Values{"name": {"New"}, "url": {"https://acme.example/new"}, "events": {"*"}}},
		{"/portal/webhooks/" + acme.ID, url.Values{"name": {"Renamed"}, "url": {"https://acme.example/x"}, "events": {"*"}}},
		{"/portal/webhooks/" + acme.ID + "/toggle", url.Values{"active": {"false"}}},
		{"/portal/webhooks/" + acme.ID + "/rotate-secret", nil},
		{"/portal/webhooks/" + acme.ID + "/secret", nil},
		{"/portal/webhooks/" + acme.ID + "/test", url.Values{"event_type": {"payment_received"}}},
		{"/portal/webhooks/" + acme.ID + "/delete", nil},
		{"/portal/deliveries/" + dl.ID + "/retry", nil},
	} {
		r := b.portalPost(tok, p.path, p.form)
		if r.Status != http.StatusForbidden {
			t.Errorf("read-only POST %s: %d", p.path, r.Status)
		}
		mustContain(t, r.Body, "This view is read-only")
	}
	w, err := b.st.WebhookGet(operator(), auth.AllTenants(), acme.ID)
	if err != nil || w.Name != acme.Name || !w.Active {
		t.Errorf("the read-only session changed the webhook: %+v %v", w, err)
	}
	page, err := b.st.WebhookList(operator(), store.WebhookListParams{Scope: auth.TenantScope("acme"), Limit: 10})
	if err != nil || len(page.Webhooks) != 1 {
		t.Errorf("acme has %d webhooks (%v)", len(page.Webhooks), err)
	}
}

// TestPortalEventTypeLimits: a link limited to some event types offers
// those alone, refuses others and "*", and keeps what the webhook had.
func TestPortalEventTypeLimits(t *testing.T) {
	t.Parallel()
	b, acme, _ := portalSetup(t) // acme's webhook subscribes to "*"
	tok := b.openPortal(auth.PortalMint{Tenant: "acme", EventTypes: []string{"payment_*"}})

	r := b.get("/portal/webhooks/new")
	mustContain(t, r.Body, `value="payment_received"`, `value="payment_failed"`)
	mustNotContain(t, r.Body, `value="*"`, `value="customer_created"`, `value="hookline.`)

	for _, events := range [][]string{{"*"}, {"payment_received", "customer_created"}} {
		r = b.portalPost(tok, "/portal/webhooks/new", url.Values{"name": {"Limited"}, "url": {"https://acme.example/l"}, "events": events})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("create with %v: %d", events, r.Status)
		}
		mustContain(t, r.Body, `id="events-error"`, "payment_*")
	}
	r = b.portalPost(tok, "/portal/webhooks/new", url.Values{"name": {"Limited"}, "url": {"https://acme.example/l"},
		"events": {"payment_received"}})
	if r.Status != http.StatusSeeOther {
		t.Errorf("create with an allowed type: %d: %s", r.Status, r.Body)
	}

	// The operator's "*" on acme's webhook stays when the tenant renames it.
	r = b.get("/portal/webhooks/" + acme.ID)
	mustContain(t, r.Body, `value="*" checked`)
	r = b.portalPost(tok, "/portal/webhooks/"+acme.ID, url.Values{"name": {"Acme orders 2"}, "url": {"https://acme.example/hooks"},
		"events": {"*"}, "active": {"on"}})
	if r.Status != http.StatusSeeOther {
		t.Errorf("rename keeping *: %d: %s", r.Status, r.Body)
	}
}

// TestPortalCatalogAndVerify: the tenant's developers' pages.
func TestPortalCatalogAndVerify(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	b.openPortal(auth.PortalMint{Tenant: "acme"})
	r := b.get("/portal/event-types")
	if r.Status != http.StatusOK {
		t.Fatalf("catalog: %d", r.Status)
	}
	mustContain(t, r.Body, "Event catalog", "payment_received", "Example payload", `aria-current="page">Event catalog`)
	mustNotContain(t, r.Body, "hookline.")

	r = b.get("/portal/verify")
	mustContain(t, r.Body, "Verify signatures", "verifyWebhook", "verify_webhook", "hash_equals", "timingSafeEqual",
		"compare_digest", "hmac.Equal")
	// The dashboard has the same page.
	b.signIn()
	mustContain(t, b.get("/verify").Body, "Verify signatures", "hash_equals")
}

// TestPortalRoutesStayInTheTenant walks every portal route with tenant
// acme's session against globex's IDs: each answers 404, as for an ID
// that does not exist, and globex's rows are unchanged. It is driven by
// the route table, so a route added without the tenant's scope fails it.
func TestPortalRoutesStayInTheTenant(t *testing.T) {
	t.Parallel()
	b, _, globex := portalSetup(t)
	res, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: "globex", Type: "payment_received",
		Data: []byte(`{}`), CreatedAt: time.Now().UTC().Add(-time.Minute),
	}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("globex event: %v %+v", err, res.Deliveries)
	}
	globexCtx := auth.WithPrincipal(context.Background(), auth.PortalPrincipal(auth.PortalLink{Tenant: "globex"}))
	bin, err := b.insp.Create(globexCtx, "Globex's bin")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"webhooks": globex.ID, "deliveries": res.Deliveries[0].ID, "events": res.Event.ID,
		"inspector": bin.ID}
	before := globexState(t, b, globex.ID)

	tok := b.openPortal(auth.PortalMint{Tenant: "acme"})
	routes := 0
	for _, rt := range b.dash.portalRoutes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.Contains(path, "{id}") {
			continue
		}
		routes++
		kind := strings.Split(strings.TrimPrefix(path, "/portal/"), "/")[0]
		id, ok := ids[kind]
		if !ok {
			t.Errorf("route %s: no foreign %s ID to try it with; add one to this test", rt.pattern, kind)
			continue
		}
		path = strings.Replace(path, "{rid}", "req_doesnotexist0000000000", 1)
		target := strings.Replace(path, "{id}", id, 1)
		missing := strings.Replace(path, "{id}", kindPrefix(kind)+"doesnotexist00000000000", 1)
		form := url.Values{"name": {"Hijacked"}, "url": {"https://evil.example/x"}, "events": {"*"}, "active": {"false"},
			"event_type": {"payment_received"}, "since": {"2020-01-01T00:00"}}
		for _, p := range []string{target, missing} {
			var r response
			if method == http.MethodGet {
				r = b.get(p)
			} else {
				r = b.portalPost(tok, p, form)
			}
			if r.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", method, p, r.Status)
			}
			mustNotContain(t, r.Body, "Globex billing", "globex.example")
		}
	}
	if routes < 10 {
		t.Errorf("only %d portal routes take an ID", routes)
	}
	if after := globexState(t, b, globex.ID); after != before {
		t.Errorf("globex changed:\nbefore %s\nafter  %s", before, after)
	}
	if _, err := b.insp.Get(globexCtx, bin.ID); err != nil {
		t.Errorf("globex's bin: %v", err)
	}
}

func kindPrefix(kind string) string {
	switch kind {
	case "webhooks":
		return webhook.PrefixWebhook
	case "deliveries":
		return webhook.PrefixDelivery
	case "inspector":
		return "bin_"
	}
	return webhook.PrefixEvent
}

// globexState is globex's rows as a comparable string.
func globexState(t *testing.T, b *bundle, id string) string {
	t.Helper()
	ctx := operator()
	w, err := b.st.WebhookGet(ctx, auth.AllTenants(), id)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := b.st.WebhookSecrets(ctx, auth.AllTenants(), id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ds, err := b.st.DeliveryList(ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, d := range ds.Deliveries {
		parts = append(parts, d.ID+":"+string(d.Status)+":"+derefTime(d.NextAttemptAt).String())
	}
	slices.Sort(parts)
	return w.Name + "|" + w.URL + "|" + strings.Join(w.Events, ",") + "|" + boolString(w.Active) + "|" +
		secrets[0].Value + "|" + strings.Join(parts, ";")
}

func boolString(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}

// TestPortalBranding: the server's branding, a tenant's over it, the
// accent as a style sheet (no inline style under the CSP), the logo's
// host allowed for images, and framing by the allowed origins only.
func TestPortalBranding(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	b.dash.cfg.PortalBrand = webhook.Branding{Name: "Initech Hooks", LogoURL: "https://cdn.initech.example/logo.svg", Accent: "#0a7d5a"}
	b.dash.cfg.PortalFrameAncestors = []string{"https://app.example.com"}
	accent := "#b00b69"
	if _, err := b.reg.UpdateTenant(operator(), "globex", registry.TenantInput{
		Branding: registry.BrandingPatch{Set: true, Value: &webhook.Branding{Accent: accent}}}); err != nil {
		t.Fatal(err)
	}

	b.openPortal(auth.PortalMint{Tenant: "acme"}) // acme overrides the name only
	r := b.get("/portal/")
	mustContain(t, r.Body, "Acme Cloud", `src="https://cdn.initech.example/logo.svg"`, `href="/portal/brand.css"`)
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors https://app.example.com", "img-src 'self' data: https://cdn.initech.example"} {
		if !strings.Contains(csp, want) {
			t.Errorf("portal CSP %q lacks %q", csp, want)
		}
	}
	if xfo := r.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("portal X-Frame-Options %q with allowed origins", xfo)
	}
	css := b.get("/portal/brand.css")
	mustContain(t, css.Body, "--primary: #0a7d5a", "prefers-color-scheme: dark")
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("brand.css Content-Type %q", ct)
	}

	b.client.Jar = newLocalSecureJar()
	b.openPortal(auth.PortalMint{Tenant: "globex"})
	mustContain(t, b.get("/portal/").Body, "Initech Hooks")
	mustContain(t, b.get("/portal/brand.css").Body, "--primary: "+accent)

	// The admin dashboard is never framed.
	b.signIn()
	r = b.get("/")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("dashboard CSP %q", csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("dashboard X-Frame-Options %q", r.Header.Get("X-Frame-Options"))
	}
}

func TestBrandCSSContrast(t *testing.T) {
	tests := []struct {
		accent   string
		wantText string // the primary button's text colour in the light theme
	}{
		{"#0a7d5a", "#ffffff"},
		{"#ffee00", "#1b2230"},
		{"#fff", "#1b2230"},
		{"#000000", "#ffffff"},
	}
	for _, tt := range tests {
		css := brandCSS(tt.accent)
		if !strings.Contains(css, "--primary-text: "+tt.wantText) {
			t.Errorf("%s: %s", tt.accent, css)
		}
		c, _ := parseHex(tt.accent)
		if got := readableOn(c, lightSurface, -0.08); contrast(got, lightSurface) < 4.5 {
			t.Errorf("%s: link %s has contrast %.2f on white", tt.accent, got, contrast(got, lightSurface))
		}
		if got := readableOn(c, darkSurface, 0.08); contrast(got, darkSurface) < 4.5 {
			t.Errorf("%s: link %s has contrast %.2f on the dark surface", tt.accent, got, contrast(got, darkSurface))
		}
	}
	for _, bad := range []string{"", "red", "#12345", "#ggg", "0a7d5a"} {
		if css := brandCSS(bad); strings.Contains(css, "--primary") {
			t.Errorf("%q gave %s", bad, css)
		}
	}
}

// TestPortalInspector: a tenant catches payloads in its own bins, and
// "Use this bin" makes a webhook of its own, limited like the session.
func TestPortalInspector(t *testing.T) {
	t.Parallel()
	b, _, _ := portalSetup(t)
	tok := b.openPortal(auth.PortalMint{Tenant: "acme", EventTypes: []string{"payment_*"}})
	r := b.portalPost(tok, "/portal/inspector", url.Values{"name": {"Acme's catcher"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/inspector/bin_") {
		t.Fatalf("create bin: %d %q: %s", r.Status, r.Location, r.Body)
	}
	id := strings.TrimPrefix(strings.Split(r.Location, "?")[0], "/portal/inspector/")
	acmeCtx := auth.WithPrincipal(context.Background(), auth.PortalPrincipal(auth.PortalLink{Tenant: "acme"}))
	if _, err := b.insp.Get(acmeCtx, id); err != nil {
		t.Fatalf("the bin is not acme's: %v", err)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "Bin created", `action="/portal/inspector/`+id+`/use"`, `/portal/inspector/`+id+`/stream`)
	mustContain(t, b.get("/portal/inspector").Body, "Acme&#39;s catcher")

	r = b.portalPost(tok, "/portal/inspector/"+id+"/use", nil)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/webhooks/wh_") {
		t.Fatalf("use bin: %d %q: %s", r.Status, r.Location, r.Body)
	}
	wid := strings.TrimPrefix(strings.Split(r.Location, "?")[0], "/portal/webhooks/")
	w, err := b.st.WebhookGet(operator(), auth.AllTenants(), wid)
	if err != nil {
		t.Fatal(err)
	}
	if w.Tenant != "acme" || slices.Contains(w.Events, "*") || !slices.Contains(w.Events, "payment_received") {
		t.Errorf("bin webhook %s for %v", w.Tenant, w.Events)
	}
	for _, e := range w.Events {
		if !strings.HasPrefix(e, "payment_") {
			t.Errorf("bin webhook subscribes to %s", e)
		}
	}
	r = b.portalPost(tok, "/portal/inspector/"+id+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/portal/inspector?notice=bin-deleted" {
		t.Errorf("delete bin: %d %q", r.Status, r.Location)
	}
}
