package e2e

import (
	"encoding/json"
	"testing"
)

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rcDefault := startReceiver(t, nil)
	rcAcme := startReceiver(t, nil)
	rcGlobex := startReceiver(t, nil)
	whDefault := s.createWebhook(rcDefault.URL, "*")
	whAcme := s.createWebhookWith(map[string]any{"name": "acme", "url": rcAcme.URL, "events": []string{"*"}, "tenant": "acme"})
	whGlobex := s.createWebhookWith(map[string]any{"name": "globex", "url": rcGlobex.URL, "events": []string{"payment_received"}, "tenant": "globex"})
	if whDefault.Tenant != "default" || whAcme.Tenant != "acme" || whGlobex.Tenant != "globex" {
		t.Fatalf("tenants: %q %q %q", whDefault.Tenant, whAcme.Tenant, whGlobex.Tenant)
	}

	publish := func(tenant string) (string, int) {
		t.Helper()
		body := map[string]any{"type": "payment_received", "data": map[string]any{"tenant": tenant}}
		if tenant != "" {
			body["tenant"] = tenant
		}
		var r struct {
			ID         string `json:"id"`
			Deliveries int    `json:"deliveries"`
		}
		s.mustDo(202, "POST", "/api/v1/events", body, &r)
		return r.ID, r.Deliveries
	}
	evDefault, n1 := publish("")
	evAcme, n2 := publish("acme")
	evGlobex, n3 := publish("globex")
	evNobody, n4 := publish("initech")
	if n1 != 1 || n2 != 1 || n3 != 1 || n4 != 0 {
		t.Errorf("deliveries per publish %d %d %d %d, want 1 1 1 0", n1, n2, n3, n4)
	}
	want := map[string]string{evDefault: whDefault.ID, evAcme: whAcme.ID, evGlobex: whGlobex.ID}
	for ev, wh := range want {
		e := s.getEvent(ev)
		if len(e.Deliveries) != 1 || e.Deliveries[0].WebhookID != wh {
			t.Errorf("event %s (tenant %s) deliveries %s, want only webhook %s", ev, e.Tenant, fmtJSON(e.Deliveries), wh)
		}
	}
	if e := s.getEvent(evDefault); e.Tenant != "default" {
		t.Errorf("event without tenant has tenant %q, want default", e.Tenant)
	}
	if e := s.getEvent(evNobody); len(e.Deliveries) != 0 {
		t.Errorf("event of a tenant without webhooks has deliveries: %s", fmtJSON(e.Deliveries))
	}
	for rc, ev := range map[*receiver]string{rcDefault: evDefault, rcAcme: evAcme, rcGlobex: evGlobex} {
		got := rc.waitID(t, ev)
		if len(got) != 1 {
			t.Errorf("receiver got %v, want only %s", ids(got), ev)
		}
	}

	// Lists filter by tenant.
	for tenant, wantID := range map[string]string{"acme": whAcme.ID, "globex": whGlobex.ID, "default": whDefault.ID} {
		got := walkWebhooks(t, s, "tenant="+tenant)
		if len(got) != 1 || got[0] != wantID {
			t.Errorf("webhooks of tenant %s: %v, want [%s]", tenant, got, wantID)
		}
		var evs struct {
			Data []struct {
				ID     string `json:"id"`
				Tenant string `json:"tenant"`
			} `json:"data"`
		}
		s.mustDo(200, "GET", "/api/v1/events?tenant="+tenant, nil, &evs)
		if len(evs.Data) != 1 || evs.Data[0].Tenant != tenant {
			t.Errorf("events of tenant %s: %s", tenant, fmtJSON(evs.Data))
		}
		var dl struct {
			Data []deliveryResp `json:"data"`
		}
		s.mustDo(200, "GET", "/api/v1/deliveries?tenant="+tenant, nil, &dl)
		if len(dl.Data) != 1 || dl.Data[0].WebhookID != wantID || dl.Data[0].Tenant != tenant {
			t.Errorf("deliveries of tenant %s: %s", tenant, fmtJSON(dl.Data))
		}
	}
	var all struct {
		Data []json.RawMessage `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &all)
	if len(all.Data) != 3 {
		t.Errorf("unfiltered list has %d webhooks, want all 3 tenants'", len(all.Data))
	}
}

func TestTenantReplayStaysInTenant(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	first := s.publish("payment_received", map[string]any{})
	since := s.getEvent(first).Timestamp
	var acme struct {
		ID string `json:"id"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{}, "tenant": "acme"}, &acme)
	def := s.publish("payment_received", map[string]any{})

	rc := startReceiver(t, nil)
	w := s.createWebhookWith(map[string]any{"name": "acme", "url": rc.URL, "events": []string{"*"}, "tenant": "acme"})
	var rep struct {
		Deliveries int `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/webhooks/"+w.ID+"/replay", map[string]any{"since": since}, &rep)
	if rep.Deliveries != 1 {
		t.Fatalf("replay for tenant acme made %d deliveries, want 1", rep.Deliveries)
	}
	got := rc.waitID(t, acme.ID)
	if len(got) != 1 || count(ids(got), def) != 0 || count(ids(got), first) != 0 {
		t.Errorf("acme webhook got %v, want only %s", ids(got), acme.ID)
	}
}
