package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
)

// TestWebhookTransformField: the form's transform is saved as typed,
// shown back, refused with its line and column next to the field, run on
// an example payload in place (the request it makes, a cancel, a failed
// run), and removed when emptied.
func TestWebhookTransformField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	src := "function handler(w) {\r\n  w.payload = {total: w.payload.data.payment_total_raw, who: w.tenant}\r\n  w.headers['X-Hook'] = 'crm'\r\n  return w\r\n}"
	form := url.Values{"name": {"CRM"}, "url": {"https://example.com/crm"}, "events": {"payment_received"},
		"active": {"on"}, "transform": {src}}
	r := b.post("/webhooks/new", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d: %s", r.Status, r.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(r.Location, "/webhooks/"), "?notice=created")
	w, err := b.st.WebhookGet(operator(), auth.AllTenants(), id)
	if want := strings.ReplaceAll(src, "\r\n", "\n"); err != nil || w.Transform != want {
		t.Fatalf("stored transform %q (%v)", w.Transform, err)
	}
	mustContain(t, b.get("/webhooks/"+id).Body, `id="transform-test"`, "w.headers[&#39;X-Hook&#39;] = &#39;crm&#39;")

	form.Set("transform", "function handler(w) {\n  return w +\n}")
	r = b.post("/webhooks/"+id, form)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad transform: %d", r.Status)
	}
	mustContain(t, r.Body, `id="transform-error"`, "SyntaxError", "line 3, column 1")

	form.Set("transform", src)
	r = b.post("/webhooks/transform-test", form, "X-Hookline-Fragment", "1")
	if r.Status != http.StatusOK {
		t.Fatalf("transform test: %d: %s", r.Status, r.Body)
	}
	mustContain(t, r.Body, "Would send", "POST https://example.com/crm", "X-Hook: crm", "&#34;total&#34;: 29", "&#34;who&#34;: &#34;default&#34;")
	mustNotContain(t, r.Body, "<html")
	form.Set("transform", "function handler(w) { w.cancel = true; return w }")
	mustContain(t, b.post("/webhooks/transform-test", form).Body, "Cancelled", "<html")
	form.Set("transform", "function handler(w) {\n  return w.payload.nope.x\n}")
	mustContain(t, b.post("/webhooks/transform-test", form, "X-Hookline-Fragment", "1").Body, "runtime error", "line 2", "TypeError")

	form.Set("transform", "")
	if r = b.post("/webhooks/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("clear transform: %d", r.Status)
	}
	if w, _ := b.st.WebhookGet(operator(), auth.AllTenants(), id); w.Transform != "" {
		t.Errorf("transform after clearing: %q", w.Transform)
	}
}
