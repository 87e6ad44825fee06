// Package dispatch schedules delivery attempts. It takes leased deliveries
// from two sources: straight from ingest after commit (the real-time path,
// no polling) and from the database (retries that came due, leases that
// expired, overflow). Each webhook has its own lane with a concurrency
// limit; a fixed pool of workers serves lanes round-robin, so one slow
// endpoint holds at most its own limit of workers and cannot starve the
// others. Attempt results go back to the store in batches.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what the dispatcher needs from storage.
type Store interface {
	WebhookGet(ctx context.Context, id string) (webhook.Webhook, error)
	WebhookSecrets(ctx context.Context, id string, now time.Time) ([]webhook.Secret, error)
	DeliveryClaim(ctx context.Context, p store.DeliveryClaimParams) ([]store.Task, error)
	DeliveryReleaseLeases(ctx context.Context, owner string, now time.Time) (int, error)
	DeliveryNextDue(ctx context.Context) (time.Time, error)
	AttemptRecord(ctx context.Context, results []store.AttemptResult) error
}

// Observer receives what the dispatcher does, for metrics. All methods
// must be cheap and safe for concurrent use; nil fields are skipped.
type Observer struct {
	Attempt func(a *webhook.Attempt, outcome store.Outcome)
	// Disabled is called when an answer (410 Gone) disabled a webhook.
	Disabled func(w webhook.Webhook, reason string)
}

// Config configures a Dispatcher.
type Config struct {
	Store     Store
	Deliverer *deliver.Deliverer
	// Owner names this process in leases; unique per process.
	Owner         string
	RetrySchedule []time.Duration
	// PerWebhook is the most attempts in flight to one webhook.
	PerWebhook int
	// Workers is the most attempts in flight in all.
	Workers int
	// QueueCapacity is how many deliveries may wait in memory; beyond it
	// new work stays in the database until there is room.
	QueueCapacity int
	// LeaseDuration must exceed the longest attempt: a lease that runs out
	// lets another instance deliver the same delivery again.
	LeaseDuration time.Duration
	// PollInterval is the fallback poll for work no signal announced (other
	// instances' retries, expired leases).
	PollInterval time.Duration
	// ShutdownTimeout bounds how long Run waits for attempts in flight.
	ShutdownTimeout time.Duration
	// WebhookCacheTTL bounds how stale a webhook's settings may be when
	// another instance changed them.
	WebhookCacheTTL time.Duration
	// AttemptTimeout is the longest an attempt takes; a queued delivery
	// whose lease ends sooner than that is not started (see next).
	AttemptTimeout time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
	Observer       Observer
	// Members, when set, shares the work with other instances on the same
	// database: each serves the webhooks of its shard (see Shard).
	Members Members
	// Tracer traces attempts, each a child of the span that published its
	// event; nil means no tracing.
	Tracer trace.Tracer
}

func (c *Config) defaults() {
	if c.RetrySchedule == nil {
		c.RetrySchedule = DefaultSchedule
	}
	if c.PerWebhook <= 0 {
		c.PerWebhook = 10
	}
	if c.Workers <= 0 {
		c.Workers = 256
	}
	if c.QueueCapacity <= 0 {
		c.QueueCapacity = 20000
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 2 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 15 * time.Second
	}
	if c.WebhookCacheTTL <= 0 {
		c.WebhookCacheTTL = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Tracer == nil {
		c.Tracer = noop.NewTracerProvider().Tracer("")
	}
}

// laneBacklog is how many deliveries one webhook may have waiting in memory
// before the poller stops claiming more for it.
const laneBacklog = 1000

// claimBatch is the most deliveries one claim leases.
const claimBatch = 500

// recentWindow: deliveries that came due this recently are claimed before
// older ones (newest first), so when an endpoint comes back from an
// outage the events published since reach it before its backlog does. It
// spans the breaker's longest cool-down, the time a return can go
// unnoticed.
const recentWindow = 30 * time.Second

// Dispatcher runs attempts. Create with New, start with Run.
type Dispatcher struct {
	cfg   Config
	hooks *hookCache
	rec   *recorder

	mu     sync.Mutex
	cond   *sync.Cond
	lanes  map[string]*lane
	ready  []*lane // lanes with work and a free slot, served round-robin
	queued int     // deliveries waiting in lanes
	// leases maps every delivery in memory (queued or in flight) to the
	// end of its lease: a delivery is held once, and one whose lease ran
	// out while it waited is not started (it may belong to another
	// instance by now).
	leases map[string]time.Time
	// freshFull holds the webhooks whose fresh queues are at the bound.
	freshFull map[string]bool
	expired   int // deliveries dropped because their lease ran out in memory
	stopped   bool

	wake    chan struct{}
	members membership
	failLog logLimit
	// claimMu spans a claim from the database to its tasks being in
	// memory (see recorder.claims).
	claimMu sync.Mutex
}

// A lane serves its fresh deliveries (handed over by ingest) before its
// backlog (claimed from the database: retries, overflow, work of a dead
// instance), so new events keep their latency while a backlog drains with
// the capacity left; ordering between events is not guaranteed anyway.
type lane struct {
	id       string
	fresh    []store.Task
	queue    []store.Task // backlog
	inflight int
	isReady  bool
	br       breaker
	// full is set while claims skip this lane; the poller is woken when
	// it has room again.
	full bool
}

func (l *lane) waiting() int { return len(l.fresh) + len(l.queue) }

// New returns a Dispatcher; call Run to start it.
func New(cfg Config) *Dispatcher {
	cfg.defaults()
	d := &Dispatcher{
		cfg:       cfg,
		lanes:     make(map[string]*lane),
		leases:    make(map[string]time.Time),
		freshFull: make(map[string]bool),
		wake:      make(chan struct{}, 1),
		failLog:   logLimit{every: time.Minute},
	}
	d.cond = sync.NewCond(&d.mu)
	d.hooks = newHookCache(cfg.Store, cfg.WebhookCacheTTL, cfg.Now)
	d.rec = newRecorder(cfg.Store, cfg.Logger, d.noteDue, d.leaseOf, func(rs []store.AttemptResult) { d.release(rs) },
		&d.claimMu)
	return d
}

// Owner is the lease owner name of this dispatcher.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

// LeaseUntil is the lease end for work claimed now.
// Stores keep microseconds; the lease end is also the fencing token of the
// attempt's result, so it must match what was stored exactly.
func (d *Dispatcher) LeaseUntil() time.Time {
	return d.cfg.Now().Add(d.cfg.LeaseDuration).Truncate(time.Microsecond)
}

// Accepting reports whether ingest should lease new deliveries to this
// dispatcher and hand them over with Submit. When it says no, ingest leaves
// them unleased in the database and calls Wake.
func (d *Dispatcher) Accepting() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.stopped && d.queued < d.cfg.QueueCapacity
}

// Queued returns how many deliveries wait in memory.
func (d *Dispatcher) Queued() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queued
}

// Submit hands over fresh deliveries that ingest leased to this
// dispatcher; a task's Delivery.NextAttemptAt is the end of its lease. It
// never blocks.
func (d *Dispatcher) Submit(tasks []store.Task) { d.submit(tasks, true) }

// submit queues leased deliveries. A delivery already in memory is not
// queued twice, only its lease end is updated (a claim renewed it). A
// lane's fresh queue is bounded: beyond it, fresh work waits as backlog.
func (d *Dispatcher) submit(tasks []store.Task, fresh bool) {
	if len(tasks) == 0 {
		return
	}
	d.mu.Lock()
	for _, t := range tasks {
		var until time.Time
		if t.Delivery.NextAttemptAt != nil {
			until = *t.Delivery.NextAttemptAt
		}
		if old, ok := d.leases[t.Delivery.ID]; ok {
			d.leases[t.Delivery.ID] = maxTime(old, until)
			continue
		}
		d.leases[t.Delivery.ID] = until
		l := d.lanes[t.Delivery.WebhookID]
		if l == nil {
			l = &lane{id: t.Delivery.WebhookID}
			d.lanes[l.id] = l
		}
		if fresh && len(l.fresh) < laneBacklog {
			l.fresh = append(l.fresh, t)
		} else {
			l.queue = append(l.queue, t)
		}
		d.queued++
		if l.waiting() >= laneBacklog {
			l.full = true
		}
		if len(l.fresh) >= laneBacklog {
			d.freshFull[l.id] = true
		}
		d.markReady(l)
	}
	d.mu.Unlock()
}

// Wake tells the dispatcher that due work may be waiting in the database.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Invalidate drops a webhook's cached settings after a change; "" drops
// them all.
func (d *Dispatcher) Invalidate(webhookID string) {
	if webhookID == "" {
		d.hooks.invalidateAll()
		return
	}
	d.hooks.invalidate(webhookID)
}

// markReady puts l on the ready list if it has work and a free slot.
// Callers hold d.mu.
func (d *Dispatcher) markReady(l *lane) {
	if l.isReady || l.waiting() == 0 || l.inflight >= d.limit(l) || d.paused(l) {
		return
	}
	l.isReady = true
	d.ready = append(d.ready, l)
	d.cond.Signal()
}

// next blocks until there is a task to run, or returns false when stopped.
// A task whose lease ends before an attempt could finish is dropped: its
// lease runs out in the database and the poller claims it afresh (or
// another instance does), so it is neither lost nor sent twice.
func (d *Dispatcher) next() (store.Task, *lane, time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		for len(d.ready) == 0 && !d.stopped {
			d.cond.Wait()
		}
		if d.stopped {
			return store.Task{}, nil, time.Time{}, false
		}
		l := d.ready[0]
		d.ready[0] = nil
		d.ready = d.ready[1:]
		l.isReady = false
		var t store.Task
		if len(l.fresh) > 0 {
			t, l.fresh[0] = l.fresh[0], store.Task{}
			l.fresh = l.fresh[1:]
			if len(l.fresh) < laneBacklog {
				delete(d.freshFull, l.id)
			}
		} else {
			t, l.queue[0] = l.queue[0], store.Task{}
			l.queue = l.queue[1:]
		}
		d.queued--
		if l.full && l.waiting() < laneBacklog/2 {
			l.full = false
			d.Wake() // claims skipped this lane; it has room again
		}
		if until := d.leases[t.Delivery.ID]; !until.IsZero() && d.cfg.Now().Add(d.cfg.AttemptTimeout).After(until) {
			delete(d.leases, t.Delivery.ID)
			d.expired++
			d.retire(l)
			continue
		}
		l.inflight++
		d.markReady(l) // round-robin: back of the line
		return t, l, d.leases[t.Delivery.ID], true
	}
}

// retire drops an empty, idle lane or puts it back in line. Callers hold
// d.mu.
func (d *Dispatcher) retire(l *lane) {
	if l.waiting() == 0 && l.inflight == 0 {
		delete(d.lanes, l.id)
		delete(d.freshFull, l.id)
		return
	}
	d.markReady(l)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// done frees the lane slot. The delivery stays held (in d.leases) until
// its result is stored: were it released now, a claim during a storage
// outage longer than the lease would send it again.
func (d *Dispatcher) done(l *lane, failed bool) {
	d.mu.Lock()
	l.inflight--
	d.record(l, failed)
	d.retire(l)
	d.mu.Unlock()
}

// Full lists the webhooks whose lanes cannot keep up with their fresh
// deliveries (a slow endpoint, or one behind an open breaker): ingest
// leaves their new deliveries unleased in the database, for a claim when
// there is room, so they cannot fill the memory that the other webhooks'
// deliveries need. A lane busy draining a backlog is not listed: its fresh
// deliveries go ahead of the backlog.
func (d *Dispatcher) Full() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.freshFull) == 0 {
		return nil
	}
	out := make([]string, 0, len(d.freshFull))
	for id := range d.freshFull {
		out = append(out, id)
	}
	return out
}

// saturated lists webhooks whose lanes are full, so claims skip them.
func (d *Dispatcher) saturated() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for id, l := range d.lanes {
		if l.waiting() >= laneBacklog {
			l.full = true
			out = append(out, id)
			if len(out) == 500 {
				break
			}
		}
	}
	return out
}

// room is how many deliveries the poller may claim now. Claims fill at
// most half the queue capacity, so a draining backlog leaves room for
// ingest to keep handing fresh deliveries over (and their latency low).
func (d *Dispatcher) room() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return 0
	}
	return d.cfg.QueueCapacity/2 - d.queued
}

// noteDue wakes the poller when a retry was scheduled; the poller then
// re-reads the earliest due time.
func (d *Dispatcher) noteDue(time.Time) { d.Wake() }

// Run delivers until ctx ends, then stops claiming, lets attempts in
// flight finish within ShutdownTimeout, records their results and releases
// the leases of deliveries it had not started.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Attempts get their own context: they must be able to finish after
	// ctx ends, within the shutdown bound.
	attemptCtx, cancelAttempts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAttempts()

	recDone := make(chan struct{})
	go func() {
		defer close(recDone)
		d.rec.run()
	}()

	var workers sync.WaitGroup
	for range d.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			d.work(attemptCtx)
		}()
	}

	if d.cfg.Members != nil {
		d.refreshMembership(ctx) // know our shard before the first claim
		mctx, stopMembers := context.WithCancel(ctx)
		membersDone := make(chan struct{})
		go func() {
			defer close(membersDone)
			d.runMembership(mctx)
		}()
		defer func() {
			stopMembers()
			<-membersDone
		}()
	}

	d.poll(ctx)

	// Shutdown: stop handing out queued work; wait for attempts in flight.
	d.mu.Lock()
	d.stopped = true
	d.cond.Broadcast()
	d.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		workers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(d.cfg.ShutdownTimeout):
		d.cfg.Logger.Warn("shutdown: cancelling attempts still in flight", "timeout", d.cfg.ShutdownTimeout)
		cancelAttempts()
		<-finished
	}
	d.rec.close()
	<-recDone
	// Whatever was queued or cut short is released for another instance
	// (or the next start) to pick up at once.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	n, err := d.cfg.Store.DeliveryReleaseLeases(rctx, d.cfg.Owner, d.cfg.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		d.cfg.Logger.Info("shutdown: released deliveries not attempted", "count", n)
	}
	return nil
}

// poll claims due work from the database until ctx ends.
func (d *Dispatcher) poll(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		wait, err := d.claimOnce(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.cfg.Logger.Warn("claiming due deliveries failed; will retry", "err", err, "in", backoff)
			wait = backoff
			backoff = min(backoff*2, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// claimOnce claims what is due now and room allows, and returns how long to
// wait before looking again.
func (d *Dispatcher) claimOnce(ctx context.Context) (time.Duration, error) {
	for {
		now := d.cfg.Now()
		due, err := d.cfg.Store.DeliveryNextDue(ctx)
		if err != nil {
			return 0, err
		}
		if due.IsZero() {
			return d.cfg.PollInterval, nil
		}
		if due.After(now) {
			return min(due.Sub(now), d.cfg.PollInterval), nil
		}
		room := d.room()
		if room <= 0 {
			// Full: a finishing attempt does not wake us, so look again soon.
			return 50 * time.Millisecond, nil
		}
		limit := min(room, claimBatch)
		shards, shard := d.Shard()
		d.claimMu.Lock()
		tasks, err := d.cfg.Store.DeliveryClaim(ctx, store.DeliveryClaimParams{
			Owner: d.cfg.Owner, Now: now, LeaseUntil: d.LeaseUntil(),
			Limit: limit, ExcludeWebhooks: d.saturated(), Shards: shards, Shard: shard,
			RecentSince: now.Add(-recentWindow),
		})
		if err == nil {
			d.submit(tasks, false)
		}
		d.claimMu.Unlock()
		if err != nil {
			return 0, err
		}
		d.rec.storageBack()
		if len(tasks) < limit {
			// Everything due (and not skipped) is claimed.
			return d.cfg.PollInterval, nil
		}
	}
}

func (d *Dispatcher) work(ctx context.Context) {
	for {
		t, l, until, ok := d.next()
		if !ok {
			return
		}
		recorded, failed := d.attempt(ctx, t, until)
		if !recorded {
			d.release(nil, t.Delivery.ID) // nothing to record: let it go now
		}
		d.done(l, failed)
	}
}

var errDisabled = errors.New("webhook disabled")

// leaseOf returns the lease end of a delivery this process holds.
func (d *Dispatcher) leaseOf(id string) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.leases[id]
	return until, ok && !until.IsZero()
}

// release lets go of deliveries whose results are stored (or that have
// none to store).
func (d *Dispatcher) release(results []store.AttemptResult, ids ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range results {
		delete(d.leases, r.Attempt.DeliveryID)
	}
	for _, id := range ids {
		delete(d.leases, id)
	}
}

// attempt runs one task and queues its result. recorded is false when
// there is no result to store; failed says the endpoint looks down (for
// the lane's breaker).
func (d *Dispatcher) attempt(ctx context.Context, t store.Task, leaseUntil time.Time) (recorded, failed bool) {
	number := t.Delivery.Attempts + 1
	ctx, span := d.startSpan(ctx, t, number)
	defer span.End()
	h, err := d.hooks.get(ctx, t.Delivery.WebhookID)
	var a webhook.Attempt
	switch {
	case err == nil && !h.webhook.Active:
		err = errDisabled
		fallthrough
	case err != nil:
		if ctx.Err() != nil {
			return false, false // shutting down: the lease is released, nothing is lost
		}
		if webhook.ErrorCode(err) != webhook.ENOTFOUND && !errors.Is(err, errDisabled) {
			// Storage trouble: leave the lease to run out and retry then.
			d.cfg.Logger.Warn("loading webhook failed", "webhook_id", t.Delivery.WebhookID, "err", err)
			tracing.Fail(span, err, false)
			return false, false
		}
		a = webhook.Attempt{
			ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: t.Delivery.ID,
			WebhookID: t.Delivery.WebhookID, EventID: t.Event.ID, EventType: t.Event.Type,
			Number: number, StartedAt: d.cfg.Now(), ErrorClass: webhook.ErrClassCancelled,
			Error: "not sent: the webhook is disabled or deleted",
		}
		endSpan(span, &a, store.OutcomeFailed, time.Time{}, "")
		d.logAttempt(span, &a, store.OutcomeFailed, time.Time{}, "")
		d.finish(a, store.OutcomeFailed, time.Time{}, "", leaseUntil)
		return true, false
	}
	spanTarget(span, h.webhook.URL)
	a = d.cfg.Deliverer.Attempt(ctx, deliver.Request{
		Webhook: h.webhook, Signer: h.signer, Event: t.Event,
		DeliveryID: t.Delivery.ID, Number: number,
	})
	if ctx.Err() != nil && !a.Success() {
		// Cut short by shutdown: not the endpoint's fault; the released
		// lease makes it run again.
		span.SetAttributes(attribute.String("hookline.outcome", "interrupted"))
		return false, false
	}
	outcome, next, disable := d.decide(&a, number)
	endSpan(span, &a, outcome, next, disable)
	d.logAttempt(span, &a, outcome, next, disable)
	d.finish(a, outcome, next, disable, leaseUntil)
	return true, trips(&a)
}

// decide turns an attempt into the delivery's next step.
func (d *Dispatcher) decide(a *webhook.Attempt, number int) (store.Outcome, time.Time, string) {
	if a.Success() {
		return store.OutcomeSucceeded, time.Time{}, ""
	}
	if a.StatusCode == 410 {
		return store.OutcomeFailed, time.Time{}, "endpoint answered 410 Gone"
	}
	delay, ok := NextRetry(d.cfg.RetrySchedule, number, jitterRand())
	if !ok {
		return store.OutcomeFailed, time.Time{}, ""
	}
	if a.StatusCode == 429 || a.StatusCode == 503 {
		if ra, ok := RetryAfter(a.ResponseHeaders, d.cfg.Now()); ok {
			delay = ra
		}
	}
	return store.OutcomeRetry, d.cfg.Now().Add(delay), ""
}

func (d *Dispatcher) finish(a webhook.Attempt, outcome store.Outcome, next time.Time, disable string, leaseUntil time.Time) {
	if disable != "" {
		// Until the recorder has stored the disable, the database still
		// says active: keep the cached copy, marked off, so queued
		// deliveries to this webhook are not sent.
		w := d.hooks.disable(a.WebhookID, disable)
		if f := d.cfg.Observer.Disabled; f != nil && w.ID != "" {
			f(w, disable)
		}
	}
	if f := d.cfg.Observer.Attempt; f != nil {
		f(&a, outcome)
	}
	d.rec.add(store.AttemptResult{Attempt: a, Outcome: outcome, NextAttemptAt: next, DisableReason: disable,
		LeaseOwner: d.cfg.Owner, LeaseUntil: leaseUntil})
}
