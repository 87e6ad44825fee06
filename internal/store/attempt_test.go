package store_test

import (
	"testing"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func TestOutcomeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o       store.Outcome
		disable string
		want    webhook.AttemptOutcome
	}{
		{store.OutcomeSucceeded, "", webhook.OutcomeDelivered},
		{store.OutcomeRetry, "", webhook.OutcomeRetry},
		{store.OutcomeFailed, "", webhook.OutcomeFailed},
		{store.OutcomeFailed, "endpoint answered 410 Gone", webhook.OutcomeDisabled},
		{0, "", ""},
	}
	for _, tt := range tests {
		if got := store.OutcomeName(tt.o, tt.disable); got != tt.want {
			t.Errorf("OutcomeName(%d, %q) = %q, want %q", tt.o, tt.disable, got, tt.want)
		}
	}
}

func TestFillOlderAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a       webhook.Attempt
		outcome webhook.AttemptOutcome
		answer  string
	}{
		{"delivered", webhook.Attempt{StatusCode: 204}, webhook.OutcomeDelivered, "204 No Content"},
		{"gone", webhook.Attempt{StatusCode: 410, ErrorClass: webhook.ErrClassHTTPStatus}, webhook.OutcomeDisabled, "410 Gone"},
		{"failed test", webhook.Attempt{Test: true, StatusCode: 410, ErrorClass: webhook.ErrClassHTTPStatus}, webhook.OutcomeFailed, "410 Gone"},
		{"unknown after a 5xx", webhook.Attempt{StatusCode: 503, ErrorClass: webhook.ErrClassHTTPStatus}, "", "503 Service Unavailable"},
		{"unknown after a timeout", webhook.Attempt{ErrorClass: webhook.ErrClassTimeout}, "", "timed out"},
		{"cancelled", webhook.Attempt{ErrorClass: webhook.ErrClassCancelled}, webhook.OutcomeFailed, "not sent"},
	}
	for _, tt := range tests {
		a := tt.a
		store.FillOlderAttempt(&a)
		if a.Destination != webhook.DestinationHTTP || a.Outcome != tt.outcome || a.Answer != tt.answer {
			t.Errorf("%s: destination %q, outcome %q, answer %q; want http, %q, %q",
				tt.name, a.Destination, a.Outcome, a.Answer, tt.outcome, tt.answer)
		}
	}
}
