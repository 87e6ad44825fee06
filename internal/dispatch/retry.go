package dispatch

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
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

func jitterRand() float64 { return rand.Float64() }

// Bounds on a Retry-After the receiver asks for: at least a second, so a
// "Retry-After: 0" cannot make a hot loop, and at most a day.
const (
	minRetryAfter = time.Second
	maxRetryAfter = 24 * time.Hour
)

// RetryAfter reads a Retry-After header (seconds or an HTTP date) relative
// to now and clamps it; ok is false when there is none or it is unreadable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, minRetryAfter), maxRetryAfter), true
}
