package cli

import (
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		allowNone bool
		want      client.RateLimit
		err       string
	}{
		{in: "50/s", want: client.RateLimit{PerSecond: 50}},
		{in: " 7/Second ", want: client.RateLimit{PerSecond: 7}},
		{in: "600/min", want: client.RateLimit{PerMinute: 600}},
		{in: "1/m", want: client.RateLimit{PerMinute: 1}},
		{in: "none", allowNone: true, want: client.RateLimit{}},
		{in: "none", err: "like 50/s"},
		{in: "50", err: "like 50/s"},
		{in: "0/s", err: "like 50/s"},
		{in: "-3/s", err: "like 50/s"},
		{in: "5/h", err: "the unit is /s or /min"},
		{in: "x/s", allowNone: true, err: `or "none" to remove it`},
	}
	for _, tt := range tests {
		got, err := parseRateLimit("create", tt.in, tt.allowNone)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want one saying %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || *got != tt.want {
			t.Errorf("%q: %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for in, want := range map[client.RateLimit]string{{PerSecond: 50}: "50/s", {PerMinute: 600}: "600/min", {}: ""} {
		if got := rateText(&in); got != want {
			t.Errorf("rateText(%+v) = %q, want %q", in, got, want)
		}
	}
}
