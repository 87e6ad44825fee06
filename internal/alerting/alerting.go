// Package alerting tells people when an endpoint fails: it decides when an
// alert opens (a webhook failing at or above a rate, a webhook disabled, a
// high backlog) and when it recovers (the first successful delivery after
// it opened), and sends a message to the alert channels that want it and
// to the tenant's contact e-mail.
//
// The state of alerts is in the database, and only the leader (the
// "alerts" leadership) decides and sends; each message is claimed by a
// conditional write before it goes out, so with several instances on one
// PostgreSQL a message is sent once, and a new leader carries on. Sending
// is asynchronous (a bounded queue, bounded retries), so it never holds up
// a delivery: a dead Slack URL or SMTP server costs a few retries and one
// log line.
package alerting

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what alerting needs from storage.
type Store interface {
	store.AlertStore
	LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
	WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error)
	TenantGet(ctx context.Context, id string) (webhook.Tenant, error)
}

// Config configures the service. Zero values take the defaults of
// `hookline serve`.
type Config struct {
	Store Store
	// Owner names this process in the leadership.
	Owner string
	// Client posts to Slack-compatible URLs (the egress client).
	Client *http.Client
	// Guard checks a channel's URL when it is saved.
	Guard *egress.Guard
	// Dial connects to the SMTP server (the egress dialer).
	Dial egress.DialFunc
	// SMTP is the mail server; its zero value means no e-mail.
	SMTP SMTP
	// FailurePercent, Window and MinAttempts: a webhook is failing when at
	// least FailurePercent % of its attempts in the last Window failed,
	// with at least MinAttempts of them (50 %, 15m, 10).
	FailurePercent int
	Window         time.Duration
	MinAttempts    int
	// Repeat is the least time between two opening messages of one
	// webhook and kind (1h): an alert that flaps is told once.
	Repeat time.Duration
	// Interval is how often the leader checks (1m).
	Interval time.Duration
	// Backoff are the waits before each retry of a message that could not
	// be sent (2s, 10s, 1m): len(Backoff)+1 tries in all.
	Backoff []time.Duration
	// QueueSize bounds the messages waiting to be sent (256).
	QueueSize int
	// PublicURL, when set, puts a link to the webhook in messages.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger
}

// SMTP is the mail server alerts are sent through.
type SMTP struct {
	// URL is smtp://user:pass@host:port (STARTTLS when offered, port 587
	// by default) or smtps:// (TLS from the start, port 465).
	URL  string
	From string
	// TLS, when set, is cloned for the connection (tests: their CA).
	TLS *tls.Config
}

// Enabled reports whether e-mail can be sent.
func (s SMTP) Enabled() bool { return s.URL != "" && s.From != "" }

func (c *Config) defaults() {
	if c.FailurePercent <= 0 {
		c.FailurePercent = 50
	}
	if c.Window <= 0 {
		c.Window = 15 * time.Minute
	}
	if c.MinAttempts <= 0 {
		c.MinAttempts = 10
	}
	if c.Repeat <= 0 {
		c.Repeat = time.Hour
	}
	if c.Interval <= 0 {
		c.Interval = time.Minute
	}
	if c.Backoff == nil {
		c.Backoff = []time.Duration{2 * time.Second, 10 * time.Second, time.Minute}
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Client == nil {
		c.Client = egress.NewClient(egress.Config{Guard: c.Guard})
	}
	if c.Dial == nil {
		c.Dial = egress.NewDialer(egress.Config{})
	}
}

// Service decides and sends alerts.
type Service struct {
	cfg Config
	log *slog.Logger
	// observed are state changes seen on this instance (a webhook
	// disabled, the backlog counted), written to the database in the
	// background so the caller never waits.
	observed chan func(context.Context) error
	// jobs are messages to send, one channel each.
	jobs chan job
	// sent is told of every job finished (tests).
	sent func(job, error)
}

// New returns the service; call Run to start it.
func New(cfg Config) *Service {
	cfg.defaults()
	return &Service{cfg: cfg, log: cfg.Logger, observed: make(chan func(context.Context) error, 256),
		jobs: make(chan job, cfg.QueueSize)}
}

// LeaderName is the leadership the alerting leader holds.
const LeaderName = "alerts"

// Run checks every Interval (when leader), writes what this instance
// observed and sends queued messages, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	for range 2 {
		go s.sendLoop(ctx)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case fn := <-s.observed:
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("alerts: recording an alert failed", "err", err)
				}
			}
		}
	}()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// observe queues a state change for writing, never blocking.
func (s *Service) observe(what string, fn func(context.Context) error) {
	select {
	case s.observed <- fn:
	default:
		s.log.Warn("alerts: too many alerts at once; one dropped", "alert", what)
	}
}

// Disabled opens the webhook.disabled alert of w (Hookline turned it off).
func (s *Service) Disabled(w webhook.Webhook, reason string) {
	now := s.cfg.Now()
	s.observe(string(alert.KindDisabled), func(ctx context.Context) error {
		_, err := s.cfg.Store.AlertOpen(ctx, store.AlertOpenParams{WebhookID: w.ID, Kind: alert.KindDisabled,
			Tenant: w.Tenant, Detail: reason, Now: now})
		return err
	})
}

// Backlog opens the backlog alert when pending exceeds threshold, and
// closes an open one when it does not.
func (s *Service) Backlog(pending, threshold int64, now time.Time) {
	s.observe(string(alert.KindBacklog), func(ctx context.Context) error {
		if pending > threshold {
			_, err := s.cfg.Store.AlertOpen(ctx, store.AlertOpenParams{Kind: alert.KindBacklog,
				Detail: fmt.Sprintf("%d deliveries pending (alert above %d)", pending, threshold), Now: now})
			return err
		}
		states, err := s.cfg.Store.AlertList(ctx)
		if err != nil {
			return err
		}
		for _, a := range states {
			if a.WebhookID == "" && a.Kind == alert.KindBacklog && a.Open() {
				_, err = s.cfg.Store.AlertResolve(ctx, "", alert.KindBacklog, a.OpenedAt, now)
			}
		}
		return err
	})
}

// Round is one check by the leader: failing webhooks open alerts,
// alerts followed by a success close, and the messages due are claimed
// and queued.
func (s *Service) Round(ctx context.Context) {
	now := s.cfg.Now()
	lead, err := s.cfg.Store.LeaderAcquire(ctx, LeaderName, s.cfg.Owner, now, now.Add(3*s.cfg.Interval))
	if err != nil || !lead {
		if err != nil && ctx.Err() == nil {
			s.log.Warn("alerts: leader election failed", "err", err)
		}
		return
	}
	channels, err := s.cfg.Store.AlertChannelList(ctx)
	if err != nil {
		s.warn(ctx, "alerts: reading the channels failed", err)
		return
	}
	if s.wantsFailing(channels) {
		s.checkFailing(ctx, now)
	}
	states, err := s.cfg.Store.AlertList(ctx)
	if err != nil {
		s.warn(ctx, "alerts: reading the alerts failed", err)
		return
	}
	s.checkRecovered(ctx, states, now)
	if states, err = s.cfg.Store.AlertList(ctx); err != nil {
		s.warn(ctx, "alerts: reading the alerts failed", err)
		return
	}
	s.sendDue(ctx, channels, states, now)
	s.log.Debug("alerts: checked", "alerts", len(states))
}

// wantsFailing says whether anyone hears of failing webhooks: the query
// over the window's attempts is skipped when no one would.
func (s *Service) wantsFailing(channels []alert.Channel) bool {
	if s.cfg.SMTP.Enabled() {
		return true // tenants' contact e-mail
	}
	return slices.ContainsFunc(channels, func(c alert.Channel) bool { return slices.Contains(c.Kinds, alert.KindFailing) })
}

func (s *Service) checkFailing(ctx context.Context, now time.Time) {
	rates, err := s.cfg.Store.AttemptFailureRates(ctx, now.Add(-s.cfg.Window), s.cfg.MinAttempts)
	if err != nil {
		s.warn(ctx, "alerts: counting failed attempts failed", err)
		return
	}
	for _, r := range rates {
		if r.Failed*100 < r.Attempts*s.cfg.FailurePercent {
			continue
		}
		detail := fmt.Sprintf("%d of %d attempts failed in the last %s", r.Failed, r.Attempts, shortDuration(s.cfg.Window))
		if _, err := s.cfg.Store.AlertOpen(ctx, store.AlertOpenParams{WebhookID: r.WebhookID, Kind: alert.KindFailing,
			Tenant: r.Tenant, Detail: detail, Now: now}); err != nil {
			s.warn(ctx, "alerts: opening an alert failed", err)
		}
	}
}

// checkRecovered closes the open alerts of webhooks that delivered since
// they opened, and those of webhooks deleted meanwhile (silently).
func (s *Service) checkRecovered(ctx context.Context, states []alert.State, now time.Time) {
	for _, a := range states {
		if !a.Open() || a.WebhookID == "" {
			continue
		}
		if _, err := s.cfg.Store.WebhookGet(ctx, auth.AllTenants(), a.WebhookID); webhook.ErrorCode(err) == webhook.ENOTFOUND {
			if ok, _ := s.cfg.Store.AlertResolve(ctx, a.WebhookID, a.Kind, a.OpenedAt, now); ok {
				s.cfg.Store.AlertClaim(ctx, store.AlertClaimParams{WebhookID: a.WebhookID, Kind: a.Kind,
					Notice: alert.NoticeRecovery, Now: now})
			}
			continue
		}
		ok, err := s.cfg.Store.AttemptSucceededSince(ctx, a.WebhookID, a.OpenedAt)
		if err != nil {
			s.warn(ctx, "alerts: looking for a success failed", err)
			continue
		}
		if ok {
			if _, err := s.cfg.Store.AlertResolve(ctx, a.WebhookID, a.Kind, a.OpenedAt, now); err != nil {
				s.warn(ctx, "alerts: closing an alert failed", err)
			}
		}
	}
}

// sendDue claims every message due and queues it: an opening (unless one
// of the same webhook and kind went out less than Repeat ago: then it is
// suppressed, and so is its recovery), and one recovery message per
// webhook for all its alerts that closed.
func (s *Service) sendDue(ctx context.Context, channels []alert.Channel, states []alert.State, now time.Time) {
	recovered := map[string][]alert.State{}
	var order []string
	for _, a := range states {
		switch a.Notice {
		case alert.NoticeOpen:
			send := a.LastSentAt == nil || now.Sub(*a.LastSentAt) >= s.cfg.Repeat
			ok, err := s.cfg.Store.AlertClaim(ctx, store.AlertClaimParams{WebhookID: a.WebhookID, Kind: a.Kind,
				Notice: alert.NoticeOpen, Sent: send, Now: now})
			if err != nil {
				s.warn(ctx, "alerts: claiming a message failed", err)
				continue
			}
			if ok && send {
				s.fanOut(ctx, channels, s.message(ctx, a, nil))
			}
		case alert.NoticeRecovery:
			ok, err := s.cfg.Store.AlertClaim(ctx, store.AlertClaimParams{WebhookID: a.WebhookID, Kind: a.Kind,
				Notice: alert.NoticeRecovery, Sent: true, Now: now})
			if err != nil {
				s.warn(ctx, "alerts: claiming a message failed", err)
				continue
			}
			if ok {
				if _, seen := recovered[a.WebhookID]; !seen {
					order = append(order, a.WebhookID)
				}
				recovered[a.WebhookID] = append(recovered[a.WebhookID], a)
			}
		}
	}
	for _, id := range order {
		closed := recovered[id]
		kinds := make([]alert.Kind, len(closed))
		for i, a := range closed {
			kinds[i] = a.Kind
		}
		m := s.message(ctx, closed[0], kinds)
		m.At = now
		s.fanOut(ctx, channels, m)
	}
}

// fanOut queues m for every channel that wants it and for the tenant's
// contact e-mail (webhook alerts, when e-mail is set up), each address
// once.
func (s *Service) fanOut(ctx context.Context, channels []alert.Channel, m Message) {
	mailed := map[string]bool{}
	for _, c := range channels {
		if !m.wanted(c) {
			continue
		}
		if c.Type == alert.TypeEmail {
			for _, to := range c.To {
				mailed[to] = true
			}
		}
		s.enqueue(job{channel: c, msg: m})
	}
	if !s.cfg.SMTP.Enabled() || m.WebhookID == "" || m.Tenant == "" {
		return
	}
	t, err := s.cfg.Store.TenantGet(ctx, m.Tenant)
	if err != nil || t.ContactEmail == "" || mailed[t.ContactEmail] {
		return
	}
	s.enqueue(job{channel: alert.Channel{ID: "tenant:" + t.ID, Type: alert.TypeEmail, To: []string{t.ContactEmail},
		Tenant: t.ID}, msg: m})
}

func (s *Service) enqueue(j job) {
	select {
	case s.jobs <- j:
	default:
		s.log.Warn("alerts: too many messages waiting; one dropped", "channel", j.channel.ID, "alert", j.msg.Subject())
	}
}

func (s *Service) warn(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		s.log.Warn(msg, "err", err)
	}
}

// shortDuration prints 15m rather than 15m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	for _, suf := range []string{"m0s", "h0m"} {
		if len(s) > len(suf) && s[len(s)-len(suf):] == suf {
			s = s[:len(s)-2]
		}
	}
	return s
}

// Check validates a channel as a client asks for it (alert.Check), its URL
// against the egress guard, its tenant against the tenants, and an e-mail
// channel against the server's SMTP setup: every problem at once, each
// naming its field. It returns the channel to store, with ID and time.
func (s *Service) Check(ctx context.Context, in alert.Input) (alert.Channel, error) {
	var v webhook.Validation
	c, err := alert.Check(in)
	if err := v.Merge(err); err != nil {
		return c, err
	}
	if c.URL != "" && s.cfg.Guard != nil {
		if err := s.cfg.Guard.CheckURL(c.URL); err != nil {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("url"), "%v", err)
		}
	}
	if c.Type == alert.TypeEmail && !s.cfg.SMTP.Enabled() {
		v.Add(webhook.EUNPROCESSABLE, webhook.At("type"), "e-mail is not set up on this server: start it with --smtp-url and --smtp-from")
	}
	if c.Tenant != "" {
		if _, err := s.cfg.Store.TenantGet(ctx, c.Tenant); webhook.ErrorCode(err) == webhook.ENOTFOUND {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("tenant"), "no tenant %q", c.Tenant)
		} else if err != nil {
			return c, err
		}
	}
	if err := v.Err(); err != nil {
		return c, err
	}
	c.ID = webhook.NewID(alert.PrefixChannel)
	c.CreatedAt = s.cfg.Now().UTC().Truncate(time.Microsecond)
	return c, nil
}

// Settings are the thresholds alerts follow, for people to read.
type Settings struct {
	FailurePercent int
	Window         time.Duration
	MinAttempts    int
	Repeat         time.Duration
	// Email says whether e-mail is set up (--smtp-url and --smtp-from).
	Email bool
}

// Settings returns the thresholds in force.
func (s *Service) Settings() Settings {
	return Settings{FailurePercent: s.cfg.FailurePercent, Window: s.cfg.Window, MinAttempts: s.cfg.MinAttempts,
		Repeat: s.cfg.Repeat, Email: s.cfg.SMTP.Enabled()}
}

// WindowText is the window as people write it ("15m").
func (s Settings) WindowText() string { return shortDuration(s.Window) }

// RepeatText is the repeat interval as people write it ("1h").
func (s Settings) RepeatText() string { return shortDuration(s.Repeat) }
