package dashboard

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func TestRetriedNotice(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	q := url.Values{"notice": {"retried"}, "retried": {"dlv_1"}, "at": {strconv.FormatInt(at.UnixMicro(), 10)}}
	attempt := func(n int, started time.Time, o webhook.AttemptOutcome, answer string, test bool) attemptView {
		return attemptView{Attempt: webhook.Attempt{Number: n, StartedAt: started, Outcome: o, Answer: answer, Test: test}}
	}
	before := attempt(1, at.Add(-time.Minute), webhook.OutcomeRetry, "500 Internal Server Error", false)
	for _, tc := range []struct {
		name     string
		q        url.Values
		attempts []attemptView // newest first
		want     string
		ok       bool
	}{
		{"nothing since: the default notice", q, []attemptView{before}, "", false},
		{"failed since, more to come", q, []attemptView{attempt(2, at.Add(time.Millisecond), webhook.OutcomeRetry, "500 Internal Server Error", false), before},
			"Retried: attempt 2 failed (500 Internal Server Error); the next attempt follows the retry schedule.", true},
		{"failed finally", q, []attemptView{attempt(2, at, webhook.OutcomeFailed, "connection refused", false), before},
			"Retried: attempt 2 failed (connection refused).", true},
		{"delivered", q, []attemptView{attempt(2, at.Add(time.Second), webhook.OutcomeDelivered, "200 OK", false), before},
			"Retried: attempt 2 was delivered (200 OK).", true},
		{"a test send is not the retry", q, []attemptView{attempt(0, at.Add(time.Second), webhook.OutcomeDelivered, "200 OK", true), before}, "", false},
		{"another delivery", url.Values{"notice": {"retried"}, "retried": {"dlv_2"}, "at": q["at"]},
			[]attemptView{attempt(2, at.Add(time.Second), webhook.OutcomeDelivered, "200 OK", false)}, "", false},
		{"no time", url.Values{"notice": {"retried"}, "retried": {"dlv_1"}},
			[]attemptView{attempt(2, at.Add(time.Second), webhook.OutcomeDelivered, "200 OK", false)}, "", false},
	} {
		row := deliveryRow{Delivery: webhook.Delivery{ID: "dlv_1"}, AttemptList: tc.attempts}
		got, ok := retriedNotice(tc.q, row)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
