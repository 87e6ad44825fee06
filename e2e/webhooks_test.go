package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hookline/hookline/verify"
)

func TestWebhookCreateDefaultsAndSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.raw("POST", "/api/v1/webhooks", s.authed(), map[string]any{
		"name": "Billing", "url": "http://127.0.0.1:9/hook", "events": []string{"payment_received"},
	})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var w webhookResp
	if err := json.Unmarshal(r.Body, &w); err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("Location") != "/api/v1/webhooks/"+w.ID {
		t.Errorf("Location = %q, want /api/v1/webhooks/%s", r.Header.Get("Location"), w.ID)
	}
	if !strings.HasPrefix(w.ID, "wh_") || !w.Active || w.Format != "envelope" || w.Tenant != "default" ||
		w.Name != "Billing" || len(w.Events) != 1 || w.Events[0] != "payment_received" {
		t.Errorf("created webhook = %s", fmtJSON(w))
	}
	checkSecret(t, w.Secret)

	// The secret is shown by its own endpoint, and nowhere else.
	var sec struct {
		Secret string `json:"secret"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID+"/secret", nil, &sec)
	if sec.Secret != w.Secret {
		t.Errorf("GET secret = %q, want the secret returned on create", sec.Secret)
	}
	get := s.raw("GET", "/api/v1/webhooks/"+w.ID, s.authed(), nil)
	list := s.raw("GET", "/api/v1/webhooks", s.authed(), nil)
	for name, body := range map[string][]byte{"GET": get.Body, "list": list.Body} {
		if strings.Contains(string(body), w.Secret) || strings.Contains(string(body), `"secret"`) {
			t.Errorf("%s shows the secret: %s", name, body)
		}
	}
	s.sendProblem(404, "GET", "/api/v1/webhooks/wh_nope/secret", nil)
}

// checkSecret asserts the whsec_ + base64 (at least 24 bytes) form and that
// the verify package accepts it.
func checkSecret(t *testing.T, secret string) {
	t.Helper()
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		t.Fatalf("secret %q lacks the whsec_ prefix", secret)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 24 {
		t.Fatalf("secret %q: want base64 of at least 24 bytes (got %d bytes, err %v)", secret, len(key), err)
	}
	if _, err := verify.New(secret); err != nil {
		t.Fatalf("verify.New(secret): %v", err)
	}
}

func TestWebhookCreateValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	base := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "ok name", "url": "http://127.0.0.1:9/hook", "events": []string{"payment_received"}}
		mod(m)
		return m
	}
	for _, ok := range []map[string]any{
		base(func(m map[string]any) { m["name"] = "ab" }),
		base(func(m map[string]any) { m["name"] = strings.Repeat("é", 200) }),
		base(func(m map[string]any) { m["events"] = []string{"*"} }),
		base(func(m map[string]any) { m["url"] = "http://127.0.0.1:8080/a?b=c" }),
		base(func(m map[string]any) { m["format"] = "raw" }),
		base(func(m map[string]any) {
			m["headers"] = map[string]string{"X-Api-Token": "t", "Authorization": "Bearer x"}
		}),
	} {
		s.mustDo(201, "POST", "/api/v1/webhooks", ok, nil)
	}

	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"name too short", base(func(m map[string]any) { m["name"] = "a" }), 400, "name"},
		{"name blank", base(func(m map[string]any) { m["name"] = "   " }), 400, "name"},
		{"name too long", base(func(m map[string]any) { m["name"] = strings.Repeat("n", 201) }), 400, "name"},
		{"name missing", base(func(m map[string]any) { delete(m, "name") }), 400, "name"},
		{"url missing", base(func(m map[string]any) { delete(m, "url") }), 400, "url"},
		{"url relative", base(func(m map[string]any) { m["url"] = "/hook" }), 400, "url"},
		{"url ftp", base(func(m map[string]any) { m["url"] = "ftp://example.com/x" }), 400, "url"},
		{"url credentials", base(func(m map[string]any) { m["url"] = "https://user:pw@example.com/x" }), 400, "url"},
		{"url user only", base(func(m map[string]any) { m["url"] = "https://user@example.com/x" }), 400, "url"},
		{"url no host", base(func(m map[string]any) { m["url"] = "http:///x" }), 400, "url"},
		{"events missing", base(func(m map[string]any) { delete(m, "events") }), 400, "events"},
		{"events empty", base(func(m map[string]any) { m["events"] = []string{} }), 400, "events"},
		{"events unknown", base(func(m map[string]any) { m["events"] = []string{"payment_received", "nope"} }), 422, "events[1]"},
		{"wildcard mixed", base(func(m map[string]any) { m["events"] = []string{"*", "payment_received"} }), 400, "events"},
		{"reserved content-type", base(func(m map[string]any) { m["headers"] = map[string]string{"Content-Type": "text/plain"} }), 400, "headers.Content-Type"},
		{"reserved user-agent", base(func(m map[string]any) { m["headers"] = map[string]string{"user-agent": "x"} }), 400, "headers.user-agent"},
		{"reserved host", base(func(m map[string]any) { m["headers"] = map[string]string{"Host": "evil"} }), 400, "headers.Host"},
		{"reserved webhook-id", base(func(m map[string]any) { m["headers"] = map[string]string{"Webhook-Id": "x"} }), 400, "headers.Webhook-Id"},
		{"reserved webhook-signature", base(func(m map[string]any) { m["headers"] = map[string]string{"webhook-signature": "v1,x"} }), 400, "headers.webhook-signature"},
		{"header CRLF", base(func(m map[string]any) { m["headers"] = map[string]string{"X-A": "a\r\nX-B: b"} }), 400, "headers.X-A"},
		{"header bad name", base(func(m map[string]any) { m["headers"] = map[string]string{"X A": "a"} }), 400, "headers.X A"},
		{"url too long", base(func(m map[string]any) { m["url"] = "http://127.0.0.1:9/" + strings.Repeat("p", 2048) }), 400, "url"},
		{"description too long", base(func(m map[string]any) { m["description"] = strings.Repeat("d", 2001) }), 400, "description"},
		{"too many headers", base(func(m map[string]any) { m["headers"] = manyHeaders(21) }), 400, "headers"},
		{"format unknown", base(func(m map[string]any) { m["format"] = "xml" }), 400, "format"},
		{"tenant invalid", base(func(m map[string]any) { m["tenant"] = "a b" }), 400, "tenant"},
		{"unknown field", base(func(m map[string]any) { m["evnets"] = []string{"*"} }), 400, "evnets"},
	}
	for _, c := range cases {
		p := s.sendProblem(c.status, "POST", "/api/v1/webhooks", c.body)
		if p.Field != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.name, p.Field, c.field, p.Detail)
		}
	}
	var list struct {
		Data []webhookResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &list)
	if len(list.Data) != 6 {
		t.Errorf("%d webhooks stored, want the 6 valid ones", len(list.Data))
	}
}

func TestWebhookGetPatchDelete(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	w := s.createWebhook("http://127.0.0.1:9/a", "payment_received")

	var got webhookResp
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{
		"name": "Renamed", "events": []string{"site_published", "domain_created"}, "active": false,
		"description": "desc", "headers": map[string]string{"X-Team": "billing"}, "format": "raw",
		"url": "http://127.0.0.2:9/b",
	}, &got)
	got = s.getWebhook(w.ID)
	if got.Name != "Renamed" || got.URL != "http://127.0.0.2:9/b" || got.Active || got.Format != "raw" ||
		got.Headers["X-Team"] != "billing" || strings.Join(got.Events, ",") != "site_published,domain_created" {
		t.Errorf("after PATCH: %s", fmtJSON(got))
	}
	var desc struct {
		Description string `json:"description"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks/"+w.ID, nil, &desc)
	if desc.Description != "desc" {
		t.Errorf("description = %q", desc.Description)
	}

	// A partial PATCH leaves the other fields alone.
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	if g := s.getWebhook(w.ID); !g.Active || g.Name != "Renamed" || g.Format != "raw" || len(g.Events) != 2 {
		t.Errorf("after partial PATCH: %s", fmtJSON(g))
	}

	// Invalid changes are refused and change nothing.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x"}, "name"},
		{map[string]any{"url": "ftp://x"}, "url"},
		{map[string]any{"events": []string{}}, "events"},
		{map[string]any{"headers": map[string]string{"Content-Length": "1"}}, "headers.Content-Length"},
		{map[string]any{"tenant": "other"}, "tenant"},
		{map[string]any{"format": "soap"}, "format"},
	} {
		if p := s.sendProblem(400, "PATCH", "/api/v1/webhooks/"+w.ID, c.body); p.Field != c.field {
			t.Errorf("PATCH %v: field %q, want %q", c.body, p.Field, c.field)
		}
	}
	if g := s.getWebhook(w.ID); g.Name != "Renamed" || g.URL != "http://127.0.0.2:9/b" || g.Tenant != "default" {
		t.Errorf("refused PATCH changed the webhook: %s", fmtJSON(g))
	}
	s.sendProblem(404, "PATCH", "/api/v1/webhooks/wh_missing", map[string]any{"name": "abc"})

	if st := s.do("DELETE", "/api/v1/webhooks/"+w.ID, nil, nil); st != 204 {
		t.Fatalf("DELETE: %d, want 204", st)
	}
	s.sendProblem(404, "GET", "/api/v1/webhooks/"+w.ID, nil)
	s.sendProblem(404, "DELETE", "/api/v1/webhooks/"+w.ID, nil)
	s.sendProblem(404, "GET", "/api/v1/webhooks/"+w.ID+"/secret", nil)
}

type webhookPage struct {
	Data       []webhookResp `json:"data"`
	NextCursor string        `json:"next_cursor"`
}

// walkWebhooks follows next_cursor from the first page of query and
// returns the ids in order.
func walkWebhooks(t *testing.T, s *server, query string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		q := query
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		var p webhookPage
		s.mustDo(200, "GET", "/api/v1/webhooks?"+q, nil, &p)
		for _, w := range p.Data {
			out = append(out, w.ID)
		}
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
}

func TestWebhookListPagination(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var created []string
	for i := range 7 {
		w := s.createWebhook(fmt.Sprintf("http://127.0.0.1:9/%d", i), "payment_received")
		created = append(created, w.ID)
	}
	var first webhookPage
	s.mustDo(200, "GET", "/api/v1/webhooks?limit=3", nil, &first)
	if len(first.Data) != 3 || first.NextCursor == "" {
		t.Fatalf("first page: %d webhooks, cursor %q; want 3 and a cursor", len(first.Data), first.NextCursor)
	}
	got := walkWebhooks(t, s, "limit=3")
	if len(got) != 7 {
		t.Fatalf("walked %d webhooks, want 7: %v", len(got), got)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("webhook %s on two pages", id)
		}
		seen[id] = true
	}
	for _, id := range created {
		if !seen[id] {
			t.Errorf("webhook %s missing from the pages", id)
		}
	}
	// Newest first.
	if got[0] != created[6] || got[6] != created[0] {
		t.Errorf("order %v, want newest first (%s ... %s)", got, created[6], created[0])
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "active=maybe", "tenant=bad%20tenant"} {
		s.sendProblem(400, "GET", "/api/v1/webhooks?"+q, nil)
	}
}

func TestWebhookListFilters(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	pay := s.createWebhook("http://127.0.0.1:9/pay", "payment_received")
	site := s.createWebhook("http://127.0.0.1:9/site", "site_published")
	all := s.createWebhook("http://127.0.0.1:9/all", "*")
	off := s.createWebhookWith(map[string]any{"name": "off", "url": "http://127.0.0.1:9/off",
		"events": []string{"payment_received"}, "active": false})
	acme := s.createWebhookWith(map[string]any{"name": "acme", "url": "http://127.0.0.1:9/acme",
		"events": []string{"site_published"}, "tenant": "acme"})

	cases := []struct {
		query string
		want  []string
	}{
		{"event_type=payment_received", []string{pay.ID, all.ID, off.ID}},
		{"event_type=site_published", []string{site.ID, all.ID, acme.ID}},
		{"active=false", []string{off.ID}},
		{"active=true", []string{pay.ID, site.ID, all.ID, acme.ID}},
		{"tenant=acme", []string{acme.ID}},
		{"tenant=default", []string{pay.ID, site.ID, all.ID, off.ID}},
		{"tenant=default&event_type=site_published", []string{site.ID, all.ID}},
		{"tenant=default&active=true&event_type=payment_received", []string{pay.ID, all.ID}},
		{"limit=1&event_type=payment_received&active=true", []string{pay.ID, all.ID}},
		{"tenant=nobody", nil},
	}
	for _, c := range cases {
		got := walkWebhooks(t, s, c.query)
		if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(c.want), ",") {
			t.Errorf("?%s = %v, want %v", c.query, got, c.want)
		}
	}
}

func manyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = "v"
	}
	return h
}
