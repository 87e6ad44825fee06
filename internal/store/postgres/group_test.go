package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/webhook"
)

// The group commit's two paths, driven directly (the conformance suite's
// ConcurrentIngest drives them through concurrent calls, where the groups
// formed depend on timing).

func TestGroupCommitTogether(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := t.Context()
	w := newWebhook()
	if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
		t.Fatal(err)
	}
	lease := store.Lease{Owner: "me", Until: t0.Add(time.Minute)}
	var ps []store.EventCreateParams
	for i := range 6 {
		ev := newEvent("")
		if i%2 == 1 {
			ev.Tenant = "made-by-use" // no webhooks: no deliveries
		}
		p := store.EventCreateParams{Event: ev, IdempotencySince: t0.Add(-time.Hour)}
		if i == 0 {
			p.Lease = &store.LeaseRequest{Lease: lease}
		}
		ps = append(ps, p)
	}
	res, errs, together := s.CreateGroup(ctx, ps)
	if !together {
		t.Fatal("a group of plain events was not committed together")
	}
	for i := range ps {
		if errs[i] != nil {
			t.Fatalf("event %d: %v", i, errs[i])
		}
		want := 1 - i%2
		if len(res[i].Deliveries) != want || res[i].Event.ID != ps[i].Event.ID || res[i].Duplicate {
			t.Errorf("event %d: %+v, want %d deliveries of the event", i, res[i], want)
		}
		if _, err := s.EventGet(ctx, auth.AllTenants(), ps[i].Event.ID); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
	}
	if len(res[0].Leased) != 1 || res[0].Leased[0].Lease != lease {
		t.Errorf("leased event: tasks %+v, want its delivery leased", res[0].Leased)
	}
	if len(res[2].Leased) != 0 || res[2].Deliveries[0].NextAttemptAt == nil {
		t.Errorf("unleased event: tasks %+v, delivery %+v; want it due, not leased", res[2].Leased, res[2].Deliveries[0])
	}
	if got, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID); err != nil || got.Stats.Deliveries != 3 {
		t.Errorf("stats.deliveries %d (%v), want 3", got.Stats.Deliveries, err)
	}
	if _, err := s.TenantGet(ctx, "made-by-use"); err != nil {
		t.Errorf("tenant made by use in a group: %v", err)
	}
}

func TestGroupCommitOneByOne(t *testing.T) {
	t.Parallel()
	s := pgtest.Open(t)
	ctx := t.Context()
	if err := s.WebhookCreate(ctx, newWebhook(), "whsec_x"); err != nil {
		t.Fatal(err)
	}
	strict := newEvent("")
	strict.Tenant = "unknown"
	ps := []store.EventCreateParams{
		{Event: newEvent("key-1"), IdempotencySince: t0.Add(-time.Hour)},
		{Event: newEvent("key-1"), IdempotencySince: t0.Add(-time.Hour)},
		{Event: strict, IdempotencySince: t0.Add(-time.Hour), TenantMustExist: true},
		{Event: newEvent(""), IdempotencySince: t0.Add(-time.Hour), TenantMustExist: true},
	}
	res, errs, together := s.CreateGroup(ctx, ps)
	if together {
		t.Fatal("a group with a key taken twice and an unknown strict tenant was committed together")
	}
	if errs[0] != nil || errs[1] != nil || res[0].Duplicate || !res[1].Duplicate || res[1].Event.ID != ps[0].Event.ID {
		t.Errorf("one key twice: %+v %v / %+v %v; want the first stored, the second its duplicate", res[0], errs[0], res[1], errs[1])
	}
	if webhook.ErrorCode(errs[2]) != webhook.EUNPROCESSABLE {
		t.Errorf("strict event of an unknown tenant: %v, want refused", errs[2])
	}
	if errs[3] != nil || len(res[3].Deliveries) != 1 {
		t.Errorf("strict event of the default tenant: %+v, %v; want stored with its delivery", res[3], errs[3])
	}
}

// TestKnownTenantsBoundedAcrossInstances: an instance that saw a tenant
// recently does not write its row for every event. A delete in the same
// process is seen at once; a delete by another instance within
// TenantKnownFor, after which events give the tenant its row again.
// Strict checks never use what is known: they stay exact.
func TestKnownTenantsBoundedAcrossInstances(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	a, b := openStore(t, pgtest.URL(), schema), openStore(t, pgtest.URL(), schema)
	ctx := t.Context()
	var mu sync.Mutex
	now := time.Now()
	a.SetTenantClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	create := func(tenant string, strict bool) error {
		ev := newEvent("")
		ev.Tenant = tenant
		_, err := a.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: t0.Add(-time.Hour), TenantMustExist: strict})
		return err
	}
	exists := func() bool {
		_, err := b.TenantGet(ctx, "acme")
		return err == nil
	}

	if err := create("acme", false); err != nil || !exists() {
		t.Fatalf("first event: %v, tenant exists %v", err, exists())
	}
	// Deleted here: the next event makes the row again at once.
	if _, err := a.TenantDelete(ctx, store.TenantDeleteParams{ID: "acme", Now: t0}); err != nil {
		t.Fatal(err)
	}
	if err := create("acme", false); err != nil || !exists() {
		t.Fatalf("event after a delete in this process: %v, tenant exists %v; want it made again", err, exists())
	}
	// Deleted by another instance: strict events see it at once.
	if _, err := b.TenantDelete(ctx, store.TenantDeleteParams{ID: "acme", Now: t0}); err != nil {
		t.Fatal(err)
	}
	if err := create("acme", true); webhook.ErrorCode(err) != webhook.EUNPROCESSABLE {
		t.Errorf("strict event after another instance's delete: %v, want refused", err)
	}
	// Others within the bound are stored without the row; after it, the
	// row is made again.
	if err := create("acme", false); err != nil || exists() {
		t.Errorf("event within the bound: %v, tenant exists %v; want stored, row not yet made", err, exists())
	}
	mu.Lock()
	now = now.Add(postgres.TenantKnownFor)
	mu.Unlock()
	if err := create("acme", false); err != nil || !exists() {
		t.Errorf("event after the bound: %v, tenant exists %v; want the row made again", err, exists())
	}
}
