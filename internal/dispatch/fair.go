package dispatch

import "time"

// fairness shares the workers between tenants and webhooks, so one
// customer's slow endpoints cannot hold the workers another's deliveries
// need (issue 17: 30 slow receivers held all 256 workers and a healthy
// webhook waited 13 s).
//
// An eighth of the workers is a reserve. Every tenant with work (queued
// or in flight) has an equal share of the others, and each of its
// webhooks an equal part of that share (at least one). A lane within both
// its shares may take any idle worker. A lane past either share only takes
// one while more than the reserve is idle: capacity nobody else wants is
// still used, but the last workers are kept for lanes under their share,
// so a webhook or tenant that shows up while slow endpoints hold the rest
// starts at once. The shares leave the reserve out so that lanes at their
// share cannot fill it either. With fewer than eight workers there is no
// reserve and only the per-webhook limit applies.
// Attempts are not cut short to rebalance; the shares take effect as
// attempts end, and an attempt in flight counts against its own lane and
// tenant until it ends, however long it takes.
//
// A webhook whose attempts are slow (longer than half the attempt timeout,
// or one in flight for that long) is throttled to slowLimit attempts in
// flight until one ends fast again. That is remembered for slowMemory
// after its lane empties, so a slow endpoint that gets one event at a time
// does not start each burst at the full limit.
type fairness struct {
	workers   int
	reserve   int
	slowAfter time.Duration
	busy      int // attempts in flight in all
	tenants   map[string]*tenant
	// slowHooks remembers the webhooks whose lane was slow when it
	// emptied: when it was dropped.
	slowHooks map[string]time.Time
}

// tenant counts a tenant's lanes (webhooks with work) and attempts in
// flight.
type tenant struct {
	name     string
	lanes    int
	inflight int
}

const (
	// slowMemory is how long a webhook found slow stays throttled while it
	// has no work; an attempt that ends fast lifts the throttle sooner.
	slowMemory = 10 * time.Minute
	// maxSlowHooks bounds that memory; past it, expired entries go.
	maxSlowHooks = 10000
)

// slowLimit is the concurrency of a slow webhook: a fifth of the usual
// limit, at least one.
func slowLimit(perLane int) int { return max(1, perLane/5) }

func newFairness(workers int, attemptTimeout time.Duration) fairness {
	return fairness{workers: workers, reserve: workers / 8, slowAfter: attemptTimeout / 2,
		tenants: make(map[string]*tenant), slowHooks: make(map[string]time.Time)}
}

// join counts a new lane in its tenant and brings back its slowness if
// it was throttled when its last lane emptied.
func (f *fairness) join(l *lane, name string, now time.Time) {
	t := f.tenants[name]
	if t == nil {
		t = &tenant{name: name}
		f.tenants[name] = t
	}
	t.lanes++
	l.tenant = t
	if at, ok := f.slowHooks[l.id]; ok {
		l.slow = now.Sub(at) < slowMemory
		delete(f.slowHooks, l.id)
	}
}

// leave uncounts a lane that has emptied.
func (f *fairness) leave(l *lane, now time.Time) {
	t := l.tenant
	t.lanes--
	if t.lanes == 0 {
		delete(f.tenants, t.name)
	}
	if !l.slow {
		return
	}
	if len(f.slowHooks) >= maxSlowHooks {
		for id, at := range f.slowHooks {
			if now.Sub(at) >= slowMemory {
				delete(f.slowHooks, id)
			}
		}
		if len(f.slowHooks) >= maxSlowHooks {
			clear(f.slowHooks) // a burst of slow webhooks: start over
		}
	}
	f.slowHooks[l.id] = now
}

// started counts an attempt of l that starts now.
func (f *fairness) started(l *lane, now time.Time) {
	l.inflight++
	l.tenant.inflight++
	f.busy++
	l.starts = append(l.starts, now)
}

// ended uncounts an attempt of l that started at start.
func (f *fairness) ended(l *lane, start time.Time) {
	l.inflight--
	l.tenant.inflight--
	f.busy--
	for i, s := range l.starts {
		if s.Equal(start) {
			l.starts = append(l.starts[:i], l.starts[i+1:]...)
			break
		}
	}
}

// isSlow reports whether l's attempts are slow: the last one that ended
// was, or the oldest in flight has been running too long already.
func (f *fairness) isSlow(l *lane, now time.Time) bool {
	return l.slow || (len(l.starts) > 0 && now.Sub(l.starts[0]) > f.slowAfter)
}

// fair reports whether l may take a worker now: enough workers are idle,
// or it is within its own share and its tenant's. A webhook with nothing
// in flight may also start one attempt while its tenant is at most half
// the reserve past its share: otherwise a tenant's own slow endpoints,
// holding its share, would starve its other webhooks (and with a single
// tenant, every new webhook) until their attempts end; the other half of
// the reserve stays for the other tenants.
func (f *fairness) fair(l *lane) bool {
	if f.workers-f.busy > f.reserve {
		return true
	}
	share := max(1, (f.workers-f.reserve)/len(f.tenants))
	if l.inflight >= max(1, share/l.tenant.lanes) {
		return false
	}
	return l.tenant.inflight < share || (l.inflight == 0 && l.tenant.inflight < share+f.reserve/2)
}
