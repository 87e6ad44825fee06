// Package maintain runs Hookline's periodic upkeep: auto-disabling webhooks
// that keep failing, retention of old events and attempts, expiry of
// request-inspector bins. With several instances on one database exactly
// one of them (the leader) does it at a time.
package maintain

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what upkeep needs from storage.
type Store interface {
	WebhookFailingSince(ctx context.Context, t time.Time) ([]webhook.Webhook, error)
	WebhookDisable(ctx context.Context, scope auth.Scope, id, reason string, now time.Time) error
	BinExpire(ctx context.Context, now time.Time) (int, error)
	PortalLinkExpire(ctx context.Context, now time.Time) (int, error)
	Retain(ctx context.Context, p store.RetainParams) (store.RetainResult, error)
	LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
	DeliveryCounts(ctx context.Context) (map[webhook.DeliveryStatus]int64, error)
}

// Config configures the upkeep loop.
type Config struct {
	Store Store
	Owner string
	// Interval between rounds (default 1 minute).
	Interval time.Duration
	// AutoDisableAfter disables a webhook failing this long (0: never).
	AutoDisableAfter time.Duration
	// Retention deletes events (with their deliveries and attempts) older
	// than this (0: keep forever).
	Retention time.Duration
	// BodyRetention clears attempt bodies older than this (0: as Retention).
	BodyRetention time.Duration
	// Disabled is told about each auto-disabled webhook (cache
	// invalidation, notifications).
	Disabled func(ctx context.Context, w webhook.Webhook, reason string)
	// BacklogThreshold: more pending deliveries than this call
	// BacklogHigh (0: no check).
	BacklogThreshold int64
	BacklogHigh      func(pending, threshold int64, now time.Time)
	// BacklogCounted is told every count, high or not (alerts open and
	// close with it).
	BacklogCounted func(pending, threshold int64, now time.Time)
	Now            func() time.Time
	Logger         *slog.Logger
}

func (c *Config) defaults() {
	if c.Interval <= 0 {
		c.Interval = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run does a round at once and then every Interval until ctx ends, when it
// holds the leadership.
func Run(ctx context.Context, cfg Config) {
	cfg.defaults()
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		Round(ctx, cfg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round is one pass of upkeep, done only by the leader. The leadership
// lasts three intervals, so a dead leader is replaced within that.
func Round(ctx context.Context, cfg Config) {
	cfg.defaults()
	now := cfg.Now()
	lead, err := cfg.Store.LeaderAcquire(ctx, "maintenance", cfg.Owner, now, now.Add(3*cfg.Interval))
	if err != nil {
		if ctx.Err() == nil {
			cfg.Logger.Warn("maintenance: leader election failed", "err", err)
		}
		return
	}
	if !lead {
		return
	}
	if cfg.AutoDisableAfter > 0 {
		autoDisable(ctx, cfg, now)
	}
	if n, err := cfg.Store.BinExpire(ctx, now); err != nil {
		warn(ctx, cfg, "maintenance: expiring bins failed", err)
	} else if n > 0 {
		cfg.Logger.Info("maintenance: expired request bins", "count", n)
	}
	if n, err := cfg.Store.PortalLinkExpire(ctx, now); err != nil {
		warn(ctx, cfg, "maintenance: expiring portal links failed", err)
	} else if n > 0 {
		cfg.Logger.Info("maintenance: expired portal links and sessions", "count", n)
	}
	if cfg.BacklogThreshold > 0 && (cfg.BacklogHigh != nil || cfg.BacklogCounted != nil) {
		if counts, err := cfg.Store.DeliveryCounts(ctx); err != nil {
			warn(ctx, cfg, "maintenance: counting deliveries failed", err)
		} else {
			p := counts[webhook.DeliveryPending]
			if p > cfg.BacklogThreshold {
				cfg.Logger.Warn("delivery backlog high", "pending", p, "threshold", cfg.BacklogThreshold)
				if cfg.BacklogHigh != nil {
					cfg.BacklogHigh(p, cfg.BacklogThreshold, now)
				}
			}
			if cfg.BacklogCounted != nil {
				cfg.BacklogCounted(p, cfg.BacklogThreshold, now)
			}
		}
	}
	retain(ctx, cfg, now)
}

// retain deletes what retention says. The attempt rollup behind charts is
// pruned even when events are kept forever: no chart reads it beyond
// store.StatsWindowMax, so it is kept that long plus a day, or as long as
// the attempts when that is longer.
func retain(ctx context.Context, cfg Config, now time.Time) {
	p := store.RetainParams{RollupBefore: now.Add(-max(cfg.Retention, store.StatsWindowMax+24*time.Hour))}
	if cfg.Retention > 0 {
		p.EventsBefore, p.AttemptsBefore = now.Add(-cfg.Retention), now.Add(-cfg.Retention)
		if cfg.BodyRetention > 0 && cfg.BodyRetention < cfg.Retention {
			p.BodiesBefore = now.Add(-cfg.BodyRetention)
		}
	}
	res, err := cfg.Store.Retain(ctx, p)
	if err != nil {
		warn(ctx, cfg, "maintenance: retention failed", err)
	} else if res != (store.RetainResult{}) {
		cfg.Logger.Info("maintenance: retention", "events", res.Events, "deliveries", res.Deliveries,
			"attempts", res.Attempts, "bodies_cleared", res.Bodies, "rollup_minutes", res.Rollups)
	}
}

func autoDisable(ctx context.Context, cfg Config, now time.Time) {
	hooks, err := cfg.Store.WebhookFailingSince(ctx, now.Add(-cfg.AutoDisableAfter))
	if err != nil {
		warn(ctx, cfg, "maintenance: auto-disable check failed", err)
		return
	}
	for _, w := range hooks {
		reason := fmt.Sprintf("every delivery failed since %s (more than %s)",
			w.Stats.FailingSince.UTC().Format(time.RFC3339), cfg.AutoDisableAfter)
		if err := cfg.Store.WebhookDisable(ctx, auth.AllTenants(), w.ID, reason, now); err != nil {
			cfg.Logger.Warn("maintenance: auto-disable failed", "webhook_id", w.ID, "err", err)
			continue
		}
		cfg.Logger.Warn("webhook auto-disabled", "webhook_id", w.ID, "reason", reason)
		if cfg.Disabled != nil {
			cfg.Disabled(ctx, w, reason)
		}
	}
}

// warn logs a failed step unless it failed because Hookline is stopping.
func warn(ctx context.Context, cfg Config, msg string, err error) {
	if ctx.Err() == nil {
		cfg.Logger.Warn(msg, "err", err)
	}
}
