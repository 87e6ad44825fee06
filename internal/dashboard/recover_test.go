package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// recoverSeed stores, for webhook w (of tenant), n events of type typ
// created at `at` whose deliveries finally failed, and returns the
// deliveries.
func (b *bundle) recoverSeed(w webhook.Webhook, typ string, at time.Time, n int) []webhook.Delivery {
	b.t.Helper()
	ctx := context.Background()
	var out []webhook.Delivery
	for range n {
		ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: w.Tenant, Type: typ,
			Data: json.RawMessage(`{}`), CreatedAt: at}
		res, err := b.st.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: at.Add(-time.Hour)})
		if err != nil {
			b.t.Fatal(err)
		}
		for _, d := range res.Deliveries {
			if d.WebhookID != w.ID {
				continue
			}
			a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: w.ID,
				EventID: ev.ID, EventType: typ, Number: 1, StartedAt: at, URL: w.URL, StatusCode: 500,
				ErrorClass: webhook.ErrClassHTTPStatus, Error: "HTTP 500"}
			if err := b.st.AttemptRecord(ctx, []store.AttemptResult{{Attempt: a, Outcome: store.OutcomeFailed}}); err != nil {
				b.t.Fatal(err)
			}
			out = append(out, d)
		}
	}
	return out
}

// TestDeliveryLogFilters: the webhook page's log filters by state,
// event, time and ID; its paging links keep the filters; a filter that
// matches nothing says so; a bad value is shown at its field.
func TestDeliveryLogFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	w := b.createWebhook("Payments", "http://127.0.0.1:9/hook", "*")
	old := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	failed := b.recoverSeed(w, "payment_received", old, deliveryPageSize+2)
	recent := b.recoverSeed(w, "payment_failed", time.Now().UTC().Add(-time.Hour), 1)[0]
	page := "/webhooks/" + w.ID

	r := b.get(page + "?status=failed&event_type=payment_received")
	if r.Status != http.StatusOK {
		t.Fatalf("filtered page: %d", r.Status)
	}
	mustContain(t, r.Body, `id="delivery-filter"`, `<option value="failed" selected>`, failed[len(failed)-1].ID)
	mustNotContain(t, r.Body, recent.ID)
	next := "/webhooks/" + w.ID + "?dcursor="
	i := strings.Index(r.Body, next)
	if i < 0 {
		t.Fatal("no next page link")
	}
	link := r.Body[i : i+strings.Index(r.Body[i:], `"`)]
	link = strings.ReplaceAll(link, "&amp;", "&")
	u, _ := url.Parse(link)
	if q := u.Query(); q.Get("status") != "failed" || q.Get("event_type") != "payment_received" {
		t.Errorf("next page link %q drops the filters", link)
	}
	r2 := b.get(link)
	mustContain(t, r2.Body, failed[0].ID, failed[1].ID, "First page")
	mustNotContain(t, r2.Body, recent.ID)

	r = b.get(page + "?since=" + url.QueryEscape(time.Now().UTC().Add(-2*time.Hour).Format("2006-01-02T15:04")))
	mustContain(t, r.Body, recent.ID)
	mustNotContain(t, r.Body, failed[0].ID)
	r = b.get(page + "?q=" + url.QueryEscape(recent.EventID))
	mustContain(t, r.Body, recent.ID)
	mustNotContain(t, r.Body, failed[0].ID)

	r = b.get(page + "?q=dlv_zzzzzz")
	mustContain(t, r.Body, "No deliveries match these filters.")
	r = b.get(page + "?since=yesterday&q=" + url.QueryEscape("<x>"))
	mustContain(t, r.Body, `id="f-since-error"`, "Enter a date and time", `id="f-q-error"`, "Correct the filters above")
	mustNotContain(t, r.Body, failed[0].ID, "<x>")
}

// TestRecoverCard: the card counts the window's failed deliveries (a dry
// run: nothing changes), the confirmation re-queues them and the page
// says how many; bad input is shown at the field; a disabled webhook is
// refused; a viewer sees no card and a forged post is refused.
func TestRecoverCard(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	w := b.createWebhook("Payments", "http://127.0.0.1:9/hook", "*")
	at := time.Now().UTC().Add(-2 * time.Hour)
	failed := b.recoverSeed(w, "payment_received", at, 3)
	b.recoverSeed(w, "payment_received", time.Now().UTC().Add(-48*time.Hour), 1) // before the window
	page := "/webhooks/" + w.ID
	since := at.Add(-time.Minute).Format("2006-01-02T15:04")

	r := b.get(page)
	mustContain(t, r.Body, `id="recover-title"`, `id="rsince"`)
	mustNotContain(t, r.Body, `id="recover-confirm"`)
	r = b.get(page + "?rsince=" + url.QueryEscape(since))
	mustContain(t, r.Body, "<strong>3</strong> failed deliveries were created", `id="recover-confirm"`, "Re-queue 3 deliveries")
	if d, _ := b.st.DeliveryGet(context.Background(), auth.AllTenants(), failed[0].ID); d.Status != webhook.DeliveryFailed {
		t.Fatalf("counting changed a delivery: %s", d.Status)
	}

	r = b.post(page+"/recover", url.Values{"rsince": {"soon"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad since: %d", r.Status)
	}
	mustContain(t, r.Body, `id="rsince-error"`, "Enter a date and time")
	r = b.post(page+"/recover", url.Values{"rsince": {time.Now().UTC().Add(-40 * 24 * time.Hour).Format("2006-01-02T15:04")}})
	mustContain(t, r.Body, "at most 31 days")

	if _, err := b.reg.UpdateWebhook(operator(), w.ID, registryActive(false)); err != nil {
		t.Fatal(err)
	}
	r = b.get(page + "?rsince=" + url.QueryEscape(since))
	mustContain(t, r.Body, "The webhook is disabled: enable it first")
	mustNotContain(t, r.Body, `id="recover-confirm"`)
	r = b.post(page+"/recover", url.Values{"rsince": {since}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "enable it first") {
		t.Fatalf("recover on a disabled webhook: %d", r.Status)
	}
	if _, err := b.reg.UpdateWebhook(operator(), w.ID, registryActive(true)); err != nil {
		t.Fatal(err)
	}

	r = b.post(page+"/recover", url.Values{"rsince": {since}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "notice=recovered&n=3") {
		t.Fatalf("recover: %d %q", r.Status, r.Location)
	}
	mustContain(t, b.get(r.Location).Body, "Re-queued 3 failed deliveries")
	for _, d := range failed {
		if got, _ := b.st.DeliveryGet(context.Background(), auth.AllTenants(), d.ID); got.Status != webhook.DeliveryPending {
			t.Errorf("delivery %s after recovery: %s, want pending", d.ID, got.Status)
		}
	}

	b.addUser("vi", auth.RoleViewer)
	b.signInAs("vi", testPassword)
	r = b.get(page + "?rsince=" + url.QueryEscape(since))
	mustNotContain(t, r.Body, `id="recover-title"`, `id="recover-confirm"`)
	if r := b.post(page+"/recover", url.Values{"rsince": {since}}); r.Status != http.StatusForbidden {
		t.Errorf("a viewer's forged recovery: %d, want 403", r.Status)
	}
}

// TestPortalRecover: a tenant recovers its own webhook's failed
// deliveries from the portal; a read-only session sees no card and its
// forged post is refused; another tenant's webhook is not found.
func TestPortalRecover(t *testing.T) {
	t.Parallel()
	b, acme, globex := portalSetup(t)
	at := time.Now().UTC().Add(-time.Hour)
	b.recoverSeed(acme, "payment_received", at, 2)
	since := at.Add(-time.Minute).Format("2006-01-02T15:04")
	token := b.openPortal(auth.PortalMint{Tenant: "acme"})
	r := b.get("/portal/webhooks/" + acme.ID + "?rsince=" + url.QueryEscape(since))
	mustContain(t, r.Body, "<strong>2</strong> failed deliveries", `action="/portal/webhooks/`+acme.ID+`/recover"`)
	r = b.portalPost(token, "/portal/webhooks/"+acme.ID+"/recover", url.Values{"rsince": {since}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/portal/webhooks/"+acme.ID+"?notice=recovered&n=2") {
		t.Fatalf("portal recover: %d %q", r.Status, r.Location)
	}
	if r := b.portalPost(token, "/portal/webhooks/"+globex.ID+"/recover", url.Values{"rsince": {since}}); r.Status != http.StatusNotFound {
		t.Errorf("recover of another tenant's webhook: %d, want 404", r.Status)
	}
	ro := b.openPortal(auth.PortalMint{Tenant: "acme", ReadOnly: true})
	mustNotContain(t, b.get("/portal/webhooks/"+acme.ID).Body, `id="recover-title"`)
	if r := b.portalPost(ro, "/portal/webhooks/"+acme.ID+"/recover", url.Values{"rsince": {since}}); r.Status != http.StatusForbidden {
		t.Errorf("a read-only session's recovery: %d, want 403", r.Status)
	}
}
