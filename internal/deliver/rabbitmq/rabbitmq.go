// Package rabbitmq is the "rabbitmq" destination: each delivery is one
// AMQP 0-9-1 message published with publisher confirms, counted delivered
// only once the broker acknowledged it. It is a package of its own so
// that the AMQP client is linked only where the composition root imports
// it, as every destination type beyond HTTP is (see package deliver).
//
// Configuration: {"type":"rabbitmq","url":"amqp://user:pass@host:5672/vhost",
// "exchange":"events","routing_key":"hookline"}. The default exchange ("")
// routes by queue name, so routing_key is then required.
//
// The message: the body an HTTP webhook would get, content type
// application/json, persistent, message id = the event id, type = the
// event type, and the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature, webhook-event, custom headers) as
// AMQP headers. It is published mandatory: a message no queue takes comes
// back (basic.return) and the attempt fails as "unroutable", rather than
// being acknowledged and dropped.
//
// Verdicts (see deliver.BrokerVerdict): ack → delivered; nack, return,
// unknown exchange, refused login, timeout, unreachable broker → retried
// on the schedule (auth and broker refusals with their reason, not counted
// toward the breaker; timeouts and unreachable brokers counted).
package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Type is the destination type key.
const Type = "rabbitmq"

// maxChannels bounds the channels kept open per connection: one publish is
// in flight per channel at a time, so this is the concurrency per broker.
const maxChannels = 16

func init() {
	deliver.Register(Type, func(cfg deliver.Config) (deliver.Sender, error) { return New(cfg), nil })
	deliver.RegisterCheck(Type, Check)
}

// Check validates a rabbitmq destination.
func Check(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	deliver.CheckBrokerURL(d.URL, []string{"amqp", "amqps"}, at, v)
	// AMQP short strings hold at most 255 bytes.
	if len(d.Exchange) > 255 {
		v.Add(webhook.EINVALID, at.Key("exchange"), "must be at most 255 bytes long")
	}
	switch {
	case len(d.RoutingKey) > 255:
		v.Add(webhook.EINVALID, at.Key("routing_key"), "must be at most 255 bytes long")
	case d.RoutingKey == "" && d.Exchange == "":
		v.Add(webhook.EINVALID, at.Key("routing_key"), "is required with the default exchange: it names the queue")
	}
}

// Sender publishes to RabbitMQ, one connection per destination URL.
type Sender struct {
	cfg  deliver.Config
	pool deliver.Pool[*conn]
}

// New returns the rabbitmq sender.
func New(cfg deliver.Config) *Sender {
	s := &Sender{cfg: cfg}
	s.pool.Dial, s.pool.Now = s.dial, cfg.Now
	s.pool.Alive = func(c *conn) bool { return !c.c.IsClosed() }
	return s
}

// Close closes every broker connection.
func (s *Sender) Close() error { return s.pool.Close() }

// Release lets go of webhookID's connection (see deliver.Releaser): it is
// closed when no other webhook uses it.
func (s *Sender) Release(webhookID string) { s.pool.Release(webhookID) }

// conn is one AMQP connection and its idle confirm-mode channels.
type conn struct {
	c    *amqp.Connection
	idle chan *channel
}

// channel is a channel in confirm mode with its return and close
// notifications. Only one publish is in flight on it, so a return (sent
// by the broker before the ack) is already buffered when the ack arrives.
type channel struct {
	ch      *amqp.Channel
	returns chan amqp.Return
	closes  chan *amqp.Error
}

func (c *conn) Close() error { return c.c.Close() }

func (s *Sender) dial(ctx context.Context, url string) (*conn, error) {
	c, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": "hookline"},
		Dial: func(network, addr string) (net.Conn, error) {
			nc, err := s.cfg.Dial(ctx, network, addr)
			if err == nil {
				// Bound the handshake too; the library clears the
				// deadline once it is done.
				nc.SetDeadline(time.Now().Add(s.cfg.Timeout))
			}
			return nc, err
		},
	})
	if err != nil {
		return nil, err
	}
	return &conn{c: c, idle: make(chan *channel, maxChannels)}, nil
}

// channel takes an idle channel or opens one.
func (c *conn) channel() (*channel, error) {
	select {
	case ch := <-c.idle:
		if !ch.ch.IsClosed() {
			return ch, nil
		}
	default:
	}
	ch, err := c.c.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Confirm(false); err != nil {
		ch.Close()
		return nil, err
	}
	return &channel{ch: ch, returns: ch.NotifyReturn(make(chan amqp.Return, 1)),
		closes: ch.NotifyClose(make(chan *amqp.Error, 1))}, nil
}

// release keeps ch for the next publish, or closes it when enough are idle.
func (c *conn) release(ch *channel) {
	select {
	case c.idle <- ch:
	default:
		ch.ch.Close()
	}
}

// brokerError is the broker's refusal of one message.
type brokerError struct{ msg string }

func (e *brokerError) Error() string { return e.msg }

// Send publishes one message and waits for the broker's confirm.
func (s *Sender) Send(ctx context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	d := t.Webhook.Destination
	start := s.cfg.Now()
	msg, a := deliver.NewMessage(t, start, webhook.MaskURLPassword(d.URL))
	answer, err := s.publish(ctx, t.Webhook.ID, d, msg, t.Event)
	deliver.Finish(&a, start, s.cfg.Now(), answer, err, classify)
	return a, deliver.BrokerVerdict(&a)
}

func (s *Sender) publish(ctx context.Context, webhookID string, d webhook.Destination, msg deliver.Message, ev webhook.Event) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, release, err := s.pool.Acquire(ctx, webhookID, d.URL)
	if err != nil {
		return "", err
	}
	defer release()
	ch, err := c.channel()
	if err != nil {
		// A connection that cannot open a channel is of no further use.
		s.pool.Drop(d.URL, c)
		return "", err
	}
	headers := make(amqp.Table, len(msg.Headers))
	for k, v := range msg.Headers {
		headers[k] = v
	}
	dc, err := ch.ch.PublishWithDeferredConfirmWithContext(ctx, d.Exchange, d.RoutingKey, true, false, amqp.Publishing{
		Headers: headers, ContentType: "application/json", DeliveryMode: amqp.Persistent,
		MessageId: ev.ID, Type: ev.Type, Timestamp: ev.CreatedAt, Body: msg.Body, AppId: "hookline",
	})
	if err != nil {
		ch.ch.Close()
		if c.c.IsClosed() {
			s.pool.Drop(d.URL, c)
		}
		return "", err
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		// The confirm may still come; this channel's state is unknown.
		ch.ch.Close()
		return "", err
	}
	if !acked {
		// The broker closes the channel before it fails pending
		// confirms, so its reason is already buffered when there is one.
		select {
		case e := <-ch.closes:
			if e != nil {
				if c.c.IsClosed() {
					s.pool.Drop(d.URL, c)
				}
				return "", e
			}
		default:
			ch.ch.Close()
		}
		if c.c.IsClosed() {
			s.pool.Drop(d.URL, c)
			return "", amqp.ErrClosed
		}
		return "", &brokerError{"the broker did not acknowledge the message (nack)"}
	}
	select {
	case r := <-ch.returns:
		c.release(ch)
		return "", &brokerError{fmt.Sprintf("unroutable: the broker returned the message (%d %s): no queue is bound for routing key %q",
			r.ReplyCode, r.ReplyText, d.RoutingKey)}
	default:
	}
	c.release(ch)
	return "ack", nil
}

// classify names an AMQP failure's class.
func classify(err error) (webhook.ErrorClass, string) {
	var ae *amqp.Error
	var be *brokerError
	switch {
	case errors.Is(err, amqp.ErrCredentials), errors.Is(err, amqp.ErrSASL),
		errors.As(err, &ae) && ae.Code == amqp.AccessRefused:
		return webhook.ErrClassAuth, "credentials refused: " + err.Error()
	case errors.Is(err, amqp.ErrVhost):
		return webhook.ErrClassAuth, "virtual host refused: " + err.Error()
	case errors.As(err, &be):
		return webhook.ErrClassBroker, be.msg
	case errors.As(err, &ae) && ae.Code == amqp.NotFound:
		return webhook.ErrClassBroker, "not found: " + ae.Reason
	case errors.Is(err, amqp.ErrClosed):
		return webhook.ErrClassConnection, "connection closed"
	case errors.As(err, &ae) && !ae.Server:
		return webhook.ErrClassConnection, "connection error: " + ae.Error()
	case errors.As(err, &ae):
		return webhook.ErrClassBroker, "broker error: " + ae.Error()
	}
	return deliver.Classify(err)
}
