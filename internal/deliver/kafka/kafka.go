// Package kafka is the "kafka" destination: each delivery is one record
// produced to a Kafka topic with acks=all by an idempotent producer,
// counted delivered once every in-sync replica has it. A package of its
// own keeps the Kafka client (franz-go) out of every importer of package
// deliver.
//
// Configuration: {"type":"kafka","brokers":["b1:9092","b2:9092"],
// "topic":"events","key_path":"data.customer.id"}, with optionally
// "tls":true and SASL credentials ("sasl_mechanism" plain, scram-sha-256
// or scram-sha-512, "username", "password"; the password is sealed at
// rest and never shown).
//
// The record: value = the body an HTTP webhook would get; key = the value
// at key_path in that body (see Key: the event id when key_path is empty,
// missing or null), so one customer's events keep their order on one
// partition; headers = the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature, webhook-event, content-type,
// custom headers), lower-cased.
//
// Verdicts (see deliver.BrokerVerdict): the broker's ack → delivered, its
// answer "partition P offset O"; refused credentials or ACLs (class auth)
// and broker refusals such as an unknown topic or a record too large
// (class broker) are retried without counting toward the breaker;
// timeouts and unreachable brokers are retried and counted.
//
// One attempt is bounded by the sender's timeout: the producer may give
// up on a record already sent (AllowIdempotentProduceCancellation), so a
// record whose ack was lost can be stored twice when the delivery is
// retried: at least once, as with every destination; consumers dedupe by
// webhook-id. Within an attempt the idempotent producer's own resends are
// never duplicated.
package kafka

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/webhook"
)

// Type is the destination type key.
const Type = "kafka"

// SASL mechanisms a destination may name.
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// Mechanisms lists the SASL mechanisms, for checks and forms.
var Mechanisms = []string{SASLPlain, SASLScramSHA256, SASLScramSHA512}

func init() {
	deliver.Register(Type, func(cfg deliver.Config) (deliver.Sender, error) { return New(cfg), nil })
	deliver.RegisterCheck(Type, Check)
}

// Sender produces to Kafka clusters, one client (its connections to every
// broker of the cluster) per set of brokers and credentials.
type Sender struct {
	cfg  deliver.Config
	pool deliver.Pool[*client]
}

// New returns the kafka sender. A cfg without Dial gets the egress
// guard with no private range allowed, and without Timeout 15 seconds.
func New(cfg deliver.Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dial == nil {
		cfg.Dial = egress.NewDialer(egress.Config{ConnectTimeout: cfg.Timeout})
	}
	s := &Sender{cfg: cfg}
	s.pool.Dial, s.pool.Now = s.dial, cfg.Now
	return s
}

// Close closes every client.
func (s *Sender) Close() error { return s.pool.Close() }

// Release lets go of webhookID's client (see deliver.Releaser).
func (s *Sender) Release(webhookID string) { s.pool.Release(webhookID) }

// clientConfig is what one client is made for: the pool's key, as JSON,
// so that a change of brokers or credentials is a new client. Topic and
// key path are per record, not per client.
type clientConfig struct {
	Brokers   []string `json:"b"`
	TLS       bool     `json:"t,omitempty"`
	Mechanism string   `json:"m,omitempty"`
	Username  string   `json:"u,omitempty"`
	Password  string   `json:"p,omitempty"`
}

func poolKey(d webhook.Destination) string {
	b, _ := json.Marshal(clientConfig{Brokers: d.Brokers, TLS: d.TLS, Mechanism: d.SASLMechanism,
		Username: d.Username, Password: d.Password})
	return string(b)
}

// client is one franz-go client and the last connection error it met,
// which a produce that timed out reports instead of the bare timeout (a
// refused connection or refused credentials say more).
type client struct {
	kc *kgo.Client

	mu       sync.Mutex
	connErr  error
	connAt   time.Time
	authedAt time.Time // the last start of a SASL exchange
	waiters  map[int]context.CancelCauseFunc
	next     int
}

// watchedMechanism notes when a SASL exchange starts: a connection that
// fails after that failed authenticating. Some brokers (Kafka before
// 2.2 for a wrong password, kfake) close the connection instead of
// answering SASL_AUTHENTICATION_FAILED, which would otherwise read as a
// network error.
type watchedMechanism struct {
	sasl.Mechanism
	c *client
}

func (m watchedMechanism) Authenticate(ctx context.Context, host string) (sasl.Session, []byte, error) {
	m.c.mu.Lock()
	m.c.authedAt = time.Now()
	m.c.mu.Unlock()
	return m.Mechanism.Authenticate(ctx, host)
}

// authError is a connection lost during SASL authentication.
type authError struct{ err error }

func (e *authError) Error() string {
	return "the broker closed the connection during SASL authentication (" + e.err.Error() + ")"
}
func (e *authError) Unwrap() error { return e.err }

func (c *client) Close() error {
	c.kc.Close()
	return nil
}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (c *client) OnBrokerConnect(_ kgo.BrokerMetadata, initDur time.Duration, _ net.Conn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if err != nil && !errors.Is(err, kerr.SaslAuthenticationFailed) && !c.authedAt.Before(now.Add(-initDur)) {
		err = &authError{err}
	}
	c.connErr, c.connAt = err, now
	if err == nil {
		return
	}
	switch class, _ := classify(err); class {
	case webhook.ErrClassAuth, webhook.ErrClassTLS, webhook.ErrClassBlocked:
		for _, stop := range c.waiters {
			stop(&connError{err: err})
		}
	}
}

// watch registers the attempt whose context stop cancels, to end it on a
// connection failure that cannot mend; the returned func unregisters it.
func (c *client) watch(stop context.CancelCauseFunc) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiters == nil {
		c.waiters = map[int]context.CancelCauseFunc{}
	}
	c.next++
	id := c.next
	c.waiters[id] = stop
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.waiters, id)
	}
}

// lastConnErr is the error of the last connection attempt if it failed
// at or after since.
func (c *client) lastConnErr(since time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connErr != nil && !c.connAt.Before(since) {
		return c.connErr
	}
	return nil
}

func (s *Sender) dial(_ context.Context, key string) (*client, error) {
	var cc clientConfig
	if err := json.Unmarshal([]byte(key), &cc); err != nil {
		return nil, err
	}
	c := &client{}
	dial := s.cfg.Dial
	if cc.TLS {
		guarded := dial
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			raw, err := guarded(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(raw, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
			if err := tc.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return tc, nil
		}
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cc.Brokers...),
		// Every broker address, the seeds and those the cluster's metadata
		// names, is dialled through the egress guard.
		kgo.Dialer(dial),
		kgo.ClientID("hookline"),
		kgo.WithHooks(c),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(s.cfg.Timeout),
		kgo.ProduceRequestTimeout(s.cfg.Timeout),
		kgo.DialTimeout(s.cfg.Timeout),
		// An attempt must end within the timeout even when its record was
		// sent and its answer lost; the delivery's retry may then store it
		// twice (at least once, as documented above).
		kgo.AllowIdempotentProduceCancellation(),
		// One attempt is one record waiting for its ack: no reason to
		// wait for more to batch with it (concurrent attempts still share
		// requests while one is in flight).
		kgo.ProducerLinger(0),
	}
	if m := mechanism(cc); m != nil {
		opts = append(opts, kgo.SASL(watchedMechanism{m, c}))
	}
	kc, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	c.kc = kc
	return c, nil
}

// mechanism is the SASL mechanism of cc, nil for none.
func mechanism(cc clientConfig) sasl.Mechanism {
	switch cc.Mechanism {
	case SASLPlain:
		return plain.Auth{User: cc.Username, Pass: cc.Password}.AsMechanism()
	case SASLScramSHA256:
		return scram.Auth{User: cc.Username, Pass: cc.Password}.AsSha256Mechanism()
	case SASLScramSHA512:
		return scram.Auth{User: cc.Username, Pass: cc.Password}.AsSha512Mechanism()
	}
	return nil
}

// Send produces one record and waits for the cluster's ack.
func (s *Sender) Send(ctx context.Context, t deliver.Task) (webhook.Attempt, deliver.Verdict) {
	d := t.Webhook.Destination
	start := s.cfg.Now()
	msg, a := deliver.NewMessage(t, start, Target(d))
	answer, err := s.produce(ctx, t, msg)
	deliver.Finish(&a, start, s.cfg.Now(), answer, err, classify)
	return a, deliver.BrokerVerdict(&a)
}

// Target is how an attempt record names d: its brokers and topic.
func Target(d webhook.Destination) string {
	return "kafka://" + strings.Join(d.Brokers, ",") + "/" + d.Topic
}

func (s *Sender) produce(ctx context.Context, t deliver.Task, msg deliver.Message) (string, error) {
	d, ev := t.Webhook.Destination, t.Event
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, release, err := s.pool.Acquire(ctx, t.Webhook.ID, poolKey(d))
	if err != nil {
		return "", err
	}
	defer release()
	key, keyNote := Key(msg.Body, d.KeyPath, ev.ID)
	rec := &kgo.Record{Topic: d.Topic, Key: key, Value: msg.Body, Headers: make([]kgo.RecordHeader, 0, len(msg.Headers))}
	for _, k := range slices.Sorted(maps.Keys(msg.Headers)) {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: strings.ToLower(k), Value: []byte(msg.Headers[k])})
	}
	since := time.Now()
	// A connection failure that cannot mend within the attempt (refused
	// credentials, an untrusted certificate, an address the guard
	// refuses) ends it at once, rather than the client dialling again
	// and again until the timeout: no storm of logins against a broker.
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	defer c.watch(stop)()
	done := make(chan error, 1)
	c.kc.Produce(pctx, rec, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err = <-done:
	case <-time.After(s.cfg.Timeout + time.Second):
		// The client cancels the record at the deadline; this bounds the
		// attempt should its promise come late.
		err = context.DeadlineExceeded
	}
	if err != nil {
		var ce *connError
		if cause := context.Cause(pctx); errors.As(cause, &ce) {
			return "", ce
		}
		if isTimeout(err) {
			if ce := c.lastConnErr(since); ce != nil {
				err = &connError{err: ce}
			}
		}
		return "", err
	}
	answer := fmt.Sprintf("partition %d offset %d", rec.Partition, rec.Offset)
	if keyNote != "" {
		answer += " (" + keyNote + ")"
	}
	return answer, nil
}

func isTimeout(err error) bool {
	return errors.Is(err, kgo.ErrRecordTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, kgo.ErrRecordRetries)
}

// connError is a produce that timed out after a failed connection: its
// class is the connection's.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// classify names a Kafka failure's class.
func classify(err error) (webhook.ErrorClass, string) {
	var ke *kerr.Error
	var ae *authError
	switch {
	case errors.As(err, &ae):
		return webhook.ErrClassAuth, "credentials refused: " + ae.Error()
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.UnsupportedSaslMechanism),
		errors.Is(err, kerr.IllegalSaslState):
		return webhook.ErrClassAuth, "credentials refused: " + err.Error()
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed):
		return webhook.ErrClassAuth, "not authorized: " + err.Error()
	case errors.As(err, &ke):
		return webhook.ErrClassBroker, "Kafka answered: " + ke.Error()
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, kgo.ErrRecordRetries):
		return webhook.ErrClassTimeout, "timed out: no acknowledgement from the cluster"
	}
	return deliver.Classify(err)
}
