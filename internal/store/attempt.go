package store

import "github.com/hookline/hookline/internal/webhook"

// OutcomeName is the outcome an attempt records for the consequence the
// dispatcher decided: disabled when the result turns the webhook off
// (disable is the reason), else delivered, retry or failed. It is empty
// for a zero Outcome (test sends, which set their own).
func OutcomeName(o Outcome, disable string) webhook.AttemptOutcome {
	switch {
	case disable != "":
		return webhook.OutcomeDisabled
	case o == OutcomeSucceeded:
		return webhook.OutcomeDelivered
	case o == OutcomeRetry:
		return webhook.OutcomeRetry
	case o == OutcomeFailed:
		return webhook.OutcomeFailed
	}
	return ""
}

// FillOlderAttempt completes an attempt stored by a release that did not
// record destination, outcome and answer (their columns are NULL), as far
// as the row allows:
//   - destination is "http", the only type there was;
//   - answer is the status line built from the status code ("503 Service
//     Unavailable"), or the summary of the error class ("timed out");
//   - outcome is delivered for a 2xx answer; disabled for a 410 Gone (it
//     always turned the webhook off); failed for a test send that did not
//     succeed or a delivery ended unsent (ErrClassCancelled); and empty
//     for any other failure, since whether a retry followed it was not
//     recorded.
//
// Backends call it on read, so upgrading rewrites no attempt rows.
func FillOlderAttempt(a *webhook.Attempt) {
	a.Destination = webhook.DestinationHTTP
	if a.StatusCode != 0 {
		a.Answer = webhook.StatusLine(a.StatusCode)
	} else {
		a.Answer = a.ErrorClass.Answer()
	}
	switch {
	case a.Success():
		a.Outcome = webhook.OutcomeDelivered
	case a.Test, a.ErrorClass == webhook.ErrClassCancelled:
		a.Outcome = webhook.OutcomeFailed
	case a.StatusCode == 410:
		a.Outcome = webhook.OutcomeDisabled
	default:
		a.Outcome = ""
	}
}
