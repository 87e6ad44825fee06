package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func testAlerts(t *testing.T, open Opener) {
	t.Run("Channels", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		slack := alert.Channel{ID: "ach_1", Type: alert.TypeSlack, URL: "https://hooks.slack.example/services/T1/B2/xyz",
			Kinds: []alert.Kind{alert.KindFailing, alert.KindBacklog}, CreatedAt: t0}
		mail := alert.Channel{ID: "ach_2", Type: alert.TypeEmail, To: []string{"ops@example.com", "b@example.com"},
			Kinds: []alert.Kind{alert.KindDisabled}, Tenant: "acme", CreatedAt: at(time.Second)}
		ok(t, h.s.AlertChannelCreate(h.ctx, slack), "AlertChannelCreate slack")
		ok(t, h.s.AlertChannelCreate(h.ctx, mail), "AlertChannelCreate email")
		got, err := h.s.AlertChannelGet(h.ctx, slack.ID)
		ok(t, err, "AlertChannelGet")
		if !reflect.DeepEqual(got, slack) {
			t.Fatalf("AlertChannelGet = %+v, want %+v (the URL opened again)", got, slack)
		}
		list, err := h.s.AlertChannelList(h.ctx)
		ok(t, err, "AlertChannelList")
		if !reflect.DeepEqual(list, []alert.Channel{slack, mail}) {
			t.Fatalf("AlertChannelList = %+v, want slack then email", list)
		}
		ok(t, h.s.AlertChannelDelete(h.ctx, slack.ID), "AlertChannelDelete")
		wantCode(t, h.s.AlertChannelDelete(h.ctx, slack.ID), webhook.ENOTFOUND, "AlertChannelDelete again")
		_, err = h.s.AlertChannelGet(h.ctx, slack.ID)
		wantCode(t, err, webhook.ENOTFOUND, "AlertChannelGet deleted")
	})

	t.Run("StateMachine", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		open := func(now time.Time, want bool) {
			t.Helper()
			got, err := h.s.AlertOpen(h.ctx, store.AlertOpenParams{WebhookID: "wh_a", Kind: alert.KindFailing,
				Tenant: "acme", Detail: "12 of 15 failed", Now: now})
			ok(t, err, "AlertOpen")
			if got != want {
				t.Fatalf("AlertOpen at %s = %v, want %v", now.Sub(t0), got, want)
			}
		}
		one := func(what string) alert.State {
			t.Helper()
			l, err := h.s.AlertList(h.ctx)
			ok(t, err, "AlertList")
			if len(l) != 1 {
				t.Fatalf("%s: AlertList has %d alerts, want 1: %+v", what, len(l), l)
			}
			return l[0]
		}
		claim := func(n alert.Notice, sent bool, now time.Time, want bool) {
			t.Helper()
			got, err := h.s.AlertClaim(h.ctx, store.AlertClaimParams{WebhookID: "wh_a", Kind: alert.KindFailing,
				Notice: n, Sent: sent, Now: now})
			ok(t, err, "AlertClaim")
			if got != want {
				t.Fatalf("AlertClaim %q at %s = %v, want %v", n, now.Sub(t0), got, want)
			}
		}
		open(t0, true)
		open(at(time.Second), false) // already open: one alert, not two
		a := one("opened")
		if !a.Open() || a.Notice != alert.NoticeOpen || a.Notified || !a.OpenedAt.Equal(t0) || a.Tenant != "acme" ||
			a.Detail != "12 of 15 failed" {
			t.Fatalf("opened alert = %+v", a)
		}
		claim(alert.NoticeRecovery, true, at(2*time.Second), false) // not the notice due
		claim(alert.NoticeOpen, true, at(2*time.Second), true)
		claim(alert.NoticeOpen, true, at(2*time.Second), false) // claimed once only
		a = one("sent")
		if a.Notice != "" || !a.Notified || a.LastSentAt == nil || !a.LastSentAt.Equal(at(2*time.Second)) {
			t.Fatalf("after sending the opening: %+v", a)
		}
		closed, err := h.s.AlertResolve(h.ctx, "wh_a", alert.KindFailing, at(time.Hour), at(3*time.Second))
		ok(t, err, "AlertResolve")
		if closed {
			t.Fatal("AlertResolve of another opening closed the alert")
		}
		closed, err = h.s.AlertResolve(h.ctx, "wh_a", alert.KindFailing, a.OpenedAt, at(3*time.Second))
		ok(t, err, "AlertResolve")
		if !closed {
			t.Fatal("AlertResolve did not close the open alert")
		}
		a = one("resolved")
		if a.Open() || a.Notice != alert.NoticeRecovery {
			t.Fatalf("resolved alert = %+v, want closed with its recovery due", a)
		}
		claim(alert.NoticeRecovery, true, at(4*time.Second), true)
		if l, _ := h.s.AlertList(h.ctx); len(l) != 0 {
			t.Fatalf("a closed alert with nothing due is still listed: %+v", l)
		}

		// Reopened: its opening is suppressed (repeat interval), so its
		// recovery has nothing to follow and is dropped.
		open(at(10*time.Second), true)
		claim(alert.NoticeOpen, false, at(11*time.Second), true)
		a = one("suppressed")
		if a.Notified || a.LastSentAt == nil || !a.LastSentAt.Equal(at(2*time.Second)) {
			t.Fatalf("a suppressed opening changed what was sent: %+v", a)
		}
		closed, err = h.s.AlertResolve(h.ctx, "wh_a", alert.KindFailing, a.OpenedAt, at(12*time.Second))
		ok(t, err, "AlertResolve suppressed")
		if !closed {
			t.Fatal("AlertResolve did not close")
		}
		if l, _ := h.s.AlertList(h.ctx); len(l) != 0 {
			t.Fatalf("the recovery of an alert never announced is due: %+v", l)
		}

		// Another kind and the server-wide backlog are separate alerts.
		_, err = h.s.AlertOpen(h.ctx, store.AlertOpenParams{WebhookID: "wh_a", Kind: alert.KindDisabled, Now: at(20 * time.Second)})
		ok(t, err, "AlertOpen disabled")
		_, err = h.s.AlertOpen(h.ctx, store.AlertOpenParams{Kind: alert.KindBacklog, Detail: "25000 pending", Now: at(21 * time.Second)})
		ok(t, err, "AlertOpen backlog")
		l, err := h.s.AlertList(h.ctx)
		ok(t, err, "AlertList")
		if len(l) != 2 || l[0].Kind != alert.KindDisabled || l[1].Kind != alert.KindBacklog || l[1].WebhookID != "" {
			t.Fatalf("AlertList = %+v, want the disabled alert, then the backlog", l)
		}
	})

	t.Run("Rates", func(t *testing.T) {
		t.Parallel()
		h := setup(t, open)
		bad := h.createWebhook(inTenant("acme"), subscribed(typeOrderCreated))
		good := h.createWebhook(subscribed(typeOrderCreated))
		res := h.publish("acme", typeOrderCreated, t0)
		dBad := res.Deliveries[0]
		res = h.publish(webhook.DefaultTenant, typeOrderCreated, t0)
		dGood := res.Deliveries[0]
		// bad: 3 failures and 1 success in the window, 1 failure before it,
		// 1 failed test send; good: 2 successes.
		var results []store.AttemptResult
		for i, status := range []int{500, 0, 503, 200} {
			a := attemptOf(dBad, at(time.Duration(10+i)*time.Minute), status)
			a.Number = i + 2
			results = append(results, store.AttemptResult{Attempt: a, Outcome: store.OutcomeRetry, NextAttemptAt: at(time.Hour)})
		}
		old := attemptOf(dBad, at(time.Minute), 500)
		results = append(results, store.AttemptResult{Attempt: old, Outcome: store.OutcomeRetry, NextAttemptAt: at(time.Hour)})
		test := attemptOf(dBad, at(11*time.Minute), 500)
		test.Test, test.DeliveryID = true, ""
		results = append(results, store.AttemptResult{Attempt: test})
		for i := range 2 {
			a := attemptOf(dGood, at(time.Duration(10+i)*time.Minute), 200)
			a.Number = i + 1
			results = append(results, store.AttemptResult{Attempt: a, Outcome: store.OutcomeRetry, NextAttemptAt: at(time.Hour)})
		}
		h.record(results...)

		// good never failed: it is left out however many attempts it had.
		rates, err := h.s.AttemptFailureRates(h.ctx, at(5*time.Minute), 2)
		ok(t, err, "AttemptFailureRates")
		want := store.FailureRate{WebhookID: bad.ID, Tenant: "acme", Attempts: 4, Failed: 3}
		if len(rates) != 1 || rates[0] != want {
			t.Fatalf("AttemptFailureRates = %+v, want only %+v (not %s)", rates, want, good.ID)
		}
		if rates, err := h.s.AttemptFailureRates(h.ctx, at(12*time.Minute+30*time.Second), 1); err != nil || len(rates) != 0 {
			t.Fatalf("AttemptFailureRates after the last failure = %+v, %v; want none", rates, err)
		}
		rates, err = h.s.AttemptFailureRates(h.ctx, at(5*time.Minute), 3)
		ok(t, err, "AttemptFailureRates min 3")
		if len(rates) != 1 || rates[0].WebhookID != bad.ID {
			t.Fatalf("AttemptFailureRates with at least 3 = %+v, want only %s", rates, bad.ID)
		}

		for _, c := range []struct {
			since time.Time
			want  bool
		}{{at(12 * time.Minute), true}, {at(13 * time.Minute), false}} {
			got, err := h.s.AttemptSucceededSince(h.ctx, bad.ID, c.since)
			ok(t, err, "AttemptSucceededSince")
			if got != c.want {
				t.Fatalf("AttemptSucceededSince(%s) = %v, want %v", c.since.Sub(t0), got, c.want)
			}
		}
	})
}
