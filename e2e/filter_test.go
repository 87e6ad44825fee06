package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
)

// TestFilterTest tries payload filters through the API and the Go client:
// on a given event, on an event type's example payload, and a bad filter
// whose problems come back at their JSON pointers.
func TestFilterTest(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()

	res, err := api.WebhookFilterTest(ctx, client.FilterTestParams{
		Filter: map[string]any{"data.amount": map[string]any{"$gte": 100}, "data.items.*.sku": "B-7"},
		Event: &client.FilterTestEvent{Type: "payment_received",
			Data: map[string]any{"amount": 150, "items": []any{map[string]any{"sku": "A-1"}, map[string]any{"sku": "B-7"}}}},
	})
	if err != nil || !res.Matches {
		t.Fatalf("matching filter: %+v %v", res, err)
	}
	res, err = api.WebhookFilterTest(ctx, client.FilterTestParams{
		Filter: map[string]any{"data.payment_total_raw": map[string]any{"$gt": 1000}}, EventType: "payment_received"})
	if err != nil || res.Matches || !strings.Contains(res.Explanation, "data.payment_total_raw is 29") {
		t.Fatalf("on the example payload: %+v %v", res, err)
	}

	_, err = api.WebhookFilterTest(ctx, client.FilterTestParams{
		Filter:    map[string]any{"data.amount": map[string]any{"$gtt": 1}, "$or": []any{}},
		EventType: "no_such_type"})
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("bad filter: %v", err)
	}
	pointers := map[string]string{}
	for _, p := range e.Errors {
		pointers[p.Pointer] = p.Detail
	}
	for ptr, want := range map[string]string{
		"/filter/data.amount/$gtt": "unknown operator $gtt",
		"/filter/$or":              "non-empty array",
		"/event_type":              "unknown event type",
	} {
		if !strings.Contains(pointers[ptr], want) {
			t.Errorf("problem at %s: %q, want it to say %q (all: %v)", ptr, pointers[ptr], want, pointers)
		}
	}
}

// TestWebhookFilter: a webhook with a payload filter gets only the events
// that match it; a bad filter is refused with every problem at its JSON
// pointer; NoFilter removes it.
func TestWebhookFilter(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{
		Tenant: "filters", Name: "Big EU payments", URL: "https://receiver.example.com/big", Events: []string{"payment_received"},
		Filter: map[string]any{"data.amount": map[string]any{"$gte": 100}, "data.country": map[string]any{"$in": []string{"DE", "FR"}}},
		Active: client.Ptr(false), // nothing is sent: the test counts deliveries made
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(wh.Filter) != `{"data.amount":{"$gte":100},"data.country":{"$in":["DE","FR"]}}` {
		t.Errorf("stored filter %s", wh.Filter)
	}
	if _, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Active: client.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	publish := func(data map[string]any) int {
		t.Helper()
		res, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: "filters", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return res.Deliveries
	}
	for _, c := range []struct {
		data map[string]any
		want int
	}{
		{map[string]any{"amount": 150, "country": "DE"}, 1},
		{map[string]any{"amount": 50, "country": "DE"}, 0},
		{map[string]any{"amount": 150, "country": "US"}, 0},
		{map[string]any{"country": "FR"}, 0},
	} {
		if got := publish(c.data); got != c.want {
			t.Errorf("publish %v: %d deliveries, want %d", c.data, got, c.want)
		}
	}

	_, err = api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{
		Filter: map[string]any{"data.amount": map[string]any{"$between": []int{1, 2}}, "data.note": map[string]any{"$regex": "("}}})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 400 && e.Status != 422 {
		t.Fatalf("bad filter: %v", err)
	}
	got := map[string]bool{}
	for _, p := range e.Errors {
		got[p.Pointer] = true
	}
	for _, want := range []string{"/filter/data.amount/$between", "/filter/data.note/$regex"} {
		if !got[want] {
			t.Errorf("no problem at %s: %+v", want, e.Errors)
		}
	}

	if _, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{Filter: client.NoFilter}); err != nil {
		t.Fatal(err)
	}
	if got := publish(map[string]any{"amount": 1, "country": "US"}); got != 1 {
		t.Errorf("after removing the filter: %d deliveries, want 1", got)
	}
}

// TestCLIWebhookFilter: --filter on create and update, --clear-filter,
// and filter-test, through the command line.
func TestCLIWebhookFilter(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, true)
	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "Big", "--url", "https://receiver.example.com/big",
		"--events", "payment_received", "--filter", `{"data.amount": {"$gte": 100}}`)
	var compact bytes.Buffer
	if err := json.Compact(&compact, created.Filter); err != nil || compact.String() != `{"data.amount":{"$gte":100}}` {
		t.Fatalf("created filter %s", created.Filter)
	}
	mustContain(t, "get output", c.ok("webhooks", "get", created.ID), "Filter:", `{"data.amount":{"$gte":100}}`)
	var updated client.Webhook
	c.json(&updated, "webhooks", "update", created.ID, "--clear-filter")
	if f := string(updated.Filter); f != "" && f != "null" {
		t.Errorf("after --clear-filter: %s", f)
	}
	out := c.ok("webhooks", "filter-test", "--filter", `{"data.payment_total_raw": {"$gte": 100}}`, "--event-type", "payment_received")
	mustContain(t, "filter-test", out, "No match", "data.payment_total_raw is 29")
	out = c.ok("webhooks", "filter-test", "--filter", `{"data.n": 1}`, "--event-type", "payment_received", "--data", `{"n": 1}`)
	mustContain(t, "filter-test --data", out, "Matches")
	r := c.run("webhooks", "filter-test", "--filter", `{"data.n": {"$nope": 1}}`, "--event-type", "payment_received")
	if r.code == 0 || !strings.Contains(r.stderr, "$nope") {
		t.Errorf("bad filter: %s", r)
	}
}

// TestEventExplain: ?explain=true says which subscribed webhooks' filters
// kept an event from them, and why.
func TestEventExplain(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	big, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: "explain", Name: "Big", URL: "https://receiver.example.com/big",
		Events: []string{"payment_received"}, Filter: map[string]any{"data.amount": map[string]any{"$gte": 100}}, Active: client.Ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.WebhookUpdate(ctx, big.ID, client.WebhookUpdateParams{Active: client.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	res, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: "explain", Data: map[string]any{"amount": 5}})
	if err != nil || res.Deliveries != 0 {
		t.Fatalf("publish: %+v %v", res, err)
	}
	ev, err := api.EventExplain(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.SkippedByFilter) != 1 || ev.SkippedByFilter[0].WebhookID != big.ID ||
		!strings.Contains(ev.SkippedByFilter[0].Explanation, "data.amount is 5") {
		t.Errorf("skipped_by_filter %+v", ev.SkippedByFilter)
	}
	plain, err := api.EventGet(ctx, res.ID)
	if err != nil || plain.SkippedByFilter != nil {
		t.Errorf("without explain: %+v %v", plain.SkippedByFilter, err)
	}
}
