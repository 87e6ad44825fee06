package webhook_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/hookline/hookline/internal/webhook"
)

func TestSecretHeader(t *testing.T) {
	t.Parallel()
	marked := []string{"x-partner-ref"}
	for name, want := range map[string]bool{
		"Authorization":       true,
		"proxy-authorization": true,
		"Cookie":              true,
		"Set-Cookie":          true,
		"X-Api-Key":           true,
		"X-APIKEY":            true,
		"X-Auth-Token":        true,
		"X-Client-Secret":     true,
		"X-Password":          true,
		"X-Partner-Ref":       true, // marked by the webhook
		"X-Credentials":       true,
		"Webhook-Signature":   false, // an HMAC, not a credential
		"Webhook-Id":          false,
		"Content-Type":        false,
		"X-Team":              false,
		"X-Partner":           false,
	} {
		if got := webhook.SecretHeader(name, marked); got != want {
			t.Errorf("SecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMaskHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{
		"Authorization":     {"Bearer abc123"},
		"X-Partner-Ref":     {"p-1", "p-2"},
		"X-Api-Key":         {"k"},
		"X-Empty-Token":     {""},
		"Webhook-Signature": {"v1,c2ln"},
		"X-Team":            {"billing"},
	}
	orig := h.Clone()
	got := webhook.MaskHeaders(h, []string{"X-PARTNER-REF"})
	want := http.Header{
		"Authorization":     {"Bearer " + webhook.MaskedValue},
		"X-Partner-Ref":     {webhook.MaskedValue, webhook.MaskedValue},
		"X-Api-Key":         {webhook.MaskedValue},
		"X-Empty-Token":     {""},
		"Webhook-Signature": {"v1,c2ln"},
		"X-Team":            {"billing"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MaskHeaders:\n got %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(h, orig) {
		t.Errorf("MaskHeaders changed its argument: %v, was %v", h, orig)
	}

	plain := http.Header{"X-Team": {"billing"}}
	if got := webhook.MaskHeaders(plain, nil); !reflect.DeepEqual(got, plain) {
		t.Errorf("MaskHeaders without secrets = %v, want %v", got, plain)
	}
	if got := webhook.MaskHeaders(nil, nil); got != nil {
		t.Errorf("MaskHeaders(nil) = %v, want nil", got)
	}
}

func TestAttemptAnswers(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{200: "200 OK", 503: "503 Service Unavailable", 599: "599"} {
		if got := webhook.StatusLine(code); got != want {
			t.Errorf("StatusLine(%d) = %q, want %q", code, got, want)
		}
	}
	if got := webhook.ErrClassConnectionRefused.Answer(); got != "connection refused" {
		t.Errorf("connection refused answer %q", got)
	}
	if got := webhook.ErrClassTimeout.Answer(); got != "timed out" {
		t.Errorf("timeout answer %q", got)
	}
	if got := webhook.ErrClassNone.Answer(); got != "" {
		t.Errorf("no error class answer %q, want empty", got)
	}
}

// Every attempt masks its request and response headers: the common case,
// nothing secret, must not allocate.
func BenchmarkMaskHeaders(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Hookline/1"}, "Webhook-Id": {"evt_x"},
		"Webhook-Timestamp": {"1"}, "Webhook-Event": {"a.b"}, "Webhook-Signature": {"v1,xx"}}
	b.ReportAllocs()
	for b.Loop() {
		webhook.MaskHeaders(h, nil)
	}
}
