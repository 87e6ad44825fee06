package sqlite

import (
	"encoding/json"
	"net/http"
	"testing"
)

// headerJSON writes what json.Marshal writes, on its fast path and off it.
func TestHeaderJSONMatchesMarshal(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
	}{
		{"empty", http.Header{}},
		{"usual", http.Header{
			"Content-Type": {"application/json"}, "User-Agent": {"Hookline/1.0"},
			"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
			"Date":              {"Mon, 07 Dec 2026 20:00:00 GMT"},
		}},
		{"several values", http.Header{"X-A": {"1", "2", ""}, "X-B": {}}},
		{"nil values", http.Header{"X-Nil": nil}},
		{"quote and backslash", http.Header{"X-Q": {`say "hi" \o/`}}},
		{"html", http.Header{"Link": {"<https://a.example/?a=1&b=2>; rel=next"}}},
		{"control", http.Header{"X-C": {"a\tb\x01"}}},
		{"unicode", http.Header{"X-U": {"grüße ✓"}}},
		{"invalid utf-8", http.Header{"X-I": {"a\xffb"}}},
		{"odd key", http.Header{"x-\"k": {"v"}}},
		{"del", http.Header{"X-D": {"a\x7f"}}},
	}
	for _, tt := range tests {
		want, err := json.Marshal(tt.h)
		if err != nil {
			t.Fatal(err)
		}
		if got := headerJSON(tt.h); got != string(want) {
			t.Errorf("%s: headerJSON = %s, want %s", tt.name, got, want)
		}
	}
	if got := headerJSON(nil); got != "{}" {
		t.Errorf("nil: headerJSON = %s, want {}", got)
	}
}

func BenchmarkHeaderJSON(b *testing.B) {
	h := http.Header{
		"Content-Type": {"application/json"}, "User-Agent": {"Hookline/1.0"}, "Webhook-Id": {"evt_01J0000000000000000000000"},
		"Webhook-Timestamp": {"1700000000"}, "Webhook-Event": {"order.created"},
		"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
	}
	b.Run("headerJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			headerJSON(h)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			jsonText(h)
		}
	})
}
