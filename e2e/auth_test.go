package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
)

func TestAuthRequired(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	w := s.createWebhook("http://127.0.0.1:9/a", "payment_received")
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/event-types"},
		{"POST", "/api/v1/event-types"},
		{"GET", "/api/v1/event-types/payment_received"},
		{"GET", "/api/v1/webhooks"},
		{"POST", "/api/v1/webhooks"},
		{"GET", "/api/v1/webhooks/" + w.ID},
		{"PATCH", "/api/v1/webhooks/" + w.ID},
		{"DELETE", "/api/v1/webhooks/" + w.ID},
		{"GET", "/api/v1/webhooks/" + w.ID + "/secret"},
		{"POST", "/api/v1/webhooks/" + w.ID + "/rotate-secret"},
		{"POST", "/api/v1/webhooks/" + w.ID + "/test"},
		{"POST", "/api/v1/webhooks/" + w.ID + "/replay"},
		{"GET", "/api/v1/webhooks/" + w.ID + "/attempts"},
		{"POST", "/api/v1/events"},
		{"GET", "/api/v1/events"},
		{"GET", "/api/v1/events/evt_x"},
		{"GET", "/api/v1/deliveries"},
		{"GET", "/api/v1/deliveries/dlv_x"},
		{"POST", "/api/v1/deliveries/dlv_x/retry"},
	}
	creds := map[string]http.Header{
		"no key":         nil,
		"empty bearer":   {"Authorization": {"Bearer "}},
		"unknown key":    {"Authorization": {"Bearer hkl_" + strings.Repeat("A", 43)}},
		"not a key":      {"Authorization": {"Bearer secret"}},
		"key truncated":  {"Authorization": {"Bearer " + s.Key[:len(s.Key)-1]}},
		"wrong x-api":    {"X-Api-Key": {"hkl_nope"}},
		"basic password": {"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+s.Key))}},
	}
	for name, h := range creds {
		for _, rt := range routes {
			r := s.raw(rt.method, rt.path, h, `{"name":"abc"}`)
			if r.Status != 401 {
				t.Errorf("%s: %s %s = %d, want 401", name, rt.method, rt.path, r.Status)
				continue
			}
			mustProblem(t, r, 401)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %s %s: WWW-Authenticate %q, want a Bearer challenge", name, rt.method, rt.path, r.Header.Get("WWW-Authenticate"))
			}
		}
	}
	// Nothing was changed by the refused requests.
	if got := s.getWebhook(w.ID); got.Name != w.Name {
		t.Errorf("webhook changed by unauthenticated requests: %s", fmtJSON(got))
	}
	// The other ways to present the key work.
	for name, h := range map[string]http.Header{
		"X-API-Key":  {"X-Api-Key": {s.Key}},
		"basic user": {"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(s.Key+":"))}},
	} {
		if r := s.raw("GET", "/api/v1/webhooks", h, nil); r.Status != 200 {
			t.Errorf("%s: status %d, want 200", name, r.Status)
		}
	}
}

// RFC 9110 section 11.1: the authentication scheme name is case-insensitive.
func TestAuthSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r := s.raw("GET", "/api/v1/webhooks", http.Header{"Authorization": {scheme + " " + s.Key}}, nil)
		if r.Status != 200 {
			t.Errorf("Authorization: %s <key>: status %d, want 200", scheme, r.Status)
		}
	}
}

func TestErrorsAreProblems(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/v1/nope", nil, 404},
		{"GET", "/api/v2/webhooks", nil, 404},
		{"POST", "/api/v1/webhooks/wh_x/unknown-action", "{}", 404},
		{"GET", "/api/v1/webhooks/wh_missing", nil, 404},
		{"GET", "/api/v1/events/evt_missing", nil, 404},
		{"POST", "/api/v1/webhooks", "{", 400},
		{"POST", "/api/v1/webhooks", "", 400},
		{"GET", "/api/v1/deliveries?status=bogus", nil, 422},
		{"POST", "/api/v1/events", `{"type":"nope","data":{}}`, 422},
	}
	for _, c := range cases {
		mustProblem(t, s.raw(c.method, c.path, s.authed(), c.body), c.status)
	}
	// Unknown API routes answer problem JSON without a key too.
	mustProblem(t, s.raw("GET", "/api/v1/nope", nil, nil), 404)
}

func TestHealthMetricsOpenAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := s.raw("GET", p, nil, nil); r.Status != 200 {
			t.Errorf("GET %s = %d %s", p, r.Status, r.Body)
		}
	}

	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "payment_received")
	id := s.publish("payment_received", map[string]any{})
	rc.wait(t, 1)
	s.waitDelivery(s.onlyDelivery(id).ID, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	m := s.raw("GET", "/metrics", nil, nil)
	if m.Status != 200 || !strings.Contains(string(m.Body), "hookline_attempts_total") {
		t.Errorf("/metrics: status %d, hookline_attempts_total present: %v", m.Status, strings.Contains(string(m.Body), "hookline_attempts_total"))
	}
	if !strings.Contains(string(m.Body), `hookline_attempts_total{class="none"} 1`) {
		t.Errorf("/metrics lacks one successful attempt:\n%s", grepLines(string(m.Body), "hookline_attempts_total"))
	}

	r := s.raw("GET", "/api/openapi.json", nil, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("openapi document %s: %v", r.Body, err)
	}
	// The document describes the API of the contract.
	for _, p := range []struct{ path, method string }{
		{"/api/v1/event-types", "get"}, {"/api/v1/event-types", "post"}, {"/api/v1/event-types/{slug}", "get"},
		{"/api/v1/webhooks", "get"}, {"/api/v1/webhooks", "post"}, {"/api/v1/webhooks/{id}", "patch"},
		{"/api/v1/webhooks/{id}/test", "post"}, {"/api/v1/webhooks/{id}/replay", "post"},
		{"/api/v1/events", "post"}, {"/api/v1/events/{id}", "get"},
		{"/api/v1/deliveries/{id}", "get"}, {"/api/v1/deliveries/{id}/retry", "post"},
	} {
		if _, ok := doc.Paths[p.path][p.method]; !ok {
			t.Errorf("openapi.json does not describe %s %s", strings.ToUpper(p.method), p.path)
		}
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestPublishScopedKey(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	_, key, err := auth.Create(context.Background(), s.app.Store(), auth.CreateParams{Name: "producer", Scopes: []string{"publish"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + key}}
	if r := s.raw("POST", "/api/v1/events", h, `{"type":"payment_received","data":{}}`); r.Status != 202 {
		t.Errorf("publish with a publish-scoped key: %d %s", r.Status, r.Body)
	}
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/webhooks"}, {"POST", "/api/v1/webhooks"}, {"GET", "/api/v1/events"},
		{"POST", "/api/v1/event-types"}, {"GET", "/api/v1/deliveries"},
	} {
		mustProblem(t, s.raw(rt.method, rt.path, h, `{}`), 403)
	}
}

// Revoking a key through the API: refused at once on this instance, and
// recorded once, by the key that did it.
func TestKeyRevokeAudited(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var me struct {
		Key struct{ ID, Name string } `json:"key"`
	}
	s.mustDo(200, "GET", "/api/v1/me", nil, &me)
	var k struct{ ID, Key string }
	s.mustDo(201, "POST", "/api/v1/keys", map[string]any{"name": "deploy bot"}, &k)
	if status := s.doKey(k.Key, "GET", "/api/v1/me", nil, nil); status != 200 {
		t.Fatalf("new key: %d", status)
	}
	s.mustDo(204, "DELETE", "/api/v1/keys/"+k.ID, nil, nil)
	if status := s.doKey(k.Key, "GET", "/api/v1/me", nil, nil); status != 401 {
		t.Errorf("revoked key: %d, want 401", status)
	}
	s.mustDo(204, "DELETE", "/api/v1/keys/"+k.ID, nil, nil) // again: harmless
	s.sendProblem(404, "DELETE", "/api/v1/keys/key_01jbx5kq4w7a0j6s5yq6d1j2c9", nil)

	var log struct {
		Data []struct{ Actor, Action, Target, Detail string } `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/audit-log?target="+k.ID, nil, &log)
	actor := "key:" + me.Key.ID + " (" + me.Key.Name + ")"
	type entry struct{ actor, action, detail string }
	var got []entry
	for _, e := range log.Data {
		got = append(got, entry{e.Actor, e.Action, e.Detail})
	}
	want := []entry{{actor, "key.revoke", "deploy bot"}, {actor, "key.create", "deploy bot"}}
	if !slices.Equal(got, want) {
		t.Errorf("audit log of the key =\n%v\nwant\n%v", got, want)
	}
}
