package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testConcurrentIngest publishes many events at once, so that a backend
// that commits ingests in groups (both do) puts several in one
// transaction, with every kind of event mixed in: fan-out with a wildcard
// and a webhook subscribed twice over, leased and unleased, a lane that is
// full, idempotency keys taken inside the same burst, a tenant made by use
// and strict events of a known and an unknown tenant. Each caller must get
// exactly the answer it would get alone.
func testConcurrentIngest(t *testing.T, open Opener) {
	h := setup(t, open)
	direct := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
	both := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated, webhook.AllEvents))
	full := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated))
	other := h.createWebhook(inTenant(tenantOther), subscribed(webhook.AllEvents))

	type call struct {
		p    store.EventCreateParams
		want []string // webhooks; nil: refused
		res  store.EventCreateResult
		err  error
	}
	lease := store.Lease{Owner: "ingest-me", Until: at(time.Minute)}
	var calls []*call
	for i := range 48 {
		ev := newEvent(tenantAcme, typeOrderCreated, at(time.Duration(i)*time.Millisecond))
		ev.Data = json.RawMessage(fmt.Sprintf("{\"n\": %d,  \"pad\":\"%0*d\"}", i, i%7*100, 0))
		c := &call{p: store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour)},
			want: []string{direct.ID, both.ID, full.ID}}
		switch i % 4 {
		case 1:
			c.p.Lease = &store.LeaseRequest{Lease: lease, Skip: []string{full.ID}}
		case 2:
			c.p.Event.Tenant, c.p.Event.Type, c.want = tenantOther, typeUserSignup, []string{other.ID}
		case 3:
			c.p.Event.Tenant, c.want = fmt.Sprintf("new-%d", i), []string{}
		}
		calls = append(calls, c)
	}
	// Four publishes of one key: one stores the event, three get it.
	for range 4 {
		ev := newEvent(tenantAcme, typeOrderCreated, at(time.Second))
		ev.IdempotencyKey = "burst-key"
		calls = append(calls, &call{p: store.EventCreateParams{Event: ev, IdempotencySince: at(-time.Hour)},
			want: []string{direct.ID, both.ID, full.ID}})
	}
	strictKnown := &call{p: store.EventCreateParams{Event: newEvent(tenantOther, typeOrderPaid, t0),
		IdempotencySince: at(-time.Hour), TenantMustExist: true}, want: []string{other.ID}}
	strictUnknown := &call{p: store.EventCreateParams{Event: newEvent("initech", typeOrderPaid, t0),
		IdempotencySince: at(-time.Hour), TenantMustExist: true}}
	calls = append(calls, strictKnown, strictUnknown)

	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			<-start
			c.res, c.err = h.s.EventCreate(h.ctx, c.p)
		})
	}
	close(start)
	wg.Wait()

	wantCode(t, strictUnknown.err, webhook.EUNPROCESSABLE, "strict EventCreate of an unknown tenant in a burst")
	if _, err := h.s.EventGet(h.ctx, auth.AllTenants(), strictUnknown.p.Event.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("the refused strict event: %v, want it not stored", err)
	}
	perHook := map[string]int64{}
	var keyed []*call
	for i, c := range calls {
		if c == strictUnknown {
			continue
		}
		if c.err != nil {
			t.Errorf("call %d: EventCreate: %v", i, c.err)
			continue
		}
		if c.p.Event.IdempotencyKey != "" {
			keyed = append(keyed, c)
			if c.res.Duplicate {
				continue
			}
		} else if c.res.Duplicate {
			t.Errorf("call %d: a duplicate without an idempotency key", i)
		}
		equal(t, fmt.Sprintf("call %d: event", i), c.res.Event, c.p.Event, normEvent)
		got, err := h.s.EventGet(h.ctx, auth.AllTenants(), c.p.Event.ID)
		ok(t, err, "EventGet")
		if string(got.Data) != string(c.p.Event.Data) {
			t.Errorf("call %d: data stored as %q, want %q byte for byte", i, got.Data, c.p.Event.Data)
		}
		if hooks := webhookIDsOf(c.res.Deliveries); !sameSet(hooks, c.want) || len(hooks) != len(c.want) {
			t.Errorf("call %d: deliveries to %v, want one each to %v", i, hooks, c.want)
		}
		for _, d := range c.res.Deliveries {
			perHook[d.WebhookID]++
			stored := h.delivery(d.ID)
			if stored.EventID != c.p.Event.ID || stored.WebhookID != d.WebhookID || stored.Tenant != c.p.Event.Tenant {
				t.Errorf("call %d: delivery %s stored as %+v", i, d.ID, stored)
			}
		}
		checkLeases(t, i, c.p, c.res, lease)
		if c.want != nil && len(c.want) == 0 {
			if tn, err := h.s.TenantGet(h.ctx, c.p.Event.Tenant); err != nil || !tn.CreatedAt.Equal(c.p.Event.CreatedAt) {
				t.Errorf("call %d: tenant made by use: %+v, %v", i, tn, err)
			}
		}
	}
	var original string
	for _, c := range keyed {
		if !c.res.Duplicate {
			if original != "" {
				t.Errorf("idempotency key stored twice: %s and %s", original, c.res.Event.ID)
			}
			original = c.res.Event.ID
		}
	}
	for _, c := range keyed {
		if original == "" || c.res.Event.ID != original {
			t.Errorf("keyed publish answered with event %q, want the one stored (%q)", c.res.Event.ID, original)
		}
	}
	for _, w := range []webhook.Webhook{direct, both, full, other} {
		if got := h.webhook(w.ID).Stats.Deliveries; got != perHook[w.ID] {
			t.Errorf("webhook %s: stats.deliveries %d, want %d", w.Name, got, perHook[w.ID])
		}
	}
}

// checkLeases checks that an event's deliveries are leased as its request
// asked: all but the skipped ones with a lease, none without.
func checkLeases(t *testing.T, i int, p store.EventCreateParams, res store.EventCreateResult, lease store.Lease) {
	t.Helper()
	var leased []string
	for _, task := range res.Leased {
		leased = append(leased, task.Delivery.ID)
		if task.Lease != lease || task.Event.ID != p.Event.ID {
			t.Errorf("call %d: task %s leased as %+v of event %s", i, task.Delivery.ID, task.Lease, task.Event.ID)
		}
	}
	for _, d := range res.Deliveries {
		want := p.Lease != nil && !slices.Contains(p.Lease.Skip, d.WebhookID)
		if got := slices.Contains(leased, d.ID); got != want {
			t.Errorf("call %d: delivery to %s leased %v, want %v", i, d.WebhookID, got, want)
		}
		if !want && (d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(p.Event.CreatedAt)) {
			t.Errorf("call %d: unleased delivery due %v, want at the event's time", i, d.NextAttemptAt)
		}
	}
}
