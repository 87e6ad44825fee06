package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// keyResp is a created API key.
type keyResp struct {
	ID     string   `json:"id"`
	Key    string   `json:"key"`
	Scopes []string `json:"scopes"`
	Tenant string   `json:"tenant"`
}

// tenantKey makes a key of tenant with the operator's key.
func (s *server) tenantKey(tenant string, scopes ...string) keyResp {
	s.t.Helper()
	var k keyResp
	s.mustDo(201, "POST", "/api/v1/keys", map[string]any{"name": tenant + " key", "tenant": tenant, "scopes": scopes}, &k)
	if k.Tenant != tenant {
		s.t.Fatalf("key made for %s has tenant %q", tenant, k.Tenant)
	}
	return k
}

// problemAs makes a request with key expected to fail with status and
// returns the problem.
func (s *server) problemAs(key string, status int, method, path string, body any) problem {
	s.t.Helper()
	return mustProblem(s.t, s.raw(method, path, http.Header{"Authorization": {"Bearer " + key}}, body), status)
}

// TestTenantKeys: a key bound to a tenant works on its tenant only, and the
// operator sees every key's tenant.
func TestTenantKeys(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	recv := startReceiver(t, nil)
	acme := s.tenantKey("acme")

	var keys struct{ Data []keyResp }
	s.mustDo(200, "GET", "/api/v1/keys", nil, &keys)
	tenants := map[string]string{}
	for _, k := range keys.Data {
		tenants[k.ID] = k.Tenant
	}
	if len(tenants) != 2 || tenants[acme.ID] != "acme" {
		t.Errorf("the operator's key list: %+v", keys.Data)
	}

	// Its webhooks and events are its tenant's, without saying so.
	var wh webhookResp
	if code := s.doKey(acme.Key, "POST", "/api/v1/webhooks", map[string]any{"name": "acme hook", "url": recv.URL,
		"events": []string{"*"}}, &wh); code != 201 {
		t.Fatalf("create a webhook with acme's key: %d", code)
	}
	if got := s.getWebhook(wh.ID); got.Tenant != "acme" {
		t.Errorf("acme's webhook has tenant %q", got.Tenant)
	}
	var pub struct{ ID string }
	if code := s.doKey(acme.Key, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}}, &pub); code != 202 {
		t.Fatalf("publish with acme's key: %d", code)
	}
	if ev := s.getEvent(pub.ID); ev.Tenant != "acme" {
		t.Errorf("acme's event has tenant %q", ev.Tenant)
	}
	recv.waitID(t, pub.ID)

	// Naming another tenant is refused, clearly.
	p := s.problemAs(acme.Key, 403, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}, "tenant": "globex"})
	if !strings.Contains(p.Detail, `"acme"`) || !strings.Contains(p.Detail, `"globex"`) {
		t.Errorf("cross-tenant publish problem: %+v", p)
	}
	s.problemAs(acme.Key, 403, "POST", "/api/v1/webhooks", map[string]any{"name": "x", "url": recv.URL, "events": []string{"*"}, "tenant": "globex"})
	s.problemAs(acme.Key, 403, "POST", "/api/v1/keys", map[string]any{"name": "x", "tenant": "globex"})
	// Operator-only routes, and operational events, are not the tenant's.
	s.problemAs(acme.Key, 403, "POST", "/api/v1/event-types", map[string]any{"slug": "acme.thing", "name": "Acme thing", "example": map[string]any{}})
	s.problemAs(acme.Key, 422, "POST", "/api/v1/webhooks", map[string]any{"name": "ops for acme", "url": recv.URL, "events": []string{"hookline.webhook.disabled"}})
	// The catalog is everyone's to read.
	if code := s.doKey(acme.Key, "GET", "/api/v1/event-types/payment_received", nil, nil); code != 200 {
		t.Errorf("the catalog with acme's key: %d", code)
	}

	// Its audit log is its own doing.
	var audit struct {
		Data []struct{ Actor, Tenant, Action string }
	}
	s.doKey(acme.Key, "GET", "/api/v1/audit-log", nil, &audit)
	if len(audit.Data) == 0 {
		t.Error("acme's audit log is empty")
	}
	for _, e := range audit.Data {
		if e.Tenant != "acme" || !strings.HasPrefix(e.Actor, "key:"+acme.ID) {
			t.Errorf("acme's audit log shows %+v", e)
		}
	}

	// A read key of acme, made by acme's key: it reads, and only reads.
	var reader keyResp
	if code := s.doKey(acme.Key, "POST", "/api/v1/keys", map[string]any{"name": "acme reader", "scopes": []string{"read"}}, &reader); code != 201 || reader.Tenant != "acme" {
		t.Fatalf("acme making a read key: %d %+v", code, reader)
	}
	var list struct{ Data []webhookResp }
	if code := s.doKey(reader.Key, "GET", "/api/v1/webhooks", nil, &list); code != 200 || len(list.Data) != 1 || list.Data[0].ID != wh.ID {
		t.Errorf("webhooks with acme's read key: %d %+v", code, list.Data)
	}
	s.problemAs(reader.Key, 403, "GET", "/api/v1/webhooks/"+wh.ID+"/secret", nil)
	s.problemAs(reader.Key, 403, "POST", "/api/v1/webhooks", map[string]any{"name": "xx", "url": recv.URL, "events": []string{"*"}})
	s.problemAs(reader.Key, 403, "DELETE", "/api/v1/webhooks/"+wh.ID, nil)
}

// TestOperationalEventsStayWithOperator: hookline.* notifications about a
// tenant's webhook go to the operator's webhook that names them, never to
// the tenant's webhook subscribed to "*", and no tenant key reads them.
func TestOperationalEventsStayWithOperator(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ops := startReceiver(t, nil)
	var opsHook webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{"name": "ops", "url": ops.URL,
		"events": []string{"hookline.webhook.disabled"}}, &opsHook)

	acme := s.tenantKey("acme")
	everything := startReceiver(t, nil)
	var star, goneHook webhookResp
	s.doKey(acme.Key, "POST", "/api/v1/webhooks", map[string]any{"name": "everything", "url": everything.URL, "events": []string{"*"}}, &star)
	gone := startReceiver(t, func(*http.Request, int) (int, http.Header, string) { return 410, nil, "gone" })
	s.doKey(acme.Key, "POST", "/api/v1/webhooks", map[string]any{"name": "gone", "url": gone.URL, "events": []string{"site_published"}}, &goneHook)
	if star.ID == "" || goneHook.ID == "" {
		t.Fatal("acme's webhooks were not made")
	}
	var pub struct{ ID string }
	s.doKey(acme.Key, "POST", "/api/v1/events", map[string]any{"type": "site_published", "data": map[string]any{}}, &pub)

	var note struct{ ID, Type string }
	if err := json.Unmarshal(ops.wait(t, 1)[0].Body, &note); err != nil || note.Type != "hookline.webhook.disabled" {
		t.Fatalf("the operator's notification: %+v, %v", note, err)
	}
	// Its deliveries were made with it, at once: the operator's webhook
	// alone.
	var dl struct{ Data []deliveryResp }
	s.mustDo(200, "GET", "/api/v1/deliveries?event_id="+note.ID, nil, &dl)
	if len(dl.Data) != 1 || dl.Data[0].WebhookID != opsHook.ID {
		t.Errorf("deliveries of the notification: %+v, want one to the operator's webhook", dl.Data)
	}
	for _, r := range everything.requests() {
		if strings.Contains(string(r.Body), "hookline.") {
			t.Errorf("acme's * webhook received %s", r.Body)
		}
	}

	s.problemAs(acme.Key, 404, "GET", "/api/v1/events/"+note.ID, nil)
	var evs struct{ Data []eventResp }
	s.doKey(acme.Key, "GET", "/api/v1/events?type=hookline.webhook.disabled", nil, &evs)
	var mine struct{ Data []deliveryResp }
	s.doKey(acme.Key, "GET", "/api/v1/deliveries?event_id="+note.ID, nil, &mine)
	if len(evs.Data) != 0 || len(mine.Data) != 0 {
		t.Errorf("acme's key reads operational events: %+v %+v", evs.Data, mine.Data)
	}
}
