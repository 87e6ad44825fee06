// Package natsjs is the "nats" destination: each delivery is one NATS
// JetStream publish, delivered once the stream that captures the subject
// acknowledged it (stored). A package of its own keeps the NATS client out
// of every importer of package deliver.
//
// Configuration: {"type":"nats","url":"nats://user:password@host:4222",
// "subject":"hookline.events"}; a stream must capture the subject (the
// stream is the customer's to create, with its retention and limits).
//
// The message: the body an HTTP webhook would get, with the Standard
// Webhooks headers (webhook-id, webhook-timestamp, webhook-signature,
// webhook-event, content-type, custom headers) as NATS headers, and
// Nats-Msg-Id set to the delivery id: a retry whose first ack was lost is
// stored once (within the stream's duplicate window), while a replay, a
// new delivery, is stored again.
//
// Verdicts (see deliver.BrokerVerdict): the stream's ack → delivered; no
// stream for the subject (class broker) and refused credentials (class
// auth) are retried without counting toward the breaker; timeouts and
// unreachable servers are retried and counted.
package natsjs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Type is the destination type key.
const Type = "nats"

func init() {
	deliver.Register(Type, func(cfg deliver.Config) (deliver.Sender, error) { return New(cfg), nil })
	deliver.RegisterCheck(Type, Check)
}

// Check validates a nats destination.
func Check(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	deliver.CheckBrokerURL(d.URL, []string{"nats", "tls"}, at, v)
	deliver.CheckName(d.Subject, true, at, "subject", v)
	// A publish subject is dot-separated tokens, without wildcards or
	// white space.
	if d.Subject != "" && (strings.ContainsAny(d.Subject, "*> \t\r\n") || strings.Contains(d.Subject, "..") ||
		strings.HasPrefix(d.Subject, ".") || strings.HasSuffix(d.Subject, ".")) {
		v.Add(webhook.EINVALID, at.Key("subject"), "must be dot-separated tokens without wildcards or spaces, like hookline.events")
	}
}

// Sender publishes to JetStream, one connection per destination URL.
type Sender struct {
	cfg  deliver.Config
	pool deliver.Pool[*conn]
}

// New returns the nats sender.
func New(cfg deliver.Config) *Sender {
	s := &Sender{cfg: cfg}
	s.pool.Dial, s.pool.Now = s.dial, cfg.Now
	s.pool.Alive = func(c *conn) bool { return !c.nc.IsClosed() }
	return s
}

// Close closes every connection.
func (s *Sender) Close() error { return s.pool.Close() }

// Release lets go of webhookID's connection (see deliver.Releaser): it is
// closed when no other webhook uses it.
func (s *Sender) Release(webhookID string) { s.pool.Release(webhookID) }

type conn struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func (c *conn) Close() error {
	c.nc.Close()
	return nil
}

// dialer is the guard's dialer as NATS wants it.
type dialer struct{ s *Sender }

func (d dialer) Dial(network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.s.cfg.Timeout)
	defer cancel()
	return d.s.cfg.Dial(ctx, network, address)
}

func (s *Sender) dial(_ context.Context, url string) (*conn, error) {
	nc, err := nats.Connect(url, nats.SetCustomDialer(dialer{s}), nats.Timeout(s.cfg.Timeout),
		nats.Name("hookline"), nats.RetryOnFailedConnect(false),
		// No reconnecting in the background, which would buffer publishes
		// unseen: a lost connection is closed, and the pool dials anew at
		// the next attempt, as for every broker type.
		nats.NoReconnect())
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &conn{nc: nc, js: js}, nil
}

// Send publishes one message and waits for the stream's ack.
func (s *Sender) Send(ctx context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	d := t.Webhook.Destination
	start := s.cfg.Now()
	msg, a := deliver.NewMessage(t, start, webhook.MaskURLPassword(d.URL)+" "+d.Subject)
	answer, err := s.publish(ctx, t.Webhook.ID, d, msg, t.DeliveryID)
	deliver.Finish(&a, start, s.cfg.Now(), answer, err, classify)
	return a, deliver.BrokerVerdict(&a)
}

func (s *Sender) publish(ctx context.Context, webhookID string, d webhook.Destination, msg deliver.Message, deliveryID string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, release, err := s.pool.Acquire(ctx, webhookID, d.URL)
	if err != nil {
		return "", err
	}
	defer release()
	m := nats.NewMsg(d.Subject)
	m.Data = msg.Body
	for k, v := range msg.Headers {
		m.Header.Set(k, v)
	}
	var opts []jetstream.PublishOpt
	if deliveryID != "" {
		opts = append(opts, jetstream.WithMsgID(deliveryID))
	}
	ack, err := c.js.PublishMsg(ctx, m, opts...)
	if err != nil {
		if c.nc.IsClosed() {
			s.pool.Drop(d.URL, c)
		}
		return "", err
	}
	answer := fmt.Sprintf("stored in %s at %d", ack.Stream, ack.Sequence)
	if ack.Duplicate {
		answer += " (duplicate)"
	}
	return answer, nil
}

// classify names a NATS failure's class.
func classify(err error) (webhook.ErrorClass, string) {
	var jsErr jetstream.JetStreamError
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return webhook.ErrClassAuth, "credentials refused: " + err.Error()
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return webhook.ErrClassBroker, "no stream captures the subject (no responders)"
	case errors.As(err, &jsErr):
		return webhook.ErrClassBroker, "JetStream answered: " + err.Error()
	case errors.Is(err, nats.ErrNoServers):
		return webhook.ErrClassConnectionRefused, "no NATS server reachable: " + err.Error()
	}
	return deliver.Classify(err)
}
