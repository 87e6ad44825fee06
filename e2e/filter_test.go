package e2e

import (
	"context"
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
