package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/notify"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// notifyEvent stores a notification event the way the notifier's publish
// would, created at the given time.
func (b *bundle) notifyEvent(typ string, at time.Time) webhook.Event {
	b.t.Helper()
	res, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: typ,
		Data: json.RawMessage(`{"reason":"test"}`), CreatedAt: at,
	}})
	if err != nil {
		b.t.Fatalf("store %s event: %v", typ, err)
	}
	return res.Event
}

func TestBannerShowsRecentNotifications(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()

	r := b.get("/")
	mustNotContain(t, r.Body, `class="banner"`)

	// Too old to count.
	b.notifyEvent(notify.TypeWebhookDisabled, b.clock.Now().Add(-25*time.Hour))
	disabled := b.notifyEvent(notify.TypeWebhookDisabled, b.clock.Now())

	// The banner data is cached: nothing new for half a minute.
	r = b.get("/")
	mustNotContain(t, r.Body, `class="banner"`)
	b.clock.Add(bannerTTL)

	r = b.get("/")
	mustContain(t, r.Body, `class="banner"`, "1 webhook was disabled",
		`href="/events?type=hookline.webhook.disabled"`, `action="/banner/dismiss"`, `value="`+disabled.ID+`"`)
	mustNotContain(t, r.Body, "deliveries failed", "backlog")

	// Every signed-in page has it; the sign-in page does not.
	for _, path := range []string{"/overview", "/keys", "/audit", "/events", "/webhooks/wh_01j9z3k4m5n6p7q8r9s0t1v2w3"} {
		mustContain(t, b.get(path).Body, "1 webhook was disabled")
	}

	// The link leads to those events alone.
	r = b.get("/events?type=" + url.QueryEscape(notify.TypeWebhookDisabled))
	if r.Status != http.StatusOK {
		t.Fatalf("events page: %d", r.Status)
	}
	mustContain(t, r.Body, disabled.ID)

	// More kinds, worded together.
	for range 3 {
		b.notifyEvent(notify.TypeDeliveryFailed, b.clock.Now())
	}
	b.notifyEvent(notify.TypeBacklogHigh, b.clock.Now())
	b.notifyEvent(notify.TypeWebhookDisabled, b.clock.Now())
	b.clock.Add(bannerTTL)
	r = b.get("/events")
	mustContain(t, r.Body, "2 webhooks were disabled</a>, <a", "3 deliveries failed for good</a> and <a",
		"the delivery backlog ran high once", `href="/events?type=hookline.delivery.failed"`,
		`href="/events?type=hookline.backlog.high"`, `name="next" value="/events"`)

	r = b.get("/events?type=" + url.QueryEscape(notify.TypeDeliveryFailed))
	mustNotContain(t, r.Body, disabled.ID)

	// Other tenants' notifications are not the operator's banner.
	if _, err := b.st.EventCreate(context.Background(), store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: "acme", Type: notify.TypeBacklogHigh,
		Data: json.RawMessage(`{}`), CreatedAt: b.clock.Now(),
	}}); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(bannerTTL)
	mustContain(t, b.get("/").Body, "the delivery backlog ran high once")
}

func TestBannerCountsOnlyWhatItRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	for range bannerLimit + 2 {
		b.notifyEvent(notify.TypeDeliveryFailed, b.clock.Now())
	}
	r := b.get("/")
	mustContain(t, r.Body, "10 or more deliveries failed for good")
}

func TestBannerDismissWithoutJavaScript(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	first := b.notifyEvent(notify.TypeWebhookDisabled, b.clock.Now())
	mustContain(t, b.get("/overview").Body, "1 webhook was disabled")

	// A cross-site dismissal is refused like any other form.
	if r := b.post("/banner/dismiss", url.Values{"seen": {first.ID}}, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site dismiss: %d", r.Status)
	}

	r := b.post("/banner/dismiss", url.Values{"seen": {first.ID}, "next": {"/overview?x=1"}})
	if r.Status != http.StatusSeeOther || r.Location != "/overview?x=1" {
		t.Fatalf("dismiss: %d %q", r.Status, r.Location)
	}
	mustNotContain(t, b.get("/overview").Body, `class="banner"`)

	// A newer notification brings it back, counting only what is new.
	b.notifyEvent(notify.TypeWebhookDisabled, b.clock.Now())
	b.clock.Add(bannerTTL)
	mustContain(t, b.get("/overview").Body, "1 webhook was disabled")

	// The way back stays on this site; a malformed "seen" sets nothing.
	r = b.post("/banner/dismiss", url.Values{"seen": {"evt_bogus"}, "next": {"//evil.example/"}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Errorf("dismiss with a foreign next: %d %q", r.Status, r.Location)
	}
	mustContain(t, b.get("/overview").Body, "1 webhook was disabled")
}

func TestBannerOnKeyResultHasNoDismiss(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	b.notifyEvent(notify.TypeBacklogHigh, b.clock.Now())
	// A new key's page shows the notices but no Dismiss that would leave it.
	k, plain := b.createKeyPage(url.Values{"name": {"while busy"}, "scope": {"admin"}})
	mustContain(t, k, "the delivery backlog ran high once", plain)
	mustNotContain(t, k, `action="/banner/dismiss"`)
}

// createKeyPage returns the page answering a key creation and the key on it.
func (b *bundle) createKeyPage(form url.Values) (string, string) {
	b.t.Helper()
	r := b.post("/keys", form)
	if r.Status != http.StatusCreated {
		b.t.Fatalf("create key: %d", r.Status)
	}
	return r.Body, plainKeyRE.FindString(r.Body)
}
