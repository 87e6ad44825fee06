// Package storetest is the conformance suite every store.Store backend must
// pass. It speaks only the store.Store interface, so the SQLite backend and a
// PostgreSQL one run exactly the same tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... a fresh, empty store ... })
//	}
//
// Every subtest opens its own store and runs in parallel with the others.
// Nothing sleeps: time-dependent methods are given explicit times derived
// from a fixed origin, so leases expire and retries come due by passing a
// later "now", never by waiting.
package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Opener returns a fresh, empty store isolated from every other call (a new
// SQLite file, a new PostgreSQL schema) and arranges for it to be closed
// when t ends.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"EventType", testEventTypes},
		{"Webhook", testWebhooks},
		{"Secret", testSecrets},
		{"Event", testEvents},
		{"Lease", testLeases},
		{"Claim", testClaims},
		{"Attempt", testAttempts},
		{"AttemptBodyOfEvent", testAttemptBodyOfEvent},
		{"Retry", testRetry},
		{"Replay", testReplay},
		{"List", testLists},
		{"APIKey", testAPIKeys},
		{"Concurrency", testConcurrency},
		{"LateResult", testLateResult},
		{"ReclaimedBySameOwner", testReclaimedBySameOwner},
		{"Shards", testShards},
		{"Instances", testInstances},
		{"LeaseSkip", testLeaseSkip},
		{"LeaseRenewRelease", testLeaseRenewRelease},
		{"Bin", testBins},
		{"Audit", testAudit},
		{"User", testUsers},
		{"Team", testTeam},
		{"Invite", testInvites},
		{"Leader", testLeader},
		{"Retain", testRetain},
		{"AttemptRecord", testAttemptRecord},
		{"WebhookDestination", testWebhookDestination},
		{"Scope", testScope},
		{"Tenant", testTenants},
		{"PortalLink", testPortalLinks},
		{"ConcurrentIngest", testConcurrentIngest},
		{"Filter", testFilters},
		{"Transform", testTransforms},
		{"RetryCounts", testRetryCounts},
		{"Signature", testSignature},
		{"RateLimit", testRateLimit},
		{"FIFOIngest", testFIFOIngest},
		{"FIFOClaim", testFIFOClaim},
		{"FIFOLeases", testFIFOLeases},
		{"FIFOChanges", testFIFOChanges},
		{"FIFOConcurrentIngest", testFIFOConcurrentIngest},
		{"DestinationConfig", testDestinations},
		{"Alert", testAlerts},
		{"Stats", testStats},
		{"Recover", testRecover},
		{"DeliveryFilters", testDeliveryFilters},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.fn(t, open)
		})
	}
}

// Sealer is a store.Sealer for tests: reversible, cheap, and the sealed form
// shares no substring with the plaintext (XOR with a fixed pad, then
// base64), so a raw read of the database can prove no secret is stored in
// clear. It protects nothing; never use it outside tests.
type Sealer struct{}

var _ store.Sealer = Sealer{}

const sealPrefix = "storetest:"

var sealPad = []byte("hookline-storetest-pad")

func xorPad(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ sealPad[i%len(sealPad)]
	}
	return out
}

// Seal implements store.Sealer.
func (Sealer) Seal(plaintext string) string {
	return sealPrefix + base64.StdEncoding.EncodeToString(xorPad([]byte(plaintext)))
}

// Open implements store.Sealer.
func (Sealer) Open(sealed string) (string, error) {
	enc, ok := bytes.CutPrefix([]byte(sealed), []byte(sealPrefix))
	if !ok {
		return "", errors.New("storetest: not sealed by storetest.Sealer")
	}
	raw, err := base64.StdEncoding.DecodeString(string(enc))
	if err != nil {
		return "", fmt.Errorf("storetest: open sealed secret: %w", err)
	}
	return string(xorPad(raw)), nil
}

// t0 is the suite's clock origin. It has microsecond precision, the
// precision every backend keeps, so stored times compare exactly.
var t0 = time.Date(2030, time.March, 14, 9, 26, 53, 589793000, time.UTC)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// Event types the fixtures use.
const (
	typeOrderCreated = "order.created"
	typeOrderPaid    = "order.paid"
	typeUserSignup   = "user.signup"

	tenantAcme  = "acme"
	tenantOther = "globex"
)

// harness is one subtest's store and the helpers that keep tests short.
type harness struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
}

func setup(t *testing.T, open Opener) *harness {
	t.Helper()
	return &harness{t: t, ctx: t.Context(), s: open(t)}
}

// ok fails the test at once on an unexpected error.
func ok(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantCode checks that err carries the application error code want.
func wantCode(t testing.TB, err error, want webhook.Code, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want code %q", what, want)
	}
	if got := webhook.ErrorCode(err); got != want {
		t.Fatalf("%s: got code %q (%v), want %q", what, got, err, want)
	}
}

// hookOpt adjusts a fixture webhook before it is stored.
type hookOpt func(*webhook.Webhook)

func inTenant(tenant string) hookOpt { return func(w *webhook.Webhook) { w.Tenant = tenant } }

func subscribed(types ...string) hookOpt { return func(w *webhook.Webhook) { w.Events = types } }

func inactive(w *webhook.Webhook) { w.Active = false }

func named(name, url string) hookOpt {
	return func(w *webhook.Webhook) { w.Name, w.URL = name, url }
}

// createWebhook stores an active webhook of the default tenant subscribed to
// every type, as adjusted by opts, and returns it.
func (h *harness) createWebhook(opts ...hookOpt) webhook.Webhook {
	h.t.Helper()
	id := webhook.NewID(webhook.PrefixWebhook)
	w := webhook.Webhook{
		ID: id, Tenant: webhook.DefaultTenant, Name: "hook " + id[len(id)-6:],
		URL: "https://receiver.example.com/" + id, Events: []string{webhook.AllEvents},
		Active: true, Headers: map[string]string{}, Format: webhook.FormatEnvelope,
		CreatedAt: t0, UpdatedAt: t0,
	}
	for _, o := range opts {
		o(&w)
	}
	ok(h.t, h.s.WebhookCreate(h.ctx, w, "whsec_"+id), "WebhookCreate")
	return w
}

func (h *harness) webhook(id string) webhook.Webhook {
	h.t.Helper()
	w, err := h.s.WebhookGet(h.ctx, auth.AllTenants(), id)
	ok(h.t, err, "WebhookGet "+id)
	return w
}

func newEvent(tenant, typ string, created time.Time) webhook.Event {
	return webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: tenant, Type: typ,
		Data: json.RawMessage(`{"object":"` + typ + `"}`), CreatedAt: created,
	}
}

// publish stores an event of tenant and type created at created, outside
// any idempotency window and without a lease.
func (h *harness) publish(tenant, typ string, created time.Time) store.EventCreateResult {
	h.t.Helper()
	return h.create(store.EventCreateParams{Event: newEvent(tenant, typ, created), IdempotencySince: created.Add(-24 * time.Hour)})
}

func (h *harness) create(p store.EventCreateParams) store.EventCreateResult {
	h.t.Helper()
	res, err := h.s.EventCreate(h.ctx, p)
	ok(h.t, err, "EventCreate")
	return res
}

// deliver publishes an event of the default tenant at created and returns
// its only delivery; the store must hold exactly one subscribed webhook.
func (h *harness) deliver(created time.Time) webhook.Delivery {
	h.t.Helper()
	res := h.publish(webhook.DefaultTenant, typeOrderCreated, created)
	if len(res.Deliveries) != 1 {
		h.t.Fatalf("publish: got %d deliveries, want 1", len(res.Deliveries))
	}
	return res.Deliveries[0]
}

func (h *harness) delivery(id string) webhook.Delivery {
	h.t.Helper()
	d, err := h.s.DeliveryGet(h.ctx, auth.AllTenants(), id)
	ok(h.t, err, "DeliveryGet "+id)
	return d
}

// claim leases up to limit deliveries due at now for a minute.
func (h *harness) claim(owner string, now time.Time, limit int, exclude ...string) []store.Task {
	h.t.Helper()
	return h.claimUntil(owner, now, now.Add(time.Minute), limit, exclude...)
}

func (h *harness) claimUntil(owner string, now, until time.Time, limit int, exclude ...string) []store.Task {
	h.t.Helper()
	tasks, err := h.s.DeliveryClaim(h.ctx, store.DeliveryClaimParams{
		Lease: store.Lease{Owner: owner, Until: until}, Now: now, Limit: limit, ExcludeWebhooks: exclude,
	})
	ok(h.t, err, "DeliveryClaim")
	return tasks
}

func (h *harness) record(results ...store.AttemptResult) {
	h.t.Helper()
	ok(h.t, h.s.AttemptRecord(h.ctx, results), "AttemptRecord")
}

// attemptOf is an attempt of d started at start that got status back
// (0: the connection was refused). It takes no time, so a backend may stamp
// stats with either its start or its end.
func attemptOf(d webhook.Delivery, start time.Time, status int) webhook.Attempt {
	a := webhook.Attempt{
		ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: d.WebhookID,
		EventID: d.EventID, EventType: d.EventType, Number: d.Attempts + 1, StartedAt: start,
		URL: "https://receiver.example.com/" + d.WebhookID, StatusCode: status,
	}
	switch {
	case status == 0:
		a.ErrorClass, a.Error = webhook.ErrClassConnectionRefused, "connection refused"
	case status < 200 || status > 299:
		a.ErrorClass, a.Error = webhook.ErrClassHTTPStatus, fmt.Sprintf("HTTP %d", status)
	}
	return a
}

func succeeded(d webhook.Delivery, start time.Time) store.AttemptResult {
	return store.AttemptResult{Attempt: attemptOf(d, start, 200), Outcome: store.OutcomeSucceeded}
}

func retried(d webhook.Delivery, start, next time.Time) store.AttemptResult {
	return store.AttemptResult{Attempt: attemptOf(d, start, 503), Outcome: store.OutcomeRetry, NextAttemptAt: next}
}

func failed(d webhook.Delivery, start time.Time) store.AttemptResult {
	return store.AttemptResult{Attempt: attemptOf(d, start, 500), Outcome: store.OutcomeFailed}
}

// ids returns the IDs of deliveries, in order.
func deliveryIDs(ds []webhook.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func taskIDs(ts []store.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Delivery.ID
	}
	return out
}

func webhookIDs(ws []webhook.Webhook) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}

func timePtr(t time.Time) *time.Time { return &t }

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func fmtTimePtr(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.UTC().Format(time.RFC3339Nano)
}

// The norm functions put values read back from a backend in a canonical
// form (UTC times, nil for empty collections) so reflect.DeepEqual compares
// meaning, not representation.

func normTime(t time.Time) time.Time { return t.UTC() }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func normWebhook(w webhook.Webhook) webhook.Webhook {
	w.CreatedAt, w.UpdatedAt = normTime(w.CreatedAt), normTime(w.UpdatedAt)
	w.Stats.LastSuccessAt = normTimePtr(w.Stats.LastSuccessAt)
	w.Stats.LastFailureAt = normTimePtr(w.Stats.LastFailureAt)
	w.Stats.FailingSince = normTimePtr(w.Stats.FailingSince)
	if len(w.Headers) == 0 {
		w.Headers = nil
	}
	if len(w.Events) == 0 {
		w.Events = nil
	}
	if len(w.SecretHeaders) == 0 {
		w.SecretHeaders = nil
	}
	// A webhook stored without a destination type is an HTTP one, and one
	// without a signature scheme signs with HMAC.
	w.Destination.Type = store.DestinationType(w)
	w.Signature = store.SignatureScheme(w)
	w.Ordering = store.OrderingMode(w)
	return w
}

func normDelivery(d webhook.Delivery) webhook.Delivery {
	d.CreatedAt, d.UpdatedAt = normTime(d.CreatedAt), normTime(d.UpdatedAt)
	d.NextAttemptAt = normTimePtr(d.NextAttemptAt)
	return d
}

func normEvent(e webhook.Event) webhook.Event {
	e.CreatedAt = normTime(e.CreatedAt)
	if len(e.Data) == 0 {
		e.Data = nil
	}
	return e
}

func normAttempt(a webhook.Attempt) webhook.Attempt {
	a.StartedAt = normTime(a.StartedAt)
	if len(a.RequestBody) == 0 {
		a.RequestBody = nil
	}
	if len(a.ResponseBody) == 0 {
		a.ResponseBody = nil
	}
	if len(a.RequestHeaders) == 0 {
		a.RequestHeaders = nil
	}
	if len(a.ResponseHeaders) == 0 {
		a.ResponseHeaders = nil
	}
	return a
}

func normAPIKey(k auth.APIKey) auth.APIKey {
	k.CreatedAt = normTime(k.CreatedAt)
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = normTimePtr(k.ExpiresAt), normTimePtr(k.RevokedAt), normTimePtr(k.LastUsedAt)
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	return k
}

// equal fails the test when got and want differ after normalization.
func equal[T any](t testing.TB, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got: %+v\nwant: %+v", what, g, w)
	}
}

// header builds an http.Header from key, value pairs.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}
