// Package redisstream is the "redis" destination: each delivery is one
// entry appended to a Redis stream with XADD, delivered once Redis
// answered with the entry's id (Redis acknowledges a write only after
// applying it). A package of its own keeps the Redis client out of every
// importer of package deliver.
//
// Configuration: {"type":"redis","url":"redis://:password@host:6379/0",
// "stream":"hookline-events","maxlen":100000}; maxlen, when set, caps the
// stream approximately (XADD MAXLEN ~), so old entries are trimmed.
//
// The entry's fields: "payload" (the body an HTTP webhook would get) and
// the Standard Webhooks headers (webhook-id, webhook-timestamp,
// webhook-signature, webhook-event, content-type, custom headers), one
// field each, lower-cased as HTTP/2 spells them.
//
// Verdicts (see deliver.BrokerVerdict): an entry id → delivered; refused
// credentials (NOAUTH, WRONGPASS: class auth) and other Redis errors
// (WRONGTYPE, OOM: class broker) are retried without counting toward the
// breaker; timeouts and unreachable servers are retried and counted.
package redisstream

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Type is the destination type key.
const Type = "redis"

// poolSize bounds the connections kept per Redis server.
const poolSize = 8

func init() {
	deliver.Register(Type, func(cfg deliver.Config) (deliver.Sender, error) { return New(cfg), nil })
	deliver.RegisterCheck(Type, Check)
}

// Check validates a redis destination.
func Check(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	if u := deliver.CheckBrokerURL(d.URL, []string{"redis", "rediss"}, at, v); u != nil {
		if _, err := redis.ParseURL(d.URL); err != nil {
			v.Add(webhook.EINVALID, at.Key("url"), "is not a usable Redis URL: %s", err)
		}
	}
	deliver.CheckName(d.Stream, true, at, "stream", v)
	if d.MaxLen < 0 {
		v.Add(webhook.EINVALID, at.Key("maxlen"), "must not be negative (0: no cap)")
	}
}

// Sender appends to Redis streams, one client (a bounded pool of
// connections) per destination URL.
type Sender struct {
	cfg  deliver.Config
	pool deliver.Pool[*redis.Client]
}

// New returns the redis sender.
func New(cfg deliver.Config) *Sender {
	s := &Sender{cfg: cfg}
	s.pool.Dial, s.pool.Now = s.dial, cfg.Now
	return s
}

// Close closes every client.
func (s *Sender) Close() error { return s.pool.Close() }

// Release lets go of webhookID's connection (see deliver.Releaser): it is
// closed when no other webhook uses it.
func (s *Sender) Release(webhookID string) { s.pool.Release(webhookID) }

func (s *Sender) dial(_ context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	tlsConfig := opt.TLSConfig
	// The guard's dialer replaces the client's, TLS included.
	opt.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := s.cfg.Dial(ctx, network, addr)
		if err != nil || tlsConfig == nil {
			return c, err
		}
		tc := tls.Client(c, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
	}
	opt.PoolSize, opt.DialTimeout = poolSize, s.cfg.Timeout
	opt.ReadTimeout, opt.WriteTimeout = s.cfg.Timeout, s.cfg.Timeout
	// Dispatch owns retries: one attempt is one command.
	opt.MaxRetries = -1
	return redis.NewClient(opt), nil
}

// Send appends one entry.
func (s *Sender) Send(ctx context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	d := t.Webhook.Destination
	start := s.cfg.Now()
	msg, a := deliver.NewMessage(t, start, webhook.MaskURLPassword(d.URL)+" "+d.Stream)
	answer, err := s.add(ctx, t.Webhook.ID, d, msg)
	deliver.Finish(&a, start, s.cfg.Now(), answer, err, classify)
	return a, deliver.BrokerVerdict(&a)
}

func (s *Sender) add(ctx context.Context, webhookID string, d webhook.Destination, msg deliver.Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, release, err := s.pool.Acquire(ctx, webhookID, d.URL)
	if err != nil {
		return "", err
	}
	defer release()
	values := make([]any, 0, 2+2*len(msg.Headers))
	values = append(values, "payload", msg.Body)
	for k, v := range msg.Headers {
		values = append(values, strings.ToLower(k), v)
	}
	id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: d.Stream, MaxLen: d.MaxLen, Approx: d.MaxLen > 0, Values: values}).Result()
	if err != nil {
		return "", err
	}
	return "XADD " + id, nil
}

// classify names a Redis failure's class.
func classify(err error) (webhook.ErrorClass, string) {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		if strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOPERM") {
			return webhook.ErrClassAuth, "credentials refused: " + msg
		}
		return webhook.ErrClassBroker, "Redis answered: " + msg
	}
	return deliver.Classify(err)
}
