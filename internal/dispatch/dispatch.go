// Package dispatch runs delivery attempts. It takes leased deliveries
// from two sources: straight from ingest after commit (the real-time path,
// no polling) and from the database (retries that came due, released or
// expired leases, overflow). Its parts:
//
//   - the scheduler (scheduler.go) picks what runs next: a lane per
//     webhook with a concurrency limit and a breaker, served round-robin,
//     the workers shared fairly between tenants and webhooks and slow
//     endpoints throttled (fair.go);
//   - the lease component (lease.go) holds, renews, fences and releases
//     the leases of the deliveries in memory, and makes every write that
//     touches them;
//   - workers send through a deliver.Sender and apply its Verdict with the
//     retry schedule (attempt.go);
//   - the poller claims due work (poll.go) and the recorder stores results
//     in batches (record.go).
//
// A delivery handed to this process is sent, or released for claiming at
// once; it is never left to wait for its lease to run out while the
// process is alive.
package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/retry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what the dispatcher needs from storage.
type Store interface {
	WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error)
	WebhookSecrets(ctx context.Context, scope auth.Scope, id string, now time.Time) ([]webhook.Secret, error)
	DeliveryClaim(ctx context.Context, p store.DeliveryClaimParams) ([]store.Task, error)
	DeliveryReleaseLeases(ctx context.Context, owner string, now time.Time) (int, error)
	LeaseRenew(ctx context.Context, held []store.Held, until time.Time) ([]string, error)
	LeaseRelease(ctx context.Context, held []store.Held, now time.Time) (int, error)
	DeliveryNextDue(ctx context.Context) (time.Time, error)
	AttemptRecord(ctx context.Context, results []store.AttemptResult) error
}

// Observer receives what the dispatcher does, for metrics. All methods
// must be cheap and safe for concurrent use; nil fields are skipped.
type Observer struct {
	Attempt func(a *webhook.Attempt, outcome store.Outcome)
	// Disabled is called when an answer (410 Gone) disabled a webhook.
	Disabled func(w webhook.Webhook, reason string)

	// The rest say where new work goes and where it waits, so a delay
	// between publishing and delivering can be placed (issue 16).

	// Handoff is told what Reserve decided for an event about to be
	// stored: HandoffLeased, or why its deliveries are left in the
	// database for a claim (HandoffQueueFull, HandoffStopped).
	Handoff func(result string)
	// LaneFull is told of deliveries ingest left in the database because
	// their webhooks' lanes were full.
	LaneFull func(n int)
	// Claim is told of each claim: how many deliveries it leased, or
	// noRoom when the queue had no room for one.
	Claim func(claimed int, noRoom bool)
	// Started is told of each task a worker takes: whether ingest handed
	// it over (else a claim did), how long it waited in memory, and for a
	// first attempt how long ago its event was published (zero for a
	// retry).
	Started func(handed bool, queued, sincePublished time.Duration)
}

// The results of a hand-off Reserve, for Observer.Handoff.
const (
	HandoffLeased    = "leased"
	HandoffQueueFull = "queue_full"
	HandoffStopped   = "stopped"
)

// Config configures a Dispatcher. Capacity is set by three numbers:
// Workers (attempts in flight in all), PerWebhook (in flight to one
// webhook) and QueueCapacity (deliveries held in memory); the rest is
// derived from them (see lanes).
type Config struct {
	Store Store
	// Sender sends an attempt to its destination (deliver.Open's
	// Senders in the server).
	Sender deliver.Sender
	// Owner names this process in leases; unique per process.
	Owner         string
	RetrySchedule []time.Duration
	// PerWebhook is the most attempts in flight to one webhook.
	PerWebhook int
	// Workers is the most attempts in flight in all. They are shared
	// fairly between tenants and webhooks, an eighth kept for the ones
	// under their share (see fair.go).
	Workers int
	// QueueCapacity is how many deliveries may wait in memory; beyond it
	// new work stays in the database until there is room. One webhook
	// holds at most a twentieth of it, less when many have work (see
	// scheduler.bound).
	QueueCapacity int
	// LeaseDuration must exceed the longest attempt. Leases of deliveries
	// in memory are renewed, so it bounds how long the work of a process
	// that died waits, not how long work may queue.
	LeaseDuration time.Duration
	// PollInterval is the fallback poll for work no signal announced (other
	// instances' retries, expired leases).
	PollInterval time.Duration
	// ShutdownTimeout bounds how long Run waits for attempts in flight.
	ShutdownTimeout time.Duration
	// WebhookCacheTTL bounds how stale a webhook's settings may be when
	// another instance changed them.
	WebhookCacheTTL time.Duration
	// AttemptTimeout is the longest an attempt takes: an attempt starts
	// only under a lease that outlasts it.
	AttemptTimeout time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
	Observer       Observer
	// SoleOwner says no other process uses the database (SQLite): every
	// lease found at start is left over from a run that died, and is
	// released at once rather than waited out.
	SoleOwner bool
	// Members, when set, shares the work with other instances on the same
	// database: each serves the webhooks of its shard (see Shard).
	Members Members
	// Tracer traces attempts, each a child of the span that published its
	// event; nil means no tracing.
	Tracer trace.Tracer
}

func (c *Config) defaults() {
	if c.RetrySchedule == nil {
		c.RetrySchedule = retry.DefaultSchedule
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

// laneBacklog is how many deliveries one webhook may have waiting in
// memory before claims skip it and ingest stops leasing to it: a twentieth
// of the queue (1,000 of the default 20,000), so a few slow endpoints
// cannot take the memory every other webhook needs.
func (c *Config) laneBacklog() int { return max(c.QueueCapacity/20, c.PerWebhook) }

// claimBatch is the most deliveries one claim leases: half a lane's
// backlog, so one claim cannot fill a lane past its bound by much.
func (c *Config) claimBatch() int { return max(c.laneBacklog()/2, 1) }

// recentWindow: deliveries that came due this recently are claimed before
// older ones (newest first), so when an endpoint comes back from an
// outage the events published since reach it before its backlog does. It
// spans the breaker's longest cool-down, the time a return can go
// unnoticed.
const recentWindow = 30 * time.Second

// Dispatcher runs attempts. Create with New, start with Run.
type Dispatcher struct {
	cfg    Config
	hooks  *hookCache
	leases *leases
	rec    *recorder

	mu      sync.Mutex
	cond    *sync.Cond
	sched   *scheduler
	stopped bool
	// timer wakes the workers when the earliest breaker cool-down ends;
	// timerAt is when it is set for (zero: not set).
	timer   *time.Timer
	timerAt time.Time

	wake    chan struct{}
	members membership
	failLog logLimit
}

// New returns a Dispatcher; call Run to start it.
func New(cfg Config) *Dispatcher {
	cfg.defaults()
	d := &Dispatcher{
		cfg: cfg,
		sched: newScheduler(schedLimits{perLane: cfg.PerWebhook, backlog: cfg.laneBacklog(),
			capacity: cfg.QueueCapacity, workers: cfg.Workers,
			attemptTimeout: cfg.AttemptTimeout}),
		wake:    make(chan struct{}, 1),
		failLog: logLimit{every: time.Minute},
	}
	d.cond = sync.NewCond(&d.mu)
	d.hooks = newHookCache(cfg.Store, cfg.WebhookCacheTTL, cfg.Now)
	d.leases = newLeases(cfg.Store, cfg.Owner, cfg.LeaseDuration, cfg.Now)
	d.rec = newRecorder(d.leases, cfg.Logger, d.Wake)
	return d
}

// Owner is the lease owner name of this dispatcher.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

// Queued returns how many deliveries wait in memory.
func (d *Dispatcher) Queued() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sched.queued
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

// Run delivers until ctx ends, then stops claiming, lets attempts in
// flight finish within ShutdownTimeout, records their results and releases
// the leases of deliveries it had not started.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.cfg.SoleOwner {
		n, err := d.leases.releaseLeftOver(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			d.cfg.Logger.Info("resuming deliveries left in flight by the previous run", "count", n)
		}
	}
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
		workers.Go(func() { d.work(attemptCtx) })
	}

	if d.cfg.Members != nil {
		d.refreshMembership(ctx) // know our shard before the first claim
	}
	var background sync.WaitGroup
	bctx, stopBackground := context.WithCancel(ctx)
	if d.cfg.Members != nil {
		background.Go(func() { d.runMembership(bctx) })
	}
	background.Go(func() { d.renewLeases(bctx) })

	d.poll(ctx)
	stopBackground()
	background.Wait()

	// Shutdown: stop handing out queued work; wait for attempts in flight.
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
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
	n, err := d.leases.releaseAll(rctx)
	if err != nil {
		return err
	}
	if n > 0 {
		d.cfg.Logger.Info("shutdown: released deliveries not attempted", "count", n)
	}
	return nil
}

// renewLeases keeps the leases of deliveries in memory from running out
// while they wait: every quarter lease, the ones ending within half a
// lease are extended.
func (d *Dispatcher) renewLeases(ctx context.Context) {
	t := time.NewTicker(d.cfg.LeaseDuration / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lost, err := d.leases.renew(ctx, d.cfg.Now().Add(d.cfg.LeaseDuration/2))
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("renewing leases failed; will retry", "err", err)
		}
		if lost > 0 {
			d.cfg.Logger.Warn("leases lost while waiting in memory; another claim has them", "count", lost)
		}
	}
}

// next blocks until there is a task to run, or returns false when stopped.
func (d *Dispatcher) next() (store.Task, ticket, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if d.stopped {
			return store.Task{}, ticket{}, false
		}
		now := d.cfg.Now()
		t, tk, roomAgain, ok := d.sched.next(now)
		if roomAgain {
			d.Wake() // claims skipped this lane; it has room again
		}
		if ok {
			if f := d.cfg.Observer.Started; f != nil {
				var age time.Duration
				if t.Delivery.Attempts == 0 {
					age = now.Sub(t.Event.CreatedAt)
				}
				f(tk.handed, now.Sub(tk.queuedAt), age)
			}
			return t, tk, true
		}
		d.armTimer(d.sched.wakeAt())
		d.cond.Wait()
	}
}

// armTimer makes sure the workers are woken at `at` (a breaker's
// cool-down end). Callers hold d.mu.
func (d *Dispatcher) armTimer(at time.Time) {
	if at.IsZero() || (!d.timerAt.IsZero() && !at.Before(d.timerAt)) {
		return
	}
	d.timerAt = at
	wait := at.Sub(d.cfg.Now())
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.timerFired)
		return
	}
	d.timer.Reset(wait)
}

func (d *Dispatcher) timerFired() {
	d.mu.Lock()
	d.timerAt = time.Time{}
	d.cond.Broadcast()
	d.mu.Unlock()
}

// done ends a task the scheduler handed out.
func (d *Dispatcher) done(tk ticket, r result) {
	d.mu.Lock()
	change := d.sched.done(tk, r, d.cfg.Now())
	d.cond.Signal()
	d.mu.Unlock()
	id := tk.l.id
	switch change.breaker {
	case breakerOpened:
		d.cfg.Logger.Info("endpoint failing; pausing its deliveries between probes", "webhook_id", id,
			"failures", breakerThreshold)
	case breakerClosed:
		d.cfg.Logger.Info("endpoint answering again; resuming deliveries", "webhook_id", id)
	}
	switch {
	case change.slowed:
		d.cfg.Logger.Info("endpoint slow; limiting its attempts in flight until they are fast again",
			"webhook_id", id, "limit", slowLimit(d.cfg.PerWebhook), "slower_than", d.cfg.AttemptTimeout/2)
	case change.fast:
		d.cfg.Logger.Info("endpoint fast again; lifting its limit", "webhook_id", id)
	}
}

func (d *Dispatcher) work(ctx context.Context) {
	for {
		t, tk, ok := d.next()
		if !ok {
			return
		}
		d.done(tk, d.run(ctx, t, tk))
	}
}
