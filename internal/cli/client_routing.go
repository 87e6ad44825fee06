package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hookline/hookline/client"
)

// parseRateLimit reads --rate-limit: "50/s" (or /sec, /second) and
// "600/min" (or /m, /minute); "none" (allowed when clearing) is no
// limit, returned as client.NoRateLimit.
func parseRateLimit(cmd, v string, allowNone bool) (*client.RateLimit, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if allowNone && (v == "none" || v == "off") {
		return client.NoRateLimit, nil
	}
	num, unit, ok := strings.Cut(v, "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n < 1 {
		hint := ""
		if allowNone {
			hint = `, or "none" to remove it`
		}
		return nil, &usageError{msg: fmt.Sprintf("%s: --rate-limit %q: want requests per second or minute, like 50/s or 600/min%s", cmd, v, hint)}
	}
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		return &client.RateLimit{PerSecond: n}, nil
	case "m", "min", "minute":
		return &client.RateLimit{PerMinute: n}, nil
	}
	return nil, &usageError{msg: fmt.Sprintf("%s: --rate-limit %q: the unit is /s or /min", cmd, v)}
}

// rateText is a rate limit as --rate-limit writes it.
func rateText(r *client.RateLimit) string {
	switch {
	case r == nil:
		return ""
	case r.PerSecond > 0:
		return strconv.Itoa(r.PerSecond) + "/s"
	case r.PerMinute > 0:
		return strconv.Itoa(r.PerMinute) + "/min"
	}
	return ""
}
