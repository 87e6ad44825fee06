package postgres

import "testing"

func TestWakeHintPayload(t *testing.T) {
	t.Parallel()
	var none wakeHint
	none.merge(wakeHint{})
	if none.any {
		t.Error("merging nothing asked for a wake-up")
	}
	tests := []struct {
		name string
		add  func(h *wakeHint)
		want string
	}{
		{"one owner", func(h *wakeHint) { h.addOwner(3, 7) }, "3:1"},
		{"owners sorted, once each", func(h *wakeHint) {
			h.addOwner(4, 6)
			h.addOwner(4, 1)
			h.addOwner(4, 10)
		}, "4:1,2"},
		{"no sharding: everyone", func(h *wakeHint) { h.addOwner(1, 7) }, ""},
		{"shardings differ: everyone", func(h *wakeHint) {
			h.addOwner(3, 1)
			h.addOwner(2, 1)
		}, ""},
		{"merged", func(h *wakeHint) {
			var a, b wakeHint
			a.addOwner(3, 0)
			b.addOwner(3, 2)
			h.merge(a)
			h.merge(b)
		}, "3:0,2"},
		{"merged with everyone", func(h *wakeHint) {
			h.addOwner(3, 0)
			h.merge(wakeEveryone)
			h.addOwner(3, 1)
		}, ""},
	}
	for _, tt := range tests {
		var h wakeHint
		tt.add(&h)
		if !h.any || h.payload() != tt.want {
			t.Errorf("%s: any %v payload %q, want %q", tt.name, h.any, h.payload(), tt.want)
		}
	}
}

func TestWorkConcerns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		payload      string
		count, index int
		want         bool
	}{
		{"", 3, 1, true},
		{"3:1", 3, 1, true},
		{"3:0,2", 3, 1, false},
		{"3:0,1,2", 3, 2, true},
		{"2:0", 3, 1, true}, // another sharding: look
		{"3:x", 3, 1, true}, // unreadable: look
		{"garbage", 3, 1, true},
		{"1:0", 1, 0, true},
	}
	for _, tt := range tests {
		if got := WorkConcerns(tt.payload, tt.count, tt.index); got != tt.want {
			t.Errorf("WorkConcerns(%q, %d, %d) = %v, want %v", tt.payload, tt.count, tt.index, got, tt.want)
		}
	}
}
