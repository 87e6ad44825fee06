package storetest

import (
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testTransforms: a webhook's transform is stored exactly as given
// (whitespace, quotes and non-ASCII text included), read back by get and
// list, changed and removed.
func testTransforms(t *testing.T, open Opener) {
	h := setup(t, open)
	const src = "// «Zahlung» \u2028\nfunction handler(w) {\n\tw.payload = {text: 'it\\'s \"paid\"'}\n\treturn w\n}\n"
	w := h.createWebhook(func(w *webhook.Webhook) { w.Transform = src })
	if got := h.webhook(w.ID).Transform; got != src {
		t.Fatalf("transform read back as %q, want %q", got, src)
	}
	w.Transform = "function handler(w) { w.cancel = true; return w }"
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.webhook(w.ID).Transform; got != w.Transform {
		t.Fatalf("transform after update %q", got)
	}
	w.Transform = ""
	ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), w), "WebhookUpdate")
	if got := h.webhook(w.ID).Transform; got != "" {
		t.Fatalf("transform after removal %q", got)
	}
	plain := h.createWebhook()
	page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants(), Limit: 10})
	ok(t, err, "WebhookList")
	for _, l := range page.Webhooks {
		if l.Transform != "" {
			t.Errorf("webhook %s (plain %s) listed with transform %q", l.ID, plain.ID, l.Transform)
		}
	}
}
