package retry

import (
	"testing"
	"time"
)

func TestNextRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		failed int
		r      float64
		want   time.Duration
		ok     bool
	}{
		{"first failure, no jitter", 1, 0.5, 5 * time.Second, true},
		{"first failure, lowest jitter", 1, 0, 4500 * time.Millisecond, true},
		{"first failure, near highest jitter", 1, 0.999999, 5500 * time.Millisecond, true},
		{"second failure", 2, 0.5, 5 * time.Minute, true},
		{"third failure", 3, 0.5, 30 * time.Minute, true},
		{"fourth failure", 4, 0.5, 2 * time.Hour, true},
		{"fifth failure", 5, 0.5, 5 * time.Hour, true},
		{"sixth failure", 6, 0.5, 10 * time.Hour, true},
		{"seventh failure", 7, 0.5, 10 * time.Hour, true},
		{"eighth failure: schedule exhausted", 8, 0.5, 0, false},
		{"nonsense attempt number", 0, 0.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextRetry(DefaultSchedule, tt.failed, tt.r)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("delay = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextRetryJitterBounds(t *testing.T) {
	t.Parallel()
	for i := range 1000 {
		r := float64(i) / 1000
		d, _ := NextRetry(DefaultSchedule, 2, r)
		if d < 270*time.Second || d > 330*time.Second {
			t.Fatalf("r=%v: delay %v outside 5m ±10%%", r, d)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []time.Duration
		wantErr bool
	}{
		{"5s,5m,30m,2h,5h,10h,10h", DefaultSchedule, false},
		{" 1s , 2s ", []time.Duration{time.Second, 2 * time.Second}, false},
		{"5s,,5m", nil, true},
		{"5x", nil, true},
		{"-1s", nil, true},
		{"0s", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%q: err = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if !tt.wantErr && !equal(got, tt.want) {
			t.Fatalf("%q: got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
