package dispatch

import "time"

// limiter is a webhook's rate limit as a sliding window: it remembers when
// each request of the last period started and lets another start only
// while fewer than n did, so any interval of one period holds at most n
// starts, whatever its alignment. A webhook's limiter outlives its lane
// (lanes come and go with their work) until a period passed without a
// start.
//
// The limit is enforced where the webhook's deliveries run: in the one
// instance whose shard holds the webhook (see Shard). It costs no
// database write per request; the price is that while instances join or
// leave, the old and the new owner of a webhook may both send for a
// moment (until the old one's held work is done).
type limiter struct {
	n      int
	period time.Duration
	// starts holds the start times still in the window, oldest first.
	starts []time.Time
}

// expire drops the starts that left the window ending at now.
func (r *limiter) expire(now time.Time) {
	cut := now.Add(-r.period)
	i := 0
	for i < len(r.starts) && !r.starts[i].After(cut) {
		i++
	}
	if i == 0 {
		return
	}
	r.starts = r.starts[i:]
	if len(r.starts) == 0 {
		r.starts = nil // let a big window's memory go
	}
}

// nextAt returns when another request may start: now or earlier when it
// may start at once.
func (r *limiter) nextAt(now time.Time) time.Time {
	r.expire(now)
	if len(r.starts) < r.n {
		return now
	}
	// The request that has to leave the window first.
	return r.starts[len(r.starts)-r.n].Add(r.period)
}

// allows reports whether a request may start now.
func (r *limiter) allows(now time.Time) bool { return !r.nextAt(now).After(now) }

// take counts a request that starts now.
func (r *limiter) take(now time.Time) { r.starts = append(r.starts, now) }

// idle reports whether no request started within the last period: the
// limiter then holds nothing worth keeping.
func (r *limiter) idle(now time.Time) bool {
	r.expire(now)
	return len(r.starts) == 0
}

// maxIdleLimiters is how many limiters of webhooks without work the
// scheduler keeps before it drops the idle ones.
const maxIdleLimiters = 1000

// setRate sets the rate limit of webhook id: n requests per period, or
// none when n is 0. A lane waiting for a limit that changed is looked at
// again. It reports whether anything changed.
func (s *scheduler) setRate(id string, n int, period time.Duration, now time.Time) (changed bool) {
	r := s.limiters[id]
	switch {
	case n <= 0 && r == nil:
		return false
	case n <= 0:
		delete(s.limiters, id)
		r = nil
	case r == nil:
		if len(s.limiters) >= maxIdleLimiters {
			for hid, old := range s.limiters {
				if s.lanes[hid] == nil && old.idle(now) {
					delete(s.limiters, hid)
				}
			}
		}
		r = &limiter{n: n, period: period}
		s.limiters[id] = r
	case r.n == n && r.period == period:
		return false
	default:
		r.n, r.period = n, period
	}
	if l := s.lanes[id]; l != nil {
		l.rl = r
		if _, ok := s.paused[l]; ok {
			delete(s.paused, l)
			s.markReady(l, now)
		}
	}
	return true
}
