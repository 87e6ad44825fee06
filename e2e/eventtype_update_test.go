package e2e

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hookline/hookline/client"
)

// An event type changed over the API: a new schema applies to the next
// publish at once; a deprecated type still delivers to its subscribers;
// Hookline's own types cannot be changed.
func TestEventTypeUpdate(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	c := client.New(s.URL, s.Key)
	ctx := context.Background()
	if _, err := c.EventTypeCreate(ctx, client.EventTypeCreateParams{Slug: "invoice.sent", Name: "Invoice sent",
		Example: json.RawMessage(`{"id":"inv_1"}`)}); err != nil {
		t.Fatal(err)
	}
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{"name": "inv", "url": rc.URL, "events": []string{"invoice.sent"}}, nil)
	s.publish("invoice.sent", map[string]any{"amount": "12"}) // no schema yet: accepted

	deprecated := true
	et, err := c.EventTypeUpdate(ctx, "invoice.sent", client.EventTypeUpdateParams{Deprecated: &deprecated,
		Schema: json.RawMessage(`{"type":"object","properties":{"amount":{"type":"integer"}}}`)})
	if err != nil || !et.Deprecated || len(et.Schema) == 0 {
		t.Fatalf("EventTypeUpdate: %+v, %v", et, err)
	}
	if p := s.sendProblem(422, "POST", "/api/v1/events", map[string]any{"type": "invoice.sent", "data": map[string]any{"amount": "12"}}); p.Status != 422 {
		t.Errorf("a publish against the new schema: %+v", p)
	}
	id := s.publish("invoice.sent", map[string]any{"amount": 12})
	rc.waitID(t, id) // deprecated, still delivered

	var list struct {
		Data []client.EventType `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/event-types", nil, &list)
	for _, et := range list.Data {
		if et.Slug == "invoice.sent" && !et.Deprecated {
			t.Errorf("the list does not say the type is deprecated")
		}
	}
	for _, tc := range []struct {
		path   string
		body   map[string]any
		status int
		field  string
	}{
		{"/api/v1/event-types/invoice.sent", map[string]any{"example": map[string]any{"amount": "x"}}, 422, "example"},
		{"/api/v1/event-types/invoice.sent", map[string]any{"name": ""}, 400, "name"},
		{"/api/v1/event-types/invoice.sent", map[string]any{"nope": 1}, 400, ""},
		{"/api/v1/event-types/no.such", map[string]any{"name": "x"}, 404, ""},
		{"/api/v1/event-types/hookline.webhook.disabled", map[string]any{"name": "x"}, 403, ""},
	} {
		p := s.sendProblem(tc.status, "PATCH", tc.path, tc.body)
		if tc.field != "" && p.Field != tc.field {
			t.Errorf("PATCH %s %v: field %q, want %q", tc.path, tc.body, p.Field, tc.field)
		}
	}
	// Restored: offered again; the schema removed with null.
	restore := false
	if et, err = c.EventTypeUpdate(ctx, "invoice.sent", client.EventTypeUpdateParams{Deprecated: &restore,
		Schema: json.RawMessage("null")}); err != nil || et.Deprecated || et.Schema != nil {
		t.Fatalf("restore: %+v, %v", et, err)
	}
	s.publish("invoice.sent", map[string]any{"amount": "12"})
}
