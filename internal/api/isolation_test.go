package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

// The tenants of the isolation test: A's key walks the routes, B owns the
// rows it aims at.
const (
	tenantA   = "tenant-a"
	tenantB   = "tenant-b"
	isoType   = "payment_received"
	isoSecret = "isolation"
)

// isolation is an API on a real store holding tenant B's rows, and an
// admin key of tenant A.
type isolation struct {
	ctx      context.Context
	api      *API
	st       store.Store
	receiver string
	keyA     string
	// params fill path parameters with B's rows, by the path segment
	// before the parameter.
	params map[string]string
	// marks are strings only B's rows contain (IDs, the bin token, the
	// signing secret): no answer to A may contain one.
	marks []string
}

func newIsolation(t *testing.T) *isolation {
	t.Helper()
	ctx := t.Context()
	st := sqlitetest.Open(t)
	types, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EventTypeSeed(ctx, types); err != nil {
		t.Fatal(err)
	}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(recv.Close)
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	insp, err := inspect.New(inspect.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(registry.Config{
		Store: st, Guard: egress.NewGuard(loopback), Internal: insp.Internal,
		Sender: deliver.New(deliver.Config{Client: egress.NewClient(egress.Config{AllowPrivate: loopback}), Version: "test"}),
	})
	// No dispatcher: nothing changes B's rows but the requests of the walk.
	ing := ingest.New(ingest.Config{Store: st})
	iso := &isolation{ctx: ctx, st: st, receiver: recv.URL,
		api: New(Config{Store: st, Ingest: ing, Registry: reg, Auth: auth.NewAuthenticator(st, 0, nil), Bins: insp})}

	if err := st.UserCreate(ctx, auth.User{Username: "ops", Role: auth.RoleAdmin, PasswordHash: "x",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// B's rows, made by B's own key as B would make them (so that B has
	// audit entries too).
	keyB, _, err := auth.Create(ctx, st, auth.CreateParams{Name: "b", Tenant: tenantB}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	asB := auth.WithPrincipal(ctx, auth.KeyPrincipal(keyB))
	name, url := "B's endpoint", recv.URL
	wh, secret, err := reg.CreateWebhook(asB, registry.WebhookInput{Name: &name, URL: &url, Events: []string{webhook.AllEvents}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ing.Publish(asB, ingest.Input{Tenant: tenantB, Type: isoType, Data: json.RawMessage(`{"amount":1}`)})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("publish for B: %v, %d deliveries", err, len(res.Deliveries))
	}
	d := res.Deliveries[0]
	at := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: wh.ID, EventID: d.EventID,
		EventType: isoType, Number: 1, StartedAt: time.Now().UTC(), URL: url, StatusCode: 500, Answer: "500 Internal Server Error"}
	if err := st.AttemptRecord(ctx, []store.AttemptResult{{Attempt: at, Outcome: store.OutcomeRetry,
		NextAttemptAt: time.Now().Add(24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	b, err := insp.Create(asB, "B's bin")
	if err != nil {
		t.Fatal(err)
	}
	req := bin.Request{ID: webhook.NewID(bin.PrefixRequest), BinID: b.ID, Method: "POST", Path: "/bins/" + b.Token,
		Headers: http.Header{}, Body: []byte(`{}`), Size: 2, ReceivedAt: time.Now().UTC()}
	if err := st.BinRequestAdd(ctx, req); err != nil {
		t.Fatal(err)
	}
	ach := alert.Channel{ID: webhook.NewID(alert.PrefixChannel), Type: alert.TypeSlack, URL: "https://chat.example.com/hooks/b",
		Kinds: []alert.Kind{alert.KindFailing}, Tenant: tenantB, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.AlertChannelCreate(ctx, ach); err != nil {
		t.Fatal(err)
	}
	iso.params = map[string]string{
		"alert-channels": ach.ID, "webhooks": wh.ID, "hooks": wh.ID, "events": d.EventID, "deliveries": d.ID,
		"keys": keyB.ID, "bins": b.ID, "requests": req.ID, "tenants": tenantB, "event-types": isoType, "samples": isoType,
		// Users belong to no tenant: their routes are operator-only.
		"users": "ops",
	}
	iso.marks = []string{ach.ID, wh.ID, secret, d.EventID, d.ID, at.ID, keyB.ID, b.ID, b.Token, req.ID}

	_, iso.keyA, err = auth.Create(ctx, st, auth.CreateParams{Name: "a", Tenant: tenantA}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return iso
}

// snapshot is everything of B's, read as the operator.
func (iso *isolation) snapshot(t *testing.T) string {
	t.Helper()
	ctx, all := iso.ctx, auth.AllTenants()
	var out []any
	add := func(v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	add(iso.st.WebhookList(ctx, store.WebhookListParams{Scope: all, Tenant: tenantB}))
	add(iso.st.AlertChannelList(ctx))
	add(iso.st.WebhookSecrets(ctx, all, iso.params["webhooks"], time.Unix(0, 0)))
	add(iso.st.EventList(ctx, store.EventListParams{Scope: all, Tenant: tenantB}))
	add(iso.st.DeliveryList(ctx, store.DeliveryListParams{Scope: all, Tenant: tenantB}))
	add(iso.st.AttemptListByWebhook(ctx, all, iso.params["webhooks"], 100))
	add(iso.st.BinList(ctx, auth.TenantScope(tenantB)))
	add(iso.st.BinRequestList(ctx, store.BinRequestListParams{Scope: all, BinID: iso.params["bins"]}))
	add(iso.st.APIKeyList(ctx, auth.TenantScope(tenantB)))
	add(iso.st.AuditList(ctx, store.AuditListParams{Scope: auth.TenantScope(tenantB)}))
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// isoBodies are the request bodies of the walk: valid requests, so that
// an answer is about the tenant and not about the body. Those marked
// cross name tenant B, which A's key must be refused (403).
var isoBodies = map[string]struct {
	body  string
	cross bool
}{
	"POST /api/v1/webhooks":                         {`{"tenant":"` + tenantB + `","name":"in B","url":"{receiver}","events":["*"]}`, true},
	"PATCH /api/v1/webhooks/{id}":                   {`{"name":"taken over","active":false}`, false},
	"POST /api/v1/webhooks/{id}/replay":             {`{"since":"2000-01-01T00:00:00Z"}`, false},
	"POST /api/v1/webhooks/{id}/recover":            {`{"since":"2000-01-01T00:00:00Z","until":"2000-01-02T00:00:00Z"}`, false},
	"POST /api/v1/events":                           {`{"type":"` + isoType + `","data":{},"tenant":"` + tenantB + `"}`, true},
	"POST /api/v1/keys":                             {`{"name":"into B","tenant":"` + tenantB + `"}`, true},
	"POST /api/v1/hooks":                            {`{"target_url":"{receiver}","event":"` + isoType + `","tenant":"` + tenantB + `"}`, true},
	"POST /api/v1/event-types":                      {`{"slug":"b.thing","name":"B thing","example":{}}`, false},
	"POST /api/v1/bins":                             {`{"name":"A's own"}`, false},
	"PUT /api/v1/bins/{id}/response":                {`{"status":503}`, false},
	"POST /api/v1/bins/{id}/requests/{rid}/forward": {`{"url":"{receiver}"}`, false},
	"POST /api/v1/webhooks/filter-test":             {`{"filter":{"data.x":1},"event_type":"` + isoType + `"}`, false},
	"POST /api/v1/webhooks/{id}/test":               {`{}`, false},
	"POST /api/v1/deliveries/{id}/retry":            {``, false},

	// Transform tests run the tenant's own script on the tenant's events.
	"POST /api/v1/webhooks/transform-test": {`{"transform":"function handler(w) { return w }","event_type":"` + isoType + `"}`, false},
}

// walk sends every route of routes, mounted on the API, with A's key
// against B's rows (path parameters from B's rows, ?tenant= B, bodies
// naming B) and returns what broke isolation: an answer other than the
// route's tenancy allows, an answer containing B's data, or B's rows
// changed.
func (iso *isolation) walk(t *testing.T, routes []Route) []string {
	t.Helper()
	mux := http.NewServeMux()
	iso.api.Mount(mux, routes)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var problems []string
	for _, rt := range routes {
		where := rt.Method + " " + rt.Pattern
		fail := func(format string, args ...any) { problems = append(problems, where+": "+fmt.Sprintf(format, args...)) }
		switch rt.Tenancy {
		case TenantScoped, Shared, OperatorOnly:
		case Public:
			continue // no key: nothing of a tenant's is behind it
		default:
			fail("declares no tenancy (TenantScoped, Shared, OperatorOnly or Public)")
			continue
		}
		path, fromB, err := iso.fill(rt.Pattern)
		if err != nil {
			fail("%v", err)
			continue
		}
		spec := isoBodies[where]
		before := iso.snapshot(t)
		status, body := iso.send(t, srv.URL, rt.Method, path+"?tenant="+tenantB, strings.ReplaceAll(spec.body, "{receiver}", iso.receiver))
		if after := iso.snapshot(t); after != before {
			fail("changed tenant B's rows:\nbefore %s\nafter  %s", before, after)
		}
		// A problem names the path it answers (instance), as it does for a
		// missing row; anything else of B's is a leak.
		shown := strings.ReplaceAll(body, path, "")
		for _, m := range iso.marks {
			if strings.Contains(shown, m) {
				fail("answered %d with B's %q: %s", status, m, body)
			}
		}
		switch {
		case rt.Tenancy == OperatorOnly:
			if status != http.StatusForbidden {
				fail("operator-only, answered %d to a tenant's key, want 403: %s", status, body)
			}
		case rt.Tenancy == Shared:
			if rt.Method != http.MethodGet || status != http.StatusOK {
				fail("shared routes only read; answered %d: %s", status, body)
			}
		case fromB:
			if status != http.StatusNotFound {
				fail("answered %d for B's row, want 404 exactly as a missing one: %s", status, body)
			}
		case spec.cross:
			if status != http.StatusForbidden {
				fail("answered %d to a request naming tenant B, want 403: %s", status, body)
			}
		case status >= 300 && status != http.StatusForbidden && status != http.StatusNotFound:
			fail("answered %d: %s", status, body)
		}
	}
	return problems
}

// fill puts B's rows into pattern's parameters; fromB reports whether one
// names a row of B's (rather than, say, a catalog slug).
func (iso *isolation) fill(pattern string) (path string, fromB bool, err error) {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !pathParam.MatchString(s) {
			continue
		}
		v, ok := iso.params[segs[i-1]]
		if !ok {
			return "", false, fmt.Errorf("no row of tenant B for %s after /%s/: teach the isolation test", s, segs[i-1])
		}
		segs[i] = v
		fromB = fromB || (segs[i-1] != "event-types" && segs[i-1] != "samples")
	}
	return strings.Join(segs, "/"), fromB, nil
}

func (iso *isolation) send(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(iso.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+iso.keyA)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// TestTenantIsolation walks every API route with tenant A's key against
// tenant B's rows: every one answers 404 for B's IDs exactly as for
// missing ones (403 for operator-only routes and for requests naming B),
// shows nothing of B's, and leaves B's rows as they were. It is driven
// by the route table, so a route added later is walked too.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	iso := newIsolation(t)
	routes := iso.api.Routes()
	for _, p := range iso.walk(t, routes) {
		t.Error(p)
	}

	// The walk catches a route that forgets the scope or its tenancy: the
	// same table with three faulty routes added fails on each of them
	// (and only on them).
	t.Run("catches an unscoped route", func(t *testing.T) {
		read := func(w http.ResponseWriter, r *http.Request) error {
			wh, err := iso.st.WebhookGet(r.Context(), auth.AllTenants(), r.PathValue("id"))
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, wh)
			return nil
		}
		write := func(w http.ResponseWriter, r *http.Request) error {
			err := iso.st.WebhookDisable(r.Context(), auth.AllTenants(), r.PathValue("id"), "taken over", time.Now())
			if err != nil {
				return err
			}
			return webhook.Errorf(webhook.ENOTFOUND, "webhook not found") // hides what it did
		}
		undeclared := func(w http.ResponseWriter, r *http.Request) error {
			writeJSON(w, http.StatusOK, list[string]{Data: []string{}})
			return nil
		}
		faulty := []Route{
			{"GET", "/api/v1/webhooks/{id}/leak", auth.ScopeRead, TenantScoped, read},
			{"POST", "/api/v1/webhooks/{id}/hijack", auth.ScopeAdmin, TenantScoped, write},
			{"GET", "/api/v1/undeclared", auth.ScopeRead, 0, undeclared},
		}
		problems := iso.walk(t, append(slices.Clone(routes), faulty...))
		for _, f := range faulty {
			where := f.Method + " " + f.Pattern + ": "
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, where) }) {
				t.Errorf("the walk did not catch %s", where)
			}
		}
		for _, p := range problems {
			if !slices.ContainsFunc(faulty, func(f Route) bool { return strings.HasPrefix(p, f.Method+" "+f.Pattern+": ") }) {
				t.Errorf("a problem outside the faulty routes: %s", p)
			}
		}
	})
}
