package problem

import (
	"log/slog"
	"sync"
	"time"
)

// unavailableEvery is how often an outage is logged: one line per
// interval with the number of refusals since the last, rather than a
// line per refused request (thousands a minute during an outage).
const unavailableEvery = 10 * time.Second

var unavailable struct {
	mu      sync.Mutex
	last    time.Time
	refused int
}

// now is the clock of the outage summary; tests replace it.
var now = time.Now

// WarnUnavailable logs that a request was refused because storage is
// unavailable: the first refusal of an interval at once, the rest as a
// count in the next line.
func WarnUnavailable(log *slog.Logger, err error, requestID string) {
	unavailable.mu.Lock()
	t := now()
	if !unavailable.last.IsZero() && t.Sub(unavailable.last) < unavailableEvery {
		unavailable.refused++
		unavailable.mu.Unlock()
		return
	}
	refused := unavailable.refused
	unavailable.last, unavailable.refused = t, 0
	unavailable.mu.Unlock()
	log.Warn("service unavailable: storage refuses requests", "err", err, "request_id", requestID,
		"refused_since_last_line", refused)
}
