// Package mqtt is the "mqtt" destination: each delivery is one MQTT 3.1.1
// publish at QoS 1, delivered once the broker's PUBACK arrived. A package
// of its own keeps the MQTT client out of every importer of package
// deliver.
//
// Configuration: {"type":"mqtt","url":"mqtt://user:password@host:1883",
// "topic":"hookline/events","qos":1}; mqtts:// for TLS. QoS 1 is the only
// level offered: QoS 0 has no acknowledgement, so nothing would say the
// event arrived.
//
// MQTT 3.1.1 has no message properties, so the Standard Webhooks headers
// travel in a JSON envelope around the body:
//
//	{"headers":{"webhook-id":"evt_…","webhook-timestamp":"…",
//	 "webhook-signature":"v1,…","webhook-event":"…","content-type":"application/json"},
//	 "body":"{\"id\":\"evt_…\",…}"}
//
// body is the exact body an HTTP webhook would get, as a JSON string, so
// that a consumer verifies the signature over its decoded bytes.
//
// Verdicts (see deliver.BrokerVerdict): PUBACK → delivered; refused
// credentials (class auth) are retried without counting toward the
// breaker; timeouts and unreachable brokers are retried and counted.
package mqtt

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Type is the destination type key.
const Type = "mqtt"

// QoS is the quality of service of every publish.
const QoS = 1

func init() {
	deliver.Register(Type, func(cfg deliver.Config) (deliver.Sender, error) { return New(cfg), nil })
	deliver.RegisterCheck(Type, Check)
}

// Check validates an mqtt destination.
func Check(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	deliver.CheckBrokerURL(d.URL, []string{"mqtt", "mqtts", "tcp", "ssl"}, at, v)
	deliver.CheckName(d.Topic, true, at, "topic", v)
	if strings.ContainsAny(d.Topic, "+#\x00") {
		v.Add(webhook.EINVALID, at.Key("topic"), "must not contain the wildcards + or #")
	}
	if d.QoS != 0 && d.QoS != QoS {
		v.Add(webhook.EINVALID, at.Key("qos"), "must be 1 (at least once, acknowledged by PUBACK)")
	}
}

// Envelope is the MQTT payload: the headers and the exact body.
type Envelope struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Sender publishes to MQTT brokers, one connection per destination URL.
type Sender struct {
	cfg  deliver.Config
	pool deliver.Pool[*conn]
}

// New returns the mqtt sender.
func New(cfg deliver.Config) *Sender {
	s := &Sender{cfg: cfg}
	s.pool.Dial, s.pool.Now = s.dial, cfg.Now
	s.pool.Alive = func(c *conn) bool { return c.c.IsConnectionOpen() }
	return s
}

// Close closes every connection.
func (s *Sender) Close() error { return s.pool.Close() }

// Release lets go of webhookID's connection (see deliver.Releaser): it is
// closed when no other webhook uses it.
func (s *Sender) Release(webhookID string) { s.pool.Release(webhookID) }

type conn struct{ c paho.Client }

func (c *conn) Close() error {
	c.c.Disconnect(250)
	return nil
}

func (s *Sender) dial(ctx context.Context, raw string) (*conn, error) {
	opts := paho.NewClientOptions().AddBroker(raw).
		SetClientID("hookline-" + webhook.NewID("")).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(s.cfg.Timeout).SetWriteTimeout(s.cfg.Timeout).
		SetProtocolVersion(4). // MQTT 3.1.1
		SetCustomOpenConnectionFn(func(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
			port := u.Port()
			if port == "" {
				port = "1883"
				if u.Scheme == "mqtts" || u.Scheme == "ssl" {
					port = "8883"
				}
			}
			c, err := s.cfg.Dial(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
			if err != nil || (u.Scheme != "mqtts" && u.Scheme != "ssl") {
				return c, err
			}
			tc := tls.Client(c, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return tc, nil
		})
	c := paho.NewClient(opts)
	tok := c.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	return &conn{c: c}, nil
}

// Send publishes one message and waits for the PUBACK.
func (s *Sender) Send(ctx context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	d := t.Webhook.Destination
	start := s.cfg.Now()
	msg, a := deliver.NewMessage(t, start, webhook.MaskURLPassword(d.URL)+" "+d.Topic)
	answer, err := s.publish(ctx, t.Webhook.ID, d, msg)
	deliver.Finish(&a, start, s.cfg.Now(), answer, err, classify)
	return a, deliver.BrokerVerdict(&a)
}

func (s *Sender) publish(ctx context.Context, webhookID string, d webhook.Destination, msg deliver.Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, release, err := s.pool.Acquire(ctx, webhookID, d.URL)
	if err != nil {
		return "", err
	}
	defer release()
	payload, err := json.Marshal(Envelope{Headers: msg.Headers, Body: string(msg.Body)})
	if err != nil {
		return "", err
	}
	tok := c.c.Publish(d.Topic, QoS, false, payload)
	select {
	case <-tok.Done():
	case <-ctx.Done():
		// No PUBACK in time: the connection is suspect.
		s.pool.Drop(d.URL, c)
		return "", ctx.Err()
	}
	if err := tok.Error(); err != nil {
		s.pool.Drop(d.URL, c)
		return "", err
	}
	return "PUBACK", nil
}

// classify names an MQTT failure's class.
func classify(err error) (webhook.ErrorClass, string) {
	switch {
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword), errors.Is(err, packets.ErrorRefusedNotAuthorised):
		return webhook.ErrClassAuth, "credentials refused: " + err.Error()
	case errors.Is(err, packets.ErrorRefusedServerUnavailable), errors.Is(err, packets.ErrorRefusedIDRejected),
		errors.Is(err, packets.ErrorRefusedBadProtocolVersion):
		return webhook.ErrClassBroker, "connection refused by the broker: " + err.Error()
	}
	return deliver.Classify(err)
}
