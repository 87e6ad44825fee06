package dispatch

import (
	"time"

	"github.com/hookline/hookline/internal/store"
)

// scheduler decides which delivery runs next. Each webhook has a lane with
// a concurrency limit; lanes with work and a free slot wait in a ready
// list served round-robin. The workers are shared fairly (fair.go): each
// tenant with work has an equal share of them and each of its webhooks an
// equal part of that; beyond its share a lane only takes workers while
// more than a reserve of them are idle, so a webhook that shows up while
// slow endpoints hold most workers still gets one at once. A webhook whose
// attempts are slow is throttled to a small limit until they are fast
// again. A lane serves its fresh
// deliveries (handed over by ingest) before its backlog (claimed from the
// database: retries, overflow, work of a dead instance), so new events
// keep their latency while a backlog drains with the capacity left;
// ordering between events is not guaranteed anyway. FIFO webhooks are
// exempt without a rule here: the store leases a FIFO delivery only as
// its ordering key's head (at ingest or by a claim) and the next only
// once that one's result is stored, so a lane never holds two of one
// key.
//
// A webhook with a rate limit (ratelimit.go) has a limiter: its lane
// waits, parked like a breaker's cool-down, until the window lets another
// request start. Waiting spends no retries.
//
// Each lane has a breaker: after breakerThreshold failures that say the
// endpoint is down, in a row, the lane sends one probe at a time, spaced
// by a cool-down that doubles up to breakerMaxCooldown, until one
// succeeds. Deliveries wait meanwhile without spending their retries, and
// a dead endpoint costs a probe now and then instead of a stream of doomed
// requests.
//
// The scheduler is plain data: no goroutines, no locks, and the time is
// passed in, so it is tested with a fake clock. The Dispatcher drives it
// under its mutex.
type scheduler struct {
	perLane  int // attempts in flight per lane (the breaker lowers it to 1)
	backlog  int // deliveries waiting per lane before it counts as full
	capacity int // deliveries waiting in all (Config.QueueCapacity)
	fairness
	lanes map[string]*lane
	ready []*lane
	// paused holds lanes with work that wait for their breaker's
	// cool-down or their rate limit; pausedMin is at or before the
	// earliest lane.resumeAt among them, so most calls need not look
	// through them.
	paused    map[*lane]struct{}
	pausedMin time.Time
	// freshFull holds the webhooks whose fresh queues reached the bound
	// and have not drained to half of it since.
	freshFull map[string]struct{}
	queued    int // deliveries waiting in all lanes
	// limiters are the rate limits of webhooks (setRate), kept while
	// their lanes come and go.
	limiters map[string]*limiter
}

type lane struct {
	id       string
	tenant   *tenant
	fresh    []queued
	backlog  []queued
	inflight int
	// starts holds when each attempt in flight started, oldest first: one
	// in flight for longer than slowAfter makes the lane slow before it
	// ends.
	starts  []time.Time
	slow    bool // the last attempt that ended was slow
	isReady bool
	br      breaker
	// rl is the webhook's rate limiter; nil without a limit.
	rl *limiter
	// resumeAt is when a paused lane may run again. heldBack counts the
	// deliveries that were waiting when its rate limit last held it back:
	// the next that many starts waited for the limit.
	resumeAt time.Time
	heldBack int
	// full is set while the lane holds the scheduler's backlog bound;
	// claims skip it meanwhile, so when it has room again the poller must
	// be told.
	full bool
}

func (l *lane) waiting() int { return len(l.fresh) + len(l.backlog) }

// queued is a task waiting in a lane: when it was queued and whether
// ingest handed it over (for the dispatcher's observer).
type queued struct {
	task  store.Task
	at    time.Time
	fresh bool
}

// The breaker's timing. The cool-down stays short (at most 5 s: a dozen
// requests a minute to a dead endpoint) because it is also how long an
// endpoint's return can go unnoticed, and events published meanwhile
// wait that long; new events bring the next probe forward to
// breakerFreshProbe after the last (breaker.freshArrived): a dead
// endpoint with traffic gets four probes a second, and the events
// published as it comes back wait a quarter of a second at most (with a
// second, the events of the first second after an outage were 5 % of
// those published during a 20 s drain, and alone put the p99 at 1 s).
const (
	breakerThreshold   = 5
	breakerMinCooldown = time.Second
	breakerMaxCooldown = 5 * time.Second
	breakerFreshProbe  = 250 * time.Millisecond
)

type breaker struct {
	fails     int       // consecutive failures that said "down"
	openUntil time.Time // no attempt before this while open
	cooldown  time.Duration
	// armedAt is when the last failure (re)started the cool-down: a new
	// event brings the next probe forward to breakerFreshProbe after it.
	armedAt time.Time
}

func (b *breaker) open() bool { return b.fails >= breakerThreshold }

// breakerChange tells the driver what an attempt did to a breaker, for
// its log.
type breakerChange int

const (
	breakerSame breakerChange = iota
	breakerOpened
	breakerClosed
)

// result is what an attempt tells the lane's breaker.
type result int

const (
	// resultNone: no request was made (released, disabled webhook); the
	// breaker is left as it is.
	resultNone result = iota
	resultUp
	resultDown
)

// schedLimits are the scheduler's numbers.
type schedLimits struct {
	perLane int // attempts in flight per webhook
	backlog int // deliveries waiting per webhook before it counts as full
	// capacity is how many deliveries may wait in all.
	capacity int
	workers  int // attempts in flight in all
	// attemptTimeout is the longest an attempt takes; one that takes more
	// than half of it is slow.
	attemptTimeout time.Duration
}

func newScheduler(lim schedLimits) *scheduler {
	return &scheduler{perLane: lim.perLane, backlog: lim.backlog, capacity: lim.capacity, fairness: newFairness(lim.workers, lim.attemptTimeout),
		lanes: make(map[string]*lane), paused: make(map[*lane]struct{}), freshFull: make(map[string]struct{}),
		limiters: make(map[string]*limiter)}
}

// ticket is one attempt next handed out; done takes it back.
type ticket struct {
	l     *lane
	start time.Time
	// throttled: the webhook's rate limit made this attempt wait.
	throttled bool
	// queuedAt is when the task was queued; handed says ingest handed it
	// over (rather than a claim).
	queuedAt time.Time
	handed   bool
}

// add queues a task. Fresh tasks go ahead of the lane's backlog while the
// fresh queue is under the bound.
func (s *scheduler) add(t store.Task, fresh bool, now time.Time) {
	l := s.lanes[t.Delivery.WebhookID]
	if l == nil {
		l = &lane{id: t.Delivery.WebhookID, rl: s.limiters[t.Delivery.WebhookID]}
		s.lanes[l.id] = l
		s.join(l, t.Delivery.Tenant, now)
	}
	bound := s.bound()
	q := queued{task: t, at: now, fresh: fresh}
	if fresh && len(l.fresh) < bound {
		l.fresh = append(l.fresh, q)
	} else {
		l.backlog = append(l.backlog, q)
	}
	if fresh && len(l.fresh) >= bound {
		s.freshFull[l.id] = struct{}{}
	}
	if fresh {
		l.br.freshArrived(now)
	}
	s.queued++
	if l.rl != nil && !l.rl.allows(now) {
		l.heldBack++ // it waits for the rate limit at least
	}
	if l.waiting() >= bound {
		l.full = true
	}
	s.markReady(l, now)
}

// arrived notes a new delivery for a webhook that was not handed to its
// lane (the lane is full): see breaker.freshArrived. sooner reports that
// the lane's next probe moved earlier.
func (s *scheduler) arrived(webhookID string, now time.Time) (sooner bool) {
	l := s.lanes[webhookID]
	if l == nil {
		return false
	}
	if !l.br.freshArrived(now) {
		return false
	}
	if _, paused := s.paused[l]; paused {
		s.markReady(l, now) // parked again until the earlier probe
	}
	return true
}

// next takes the next task to run and counts it in flight; ok is false
// when nothing may run now. roomAgain reports that a full lane has room
// again, so the poller should look for the work it skipped.
func (s *scheduler) next(now time.Time) (t store.Task, tk ticket, roomAgain, ok bool) {
	s.resume(now)
	if s.busy >= s.workers {
		return store.Task{}, ticket{}, false, false
	}
	// Each lane is looked at once at most: a lane past its fair share
	// while few workers are idle goes to the back of the line, still
	// ready, for when workers come free.
	for n := len(s.ready); n > 0 && len(s.ready) > 0; n-- {
		l := s.ready[0]
		s.ready[0] = nil
		s.ready = s.ready[1:]
		l.isReady = false
		if !s.runnable(l, now) {
			// Its breaker opened, or its limit dropped (a probe, a slow
			// endpoint), after it was readied: park it until it may run.
			s.markReady(l, now)
			continue
		}
		if !s.fair(l) {
			l.isReady = true
			s.ready = append(s.ready, l)
			continue
		}
		var q queued
		if len(l.fresh) > 0 {
			q, l.fresh[0] = l.fresh[0], queued{}
			l.fresh = l.fresh[1:]
			if len(l.fresh) < s.bound()/2 {
				// Half empty, not one under the bound: each probe of
				// an open breaker takes one, and each time ingest,
				// told the lane had room, leased it every event it
				// had in flight (measured: the dead webhook's lane
				// grew by about 20 a second, on the way to filling
				// the queue).
				delete(s.freshFull, l.id)
			}
		} else {
			q, l.backlog[0] = l.backlog[0], queued{}
			l.backlog = l.backlog[1:]
		}
		s.queued--
		if l.full && l.waiting() < s.bound()/2 {
			l.full, roomAgain = false, true
		}
		s.started(l, now)
		tk = ticket{l: l, start: now, throttled: l.heldBack > 0, queuedAt: q.at, handed: q.fresh}
		if l.rl != nil {
			l.rl.take(now)
		}
		l.heldBack = max(0, l.heldBack-1)
		s.markReady(l, now) // round-robin: back of the line
		return q.task, tk, roomAgain, true
	}
	return store.Task{}, ticket{}, false, false
}

// runnable reports whether l may start an attempt now.
func (s *scheduler) runnable(l *lane, now time.Time) bool {
	return l.waiting() > 0 && l.inflight < s.limit(l, now) && !l.resumeLater(now)
}

// resumeLater reports whether l must wait before its next start (a
// breaker's cool-down, its rate limit) and sets l.resumeAt to when.
func (l *lane) resumeLater(now time.Time) bool {
	at := now
	if l.br.open() && now.Before(l.br.openUntil) {
		at = l.br.openUntil
	}
	if l.rl != nil {
		if next := l.rl.nextAt(now); next.After(now) {
			l.heldBack = l.waiting()
			if next.After(at) {
				at = next
			}
		}
	}
	l.resumeAt = at
	return at.After(now)
}

// laneChange tells the driver what an attempt changed about its lane,
// for its log.
type laneChange struct {
	breaker breakerChange
	// slowed: the lane's attempts became slow and it is throttled;
	// fast: they are fast again.
	slowed, fast bool
}

// done ends an attempt that next handed out and feeds its result to the
// lane's breaker and its duration to the slow-endpoint throttle.
func (s *scheduler) done(tk ticket, r result, now time.Time) laneChange {
	l := tk.l
	s.ended(l, tk.start)
	var change laneChange
	if r != resultNone {
		change.breaker = l.br.record(r == resultDown, now)
		slow := now.Sub(tk.start) > s.slowAfter
		change.slowed, change.fast = slow && !l.slow, !slow && l.slow
		l.slow = slow
	}
	if l.waiting() == 0 && l.inflight == 0 {
		s.leave(l, now)
		delete(s.lanes, l.id)
		delete(s.paused, l)
		delete(s.freshFull, l.id)
		return change
	}
	s.markReady(l, now)
	return change
}

// wakeAt is when the earliest paused lane may run again; zero when none
// is paused.
func (s *scheduler) wakeAt() time.Time {
	if len(s.paused) == 0 {
		return time.Time{}
	}
	return s.pausedMin
}

// full lists the webhooks whose fresh queues reached the bound (a slow
// endpoint, or one behind an open breaker) and have not drained to half
// of it since: ingest leaves their new
// deliveries unleased in the database, for a claim when there is room, so
// they cannot fill the memory the other webhooks' deliveries need. A lane
// busy draining a backlog is not listed: its fresh deliveries go ahead.
func (s *scheduler) full() []string {
	if len(s.freshFull) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.freshFull))
	for id := range s.freshFull {
		out = append(out, id)
	}
	return out
}

// bound is how many deliveries one lane may hold waiting: the configured
// backlog, but less when many lanes have work, so that together they stay
// within half the queue's capacity (the half claims may fill) and a
// webhook with no backlog still finds room: 30 slow endpoints at 1,000
// each would otherwise fill the whole queue, and then nothing more is
// leased or claimed for anyone (issue 17). A lane already past a bound
// that shrank keeps what it holds and takes no more until it drains.
func (s *scheduler) bound() int {
	return min(s.backlog, max(s.perLane, s.capacity/(2*max(1, len(s.lanes)))))
}

// saturated lists up to max webhooks whose lanes hold the backlog bound,
// so claims skip them.
func (s *scheduler) saturated(max int) []string {
	var out []string
	for id, l := range s.lanes {
		if l.full {
			out = append(out, id)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

// limit is the lane's concurrency: a probe at a time while its breaker is
// open, a small share while its attempts are slow.
func (s *scheduler) limit(l *lane, now time.Time) int {
	switch {
	case l.br.open():
		return 1
	case s.isSlow(l, now):
		return slowLimit(s.perLane)
	}
	return s.perLane
}

// markReady puts l on the ready list if it has work, a free slot and no
// cool-down to wait for; a lane that must wait is parked in paused.
func (s *scheduler) markReady(l *lane, now time.Time) {
	if l.isReady || l.waiting() == 0 || l.inflight >= s.limit(l, now) {
		return
	}
	if l.resumeLater(now) {
		if len(s.paused) == 0 || l.resumeAt.Before(s.pausedMin) {
			s.pausedMin = l.resumeAt
		}
		s.paused[l] = struct{}{}
		return
	}
	delete(s.paused, l)
	l.isReady = true
	s.ready = append(s.ready, l)
}

// resume readies the paused lanes whose cool-down has ended.
func (s *scheduler) resume(now time.Time) {
	if len(s.paused) == 0 || now.Before(s.pausedMin) {
		return
	}
	var due []*lane
	var min time.Time
	for l := range s.paused {
		if !now.Before(l.resumeAt) {
			due = append(due, l)
		} else if min.IsZero() || l.resumeAt.Before(min) {
			min = l.resumeAt
		}
	}
	s.pausedMin = min
	for _, l := range due {
		delete(s.paused, l)
		s.markReady(l, now)
	}
}

// freshArrived shortens an open breaker's cool-down for a new event: the
// next probe goes at most breakerFreshProbe after the last one. While
// events keep coming, an endpoint's return is noticed within that
// (fresh events first after an outage), not only after a cool-down of up
// to breakerMaxCooldown; a dead endpoint without traffic keeps the long
// cool-down. It counts from when the cool-down started, so any number of
// events bring the probe forward once: counted from the current end
// instead, each event took another cool-down off, and at 500 events a
// second a dead endpoint was probed with nearly every one of them.
// moved reports that the probe was brought forward.
func (b *breaker) freshArrived(now time.Time) (moved bool) {
	if !b.open() || !now.Before(b.openUntil) {
		return false
	}
	early := b.armedAt.Add(breakerFreshProbe)
	if !early.Before(b.openUntil) {
		return false
	}
	b.openUntil = early
	if early.Before(now) {
		b.openUntil = now
	}
	return true
}

// record updates the breaker after an attempt that made a request.
func (b *breaker) record(down bool, now time.Time) breakerChange {
	if !down {
		wasOpen := b.open()
		b.fails, b.cooldown, b.openUntil, b.armedAt = 0, 0, time.Time{}, time.Time{}
		if wasOpen {
			return breakerClosed
		}
		return breakerSame
	}
	b.fails++
	switch {
	case b.fails == breakerThreshold:
		b.cooldown = breakerMinCooldown
		b.openUntil, b.armedAt = now.Add(b.cooldown), now
		return breakerOpened
	case b.fails > breakerThreshold && !now.Before(b.openUntil):
		// A failed probe (not an attempt that was in flight when the
		// breaker opened): wait longer.
		b.cooldown = min(2*b.cooldown, breakerMaxCooldown)
		b.openUntil, b.armedAt = now.Add(b.cooldown), now
	}
	return breakerSame
}
