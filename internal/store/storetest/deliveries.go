package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testLeases(t *testing.T, open Opener) {
	t.Run("EventCreateLeases", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		h.createWebhook()
		until := at(30 * time.Second)
		res := h.create(store.EventCreateParams{
			Event: newEvent(webhook.DefaultTenant, typeOrderCreated, t0), IdempotencySince: at(-time.Hour),
			Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "node-1", Until: until}},
		})
		if len(res.Deliveries) != 2 {
			t.Fatalf("got %d deliveries, want 2", len(res.Deliveries))
		}
		for _, now := range []time.Time{t0, until.Add(-time.Microsecond)} {
			if tasks := h.claim("node-2", now, 10); len(tasks) != 0 {
				t.Errorf("claim at %s, inside the ingest lease: got %v, want none", now, taskIDs(tasks))
			}
		}
		due, err := h.s.DeliveryNextDue(h.ctx)
		ok(t, err, "DeliveryNextDue")
		if !due.Equal(until) {
			t.Errorf("DeliveryNextDue: got %s, want the lease end %s", due, until)
		}
		// The lease ran out (its owner died): anyone may take the work.
		tasks := h.claim("node-2", until.Add(time.Second), 10)
		if !sameSet(taskIDs(tasks), deliveryIDs(res.Deliveries)) {
			t.Errorf("claim after the lease: got %v, want %v", taskIDs(tasks), deliveryIDs(res.Deliveries))
		}
	})

	t.Run("ReleaseLeases", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		for i := range 4 {
			h.deliver(at(time.Duration(i) * time.Second))
		}
		release := func(owner string, now time.Time, want int) {
			t.Helper()
			n, err := h.s.DeliveryReleaseLeases(h.ctx, owner, now)
			ok(t, err, "DeliveryReleaseLeases")
			if n != want {
				t.Errorf("DeliveryReleaseLeases(%q): released %d, want %d", owner, n, want)
			}
		}
		release("", t0, 0)

		now := at(10 * time.Second)
		a := h.claim("a", now, 2)
		b := h.claim("b", now, 1)
		if len(a) != 2 || len(b) != 1 {
			t.Fatalf("claims: a got %d, b got %d; want 2 and 1", len(a), len(b))
		}
		if tasks := h.claim("c", now, 10); len(tasks) != 1 {
			t.Fatalf("claim of the rest: got %d, want 1", len(tasks))
		}

		// Owner a restarts: its work is due again at once, nobody else's.
		now = at(20 * time.Second)
		release("a", now, 2)
		if got := h.claim("d", now, 10); !sameSet(taskIDs(got), taskIDs(a)) {
			t.Errorf("claim after releasing a: got %v, want a's %v", taskIDs(got), taskIDs(a))
		}
		// "" releases every lease (b's, c's and d's).
		now = at(30 * time.Second)
		release("", now, 4)
		if got := h.claim("e", now, 10); len(got) != 4 {
			t.Errorf("claim after releasing all: got %d, want 4", len(got))
		}
	})

	t.Run("ReleaseKeepsFinishedAndRetries", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		done := h.deliver(t0)
		later := h.deliver(t0)
		tasks := h.claim("a", t0, 10)
		if len(tasks) != 2 {
			t.Fatalf("claim: got %d, want 2", len(tasks))
		}
		h.record(succeeded(done, at(time.Second)), retried(later, at(time.Second), at(time.Hour)))
		n, err := h.s.DeliveryReleaseLeases(h.ctx, "", at(2*time.Second))
		ok(t, err, "DeliveryReleaseLeases")
		if n != 0 {
			t.Errorf("released %d leases, want 0: recorded results end the lease", n)
		}
		if got := h.delivery(done.ID).Status; got != webhook.DeliverySucceeded {
			t.Errorf("succeeded delivery: status %q after release", got)
		}
		if tasks := h.claim("b", at(2*time.Second), 10); len(tasks) != 0 {
			t.Errorf("claim before the retry time: got %v, want none", taskIDs(tasks))
		}
	})

	t.Run("NextDue", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		nextDue := func() time.Time {
			t.Helper()
			due, err := h.s.DeliveryNextDue(h.ctx)
			ok(t, err, "DeliveryNextDue")
			return due
		}
		if due := nextDue(); !due.IsZero() {
			t.Errorf("empty store: DeliveryNextDue %s, want zero", due)
		}
		h.createWebhook()
		late := h.deliver(at(5 * time.Second))
		early := h.deliver(at(3 * time.Second))
		if due := nextDue(); !due.Equal(at(3 * time.Second)) {
			t.Errorf("DeliveryNextDue: got %s, want the earliest delivery's %s", due, at(3*time.Second))
		}
		h.claim("a", at(10*time.Second), 10) // leased until 10s + 1m
		if due := nextDue(); !due.Equal(at(70 * time.Second)) {
			t.Errorf("all leased: DeliveryNextDue %s, want the lease end %s", due, at(70*time.Second))
		}
		h.record(succeeded(early, at(11*time.Second)), retried(late, at(11*time.Second), at(40*time.Second)))
		if due := nextDue(); !due.Equal(at(40 * time.Second)) {
			t.Errorf("one retry: DeliveryNextDue %s, want its retry time %s", due, at(40*time.Second))
		}
		h.claim("a", at(40*time.Second), 10)
		h.record(failed(late, at(41*time.Second)))
		if due := nextDue(); !due.IsZero() {
			t.Errorf("nothing pending: DeliveryNextDue %s, want zero", due)
		}
	})
}

func testClaims(t *testing.T, open Opener) {
	t.Run("DueWithEvents", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		var res []store.EventCreateResult
		for i := range 5 {
			res = append(res, h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Second)))
		}
		now := at(2 * time.Second)
		tasks := h.claim("a", now, 10)
		if len(tasks) != 3 {
			t.Fatalf("claim at 2s: got %d tasks, want the 3 due ones", len(tasks))
		}
		for i, task := range tasks {
			want := res[i]
			if task.Delivery.ID != want.Deliveries[0].ID {
				t.Errorf("task %d: delivery %s, want %s (oldest due first)", i, task.Delivery.ID, want.Deliveries[0].ID)
				continue
			}
			equal(t, "task event", task.Event, want.Event, normEvent)
			if string(task.Event.Data) != string(want.Event.Data) {
				t.Errorf("task %d: event data %q, want %q", i, task.Event.Data, want.Event.Data)
			}
			if task.Delivery.Status != webhook.DeliveryPending || task.Delivery.EventID != want.Event.ID {
				t.Errorf("task %d: delivery %+v, want pending for event %s", i, task.Delivery, want.Event.ID)
			}
		}
		if again := h.claim("b", now, 10); len(again) != 0 {
			t.Errorf("second claim at the same time: got %v, want none (all leased)", taskIDs(again))
		}
		// Limit: only the oldest of the two now due.
		got := h.claim("b", at(time.Hour), 1)
		if !slices.Equal(taskIDs(got), []string{res[3].Deliveries[0].ID}) {
			t.Errorf("claim with limit 1: got %v, want [%s]", taskIDs(got), res[3].Deliveries[0].ID)
		}
		if tasks := h.claim("b", at(time.Hour), 0); len(tasks) != 0 {
			t.Errorf("claim with limit 0: got %d tasks", len(tasks))
		}
	})

	t.Run("RecentFirst", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(subscribed(typeOrderCreated))
		skipped := h.createWebhook(subscribed(typeUserSignup))
		due := func(typ string, d time.Duration) string {
			return h.publish(webhook.DefaultTenant, typ, at(d)).Deliveries[0].ID
		}
		a, b, c, d := due(typeOrderCreated, 0), due(typeOrderCreated, 50*time.Second),
			due(typeOrderCreated, 90*time.Second), due(typeOrderCreated, 95*time.Second)
		due(typeUserSignup, 99*time.Second)    // recent, but its webhook is excluded
		due(typeOrderCreated, 101*time.Second) // not due yet
		claim := func(limit int) []string {
			tasks, err := h.s.DeliveryClaim(h.ctx, store.DeliveryClaimParams{
				Lease: store.Lease{Owner: "a", Until: at(time.Hour)}, Now: at(100 * time.Second), Limit: limit,
				ExcludeWebhooks: []string{skipped.ID}, RecentSince: at(80 * time.Second),
			})
			ok(t, err, "DeliveryClaim")
			for _, task := range tasks {
				if task.Delivery.WebhookID != w.ID {
					t.Errorf("claimed %s of excluded webhook %s", task.Delivery.ID, task.Delivery.WebhookID)
				}
			}
			return taskIDs(tasks)
		}
		// The recent part newest first, then the oldest of the rest.
		if got, want := claim(3), []string{d, c, a}; !slices.Equal(got, want) {
			t.Errorf("claim 3: got %v, want %v (recent newest first, then oldest)", got, want)
		}
		if got, want := claim(10), []string{b}; !slices.Equal(got, want) {
			t.Errorf("claim the rest: got %v, want %v", got, want)
		}
	})

	t.Run("OldestDueFirst", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		d1, d2, d3 := h.deliver(t0), h.deliver(t0), h.deliver(t0)
		if len(h.claim("a", t0, 10)) != 3 {
			t.Fatal("claim: want all 3")
		}
		// Due order is the reverse of creation order.
		h.record(
			retried(d1, at(time.Second), at(30*time.Second)),
			retried(d2, at(time.Second), at(20*time.Second)),
			retried(d3, at(time.Second), at(10*time.Second)),
		)
		now := at(time.Minute)
		got := h.claim("b", now, 2)
		if !sameSet(taskIDs(got), []string{d3.ID, d2.ID}) {
			t.Fatalf("claim with limit 2: got %v, want the two due first, d3 and d2 = %v", taskIDs(got), []string{d3.ID, d2.ID})
		}
		// The tasks come in the order they became due, so a dispatcher
		// that queues them as given serves the longest-waiting first.
		t.Run("ReturnedInDueOrder", func(t *testing.T) {
			if !slices.Equal(taskIDs(got), []string{d3.ID, d2.ID}) {
				t.Errorf("claim with limit 2: got %v, want [d3 d2] = %v", taskIDs(got), []string{d3.ID, d2.ID})
			}
		})
		if got := h.claim("b", now, 2); !slices.Equal(taskIDs(got), []string{d1.ID}) {
			t.Errorf("claim of the rest: got %v, want [d1] = [%s]", taskIDs(got), d1.ID)
		}
	})

	t.Run("ExcludeWebhooks", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		busy := h.createWebhook()
		idle := h.createWebhook()
		other := h.createWebhook()
		for i := range 2 {
			h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Second))
		}
		tasks := h.claim("a", at(time.Minute), 10, busy.ID, other.ID)
		if got := webhookIDsOf(tasksDeliveries(tasks)); !slices.Equal(got, []string{idle.ID, idle.ID}) {
			t.Errorf("claim excluding two webhooks: deliveries to %v, want 2 to %s", got, idle.ID)
		}
		if tasks := h.claim("a", at(time.Minute), 10); len(tasks) != 4 {
			t.Errorf("claim without exclusions: got %d, want the 4 left", len(tasks))
		}
	})

	t.Run("ConcurrentClaimersDisjoint", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		h.createWebhook()
		var all []string
		for i := range 15 {
			res := h.publish(webhook.DefaultTenant, typeOrderCreated, at(time.Duration(i)*time.Millisecond))
			all = append(all, deliveryIDs(res.Deliveries)...)
		}
		now := at(time.Second)
		const claimers = 4
		got := make([][]store.Task, claimers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range claimers {
			wg.Go(func() {
				<-start
				tasks, err := h.s.DeliveryClaim(h.ctx, store.DeliveryClaimParams{
					Lease: store.Lease{Owner: "claimer-" + string(rune('a'+i)), Until: now.Add(time.Minute)}, Now: now, Limit: 10,
				})
				if err != nil {
					t.Errorf("claimer %d: %v", i, err)
				}
				got[i] = tasks
			})
		}
		close(start)
		wg.Wait()
		owner := map[string]int{}
		for i, tasks := range got {
			for _, task := range tasks {
				if j, dup := owner[task.Delivery.ID]; dup {
					t.Errorf("delivery %s claimed by claimers %d and %d", task.Delivery.ID, j, i)
				}
				owner[task.Delivery.ID] = i
			}
		}
		for _, task := range h.claim("late", now, 100) {
			if _, dup := owner[task.Delivery.ID]; dup {
				t.Errorf("delivery %s claimed twice", task.Delivery.ID)
			}
			owner[task.Delivery.ID] = claimers
		}
		if len(owner) != len(all) {
			t.Errorf("claimed %d distinct deliveries in all, want %d", len(owner), len(all))
		}
	})
}

func tasksDeliveries(ts []store.Task) []webhook.Delivery {
	out := make([]webhook.Delivery, len(ts))
	for i, t := range ts {
		out[i] = t.Delivery
	}
	return out
}

func testRetry(t *testing.T, open Opener) {
	t.Run("States", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			name string
			// leased makes EventCreate lease the delivery until t0+1m.
			leased bool
			// prepare brings the delivery, the store's only one, into the
			// state under test (a claim at t0 leases it until t0+1m).
			prepare func(h *harness, d webhook.Delivery)
			now     time.Time
			code    webhook.Code // "" = the retry succeeds
		}{
			{name: "failed", now: at(time.Hour), prepare: func(h *harness, d webhook.Delivery) {
				h.claim("a", t0, 1)
				h.record(failed(d, at(time.Second)))
			}},
			{name: "succeeded", now: at(time.Hour), prepare: func(h *harness, d webhook.Delivery) {
				h.claim("a", t0, 1)
				h.record(succeeded(d, at(time.Second)))
			}},
			{name: "waiting to retry", now: at(time.Hour), prepare: func(h *harness, d webhook.Delivery) {
				h.claim("a", t0, 1)
				h.record(retried(d, at(time.Second), at(2*time.Hour)))
			}},
			{name: "due", now: at(time.Hour)},
			{name: "leased", now: at(30 * time.Second), code: webhook.ECONFLICT, prepare: func(h *harness, d webhook.Delivery) {
				h.claim("a", t0, 1)
			}},
			{name: "lease ran out", now: at(2 * time.Minute), prepare: func(h *harness, d webhook.Delivery) {
				h.claim("a", t0, 1)
			}},
			{name: "leased at ingest", leased: true, now: at(10 * time.Second), code: webhook.ECONFLICT},
			{name: "ingest lease ran out", leased: true, now: at(2 * time.Minute)},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				h := setup(t, open)
				h.createWebhook()
				p := store.EventCreateParams{Event: newEvent(webhook.DefaultTenant, typeOrderCreated, t0), IdempotencySince: at(-time.Hour)}
				if c.leased {
					p.Lease = &store.LeaseRequest{Lease: store.Lease{Owner: "ingest", Until: at(time.Minute)}}
				}
				d := h.create(p).Deliveries[0]
				if c.prepare != nil {
					c.prepare(h, d)
				}
				before := h.delivery(d.ID)

				got, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), d.ID, c.now)
				if c.code != "" {
					wantCode(t, err, c.code, "DeliveryRetry")
					equal(t, "delivery after a refused retry", h.delivery(d.ID), before, normDelivery)
					return
				}
				ok(t, err, "DeliveryRetry")
				if got.ID != d.ID || got.Status != webhook.DeliveryPending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(c.now) {
					t.Errorf("DeliveryRetry returned %+v, want %s pending and due at %s", got, d.ID, c.now)
				}
				equal(t, "DeliveryRetry's result vs DeliveryGet", got, h.delivery(d.ID), normDelivery)
				if tasks := h.claim("b", c.now, 10); !slices.Equal(taskIDs(tasks), []string{d.ID}) {
					t.Errorf("claim at the retry time: got %v, want [%s]", taskIDs(tasks), d.ID)
				}
			})
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		_, err := h.s.DeliveryRetry(h.ctx, auth.AllTenants(), webhook.NewID(webhook.PrefixDelivery), t0)
		wantCode(t, err, webhook.ENOTFOUND, "DeliveryRetry")
	})
}

func testReplay(t *testing.T, open Opener) {
	t.Run("SinceTenantTypes", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		since, now := at(10*time.Minute), at(time.Hour)
		h.publish(tenantAcme, typeOrderCreated, at(5*time.Minute)) // before since
		afterSince := h.publish(tenantAcme, typeOrderCreated, since.Add(time.Second))
		paid := h.publish(tenantAcme, typeOrderPaid, at(20*time.Minute))
		signup := h.publish(tenantAcme, typeUserSignup, at(30*time.Minute))
		h.publish(tenantOther, typeOrderCreated, at(40*time.Minute))
		// Created after the events, so only replay gives them deliveries.
		w := h.createWebhook(inTenant(tenantAcme), subscribed(typeOrderCreated, typeOrderPaid))
		star := h.createWebhook(inTenant(tenantAcme), subscribed(webhook.AllEvents))

		for _, c := range []struct {
			w    webhook.Webhook
			want []string
		}{
			{w, []string{afterSince.Event.ID, paid.Event.ID}},
			{star, []string{afterSince.Event.ID, paid.Event.ID, signup.Event.ID}},
		} {
			n, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), c.w.ID, since, now)
			ok(t, err, "WebhookReplay")
			if n != len(c.want) {
				t.Errorf("WebhookReplay(%v): %d, want %d", c.w.Events, n, len(c.want))
			}
			page, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: c.w.ID})
			ok(t, err, "DeliveryList")
			var events []string
			for _, d := range page.Deliveries {
				events = append(events, d.EventID)
				if d.Status != webhook.DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(now) || d.Tenant != tenantAcme {
					t.Errorf("replayed delivery %+v: want pending, due at %s, tenant %s", d, now, tenantAcme)
				}
			}
			if !sameSet(events, c.want) {
				t.Errorf("WebhookReplay(%v): deliveries of events %v, want %v", c.w.Events, events, c.want)
			}
			if got := h.webhook(c.w.ID).Stats.Deliveries; got != int64(len(c.want)) {
				t.Errorf("stats.deliveries after replay: %d, want %d", got, len(c.want))
			}
		}
		if tasks := h.claim("a", now, 100); len(tasks) != 5 {
			t.Errorf("claim at the replay time: got %d, want 5", len(tasks))
		}
	})

	t.Run("ReplayAddsToExisting", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		orig := h.deliver(t0)
		h.claim("a", t0, 1)
		h.record(succeeded(orig, at(time.Second)))
		n, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), w.ID, t0, at(time.Hour))
		ok(t, err, "WebhookReplay")
		if n != 1 {
			t.Fatalf("WebhookReplay: %d, want 1", n)
		}
		page, err := h.s.DeliveryList(h.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), EventID: orig.EventID})
		ok(t, err, "DeliveryList")
		if len(page.Deliveries) != 2 || page.Deliveries[0].ID == orig.ID {
			t.Fatalf("deliveries of the event: %v, want a new one besides %s", deliveryIDs(page.Deliveries), orig.ID)
		}
		if got := h.delivery(orig.ID).Status; got != webhook.DeliverySucceeded {
			t.Errorf("original delivery: status %q, want it untouched", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		_, err := h.s.WebhookReplay(h.ctx, auth.AllTenants(), webhook.NewID(webhook.PrefixWebhook), t0, t0)
		wantCode(t, err, webhook.ENOTFOUND, "WebhookReplay")
	})
}
