package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/notify"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

func TestEventTypeEditAndDeprecate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	ctx := context.Background()
	if _, err := b.reg.CreateEventType(operator(), registry.EventTypeInput{Slug: "invoice.sent", Name: "Invoice sent",
		Example: []byte(`{"id":"inv_1"}`)}); err != nil {
		t.Fatal(err)
	}
	r := b.get("/event-types")
	mustContain(t, r.Body, `href="/event-types/invoice.sent"`)
	if strings.Contains(r.Body, `href="/event-types/hookline.`) {
		t.Errorf("the catalog offers to edit Hookline's own types")
	}
	r = b.get("/event-types/invoice.sent")
	mustContain(t, r.Body, `value="Invoice sent"`, `action="/event-types/invoice.sent"`, `&#34;id&#34;: &#34;inv_1&#34;`)

	// Every problem at once, next to its field, with what was typed.
	r = b.post("/event-types/invoice.sent", url.Values{"name": {""}, "example": {`{"id":`},
		"schema": {`{"type":"object"}`}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid save: %d", r.Status)
	}
	mustContain(t, r.Body, `id="example-error"`, "is not valid JSON", `{&#34;id&#34;:`)
	r = b.post("/event-types/invoice.sent", url.Values{"name": {""}, "example": {`{"id":1}`},
		"schema": {`{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`}})
	mustContain(t, r.Body, `id="name-error"`, `id="example-error"`, "does not satisfy the schema")

	r = b.post("/event-types/invoice.sent", url.Values{"name": {"Invoice sent (v2)"}, "description": {"Sent."},
		"example": {`{"id":"inv_2"}`}, "schema": {`{"type":"object"}`}, "deprecated": {"on"}})
	if r.Status != http.StatusSeeOther || r.Location != "/event-types/invoice.sent?notice=saved" {
		t.Fatalf("save: %d %q %s", r.Status, r.Location, r.Body)
	}
	et, err := b.st.EventTypeGet(ctx, "invoice.sent")
	if err != nil || et.Name != "Invoice sent (v2)" || !et.Deprecated || string(et.Schema) != `{"type":"object"}` {
		t.Fatalf("saved %+v, %v", et, err)
	}
	mustContain(t, b.get(r.Location).Body, "Changes saved.", "Deprecated")

	// The new-webhook form no longer offers it; a webhook that has it
	// keeps it in its form.
	if body := b.get("/webhooks/new").Body; strings.Contains(body, `value="invoice.sent"`) {
		t.Errorf("the new-webhook form offers a deprecated type")
	}
	u := "https://example.com/in"
	name := "inv"
	w, _, err := b.reg.CreateWebhook(operator(), registry.WebhookInput{Name: &name, URL: &u, Events: []string{"invoice.sent"}})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, b.get("/webhooks/"+w.ID).Body, `value="invoice.sent"`)

	// Hookline's own types are not editable, even by a forged post.
	if err := b.st.EventTypeSeed(ctx, notify.Types(time.Now())); err != nil {
		t.Fatal(err)
	}
	r = b.post("/event-types/"+webhook.OperatorEventPrefix+"webhook.disabled", url.Values{"name": {"x"}, "example": {`{}`}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "cannot be changed") {
		t.Errorf("editing a hookline.* type: %d", r.Status)
	}
	// Removing the schema: an empty box.
	b.post("/event-types/invoice.sent", url.Values{"name": {"Invoice sent"}, "example": {`{}`}, "schema": {""}})
	if et, _ := b.st.EventTypeGet(ctx, "invoice.sent"); et.Schema != nil || et.Deprecated {
		t.Errorf("after clearing: schema %s, deprecated %v", et.Schema, et.Deprecated)
	}
}
