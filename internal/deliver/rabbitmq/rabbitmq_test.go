package rabbitmq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/deliver/rabbitmq"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	addr = "127.0.0.1:5672"
	url  = "amqp://guest:guest@" + addr + "/"
)

// queue declares a private, auto-deleted queue on the local RabbitMQ and
// returns its name and a consumer of it.
func queue(t *testing.T) (string, <-chan amqp.Delivery) {
	t.Helper()
	brokertest.Need(t, "RabbitMQ", addr)
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
	return q.Name, msgs
}

func TestPublishConfirmed(t *testing.T) {
	name, msgs := queue(t)
	s := rabbitmq.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	// Twice: the second attempt reuses the connection and its channel.
	for range 2 {
		task := brokertest.Task(t, webhook.Destination{Type: rabbitmq.Type, URL: url, RoutingKey: name})
		a, v := s.Send(context.Background(), task)
		if v.Kind != deliver.Delivered || a.Answer != "ack" || a.ErrorClass != "" {
			t.Fatalf("verdict %v, answer %q, error %s %q", v.Kind, a.Answer, a.ErrorClass, a.Error)
		}
		if a.Destination != rabbitmq.Type || strings.Contains(a.URL, "guest:guest") {
			t.Errorf("attempt destination %q, url %q (password must be masked)", a.Destination, a.URL)
		}
		select {
		case m := <-msgs:
			h := map[string]string{}
			for k, v := range m.Headers {
				h[k], _ = v.(string)
			}
			brokertest.Verify(t, task, h, m.Body)
			if m.MessageId != task.Event.ID || m.ContentType != "application/json" || m.DeliveryMode != amqp.Persistent {
				t.Errorf("message id %q, content type %q, mode %d", m.MessageId, m.ContentType, m.DeliveryMode)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the published message never reached the queue")
		}
	}
}

func TestRefusals(t *testing.T) {
	name, _ := queue(t)
	s := rabbitmq.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for _, tt := range []struct {
		name  string
		d     webhook.Destination
		class webhook.ErrorClass
		down  bool
	}{
		{"unroutable", webhook.Destination{URL: url, RoutingKey: "hookline-no-such-queue-" + name}, webhook.ErrClassBroker, false},
		{"unknown exchange", webhook.Destination{URL: url, Exchange: "hookline-no-such-exchange", RoutingKey: name}, webhook.ErrClassBroker, false},
		{"bad credentials", webhook.Destination{URL: "amqp://guest:wrong@" + addr + "/", RoutingKey: name}, webhook.ErrClassAuth, false},
		{"broker down", webhook.Destination{URL: "amqp://guest:guest@" + brokertest.Refused(t) + "/", RoutingKey: name}, webhook.ErrClassConnectionRefused, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.Type = rabbitmq.Type
			a, v := s.Send(context.Background(), brokertest.Task(t, tt.d))
			if v.Kind != deliver.Retry || a.ErrorClass != tt.class || v.Down != tt.down || a.Answer == "" {
				t.Errorf("verdict %v down %v, class %q, answer %q, error %q; want retry down %v, class %q",
					v.Kind, v.Down, a.ErrorClass, a.Answer, a.Error, tt.down, tt.class)
			}
		})
	}
	// The connection survives a refused message: the next one goes through.
	task := brokertest.Task(t, webhook.Destination{Type: rabbitmq.Type, URL: url, RoutingKey: name})
	if a, v := s.Send(context.Background(), task); v.Kind != deliver.Delivered {
		t.Errorf("after the refusals: %v %q", v.Kind, a.Error)
	}
}

func TestCheck(t *testing.T) {
	var v webhook.Validation
	rabbitmq.Check(webhook.Destination{Type: rabbitmq.Type, URL: "http://x"}, webhook.At("destination"), &v)
	rabbitmq.Check(webhook.Destination{Type: rabbitmq.Type, URL: url, RoutingKey: strings.Repeat("k", 256)}, webhook.At("destination"), &v)
	rabbitmq.Check(webhook.Destination{Type: rabbitmq.Type, URL: url}, webhook.At("destination"), &v)
	err := v.Err()
	for _, want := range []string{"/destination/url", "/destination/routing_key"} {
		if err == nil || !strings.Contains(errString(err), want) {
			t.Errorf("problems %v lack %s", err, want)
		}
	}
	if v.Len() != 4 {
		t.Errorf("%d problems, want 4: %v", v.Len(), err)
	}
}

func errString(err error) string {
	var b strings.Builder
	if we, ok := err.(*webhook.Error); ok {
		for _, p := range we.Problems() {
			b.WriteString(p.Pointer + " ")
		}
	}
	return b.String()
}

func TestConformance(t *testing.T) {
	name, msgs := queue(t)
	s := rabbitmq.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	brokertest.Conformance(t, brokertest.Suite{
		Target: addr, Sender: s,
		Dest: func(a string) webhook.Destination {
			return webhook.Destination{Type: rabbitmq.Type, URL: "amqp://guest:guest@" + a + "/", RoutingKey: name}
		},
		Consume: func(t *testing.T) <-chan string {
			ids := make(chan string, 64)
			go func() {
				for m := range msgs {
					ids <- m.MessageId
				}
			}()
			return ids
		},
	})
}

func BenchmarkSend(b *testing.B) {
	brokertest.Need(b, "RabbitMQ", addr)
	c, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		b.Fatal(err)
	}
	// A queue that keeps nothing for long: the benchmark measures publishing.
	q, err := ch.QueueDeclare("", false, true, true, false, amqp.Table{"x-max-length": int32(1000)})
	if err != nil {
		b.Fatal(err)
	}
	s := rabbitmq.New(brokertest.Config())
	defer s.Close()
	brokertest.Bench(b, s, webhook.Destination{Type: rabbitmq.Type, URL: url, RoutingKey: q.Name})
}

func TestRelease(t *testing.T) {
	name, _ := queue(t)
	brokertest.Released(t, func(cfg deliver.Config) deliver.Sender { return rabbitmq.New(cfg) },
		webhook.Destination{Type: rabbitmq.Type, URL: url, RoutingKey: name})
}
