// Package deliver sends one delivery to its destination and says what the
// answer means. A destination type ("http" today) is a Sender registered
// under its key; the dispatcher holds a Senders value that routes each
// task by its webhook's destination type, so a new destination is a
// package that calls Register from its init function and nothing else
// changes. Senders own the rules of their protocol (which answers mean
// delivered, retry later, give up, or turn the webhook off); the
// dispatcher applies the retry schedule and the breaker to the Verdict.
package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
)

// Task is what one attempt sends.
type Task struct {
	Webhook    webhook.Webhook
	Signer     *signing.Signer
	Event      webhook.Event
	DeliveryID string
	Number     int
	// Test marks a Send Test attempt: logged, but no delivery moves on.
	Test bool
	// Start is when the dispatcher let the attempt start: the time its
	// rate limiter counted. It is the attempt's StartedAt and its
	// signature's timestamp, so a receiver sees the limiter's clock; zero
	// means now.
	Start time.Time
	// Shaped is the request the webhook's transform made (Senders fills
	// it in): senders send its body, headers, URL and method instead of
	// the webhook's, signed as sent.
	Shaped *transform.Result
}

// startTime is when t starts: its Start, or now.
func startTime(t Task, now time.Time) time.Time {
	if t.Start.IsZero() {
		return now
	}
	return t.Start
}

// A Sender makes one attempt at a destination. It never returns an error:
// every failure is an Attempt with an ErrorClass and a Verdict. Senders are
// safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, t Task) (webhook.Attempt, Verdict)
}

// Kind is what an attempt means for its delivery.
type Kind int

// Verdict kinds.
const (
	// Delivered: the destination took the event; the delivery is done.
	Delivered Kind = iota + 1
	// Retry: try again on the retry schedule.
	Retry
	// RetryAfter: try again after Verdict.After (the destination asked for
	// it), within the retry schedule's number of attempts.
	RetryAfter
	// Permanent: no later attempt can succeed; the delivery fails now.
	Permanent
	// Disable: the destination asked never to be sent to again; the
	// delivery fails and the webhook is turned off.
	Disable
)

var kindNames = [...]string{Delivered: "delivered", Retry: "retry", RetryAfter: "retry_after",
	Permanent: "permanent", Disable: "disable"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Verdict is a sender's reading of one attempt.
type Verdict struct {
	Kind Kind
	// After is the wait a RetryAfter verdict asks for.
	After time.Duration
	// Reason says why in a few words, for logs and for a disabled
	// webhook's disabled_reason.
	Reason string
	// Down reports that the destination looks down or overloaded (as
	// opposed to refusing this one request): it counts toward the
	// endpoint's breaker.
	Down bool
}

// Factory makes a destination type's Sender from the shared settings.
// Config's defaults are applied.
type Factory func(Config) (Sender, error)

// Config holds what senders share: the guarded egress client, the
// attempt timeout and limits.
type Config struct {
	// Client is the egress client; it must not follow redirects.
	Client *http.Client
	// Version goes into the User-Agent header.
	Version string
	// Timeout bounds one attempt from dial to the last byte read.
	Timeout time.Duration
	// MaxResponseBody is how many response body bytes are kept.
	MaxResponseBody int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Dial connects broker destinations (every type but HTTP), through
	// the egress guard like Client; nil means a guard with no private
	// range allowed.
	Dial egress.DialFunc
	// Transform bounds each run of a webhook's transform.
	Transform transform.Limits
	// Transforms runs webhooks' transforms; nil makes a transform.Pool
	// of the defaults, which Close closes.
	Transforms transform.Runner
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.MaxResponseBody <= 0 {
		c.MaxResponseBody = 64 << 10
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Dial == nil {
		c.Dial = egress.NewDialer(egress.Config{ConnectTimeout: c.Timeout})
	}
}

var (
	registryMu sync.Mutex
	registry   = map[string]Factory{}
)

// Register makes a destination type available under key. It is meant for
// init functions and panics on a duplicate key, as two packages claiming
// one type is a build mistake.
func Register(key string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[key]; dup {
		panic("deliver: destination type registered twice: " + key)
	}
	registry[key] = f
}

// Types lists the registered destination types, sorted.
func Types() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Senders routes each task to the sender of its webhook's destination
// type. It is itself a Sender.
type Senders struct {
	byType     map[string]Sender
	now        func() time.Time
	limits     transform.Limits
	transforms transform.Runner
	// ownPool is the pool Open made (no Transforms given), closed by
	// Close.
	ownPool *transform.Pool
}

var _ Sender = (*Senders)(nil)

// Open makes one Sender of every registered destination type.
func Open(cfg Config) (*Senders, error) {
	cfg.defaults()
	registryMu.Lock()
	factories := make(map[string]Factory, len(registry))
	for k, f := range registry {
		factories[k] = f
	}
	registryMu.Unlock()
	s := &Senders{byType: make(map[string]Sender, len(factories)), now: cfg.Now, limits: cfg.Transform, transforms: cfg.Transforms}
	if s.transforms == nil {
		s.ownPool = transform.NewPool(transform.PoolConfig{})
		s.transforms = s.ownPool
	}
	for k, f := range factories {
		snd, err := f(cfg)
		if err != nil {
			return nil, fmt.Errorf("destination type %q: %w", k, err)
		}
		s.byType[k] = snd
	}
	return s, nil
}

// Close closes the senders that hold connections (the broker types), once
// no attempt is under way any more: at shutdown.
func (s *Senders) Close() error {
	var errs []error
	if s.ownPool != nil {
		errs = append(errs, s.ownPool.Close())
	}
	for _, snd := range s.byType {
		if c, ok := snd.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// A Releaser is a sender that keeps connections per destination (the
// broker types): Release lets go of those of a webhook that changed or
// went away, closing each one no other webhook uses.
type Releaser interface {
	Release(webhookID string)
}

// Invalidate releases webhookID's broker connections (see Releaser): the
// registry calls it after every change of the webhook, as it tells the
// dispatcher. An empty id (everything changed) releases nothing; idle
// connections close on their own.
func (s *Senders) Invalidate(webhookID string) {
	if webhookID == "" {
		return
	}
	for _, snd := range s.byType {
		if r, ok := snd.(Releaser); ok {
			r.Release(webhookID)
		}
	}
}

// Known reports whether destination type key has a sender.
func (s *Senders) Known(key string) bool {
	if key == "" {
		key = TypeHTTP
	}
	_, ok := s.byType[key]
	return ok
}

// Send sends t with the sender of its webhook's destination type. A type
// with no sender (a webhook written by a build with more destination
// types) fails the delivery rather than retrying what cannot work.
func (s *Senders) Send(ctx context.Context, t Task) (webhook.Attempt, Verdict) {
	typ := TypeOf(t.Webhook)
	if snd, ok := s.byType[typ]; ok {
		if t.Webhook.Transform != "" {
			var a webhook.Attempt
			var v Verdict
			var done bool
			if t, a, v, done = s.applyTransform(ctx, t); done {
				return a, v
			}
		}
		return snd.Send(ctx, t)
	}
	a := newAttempt(t, s.now())
	a.ErrorClass = webhook.ErrClassInternal
	a.Error = "no sender for destination type " + typ + " in this build"
	a.Answer = a.ErrorClass.Answer()
	return a, Verdict{Kind: Permanent, Reason: a.Error}
}

// TypeOf is a webhook's destination type; webhooks that name none are
// HTTP.
func TypeOf(w webhook.Webhook) string {
	if w.Destination.Type == "" {
		return TypeHTTP
	}
	return w.Destination.Type
}

// newAttempt starts the record of an attempt of t.
// bodyOf is what an attempt of t records of the body it sends: the
// format its body is made from the stored event in, or "" when the body
// is not that (a transform's, or a test's whose event is not stored).
func bodyOf(t Task) webhook.Format {
	switch {
	case t.Shaped != nil || t.Test || t.DeliveryID == "":
		return ""
	case t.Webhook.Format == webhook.FormatRaw:
		return webhook.FormatRaw
	}
	return webhook.FormatEnvelope
}

func newAttempt(t Task, start time.Time) webhook.Attempt {
	return webhook.Attempt{
		ID:          webhook.NewID(webhook.PrefixAttempt),
		DeliveryID:  t.DeliveryID,
		WebhookID:   t.Webhook.ID,
		EventID:     t.Event.ID,
		EventType:   t.Event.Type,
		Number:      t.Number,
		Test:        t.Test,
		Destination: TypeOf(t.Webhook),
		StartedAt:   start,
	}
}
