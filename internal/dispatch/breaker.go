package dispatch

import (
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// A failing endpoint trips its lane's breaker: after breakerThreshold
// failures in a row the lane sends one probe at a time, spaced by a
// cool-down that doubles up to breakerMaxCooldown, until one succeeds.
// Deliveries wait meanwhile (in memory, and in the database beyond the
// lane's backlog) without spending their retries, and a dead endpoint
// costs a probe now and then instead of a stream of doomed requests. The
// cool-down stays short (at most 5 s: a dozen requests a minute to a dead
// endpoint) because it is also how long an endpoint's return can go
// unnoticed, and events published meanwhile wait that long.
const (
	breakerThreshold   = 5
	breakerMinCooldown = time.Second
	breakerMaxCooldown = 5 * time.Second
)

type breaker struct {
	fails     int       // consecutive failures
	openUntil time.Time // no attempt before this while open
	cooldown  time.Duration
	timer     *time.Timer
}

func (b *breaker) open() bool { return b.fails >= breakerThreshold }

// limit is the lane's concurrency: a probe at a time while open.
func (d *Dispatcher) limit(l *lane) int {
	if l.br.open() {
		return 1
	}
	return d.cfg.PerWebhook
}

// trips reports whether an attempt's failure says the endpoint is down
// or overloaded (as opposed to refusing this one request).
func trips(a *webhook.Attempt) bool {
	switch a.ErrorClass {
	case webhook.ErrClassTimeout, webhook.ErrClassConnectionRefused, webhook.ErrClassConnection,
		webhook.ErrClassDNS, webhook.ErrClassTLS:
		return true
	case webhook.ErrClassHTTPStatus:
		return a.StatusCode >= 500 || a.StatusCode == 429
	}
	return false
}

// record updates the breaker after an attempt. Callers hold d.mu.
func (d *Dispatcher) record(l *lane, failed bool) {
	b := &l.br
	now := d.cfg.Now()
	if !failed {
		if b.open() {
			d.cfg.Logger.Info("endpoint answering again; resuming deliveries", "webhook_id", l.id)
		}
		b.fails, b.cooldown, b.openUntil = 0, 0, time.Time{}
		return
	}
	b.fails++
	switch {
	case b.fails == breakerThreshold:
		b.cooldown = breakerMinCooldown
		d.cfg.Logger.Info("endpoint failing; pausing its deliveries between probes", "webhook_id", l.id,
			"failures", b.fails)
	case b.fails > breakerThreshold && !now.Before(b.openUntil):
		// A failed probe (not an attempt that was in flight when the
		// breaker opened): wait longer.
		b.cooldown = min(2*b.cooldown, breakerMaxCooldown)
	default:
		return
	}
	b.openUntil = now.Add(b.cooldown)
}

// paused reports whether l must wait for its breaker, and arranges to put
// it back in line when the cool-down ends. Callers hold d.mu.
func (d *Dispatcher) paused(l *lane) bool {
	wait := l.br.openUntil.Sub(d.cfg.Now())
	if !l.br.open() || wait <= 0 {
		return false
	}
	if l.br.timer == nil {
		l.br.timer = time.AfterFunc(wait, func() {
			d.mu.Lock()
			l.br.timer = nil
			d.markReady(l)
			d.mu.Unlock()
		})
	}
	return true
}
