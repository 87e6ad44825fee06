package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestRESTHooksFlow drives the REST Hooks protocol the way Zapier does:
// connection test with the key as Basic user, subscribe, receive, sample,
// unsubscribe, and nothing more arrives.
func TestRESTHooksFlow(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	target := startReceiver(t, nil)

	// Connection test: Zapier sends the key as the Basic user name.
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/me", nil)
	req.SetBasicAuth(s.Key, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Key    struct{ Name string } `json:"key"`
		Server string                `json:"server"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me.Key.Name != "test" || me.Server == "" {
		t.Fatalf("GET /me: %d %+v", resp.StatusCode, me)
	}

	// Samples before any event: the catalog example, with an id.
	var samples []map[string]any
	s.mustDo(200, "GET", "/api/v1/hooks/samples/payment_received", nil, &samples)
	if len(samples) != 1 || samples[0]["id"] == nil || samples[0]["payment_id"] == nil {
		t.Fatalf("samples without events = %v, want the catalog example with an id", samples)
	}

	var hook struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Integration string `json:"integration"`
	}
	s.mustDo(201, "POST", "/api/v1/hooks", map[string]any{"target_url": target.URL + "/zap", "event": "payment_received"}, &hook)
	if hook.Name != "Zapier – payment_received" || hook.Integration != "zapier" {
		t.Fatalf("subscription = %+v", hook)
	}
	var listed struct {
		Data []webhookResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &listed)
	if len(listed.Data) != 1 || listed.Data[0].ID != hook.ID {
		t.Fatalf("the subscription is not an ordinary webhook in the list: %+v", listed.Data)
	}

	id := s.publish("payment_received", map[string]any{"payment_id": 7, "total": "$ 9.00"})
	got := target.wait(t, 1)[0]
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil || body["payment_id"] != float64(7) {
		t.Fatalf("target got %s, want the flat data object", got.Body)
	}
	if got.Header.Get("webhook-id") != id {
		t.Fatalf("webhook-id = %q, want %q", got.Header.Get("webhook-id"), id)
	}

	s.mustDo(200, "GET", "/api/v1/hooks/samples/payment_received", nil, &samples)
	if len(samples) != 1 || samples[0]["id"] != id || samples[0]["payment_id"] != float64(7) {
		t.Fatalf("samples after an event = %v, want the real payload with the event id", samples)
	}

	s.mustDo(204, "DELETE", "/api/v1/hooks/"+hook.ID, nil, nil)
	if code := s.do("DELETE", "/api/v1/hooks/"+hook.ID, nil, nil); code != 404 {
		t.Fatalf("second unsubscribe: %d, want 404", code)
	}
	// After unsubscribing, an event goes nowhere: it creates no delivery.
	var pub struct {
		Deliveries int `json:"deliveries"`
	}
	s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{"x": 1}}, &pub)
	if pub.Deliveries != 0 {
		t.Fatalf("after unsubscribe the event made %d deliveries", pub.Deliveries)
	}
	if n := len(target.requests()); n != 1 {
		t.Fatalf("target got %d requests, want 1", n)
	}
}

func TestRESTHooksValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, tc := range []struct {
		body  map[string]any
		code  int
		field string
	}{
		{map[string]any{"event": "payment_received"}, 400, "target_url"},
		{map[string]any{"target_url": "http://127.0.0.1:1/x"}, 400, "event"},
		{map[string]any{"target_url": "ftp://x.example/", "event": "payment_received"}, 400, "target_url"},
		{map[string]any{"target_url": "http://127.0.0.1:1/x", "event": "nope"}, 422, "event"},
	} {
		var p problem
		if code := s.do("POST", "/api/v1/hooks", tc.body, &p); code != tc.code || p.Field != tc.field {
			t.Errorf("%v: %d field %q, want %d field %q (%s)", tc.body, code, p.Field, tc.code, tc.field, p.Detail)
		}
	}
	var me map[string]any
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/me", nil)
	req.Header.Set("X-API-Key", s.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("X-API-Key: %d", resp.StatusCode)
	}
}
