// Package retry is the retry policy: the schedule of waits between
// attempts, its jitter, and the bounds on a wait a destination asks for.
package retry

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// DefaultSchedule is the delay before each retry: after the first attempt
// fails, the second comes 5 s later, then 5 min, 30 min, 2 h, 5 h, 10 h and
// 10 h: eight attempts over about 27.5 hours, enough to ride out a receiver's
// overnight outage.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// ParseSchedule reads a comma-separated list of durations ("5s,5m,30m").
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("retry schedule entry %d %q: not a duration like 5s, 5m or 2h", i+1, part)
		}
		if d <= 0 {
			return nil, fmt.Errorf("retry schedule entry %d %q: must be positive", i+1, part)
		}
		out = append(out, d)
	}
	return out, nil
}

// Jitter spreads retries by ±fraction so that deliveries that failed
// together (an endpoint outage) do not all come back at the same instant.
const Jitter = 0.10

// NextRetry returns the delay before the attempt after attempt number
// `failed` (1-based), and false when the schedule is exhausted. r in [0,1)
// picks the jitter; pass rand.Float64().
func NextRetry(schedule []time.Duration, failed int, r float64) (time.Duration, bool) {
	if failed < 1 || failed > len(schedule) {
		return 0, false
	}
	base := schedule[failed-1]
	j := (r*2 - 1) * Jitter // in [-Jitter, +Jitter)
	return base + time.Duration(float64(base)*j), true
}

// Rand is the jitter source for NextRetry.
func Rand() float64 { return rand.Float64() }

// Bounds on a wait the destination asks for (HTTP Retry-After): at least
// a second, so "Retry-After: 0" cannot make a hot loop, and at most a day.
const (
	MinAfter = time.Second
	MaxAfter = 24 * time.Hour
)

// ClampAfter bounds a wait a destination asked for.
func ClampAfter(d time.Duration) time.Duration { return min(max(d, MinAfter), MaxAfter) }
