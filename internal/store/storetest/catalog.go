package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func eventType(slug, name string, custom bool) webhook.EventType {
	return webhook.EventType{
		Slug: slug, Name: name, Description: "When " + slug + " happens.",
		Example: json.RawMessage(`{"id":"` + slug + `_1"}`), Custom: custom, CreatedAt: t0,
	}
}

func normEventType(et webhook.EventType) webhook.EventType {
	et.CreatedAt = normTime(et.CreatedAt)
	if len(et.Schema) == 0 {
		et.Schema = nil
	}
	if len(et.Example) == 0 {
		et.Example = nil
	}
	return et
}

func testEventTypes(t *testing.T, open Opener) {
	t.Run("SeedInsertsMissingOnly", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		// A user edited order.created before this seed ran (an edit is a
		// row that differs from the built-in definition).
		edited := eventType(typeOrderCreated, "Order placed (our wording)", false)
		edited.Description = "Edited by a user."
		ok(t, h.s.EventTypeCreate(h.ctx, edited), "EventTypeCreate")

		seed := []webhook.EventType{
			eventType(typeOrderCreated, "Order created", false),
			eventType(typeOrderPaid, "Order paid", false),
		}
		ok(t, h.s.EventTypeSeed(h.ctx, seed), "EventTypeSeed")
		// Seeding again, with a new type and a changed definition of a
		// seeded one, adds the new type only.
		changed := eventType(typeOrderPaid, "Order paid v2", false)
		ok(t, h.s.EventTypeSeed(h.ctx, []webhook.EventType{changed, eventType(typeUserSignup, "Signup", false)}), "EventTypeSeed again")

		want := map[string]webhook.EventType{
			typeOrderCreated: edited,
			typeOrderPaid:    seed[1],
			typeUserSignup:   eventType(typeUserSignup, "Signup", false),
		}
		list, err := h.s.EventTypeList(h.ctx)
		ok(t, err, "EventTypeList")
		if len(list) != len(want) {
			t.Fatalf("EventTypeList: got %d types, want %d", len(list), len(want))
		}
		for slug, w := range want {
			got, err := h.s.EventTypeGet(h.ctx, slug)
			ok(t, err, "EventTypeGet "+slug)
			equal(t, "EventTypeGet "+slug, got, w, normEventType)
		}
	})

	t.Run("CreateConflict", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		et := eventType("invoice.sent", "Invoice sent", true)
		ok(t, h.s.EventTypeCreate(h.ctx, et), "EventTypeCreate")
		err := h.s.EventTypeCreate(h.ctx, eventType("invoice.sent", "Another", true))
		wantCode(t, err, webhook.ECONFLICT, "EventTypeCreate of an existing slug")
		got, err := h.s.EventTypeGet(h.ctx, "invoice.sent")
		ok(t, err, "EventTypeGet")
		equal(t, "the conflicting create changed nothing", got, et, normEventType)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		et := eventType("invoice.sent", "Invoice sent", true)
		et.Schema = json.RawMessage(`{"type":"object"}`)
		ok(t, h.s.EventTypeCreate(h.ctx, et), "EventTypeCreate")
		other := eventType("invoice.paid", "Invoice paid", true)
		ok(t, h.s.EventTypeCreate(h.ctx, other), "EventTypeCreate")

		changed := et
		changed.Name, changed.Description = "Invoice sent (v2)", "Sent to the customer."
		changed.Example, changed.Schema = json.RawMessage(`{"id":"inv_2"}`), nil
		changed.Deprecated = true
		changed.Custom, changed.CreatedAt = false, t0.Add(time.Hour) // neither is changed by an update
		ok(t, h.s.EventTypeUpdate(h.ctx, changed), "EventTypeUpdate")
		got, err := h.s.EventTypeGet(h.ctx, et.Slug)
		ok(t, err, "EventTypeGet")
		want := changed
		want.Custom, want.CreatedAt = true, t0
		equal(t, "EventTypeGet after the update", got, want, normEventType)
		got, err = h.s.EventTypeGet(h.ctx, other.Slug)
		ok(t, err, "EventTypeGet")
		equal(t, "the other type", got, other, normEventType)

		wantCode(t, h.s.EventTypeUpdate(h.ctx, eventType("no.such.type", "X", true)), webhook.ENOTFOUND,
			"EventTypeUpdate of an unknown slug")
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		_, err := h.s.EventTypeGet(h.ctx, "no.such.type")
		wantCode(t, err, webhook.ENOTFOUND, "EventTypeGet")
	})

	t.Run("ListBuiltinsThenCustom", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		ok(t, h.s.EventTypeSeed(h.ctx, []webhook.EventType{
			eventType("b.one", "B1", false), eventType("b.two", "B2", false),
		}), "EventTypeSeed")
		ok(t, h.s.EventTypeCreate(h.ctx, eventType("a.custom", "C1", true)), "EventTypeCreate")
		ok(t, h.s.EventTypeCreate(h.ctx, eventType("z.custom", "C2", true)), "EventTypeCreate")
		// A built-in added by a later release's seed still lists before
		// the custom types.
		ok(t, h.s.EventTypeSeed(h.ctx, []webhook.EventType{eventType("c.three", "B3", false)}), "EventTypeSeed")

		list, err := h.s.EventTypeList(h.ctx)
		ok(t, err, "EventTypeList")
		var slugs []string
		for _, et := range list {
			slugs = append(slugs, et.Slug)
		}
		if !sameSet(slugs, []string{"b.one", "b.two", "c.three", "a.custom", "z.custom"}) {
			t.Fatalf("EventTypeList: got %v", slugs)
		}
		for i := 1; i < len(list); i++ {
			if list[i-1].Custom && !list[i].Custom {
				t.Fatalf("EventTypeList: built-in %q listed after custom %q: %v", list[i].Slug, list[i-1].Slug, slugs)
			}
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		withSchema := eventType("order.refunded", "Order refunded", true)
		withSchema.Schema = json.RawMessage(`{"type": "object", "required": ["id", "amount"],
  "properties": {"amount": {"type": "integer", "minimum": 0}}}`)
		withSchema.Example = json.RawMessage(`{ "id": "ord_1",  "amount": 1200 }`)
		withSchema.CreatedAt = at(90061001 * time.Microsecond) // an odd microsecond count
		noSchema := eventType("order.viewed", "Order viewed", false)
		for _, et := range []webhook.EventType{withSchema, noSchema} {
			ok(t, h.s.EventTypeCreate(h.ctx, et), "EventTypeCreate "+et.Slug)
			got, err := h.s.EventTypeGet(h.ctx, et.Slug)
			ok(t, err, "EventTypeGet "+et.Slug)
			equal(t, "EventTypeGet "+et.Slug, got, et, normEventType)
			if string(got.Schema) != string(et.Schema) || string(got.Example) != string(et.Example) {
				t.Errorf("%s: schema/example bytes changed: got %s / %s", et.Slug, got.Schema, got.Example)
			}
		}
	})
}
