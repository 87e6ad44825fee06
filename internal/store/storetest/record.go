package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// testAttemptRecord checks that an attempt's destination, outcome and
// answer are stored and read back by every list.
func testAttemptRecord(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		retry := retried(d, at(time.Second), at(time.Minute))
		retry.Attempt.Destination, retry.Attempt.Outcome = webhook.DestinationHTTP, webhook.OutcomeRetry
		retry.Attempt.Answer = "503 Service Unavailable"
		h.record(retry)
		h.claim("a", at(time.Minute), 1)
		gone := store.AttemptResult{Attempt: attemptOf(d, at(time.Minute+time.Second), 410), Outcome: store.OutcomeFailed,
			DisableReason: "endpoint answered 410 Gone"}
		gone.Attempt.Destination, gone.Attempt.Outcome, gone.Attempt.Answer = webhook.DestinationHTTP, webhook.OutcomeDisabled, "410 Gone"
		test := attemptOf(webhook.Delivery{WebhookID: w.ID, EventID: "evt_sample", EventType: typeOrderCreated}, at(time.Hour), 0)
		test.Test, test.Destination, test.Outcome, test.Answer = true, webhook.DestinationHTTP, webhook.OutcomeFailed, "connection refused"
		h.record(gone, store.AttemptResult{Attempt: test})

		list, err := h.s.AttemptList(h.ctx, auth.AllTenants(), d.ID)
		ok(t, err, "AttemptList")
		if len(list) != 2 {
			t.Fatalf("AttemptList: got %d attempts, want 2", len(list))
		}
		equal(t, "AttemptList[0]", list[0], retry.Attempt, normAttempt)
		equal(t, "AttemptList[1]", list[1], gone.Attempt, normAttempt)
		byHook, err := h.s.AttemptListByWebhook(h.ctx, auth.AllTenants(), w.ID, 10)
		ok(t, err, "AttemptListByWebhook")
		if len(byHook) != 3 {
			t.Fatalf("AttemptListByWebhook: got %d attempts, want 3", len(byHook))
		}
		equal(t, "AttemptListByWebhook[0]", byHook[0], test, normAttempt)
		equal(t, "AttemptListByWebhook[2]", byHook[2], retry.Attempt, normAttempt)
	})

	t.Run("AnswerKeepsAnyText", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		h.createWebhook()
		d := h.deliver(t0)
		h.claim("a", t0, 1)
		r := succeeded(d, at(time.Second))
		// A reason phrase is whatever the receiver sent.
		r.Attempt.Destination, r.Attempt.Outcome, r.Attempt.Answer = webhook.DestinationHTTP, webhook.OutcomeDelivered, "200 Très bien ✓"
		h.record(r)
		list, err := h.s.AttemptList(h.ctx, auth.AllTenants(), d.ID)
		ok(t, err, "AttemptList")
		if len(list) != 1 || list[0].Answer != r.Attempt.Answer {
			t.Errorf("AttemptList: %+v, want the answer %q", list, r.Attempt.Answer)
		}
	})
}

// testWebhookDestination checks a webhook's destination type and secret
// headers through create, update and every read.
func testWebhookDestination(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook(func(w *webhook.Webhook) {
			w.Headers = map[string]string{"X-Partner-Token": "tok", "X-Team": "billing", "X-Ref": "r"}
			w.SecretHeaders = []string{"X-Partner-Token", "X-Ref"}
			w.Destination = webhook.Destination{Type: webhook.DestinationHTTP}
		})
		got := h.webhook(w.ID)
		equal(t, "WebhookGet", got, w, normWebhook)
		if got.Destination.Type != webhook.DestinationHTTP || !slices.Equal(got.SecretHeaders, w.SecretHeaders) {
			t.Errorf("WebhookGet: destination %+v, secret headers %v; want http, %v", got.Destination, got.SecretHeaders, w.SecretHeaders)
		}

		upd := got
		upd.SecretHeaders = []string{"X-Team"}
		upd.UpdatedAt = at(time.Hour)
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), upd), "WebhookUpdate")
		equal(t, "WebhookGet after update", h.webhook(w.ID), upd, normWebhook)

		upd.SecretHeaders = nil
		ok(t, h.s.WebhookUpdate(h.ctx, auth.AllTenants(), upd), "WebhookUpdate clearing secret headers")
		if got := h.webhook(w.ID); len(got.SecretHeaders) != 0 {
			t.Errorf("secret headers after clearing them: %v, want none", got.SecretHeaders)
		}
		page, err := h.s.WebhookList(h.ctx, store.WebhookListParams{Scope: auth.AllTenants()})
		ok(t, err, "WebhookList")
		if len(page.Webhooks) != 1 || page.Webhooks[0].Destination.Type != webhook.DestinationHTTP {
			t.Errorf("WebhookList: %+v, want the webhook with destination http", page.Webhooks)
		}
	})

	t.Run("DefaultsToHTTP", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		w := h.createWebhook() // no destination, no secret headers
		got := h.webhook(w.ID)
		if got.Destination.Type != webhook.DestinationHTTP {
			t.Errorf("destination of a webhook stored without one: %q, want %q", got.Destination.Type, webhook.DestinationHTTP)
		}
		if got.SecretHeaders == nil || len(got.SecretHeaders) != 0 {
			t.Errorf("secret headers of a webhook stored without any: %#v, want an empty list", got.SecretHeaders)
		}
	})
}
