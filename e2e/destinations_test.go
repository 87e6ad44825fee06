package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/verify"
)

// needBroker skips t when the machine's local broker is not reachable, or
// fails it under CI=true (.ci/run starts the brokers).
func needBroker(t *testing.T, name, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable at %s under CI: %v", name, addr, err)
	}
	t.Skipf("%s is not reachable at %s: %v", name, addr, err)
}

// consumed is one message as a broker's consumer got it.
type consumed struct {
	headers map[string]string
	body    []byte
}

// brokerCase sets up a consumer on a local broker and returns the
// destination that publishes to it and a wait for the next message.
type brokerCase struct {
	typ, name, addr string
	setup           func(t *testing.T, unique string) (client.Destination, func() consumed)
}

var brokerCases = []brokerCase{
	{client.DestinationRabbitMQ, "RabbitMQ", "127.0.0.1:5672", func(t *testing.T, _ string) (client.Destination, func() consumed) {
		const url = "amqp://guest:guest@127.0.0.1:5672/"
		c, err := amqp.Dial(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		ch, err := c.Channel()
		if err != nil {
			t.Fatal(err)
		}
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return client.Destination{Type: client.DestinationRabbitMQ, URL: url, RoutingKey: q.Name}, func() consumed {
			select {
			case m := <-msgs:
				h := map[string]string{}
				for k, v := range m.Headers {
					h[k], _ = v.(string)
				}
				return consumed{h, m.Body}
			case <-time.After(20 * time.Second):
				t.Fatal("no message reached the queue")
				return consumed{}
			}
		}
	}},
	{client.DestinationRedis, "Redis", "127.0.0.1:6379", func(t *testing.T, unique string) (client.Destination, func() consumed) {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		stream := "hookline-e2e-" + unique
		t.Cleanup(func() {
			c.Del(context.Background(), stream)
			c.Close()
		})
		return client.Destination{Type: client.DestinationRedis, URL: "redis://127.0.0.1:6379/0", Stream: stream, MaxLen: 1000}, func() consumed {
			// XREAD blocks until an entry arrives (bounded).
			res, err := c.XRead(context.Background(), &redis.XReadArgs{Streams: []string{stream, "0"}, Count: 1, Block: 20 * time.Second}).Result()
			if err != nil || len(res) == 0 || len(res[0].Messages) == 0 {
				t.Fatalf("no entry reached the stream: %v", err)
			}
			h := map[string]string{}
			for k, v := range res[0].Messages[0].Values {
				h[k], _ = v.(string)
			}
			return consumed{h, []byte(h["payload"])}
		}
	}},
	{client.DestinationNATS, "NATS", "127.0.0.1:4222", func(t *testing.T, unique string) (client.Destination, func() consumed) {
		nc, err := nats.Connect("nats://127.0.0.1:4222")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		name := "HOOKLINE_E2E_" + strings.ToUpper(unique)
		subject := "hookline.e2e." + unique
		st, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{subject},
			Storage: jetstream.MemoryStorage})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { js.DeleteStream(context.Background(), name) })
		cons, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return client.Destination{Type: client.DestinationNATS, URL: "nats://127.0.0.1:4222", Subject: subject}, func() consumed {
			m, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
			if err != nil {
				t.Fatalf("no message reached the stream: %v", err)
			}
			h := map[string]string{}
			for k := range m.Headers() {
				h[k] = m.Headers().Get(k)
			}
			return consumed{h, m.Data()}
		}
	}},
	{client.DestinationMQTT, "Mosquitto", "127.0.0.1:1883", func(t *testing.T, unique string) (client.Destination, func() consumed) {
		topic := "hookline/e2e/" + unique
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://127.0.0.1:1883").SetClientID("e2e-" + unique))
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(100) })
		msgs := make(chan []byte, 10)
		if tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { msgs <- m.Payload() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe: %v", tok.Error())
		}
		return client.Destination{Type: client.DestinationMQTT, URL: "mqtt://127.0.0.1:1883", Topic: topic, QoS: 1}, func() consumed {
			select {
			case p := <-msgs:
				// MQTT 3.1.1 has no properties: headers and body come in
				// a JSON envelope.
				var env struct {
					Headers map[string]string `json:"headers"`
					Body    string            `json:"body"`
				}
				if err := json.Unmarshal(p, &env); err != nil {
					t.Fatalf("envelope %s: %v", p, err)
				}
				return consumed{env.Headers, []byte(env.Body)}
			case <-time.After(20 * time.Second):
				t.Fatal("no message reached the subscriber")
				return consumed{}
			}
		}
	}},
	{client.DestinationKafka, "Kafka", "", func(t *testing.T, _ string) (client.Destination, func() consumed) {
		// No Kafka broker runs here: an in-process kfake cluster does.
		brokers := kafkaCluster(t)
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("events"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return client.Destination{Type: client.DestinationKafka, Brokers: brokers, Topic: "events", KeyPath: "data.amount"}, func() consumed {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for {
				fs := cl.PollRecords(ctx, 1)
				if ctx.Err() != nil {
					t.Fatalf("no record reached the topic: %v", fs.Errors())
				}
				if recs := fs.Records(); len(recs) > 0 {
					r := recs[0]
					if string(r.Key) != "42" {
						t.Errorf("record key %q, want 42 (data.amount)", r.Key)
					}
					h := map[string]string{}
					for _, x := range r.Headers {
						h[x.Key] = string(x.Value)
					}
					return consumed{h, r.Value}
				}
			}
		}
	}},
}

// kafkaCluster starts an in-process Kafka cluster (franz-go's kfake) with
// the topic "events", stopped at the end of t.
func kafkaCluster(t *testing.T, opts ...kfake.Opt) []string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "events")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// TestDestinations publishes through the running server to a webhook of
// each broker destination type and consumes the message from the local
// broker: the envelope, the Standard Webhooks headers (verified with the
// webhook's secret, as a consumer would) and the attempt's answer.
func TestDestinations(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	for i, bc := range brokerCases {
		t.Run(bc.typ, func(t *testing.T) {
			if bc.addr != "" { // in-process otherwise
				needBroker(t, bc.name, bc.addr)
			}
			unique := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(i)
			dest, next := bc.setup(t, unique)
			tenant := "dest-" + bc.typ
			wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: tenant, Name: bc.name + " consumer",
				Events: []string{"payment_received"}, Destination: &dest, Headers: map[string]string{"X-Team": "billing"}})
			if err != nil {
				t.Fatal(err)
			}
			if wh.Destination.Type != bc.typ || strings.Contains(wh.Destination.URL, "guest:guest") {
				t.Errorf("destination as shown: %+v", wh.Destination)
			}
			ev, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: tenant,
				Data: map[string]any{"amount": 42}})
			if err != nil {
				t.Fatal(err)
			}
			m := next()
			h := http.Header{}
			for k, v := range m.headers {
				h.Set(k, v)
			}
			v, err := verify.New(wh.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(h, m.body); err != nil {
				t.Errorf("signature: %v (headers %v)", err, m.headers)
			}
			var env struct {
				ID   string         `json:"id"`
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(m.body, &env); err != nil || env.ID != ev.ID || env.Type != "payment_received" || env.Data["amount"] != 42.0 {
				t.Errorf("body %s (%v), want event %s", m.body, err, ev.ID)
			}
			if h.Get("X-Team") != "billing" || h.Get("Webhook-Id") != ev.ID {
				t.Errorf("headers %v", m.headers)
			}
			var atts []client.Attempt
			eventually(t, "the attempt recorded", func() bool {
				atts, err = api.WebhookAttempts(ctx, wh.ID, client.WebhookAttemptsParams{})
				return err == nil && len(atts) == 1 && atts[0].Outcome == client.OutcomeDelivered
			})
			if a := atts[0]; a.Destination != bc.typ || a.Answer == "" || strings.Contains(a.URL, "guest:guest") {
				t.Errorf("attempt: destination %q, answer %q, url %q", a.Destination, a.Answer, a.URL)
			}
			// The broker's ack counts as a success in the webhook's stats.
			eventually(t, "the success counted", func() bool {
				got, err := api.WebhookGet(ctx, wh.ID)
				return err == nil && got.Stats.Succeeded == 1
			})
		})
	}
}

// TestDestinationDown: a broker that is down costs the retry schedule's
// attempts, each recorded with its answer, and then the delivery fails.
func TestDestinationDown(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(10*time.Millisecond, 10*time.Millisecond))
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "down broker", Events: []string{"payment_received"},
		Destination: &client.Destination{Type: client.DestinationRabbitMQ, URL: "amqp://guest:guest@" + down + "/", RoutingKey: "q"}})
	if err != nil {
		t.Fatal(err)
	}
	id := s.publish("payment_received", map[string]any{"amount": 1})
	s.waitDelivery(s.onlyDelivery(id).ID, "failed", func(d deliveryResp) bool { return d.Status == "failed" })
	atts, err := api.WebhookAttempts(ctx, wh.ID, client.WebhookAttemptsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 3 {
		t.Fatalf("%d attempts, want 3 (the first and two retries)", len(atts))
	}
	for _, a := range atts {
		if a.Destination != client.DestinationRabbitMQ || a.Answer != "connection refused" || a.ErrorClass != "connection_refused" {
			t.Errorf("attempt %d: destination %q, answer %q, class %q", a.Number, a.Destination, a.Answer, a.ErrorClass)
		}
	}
}

// TestCLIDestination: the CLI makes a broker webhook from flags or JSON,
// shows it with its password masked, and Send Test goes to the broker
// with the broker's answer.
func TestCLIDestination(t *testing.T) {
	t.Parallel()
	needBroker(t, "Redis", "127.0.0.1:6379")
	s := startServer(t)
	c := newCLI(t, s, true)
	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	stream := "hookline-e2e-cli-" + unique
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() {
		rdb.Del(context.Background(), stream)
		rdb.Close()
	})
	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "Stream", "--events", "payment_received",
		"--destination", "redis", "--destination-url", "redis://nobody:s3cret@127.0.0.1:6379/0", "--stream", stream, "--maxlen", "100")
	if d := created.Destination; d.Type != "redis" || d.Stream != stream || d.MaxLen != 100 || strings.Contains(d.URL, "s3cret") {
		t.Errorf("created destination %+v", d)
	}
	mustContain(t, "get output", c.ok("webhooks", "get", created.ID), "redis, url redis://nobody:xxxxx@127.0.0.1:6379/0", "stream "+stream)
	// The unknown user is refused: Send Test shows the broker's answer.
	c.fails(1, []string{"credentials refused"}, "webhooks", "test", created.ID)
	// A new URL (as JSON) replaces the stored one.
	var updated client.Webhook
	c.json(&updated, "webhooks", "update", created.ID, "--destination",
		`{"type":"redis","url":"redis://127.0.0.1:6379/0","stream":"`+stream+`"}`)
	mustContain(t, "test", c.ok("webhooks", "test", created.ID), "XADD")
	if n, err := rdb.XLen(context.Background(), stream).Result(); err != nil || n != 1 {
		t.Errorf("stream length %d (%v), want the test's entry", n, err)
	}
}

// TestCLIKafkaDestination: the CLI makes a Kafka webhook from flags, its
// SASL password read from a file and never shown; Send Test shows the
// refused login, then, with the right password, the record's partition
// and offset.
func TestCLIKafkaDestination(t *testing.T) {
	t.Parallel()
	brokers := kafkaCluster(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "app", "right-pw"))
	s := startServer(t)
	c := newCLI(t, s, true)
	pw := filepath.Join(t.TempDir(), "kafka-password")
	if err := os.WriteFile(pw, []byte("wrong-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var created client.CreatedWebhook
	c.json(&created, "webhooks", "create", "--name", "Orders", "--events", "payment_received",
		"--destination", "kafka", "--brokers", strings.Join(brokers, ","), "--topic", "events", "--key-path", "data.amount",
		"--sasl-mechanism", "scram-sha-512", "--sasl-username", "app", "--sasl-password-file", pw)
	if d := created.Destination; d.Type != "kafka" || d.Topic != "events" || d.Password != "xxxxx" || len(d.Brokers) != 1 {
		t.Errorf("created destination %+v", d)
	}
	out := c.ok("webhooks", "get", created.ID)
	mustContain(t, "get output", out, "kafka, topic events, brokers "+brokers[0], "key path data.amount", "sasl scram-sha-512 app (password xxxxx)")
	if strings.Contains(out, "wrong-pw") {
		t.Error("get shows the password")
	}
	c.fails(1, []string{"credentials refused"}, "webhooks", "test", created.ID)
	if err := os.WriteFile(pw, []byte("right-pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("webhooks", "update", created.ID, "--destination", "kafka", "--brokers", strings.Join(brokers, ","), "--topic", "events",
		"--sasl-mechanism", "scram-sha-512", "--sasl-username", "app", "--sasl-password-file", pw)
	mustContain(t, "test", c.ok("webhooks", "test", created.ID), "partition 0 offset 0")
	// Updated without the password file: the stored password is kept.
	c.ok("webhooks", "update", created.ID, "--destination", "kafka", "--brokers", strings.Join(brokers, ","), "--topic", "events",
		"--sasl-mechanism", "scram-sha-512", "--sasl-username", "app")
	mustContain(t, "test", c.ok("webhooks", "test", created.ID), "partition 0 offset 1")
}

// TestKillDuringRabbitMQLoad publishes a load of events to a webhook with
// a RabbitMQ destination, SIGKILLs the server halfway, restarts it on the
// same data directory, and checks that every acknowledged (202) event
// reaches the queue: a delivery is done only on the broker's ack, so one
// cut off by the kill is sent again after the restart.
func TestKillDuringRabbitMQLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped in -short mode")
	}
	t.Parallel()
	needBroker(t, "RabbitMQ", "127.0.0.1:5672")
	const url = "amqp://guest:guest@127.0.0.1:5672/"
	consumed := make(chan string, 256)
	c, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for m := range msgs {
			consumed <- m.MessageId
		}
		close(consumed)
	}()

	const total, killAfter, publishers = 1000, 500, 4
	dataDir := t.TempDir()
	p := startProcess(t, dataDir)
	key := createKeyCLI(t, dataDir)
	httpc := &http.Client{Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]any{"name": "bus", "events": []string{"payment_received"},
		"destination": map[string]any{"type": "rabbitmq", "url": url, "routing_key": q.Name}})
	req, _ := http.NewRequest("POST", p.URL+"/api/v1/webhooks", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := httpc.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create webhook: %v %v", err, resp)
	}
	resp.Body.Close()

	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		dead  atomic.Bool
	)
	killNow := make(chan struct{})
	var wg sync.WaitGroup
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > total {
					return
				}
				id, err := publishRaw(httpc, p.URL, key, fmt.Appendf(nil, `{"type":"payment_received","data":{"n":%d}}`, i))
				if err != nil {
					if !dead.Load() {
						t.Errorf("publish %d before the kill: %v", i, err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == killAfter {
					close(killNow)
				}
				mu.Unlock()
			}
		}()
	}
	<-killNow
	dead.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	wg.Wait()
	startProcess(t, dataDir)

	mu.Lock()
	missing := make(map[string]bool, len(acked))
	for _, id := range acked {
		missing[id] = true
	}
	mu.Unlock()
	want, dups := len(missing), 0
	seen := map[string]bool{}
	timeout := time.After(90 * time.Second)
	for len(missing) > 0 {
		select {
		case id := <-consumed:
			if seen[id] {
				dups++
			}
			seen[id] = true
			delete(missing, id)
		case <-timeout:
			t.Fatalf("%d of %d acknowledged events never reached the queue", len(missing), want)
		}
	}
	t.Logf("acknowledged %d events; all reached the queue; %d duplicates (same message id)", want, dups)
}
