package kafka_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/deliver/kafka"
	"github.com/hookline/hookline/internal/webhook"
)

// No Kafka broker runs on this machine: the tests run franz-go's kfake, an
// in-process cluster that speaks the Kafka protocol (produce with acks,
// idempotent producer ids, SASL PLAIN and SCRAM, TLS) on loopback ports.

// cluster starts a kfake cluster of n brokers with topic "events" (3
// partitions) and returns its addresses.
func cluster(t testing.TB, n int, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(n), kfake.SeedTopics(3, "events")}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// consumer reads topic from the start, as a consumer of the destination
// would (credentials as opts).
func consumer(t testing.TB, brokers []string, topic string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)
	c, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// poll returns the next n records, failing t after 30 s.
func poll(t testing.TB, c *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d of %d records consumed: %v", len(out), n, fs.Errors())
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

func send(t testing.TB, s *kafka.Sender, task deliver.Task) webhook.Attempt {
	t.Helper()
	a, v := s.Send(context.Background(), task)
	if v.Kind != deliver.Delivered || a.ErrorClass != "" {
		t.Fatalf("verdict %v, class %q, error %q", v.Kind, a.ErrorClass, a.Error)
	}
	return a
}

// TestProduce: each event is one record with the payload, the Standard
// Webhooks headers (the signature verifies) and the key from key_path;
// the answer names its partition and offset; events with one key share a
// partition in order.
func TestProduce(t *testing.T) {
	_, brokers := cluster(t, 3)
	s := kafka.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	d := webhook.Destination{Type: kafka.Type, Brokers: brokers[:1], Topic: "events", KeyPath: "data.order"}
	var tasks []deliver.Task
	for range 4 {
		task := brokertest.Task(t, d)
		a := send(t, s, task)
		if !strings.HasPrefix(a.Answer, "partition ") || !strings.Contains(a.Answer, " offset ") || strings.Contains(a.Answer, "(") {
			t.Errorf("answer %q, want partition P offset O", a.Answer)
		}
		if a.Destination != kafka.Type || a.URL != "kafka://"+brokers[0]+"/events" {
			t.Errorf("attempt destination %q, url %q", a.Destination, a.URL)
		}
		tasks = append(tasks, task)
	}
	recs := poll(t, consumer(t, brokers, "events"), 4)
	for i, r := range recs {
		if string(r.Key) != "42" { // brokertest's event data is {"order":42}
			t.Errorf("record %d key %q, want 42", i, r.Key)
		}
		if r.Partition != recs[0].Partition {
			t.Errorf("record %d on partition %d, the first on %d: one key, one partition", i, r.Partition, recs[0].Partition)
		}
		brokertest.Verify(t, tasks[i], headers(r), r.Value)
	}
}

// TestKey: the rules for a record's key.
func TestKey(t *testing.T) {
	body := []byte(`{"type":"x","data":{"customer":{"id":"cus_1","n":7,"vip":true,"tags":["a","b"],"none":null}}}`)
	for _, tt := range []struct {
		path, key string
		noted     bool
	}{
		{"", "evt_1", false},
		{"data.customer.id", "cus_1", false},
		{"data.customer.n", "7", false},
		{"data.customer.vip", "true", false},
		{"data.customer.tags", `["a","b"]`, false},
		{"data.customer.tags.1", "b", false},
		{"data.customer.tags.2", "evt_1", true},
		{"data.customer.none", "evt_1", true},
		{"data.customer.missing", "evt_1", true},
		{"data.customer.id.deeper", "evt_1", true},
		{"type.x", "evt_1", true},
	} {
		key, note := kafka.Key(body, tt.path, "evt_1")
		if string(key) != tt.key || (note != "") != tt.noted {
			t.Errorf("Key(%q) = %q, note %q; want %q, noted %v", tt.path, key, note, tt.key, tt.noted)
		}
	}
	// The answer says when the key fell back to the event id.
	_, brokers := cluster(t, 1)
	s := kafka.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	task := brokertest.Task(t, webhook.Destination{Type: kafka.Type, Brokers: brokers, Topic: "events", KeyPath: "data.customer"})
	if a := send(t, s, task); !strings.Contains(a.Answer, "data.customer is not in the payload") {
		t.Errorf("answer %q does not say the key fell back", a.Answer)
	}
	if r := poll(t, consumer(t, brokers, "events"), 1)[0]; string(r.Key) != task.Event.ID {
		t.Errorf("key %q, want the event id %q", r.Key, task.Event.ID)
	}
}

// TestSASL: PLAIN and SCRAM credentials are used; wrong ones are class
// auth, not counted toward the breaker.
func TestSASL(t *testing.T) {
	_, brokers := cluster(t, 1, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plainuser", "plainpw"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pw256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pw512"))
	s := kafka.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for _, tt := range []struct {
		mech, user, pass string
		ok               bool
	}{
		{kafka.SASLPlain, "plainuser", "plainpw", true},
		{kafka.SASLScramSHA256, "scram256", "pw256", true},
		{kafka.SASLScramSHA512, "scram512", "pw512", true},
		{kafka.SASLScramSHA256, "scram256", "wrong", false},
		{kafka.SASLPlain, "nobody", "x", false},
	} {
		t.Run(tt.mech+"/"+tt.user+"/"+tt.pass, func(t *testing.T) {
			d := webhook.Destination{Type: kafka.Type, Brokers: brokers, Topic: "events",
				SASLMechanism: tt.mech, Username: tt.user, Password: tt.pass}
			a, v := s.Send(context.Background(), brokertest.Task(t, d))
			switch {
			case tt.ok && v.Kind != deliver.Delivered:
				t.Errorf("verdict %v, class %q, error %q; want delivered", v.Kind, a.ErrorClass, a.Error)
			case !tt.ok && (v.Kind != deliver.Retry || a.ErrorClass != webhook.ErrClassAuth || v.Down):
				t.Errorf("verdict %v down %v, class %q, error %q; want a retry of class auth, not down", v.Kind, v.Down, a.ErrorClass, a.Error)
			case !tt.ok && strings.Contains(a.Error, tt.pass):
				t.Errorf("error %q shows the password", a.Error)
			}
		})
	}
}

// TestRefusals: an unknown topic is the broker's refusal; a cluster that
// is down counts toward the breaker; a broker that does not speak TLS to
// a TLS destination fails as TLS; a private address is refused by the
// egress guard.
func TestRefusals(t *testing.T) {
	_, brokers := cluster(t, 1)
	_, tlsBrokers := cluster(t, 1, kfake.TLS(selfSigned(t)))
	s := kafka.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	guarded := kafka.New(deliver.Config{Timeout: 5 * time.Second, Now: time.Now})
	t.Cleanup(func() { guarded.Close() })
	for _, tt := range []struct {
		name  string
		s     *kafka.Sender
		d     webhook.Destination
		class webhook.ErrorClass
		down  bool
	}{
		{"unknown topic", s, webhook.Destination{Brokers: brokers, Topic: "no-such-topic"}, webhook.ErrClassBroker, false},
		{"cluster down", s, webhook.Destination{Brokers: []string{brokertest.Refused(t)}, Topic: "events"}, webhook.ErrClassConnectionRefused, true},
		{"untrusted TLS certificate", s, webhook.Destination{Brokers: tlsBrokers, Topic: "events", TLS: true}, webhook.ErrClassTLS, false},
		{"private address", guarded, webhook.Destination{Brokers: brokers, Topic: "events"}, webhook.ErrClassBlocked, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.Type = kafka.Type
			a, v := tt.s.Send(context.Background(), brokertest.Task(t, tt.d))
			if v.Kind != deliver.Retry || a.ErrorClass != tt.class || a.Answer == "" || (tt.down && !v.Down) {
				t.Errorf("verdict %v down %v, class %q, answer %q, error %q; want retry, class %q, down %v",
					v.Kind, v.Down, a.ErrorClass, a.Answer, a.Error, tt.class, tt.down)
			}
		})
	}
}

// selfSigned is a TLS server configuration with a certificate no system
// root trusts.
func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// TestRelease: a webhook's client is closed when the webhook changes,
// unless another webhook still uses it (the shared broker check).
func TestRelease(t *testing.T) {
	_, brokers := cluster(t, 1)
	brokertest.Released(t, func(cfg deliver.Config) deliver.Sender { return kafka.New(cfg) },
		webhook.Destination{Type: kafka.Type, Brokers: brokers, Topic: "events"})
}

// TestConformance runs the sender conformance suite against a kfake
// cluster: the cluster advertises the suite's proxy as its address (as a
// Kafka broker behind a proxy sets advertised.listeners), so every
// connection, bootstrap and produce, goes through the proxy the suite
// cuts.
func TestConformance(t *testing.T) {
	ln := &advertised{}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "conformance"),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			ln.Listener = l
			return ln, err
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s := kafka.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	brokertest.Conformance(t, brokertest.Suite{
		Target: ln.Listener.Addr().String(), Sender: s,
		Dest: func(proxy string) webhook.Destination {
			ln.set(proxy)
			return webhook.Destination{Type: kafka.Type, Brokers: []string{proxy}, Topic: "conformance", KeyPath: "data.order"}
		},
		Consume: func(t *testing.T) <-chan string {
			ids := make(chan string, 64)
			// The cluster's metadata names the proxy, so the consumer's
			// connections go through it too; it reconnects by itself once
			// the proxy is back.
			cl := consumer(t, []string{ln.Listener.Addr().String()}, "conformance")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			t.Cleanup(func() {
				cancel()
				<-done
			})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					for _, r := range cl.PollFetches(ctx).Records() {
						select {
						case ids <- headers(r)["webhook-id"]:
						case <-ctx.Done():
							return
						}
					}
				}
			}()
			return ids
		},
	})
}

// advertised is a listener whose address, which kfake advertises in its
// metadata, can be set to another (the suite's proxy).
type advertised struct {
	net.Listener
	mu   sync.Mutex
	addr net.Addr
}

func (l *advertised) set(hostport string) {
	a, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		panic(err)
	}
	l.mu.Lock()
	l.addr = a
	l.mu.Unlock()
}

func (l *advertised) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addr != nil {
		return l.addr
	}
	return l.Listener.Addr()
}

func BenchmarkSend(b *testing.B) {
	_, brokers := cluster(b, 1)
	s := kafka.New(brokertest.Config())
	defer s.Close()
	brokertest.Bench(b, s, webhook.Destination{Type: kafka.Type, Brokers: brokers, Topic: "events", KeyPath: "data.order"})
}
