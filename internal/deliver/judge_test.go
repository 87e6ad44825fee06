package deliver_test

import (
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// TestJudgeDown: which failures say the endpoint is down (the breaker
// counts them) rather than refusing one request.
func TestJudgeDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    webhook.Attempt
		want bool
	}{
		{webhook.Attempt{StatusCode: 200}, false},
		{webhook.Attempt{StatusCode: 400, ErrorClass: webhook.ErrClassHTTPStatus}, false},
		{webhook.Attempt{StatusCode: 410, ErrorClass: webhook.ErrClassHTTPStatus}, false},
		{webhook.Attempt{StatusCode: 429, ErrorClass: webhook.ErrClassHTTPStatus}, true},
		{webhook.Attempt{StatusCode: 502, ErrorClass: webhook.ErrClassHTTPStatus}, true},
		{webhook.Attempt{ErrorClass: webhook.ErrClassConnectionRefused}, true},
		{webhook.Attempt{ErrorClass: webhook.ErrClassTimeout}, true},
		{webhook.Attempt{ErrorClass: webhook.ErrClassBlocked}, false},
		{webhook.Attempt{StatusCode: 302, ErrorClass: webhook.ErrClassRedirect}, false},
	}
	for _, tt := range tests {
		if got := deliver.Judge(&tt.a, time.Now()).Down; got != tt.want {
			t.Errorf("Judge(%d %q) = %v, want %v", tt.a.StatusCode, tt.a.ErrorClass, got, tt.want)
		}
	}
}

// TestJudgeKind: what an answer means for the delivery.
func TestJudgeKind(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		a    webhook.Attempt
		want deliver.Kind
	}{
		{webhook.Attempt{StatusCode: 200}, deliver.Delivered},
		{webhook.Attempt{StatusCode: 204}, deliver.Delivered},
		{webhook.Attempt{StatusCode: 500, ErrorClass: webhook.ErrClassHTTPStatus}, deliver.Retry},
		{webhook.Attempt{StatusCode: 400, ErrorClass: webhook.ErrClassHTTPStatus}, deliver.Retry},
		{webhook.Attempt{StatusCode: 410, ErrorClass: webhook.ErrClassHTTPStatus}, deliver.Disable},
		// A loop (another Hookline refusing the hop) never ends by retrying.
		{webhook.Attempt{StatusCode: 508, ErrorClass: webhook.ErrClassHTTPStatus}, deliver.Permanent},
		{webhook.Attempt{StatusCode: 429, ErrorClass: webhook.ErrClassHTTPStatus,
			ResponseHeaders: map[string][]string{"Retry-After": {"7"}}}, deliver.RetryAfter},
		{webhook.Attempt{ErrorClass: webhook.ErrClassConnectionRefused}, deliver.Retry},
	}
	for _, tt := range tests {
		if got := deliver.Judge(&tt.a, now).Kind; got != tt.want {
			t.Errorf("Judge(%d %q) = %v, want %v", tt.a.StatusCode, tt.a.ErrorClass, got, tt.want)
		}
	}
}
