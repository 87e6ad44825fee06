package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
)

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

// wantError checks err's code and field; an empty code means no error.
func wantError(t *testing.T, err error, code webhook.Code, field string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %s on %q", code, field)
	}
	var e *webhook.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *webhook.Error", err)
	}
	if e.Code != code || e.Field != field {
		t.Errorf("error = %s on %q (%v), want %s on %q", e.Code, e.Field, err, code, field)
	}
}

func TestCheckData(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := []struct {
		name     string
		data     string
		maxDepth int
		wantErr  bool
		tooDeep  bool // field checked in TestCheckDataTooDeepNamesField
	}{
		{name: "object", data: `{"a":1}`, maxDepth: 64},
		{name: "empty object", data: `{}`, maxDepth: 64},
		{name: "leading whitespace", data: " \t\r\n{\"a\":1}", maxDepth: 64},
		{name: "trailing whitespace", data: "{\"a\":1}\n", maxDepth: 64},
		{name: "nested arrays inside", data: `{"a":[[1],[2,[3]]]}`, maxDepth: 64},
		{name: "brackets inside strings do not count", data: `{"s":"[[[[[[[[{{{{{{{{"}`, maxDepth: 2},
		{name: "exactly max depth", data: deep(5), maxDepth: 5},

		{name: "empty", data: ``, maxDepth: 64, wantErr: true},
		{name: "whitespace only", data: "  \n", maxDepth: 64, wantErr: true},
		{name: "array", data: `[{"a":1}]`, maxDepth: 64, wantErr: true},
		{name: "empty array", data: `[]`, maxDepth: 64, wantErr: true},
		{name: "string", data: `"{}"`, maxDepth: 64, wantErr: true},
		{name: "number", data: `42`, maxDepth: 64, wantErr: true},
		{name: "null", data: `null`, maxDepth: 64, wantErr: true},
		{name: "true", data: `true`, maxDepth: 64, wantErr: true},
		{name: "one past max depth", data: deep(6), maxDepth: 5, wantErr: true, tooDeep: true},
		{name: "far too deep", data: deep(10000), maxDepth: 64, wantErr: true, tooDeep: true},
		{name: "too deep in arrays", data: `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, maxDepth: 64, wantErr: true, tooDeep: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ingest.CheckData(json.RawMessage(tt.data), tt.maxDepth)
			if !tt.wantErr {
				wantError(t, err, "", "")
				return
			}
			if webhook.ErrorCode(err) != webhook.EINVALID {
				t.Fatalf("CheckData = %v, want EINVALID", err)
			}
			if tt.tooDeep {
				return
			}
			wantError(t, err, webhook.EINVALID, "data")
		})
	}
}

// jsonx.CheckDepth leaves Field empty and says "callers checking a
// sub-document such as an event's data set it"; every other CheckData
// error names "data", so a client can point at the offending field.
func TestCheckDataTooDeepNamesField(t *testing.T) {
	t.Parallel()
	data := strings.Repeat(`{"a":`, 6) + "1" + strings.Repeat("}", 6)
	wantError(t, ingest.CheckData(json.RawMessage(data), 5), webhook.EINVALID, "data")
}

// CheckData promises "a JSON object". Bytes that merely start with "{"
// are not one: stored as is, they make every envelope carrying them
// invalid JSON and break receivers' signature-verified parsing. The API
// decoder happens to reject them first, but ingest.Publish and
// registry.CreateEventType (its example) rely on CheckData alone.
func TestCheckDataRejectsMalformedJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"a":1`,
		`{oops}`,
		`{"a":1}{"b":2}`,
		`{"a":1} trailing`,
		"{\"a\":\"\xff\"}",
	} {
		t.Run(data, func(t *testing.T) {
			t.Parallel()
			wantError(t, ingest.CheckData(json.RawMessage(data), 64), webhook.EINVALID, "data")
		})
	}
}

func TestValidTenant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "", want: webhook.DefaultTenant},
		{in: "default", want: "default"},
		{in: "acme", want: "acme"},
		{in: "Acme-Corp_1", want: "Acme-Corp_1"},
		{in: "org:42", want: "org:42"},
		{in: "user@example.com", want: "user@example.com"},
		{in: "eu.west-1", want: "eu.west-1"},
		{in: strings.Repeat("t", ingest.MaxTenant), want: strings.Repeat("t", ingest.MaxTenant)},
		{in: strings.Repeat("t", ingest.MaxTenant+1), wantErr: true},
		{in: " ", wantErr: true},
		{in: "acme corp", wantErr: true},
		{in: " acme", wantErr: true},
		{in: "acme/eu", wantErr: true},
		{in: "acme\n", wantErr: true},
		{in: "acme\x00", wantErr: true},
		{in: "acmé", wantErr: true},
		{in: "a*", wantErr: true},
		{in: "a'b", wantErr: true},
		{in: "a%2Fb", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ingest.ValidTenant(tt.in)
			if tt.wantErr {
				wantError(t, err, webhook.EINVALID, "tenant")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ValidTenant(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// fakeHandoff is the local dispatcher as ingest sees it: it records what
// it is handed.
type fakeHandoff struct {
	accepting bool
	until     time.Time
	skip      []string // webhooks whose lanes are full

	mu        sync.Mutex
	submitted [][]store.Task
	wakes     int
	arrived   []string
}

func (h *fakeHandoff) Reserve() *store.LeaseRequest {
	if !h.accepting {
		return nil
	}
	return &store.LeaseRequest{Lease: store.Lease{Owner: "inst_test", Until: h.until}, Skip: h.skip}
}

func (h *fakeHandoff) Submit(tasks []store.Task) {
	h.mu.Lock()
	h.submitted = append(h.submitted, tasks)
	h.mu.Unlock()
}

func (h *fakeHandoff) Wake() {
	h.mu.Lock()
	h.wakes++
	h.mu.Unlock()
}

func (h *fakeHandoff) Arrived(ids []string) {
	h.mu.Lock()
	h.arrived = append(h.arrived, ids...)
	h.mu.Unlock()
}

func (h *fakeHandoff) calls() ([][]store.Task, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.submitted), h.wakes
}

var _ ingest.Handoff = (*fakeHandoff)(nil)

// countingStore is the real store with EventTypeGet counted and, for a
// slug in override, answered from memory: another instance changing a
// type, as far as this one can tell.
type countingStore struct {
	*sqlite.Store
	mu       sync.Mutex
	gets     int
	override map[string]webhook.EventType
}

func (s *countingStore) EventTypeGet(ctx context.Context, slug string) (webhook.EventType, error) {
	s.mu.Lock()
	s.gets++
	et, ok := s.override[slug]
	s.mu.Unlock()
	if ok {
		return et, nil
	}
	return s.Store.EventTypeGet(ctx, slug)
}

func (s *countingStore) set(et webhook.EventType) {
	s.mu.Lock()
	s.override[et.Slug] = et
	s.mu.Unlock()
}

func (s *countingStore) getCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}

const (
	typeOrder = "test.order"   // custom, with a schema
	typePlain = "test.plain"   // custom, no schema
	typeOther = "test.unheard" // nobody subscribes
)

var orderSchema = json.RawMessage(`{"type":"object","required":["amount"],` +
	`"properties":{"amount":{"type":"integer","minimum":0},"customer":{"type":"object",` +
	`"properties":{"email":{"type":"string"}},"required":["email"]}}}`)

type bundle struct {
	ctx     context.Context
	store   *countingStore
	svc     *ingest.Service
	handoff *fakeHandoff
	clock   *fakeclock.Clock
	// hooks: subscribed to typeOrder in the default tenant (one directly,
	// one by "*"), and one in tenant acme.
	direct, wildcard, acme webhook.Webhook
	published              func() [][2]any
}

type options struct {
	noHandoff bool
	accepting bool
	tracer    trace.Tracer
}

func setup(t *testing.T, opts options) *bundle {
	t.Helper()
	st := sqlitetest.Open(t)
	ctx := context.Background()
	types, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	types = append(types,
		webhook.EventType{Slug: typeOrder, Name: "Order", Description: "d", Example: json.RawMessage(`{"amount":1}`), Schema: orderSchema, Custom: true},
		webhook.EventType{Slug: typePlain, Name: "Plain", Description: "d", Example: json.RawMessage(`{}`), Custom: true},
		webhook.EventType{Slug: typeOther, Name: "Other", Description: "d", Example: json.RawMessage(`{}`), Custom: true},
	)
	for i := range types {
		types[i].CreatedAt = t0
	}
	if err := st.EventTypeSeed(ctx, types); err != nil {
		t.Fatal(err)
	}
	hook := func(tenant string, active bool, events ...string) webhook.Webhook {
		w := webhook.Webhook{
			ID: webhook.NewID(webhook.PrefixWebhook), Tenant: tenant, Name: "h", URL: "https://example.com/in",
			Events: events, Active: active, Format: webhook.FormatEnvelope, Integration: "manual", CreatedAt: t0, UpdatedAt: t0,
		}
		if err := st.WebhookCreate(ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
			t.Fatal(err)
		}
		return w
	}
	b := &bundle{
		ctx:   ctx,
		store: &countingStore{Store: st, override: map[string]webhook.EventType{}},
		clock: fakeclock.New(t0),
	}
	b.direct = hook(webhook.DefaultTenant, true, typeOrder, typePlain)
	b.wildcard = hook(webhook.DefaultTenant, true, "*")
	b.acme = hook("acme", true, typeOrder)
	hook(webhook.DefaultTenant, false, typeOrder) // inactive: never gets deliveries
	hook("other", true, "*")                      // another tenant

	var mu sync.Mutex
	var published [][2]any
	b.published = func() [][2]any {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(published)
	}
	cfg := ingest.Config{
		Store: b.store, IdempotencyWindow: time.Hour, CatalogTTL: time.Minute, Now: b.clock.Now,
		Published: func(n int, dup bool) {
			mu.Lock()
			published = append(published, [2]any{n, dup})
			mu.Unlock()
		},
	}
	cfg.Tracer = opts.tracer
	if !opts.noHandoff {
		b.handoff = &fakeHandoff{accepting: opts.accepting, until: t0.Add(30 * time.Second)}
		cfg.Handoff = b.handoff
	}
	b.svc = ingest.New(cfg)
	return b
}

func webhookIDs(ds []webhook.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.WebhookID
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	tests := []struct {
		name      string
		in        ingest.Input
		wantCode  webhook.Code
		wantField string
	}{
		{name: "bad tenant", in: ingest.Input{Tenant: "a b", Type: typePlain, Data: json.RawMessage(`{}`)}, wantCode: webhook.EINVALID, wantField: "tenant"},
		{name: "no type", in: ingest.Input{Data: json.RawMessage(`{}`)}, wantCode: webhook.EINVALID, wantField: "type"},
		{name: "unknown type", in: ingest.Input{Type: "no.such.type", Data: json.RawMessage(`{}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "type"},
		{name: "key too long", in: ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`), IdempotencyKey: strings.Repeat("k", ingest.MaxIdempotencyKey+1)}, wantCode: webhook.EINVALID, wantField: "idempotency_key"},
		{name: "data missing", in: ingest.Input{Type: typePlain}, wantCode: webhook.EINVALID, wantField: "data"},
		// Past the default --max-hops (5): a loop, refused whatever else.
		{name: "loop", in: ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`), Hops: 6}, wantCode: webhook.ELOOP},
		{name: "loop before anything else", in: ingest.Input{Tenant: "a b", Hops: 99}, wantCode: webhook.ELOOP},
		{name: "data array", in: ingest.Input{Type: typePlain, Data: json.RawMessage(`[1]`)}, wantCode: webhook.EINVALID, wantField: "data"},
		{name: "data null", in: ingest.Input{Type: typePlain, Data: json.RawMessage(`null`)}, wantCode: webhook.EINVALID, wantField: "data"},
		{name: "schema: missing property", in: ingest.Input{Type: typeOrder, Data: json.RawMessage(`{}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "data.amount"},
		{name: "schema: wrong type", in: ingest.Input{Type: typeOrder, Data: json.RawMessage(`{"amount":"12"}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "data.amount"},
		{name: "schema: below minimum", in: ingest.Input{Type: typeOrder, Data: json.RawMessage(`{"amount":-1}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "data.amount"},
		{name: "schema: nested", in: ingest.Input{Type: typeOrder, Data: json.RawMessage(`{"amount":1,"customer":{"email":5}}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "data.customer.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.svc.Publish(b.ctx, tt.in)
			wantError(t, err, tt.wantCode, tt.wantField)
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			in   ingest.Input
			want []string
		}{
			{ingest.Input{Tenant: "a b", Data: json.RawMessage(`[1]`), IdempotencyKey: strings.Repeat("k", ingest.MaxIdempotencyKey+1)},
				[]string{"/tenant", "/type", "/idempotency_key", "/data"}},
			{ingest.Input{Type: "no.such.type", Data: json.RawMessage(`"x"`)}, []string{"/data", "/type"}},
			// The schema applies only to data that is an object.
			{ingest.Input{Type: typeOrder, Tenant: "a b", Data: json.RawMessage(`{"amount":"12","customer":{"email":5}}`)},
				[]string{"/tenant", "/data/amount", "/data/customer/email"}},
		} {
			_, err := b.svc.Publish(b.ctx, c.in)
			e, ok := errors.AsType[*webhook.Error](err)
			if !ok {
				t.Fatalf("Publish(%+v) = %v, want *webhook.Error", c.in, err)
			}
			var got []string
			for _, p := range e.Problems() {
				got = append(got, p.Pointer)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Publish(%+v): problems at %q, want %q (%v)", c.in, got, c.want, err)
			}
		}
	})
	t.Cleanup(func() {
		page, err := b.store.EventList(b.ctx, store.EventListParams{Scope: auth.AllTenants()})
		if err != nil || len(page.Events) != 0 {
			t.Errorf("refused events were stored: %v, %v", page.Events, err)
		}
		if sub, wakes := b.handoff.calls(); len(sub) != 0 || wakes != 0 {
			t.Errorf("refused events reached the dispatcher: %d submits, %d wakes", len(sub), wakes)
		}
		if p := b.published(); len(p) != 0 {
			t.Errorf("Published called for refused events: %v", p)
		}
	})
}

// Deliveries to a webhook whose lane is full are left in the database, and
// the dispatcher is told they arrived (an open breaker probes sooner).
func TestPublishTellsOfSkippedArrivals(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	b.handoff.skip = []string{b.direct.ID}
	res, err := b.svc.Publish(b.ctx, ingest.Input{Type: typeOrder, Data: json.RawMessage(`{"amount":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	submitted, _ := b.handoff.calls()
	if len(submitted) != 1 || len(submitted[0]) != len(res.Deliveries)-1 {
		t.Errorf("handed over %v of %d deliveries, want all but the skipped webhook's", submitted, len(res.Deliveries))
	}
	b.handoff.mu.Lock()
	defer b.handoff.mu.Unlock()
	if !slices.Equal(b.handoff.arrived, []string{b.direct.ID}) {
		t.Errorf("Arrived(%v), want the skipped webhook %s", b.handoff.arrived, b.direct.ID)
	}
}

// An event that came through Hookline deliveries up to the limit is stored
// with its hop count, which its own deliveries carry on.
func TestPublishKeepsHops(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	res, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`), Hops: 5})
	if err != nil {
		t.Fatalf("an event at the hop limit was refused: %v", err)
	}
	got, err := b.store.EventGet(b.ctx, auth.AllTenants(), res.Event.ID)
	if err != nil || got.Hops != 5 {
		t.Errorf("stored event hops = %d (%v), want 5", got.Hops, err)
	}
}

func TestPublishIdempotencyKeyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	key := strings.Repeat("k", ingest.MaxIdempotencyKey)
	if _, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`), IdempotencyKey: key}); err != nil {
		t.Errorf("a %d-byte key was refused: %v", len(key), err)
	}
}

// With a dispatcher accepting work, the deliveries are leased to it in the
// same write and handed over after commit with their event.
func TestPublishHandsOffAfterCommit(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	data := json.RawMessage(" {\"amount\" : 1200,\n \"customer\":{\"email\":\"a@example.com\"}, \"note\":\"caf\\u00e9\"}")
	res, err := b.svc.Publish(b.ctx, ingest.Input{Type: typeOrder, Data: data})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if res.Duplicate || !webhook.HasPrefix(res.Event.ID, webhook.PrefixEvent) || res.Event.Tenant != webhook.DefaultTenant ||
		res.Event.Type != typeOrder || !res.Event.CreatedAt.Equal(t0) || string(res.Event.Data) != string(data) {
		t.Errorf("event = %+v", res.Event)
	}
	if got, want := webhookIDs(res.Deliveries), sorted(b.direct.ID, b.wildcard.ID); !slices.Equal(got, want) {
		t.Errorf("deliveries for webhooks %q, want %q", got, want)
	}
	stored, err := b.store.EventGet(b.ctx, auth.AllTenants(), res.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.Data) != string(data) {
		t.Errorf("stored data = %q, want the bytes as published %q", stored.Data, data)
	}

	submitted, wakes := b.handoff.calls()
	if len(submitted) != 1 || wakes != 0 {
		t.Fatalf("Submit calls %d, Wake calls %d; want 1, 0", len(submitted), wakes)
	}
	tasks := submitted[0]
	if len(tasks) != len(res.Deliveries) {
		t.Fatalf("submitted %d tasks, want %d", len(tasks), len(res.Deliveries))
	}
	for i, task := range tasks {
		if task.Delivery.ID != res.Deliveries[i].ID || task.Event.ID != res.Event.ID ||
			task.Lease != (store.Lease{Owner: "inst_test", Until: b.handoff.until}) ||
			string(task.Event.Data) != string(data) || task.Event.Type != typeOrder {
			t.Errorf("task %d = %+v", i, task)
		}
		// Submitted only once durable: the store already has it.
		if _, err := b.store.DeliveryGet(b.ctx, auth.AllTenants(), task.Delivery.ID); err != nil {
			t.Errorf("submitted delivery %s is not stored: %v", task.Delivery.ID, err)
		}
	}
	// Leased to this instance: nobody else can claim them until the lease
	// ends, then anyone can.
	claimed, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "other", Until: t0.Add(time.Minute)}, Now: t0, Limit: 10})
	if err != nil || len(claimed) != 0 {
		t.Errorf("claimed leased deliveries: %v, %v", claimed, err)
	}
	claimed, err = b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "other", Until: t0.Add(time.Minute)}, Now: b.handoff.until, Limit: 10})
	if err != nil || len(claimed) != 2 {
		t.Errorf("after the lease: claimed %d, %v; want 2", len(claimed), err)
	}
	if p := b.published(); !slices.Equal(p, [][2]any{{2, false}}) {
		t.Errorf("Published calls = %v", p)
	}
}

// Without a dispatcher accepting work, the deliveries stay unleased and
// due, and the dispatcher is woken to fetch them.
func TestPublishNotAcceptingWakes(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: false})
	res, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{"x":1}`)})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(res.Deliveries) != 2 {
		t.Fatalf("deliveries = %d, want 2", len(res.Deliveries))
	}
	submitted, wakes := b.handoff.calls()
	if len(submitted) != 0 || wakes != 1 {
		t.Errorf("Submit calls %d, Wake calls %d; want 0, 1", len(submitted), wakes)
	}
	claimed, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "w", Until: t0.Add(time.Minute)}, Now: t0, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 {
		t.Fatalf("claimable at now: %d, want 2", len(claimed))
	}
	for _, c := range claimed {
		if c.Event.ID != res.Event.ID || string(c.Event.Data) != `{"x":1}` {
			t.Errorf("claimed task event = %+v", c.Event)
		}
	}
}

func TestPublishNothingToDeliver(t *testing.T) {
	t.Parallel()
	for _, accepting := range []bool{true, false} {
		b := setup(t, options{accepting: accepting})
		// typeOther in tenant acme: acme's only webhook wants typeOrder.
		res, err := b.svc.Publish(b.ctx, ingest.Input{Tenant: "acme", Type: typeOther, Data: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Deliveries) != 0 {
			t.Errorf("deliveries = %v, want none", res.Deliveries)
		}
		if sub, wakes := b.handoff.calls(); len(sub) != 0 || wakes != 0 {
			t.Errorf("accepting=%v: %d submits, %d wakes for an event nobody wants", accepting, len(sub), wakes)
		}
	}
}

func TestPublishTenantScoping(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	res, err := b.svc.Publish(b.ctx, ingest.Input{Tenant: "acme", Type: typeOrder, Data: json.RawMessage(`{"amount":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := webhookIDs(res.Deliveries); !slices.Equal(got, []string{b.acme.ID}) {
		t.Errorf("deliveries for %q, want only acme's webhook %s", got, b.acme.ID)
	}
	if res.Event.Tenant != "acme" {
		t.Errorf("event tenant = %q", res.Event.Tenant)
	}
}

func TestPublishWithoutHandoff(t *testing.T) {
	t.Parallel()
	b := setup(t, options{noHandoff: true})
	res, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`)})
	if err != nil || len(res.Deliveries) != 2 {
		t.Fatalf("Publish = %d deliveries, %v", len(res.Deliveries), err)
	}
	claimed, err := b.store.DeliveryClaim(b.ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "w", Until: t0.Add(time.Minute)}, Now: t0, Limit: 10})
	if err != nil || len(claimed) != 2 {
		t.Errorf("claimable = %d, %v; want 2", len(claimed), err)
	}
}

func TestPublishIdempotency(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	first, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{"n":1}`), IdempotencyKey: "order-42"})
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Add(30 * time.Minute)
	// Same key, different content: the first event wins and nothing new
	// is made or handed over.
	again, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{"n":2}`), IdempotencyKey: "order-42"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Event.ID != first.Event.ID || string(again.Event.Data) != `{"n":1}` {
		t.Errorf("duplicate = %+v, want the first event", again)
	}
	if got, want := deliveryIDs(again.Deliveries), deliveryIDs(first.Deliveries); !slices.Equal(got, want) {
		t.Errorf("duplicate deliveries = %q, want the first event's %q", got, want)
	}
	if sub, wakes := b.handoff.calls(); len(sub) != 1 || wakes != 0 {
		t.Errorf("after a duplicate: %d submits, %d wakes; want 1, 0", len(sub), wakes)
	}
	if p := b.published(); !slices.Equal(p, [][2]any{{2, false}, {2, true}}) {
		t.Errorf("Published calls = %v", p)
	}

	// The key is per tenant.
	other, err := b.svc.Publish(b.ctx, ingest.Input{Tenant: "acme", Type: typePlain, Data: json.RawMessage(`{}`), IdempotencyKey: "order-42"})
	if err != nil || other.Duplicate || other.Event.ID == first.Event.ID {
		t.Errorf("same key in another tenant = %+v, %v; want a new event", other, err)
	}

	// After the window the key is free again.
	b.clock.Add(31 * time.Minute)
	later, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{"n":3}`), IdempotencyKey: "order-42"})
	if err != nil || later.Duplicate || later.Event.ID == first.Event.ID {
		t.Errorf("after the window = %+v, %v; want a new event", later, err)
	}
	if sub, _ := b.handoff.calls(); len(sub) != 2 {
		t.Errorf("submits = %d, want 2 (first and after the window)", len(sub))
	}
}

func deliveryIDs(ds []webhook.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	slices.Sort(ids)
	return ids
}

// Event types are cached for CatalogTTL; Forget (called by the registry
// after a local change) makes the change visible at once.
func TestCatalogCacheAndForget(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	publish := func(data string) error {
		_, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(data)})
		return err
	}
	if err := publish(`{}`); err != nil {
		t.Fatal(err)
	}
	if err := publish(`{}`); err != nil {
		t.Fatal(err)
	}
	if n := b.store.getCount(); n != 1 {
		t.Errorf("EventTypeGet calls = %d, want 1 (cached)", n)
	}

	// The type gains a schema elsewhere. The cached copy still applies...
	b.store.set(webhook.EventType{
		Slug: typePlain, Name: "Plain", Example: json.RawMessage(`{"must":1}`), Custom: true,
		Schema: json.RawMessage(`{"type":"object","required":["must"]}`),
	})
	if err := publish(`{}`); err != nil {
		t.Errorf("within the TTL the cached type applies: %v", err)
	}
	// ...until Forget.
	b.svc.Forget(typePlain)
	wantError(t, publish(`{}`), webhook.EUNPROCESSABLE, "data.must")
	if err := publish(`{"must":1}`); err != nil {
		t.Errorf("valid data refused: %v", err)
	}

	// Without Forget, the TTL bounds staleness.
	b.store.set(webhook.EventType{Slug: typePlain, Name: "Plain", Example: json.RawMessage(`{}`), Custom: true})
	wantError(t, publish(`{}`), webhook.EUNPROCESSABLE, "data.must")
	b.clock.Add(time.Minute + time.Nanosecond)
	if err := publish(`{}`); err != nil {
		t.Errorf("after the TTL the new definition applies: %v", err)
	}
}

// An unknown type is not cached as unknown: registering it makes it
// publishable at once.
func TestUnknownTypeNotCached(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := ingest.Input{Type: "brand.new", Data: json.RawMessage(`{}`)}
	_, err := b.svc.Publish(b.ctx, in)
	wantError(t, err, webhook.EUNPROCESSABLE, "type")
	if err := b.store.EventTypeCreate(b.ctx, webhook.EventType{Slug: "brand.new", Name: "New", Example: json.RawMessage(`{}`), Custom: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Publish(b.ctx, in); err != nil {
		t.Errorf("Publish after registering: %v", err)
	}
}

func TestPublishConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t, options{accepting: true})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			key := ""
			if i%2 == 0 {
				key = "same"
			}
			if _, err := b.svc.Publish(b.ctx, ingest.Input{Type: typePlain, Data: json.RawMessage(`{}`), IdempotencyKey: key}); err != nil {
				t.Errorf("Publish %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	page, err := b.store.EventList(b.ctx, store.EventListParams{Scope: auth.AllTenants(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 10 without a key, and one for the 10 sharing a key.
	if len(page.Events) != 11 {
		t.Errorf("stored %d events, want 11", len(page.Events))
	}
	if sub, _ := b.handoff.calls(); len(sub) != 11 {
		t.Errorf("submits = %d, want 11", len(sub))
	}
}
