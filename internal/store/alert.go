package store

import (
	"context"
	"time"

	"github.com/hookline/hookline/internal/alert"
)

// AlertStore keeps alert channels and the state of alerts. The state
// lives in the database, not in the leader's memory, so that a new leader
// carries on where the last stopped; every change is a conditional write,
// so two processes that both believe they lead still send a message once.
type AlertStore interface {
	// AlertChannelCreate stores c (ID and time set by the caller), its
	// URL sealed.
	AlertChannelCreate(ctx context.Context, c alert.Channel) error
	// AlertChannelGet returns the channel, its URL in clear; ENOTFOUND
	// when missing.
	AlertChannelGet(ctx context.Context, id string) (alert.Channel, error)
	// AlertChannelList returns every channel, oldest first, URLs in clear.
	AlertChannelList(ctx context.Context) ([]alert.Channel, error)
	// AlertChannelDelete removes the channel; ENOTFOUND when missing.
	AlertChannelDelete(ctx context.Context, id string) error

	// AlertOpen opens the alert of p's webhook and kind with its opening
	// message due, unless it is open already: a closed (or never seen)
	// one starts anew at p.Now. It reports whether it opened.
	AlertOpen(ctx context.Context, p AlertOpenParams) (bool, error)
	// AlertResolve closes the alert opened at openedAt, if it is still
	// that open alert; its recovery message is due when its opening went
	// out, and an opening not yet sent is dropped. It reports whether it
	// closed.
	AlertResolve(ctx context.Context, webhookID string, kind alert.Kind, openedAt, now time.Time) (bool, error)
	// AlertClaim clears the due notice of an alert, if it is still
	// p.Notice, and records what was done with it (sent or suppressed);
	// only the caller whose claim succeeds sends the message.
	AlertClaim(ctx context.Context, p AlertClaimParams) (bool, error)
	// AlertList returns the alerts that are open or have a message due,
	// oldest opened first.
	AlertList(ctx context.Context) ([]alert.State, error)

	// AttemptFailureRates counts, per webhook, the attempts started at or
	// after since (not tests, not deliveries ended unsent) and how many
	// of them failed, for webhooks with at least minAttempts of them. A
	// webhook whose last failure is older than since is left out (it
	// cannot be failing), so healthy webhooks cost little.
	AttemptFailureRates(ctx context.Context, since time.Time, minAttempts int) ([]FailureRate, error)
	// AttemptSucceededSince reports whether a delivery attempt (not a
	// test) to the webhook started after t and succeeded.
	AttemptSucceededSince(ctx context.Context, webhookID string, t time.Time) (bool, error)
}

// AlertOpenParams is an alert to open.
type AlertOpenParams struct {
	WebhookID string // "" for alerts about no webhook (backlog)
	Kind      alert.Kind
	Tenant    string
	Detail    string
	Now       time.Time
}

// AlertClaimParams claims an alert's due notice. Sent records that the
// message goes out (an opening's LastSentAt and Notified are set);
// otherwise it was suppressed by the repeat interval.
type AlertClaimParams struct {
	WebhookID string
	Kind      alert.Kind
	Notice    alert.Notice
	Sent      bool
	Now       time.Time
}

// FailureRate is a webhook's attempts in a window.
type FailureRate struct {
	WebhookID string
	Tenant    string
	Attempts  int
	Failed    int
}
