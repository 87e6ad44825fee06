package webhook

import (
	"maps"
	"testing"
)

func TestMaskedAndKeepMasked(t *testing.T) {
	old := Webhook{
		Headers:       map[string]string{"Authorization": "Bearer t0k", "X-Ref": "r3f", "X-Team": "billing", "X-Empty-Token": ""},
		SecretHeaders: []string{"X-Ref"},
	}
	m := old.Masked()
	want := map[string]string{"Authorization": MaskedValue, "X-Ref": MaskedValue, "X-Team": "billing", "X-Empty-Token": ""}
	if !maps.Equal(m.Headers, want) {
		t.Errorf("Masked: %v, want %v", m.Headers, want)
	}
	if old.Headers["Authorization"] != "Bearer t0k" {
		t.Errorf("Masked changed the webhook it was given")
	}
	for _, tc := range []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{"saved back as read", m.Headers, old.Headers},
		{"a new value replaces", map[string]string{"Authorization": "Bearer n3w", "X-Ref": MaskedValue},
			map[string]string{"Authorization": "Bearer n3w", "X-Ref": "r3f"}},
		{"name in another case", map[string]string{"authorization": MaskedValue},
			map[string]string{"authorization": "Bearer t0k"}},
		{"asterisks for a header not secret stay", map[string]string{"X-Team": MaskedValue},
			map[string]string{"X-Team": MaskedValue}},
		{"asterisks for a new secret header stay", map[string]string{"X-Api-Key": MaskedValue},
			map[string]string{"X-Api-Key": MaskedValue}},
		{"a removed header stays removed", map[string]string{"X-Team": "billing"},
			map[string]string{"X-Team": "billing"}},
	} {
		if got := KeepMasked(tc.in, old); !maps.Equal(got, tc.want) {
			t.Errorf("%s: KeepMasked(%v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}
