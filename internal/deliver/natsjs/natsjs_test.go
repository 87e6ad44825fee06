package natsjs_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/deliver/natsjs"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	addr = "127.0.0.1:4222"
	url  = "nats://" + addr
)

// stream makes a stream of this test's own on the local NATS, deleted at
// the end, capturing the returned subject.
func stream(t *testing.T) (string, jetstream.Stream) {
	t.Helper()
	brokertest.Need(t, "NATS", addr)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := "HOOKLINE_TEST_" + strings.TrimPrefix(webhook.NewID(""), "_")
	subject := "hookline.test." + name
	st, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{subject},
		Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), name) })
	return subject, st
}

func TestPublishAcked(t *testing.T) {
	subject, st := stream(t)
	s := natsjs.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for i := range 2 {
		task := brokertest.Task(t, webhook.Destination{Type: natsjs.Type, URL: url, Subject: subject})
		task.DeliveryID = "dlv_" + strconv.Itoa(i)
		a, v := s.Send(context.Background(), task)
		if v.Kind != deliver.Delivered || a.ErrorClass != "" || !strings.HasPrefix(a.Answer, "stored in ") {
			t.Fatalf("verdict %v, answer %q, error %s %q", v.Kind, a.Answer, a.ErrorClass, a.Error)
		}
		m, err := st.GetMsg(context.Background(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]string{}
		for k := range m.Header {
			h[k] = m.Header.Get(k)
		}
		brokertest.Verify(t, task, h, m.Data)
		// A retry of the same delivery whose ack was lost is stored once.
		if a, _ := s.Send(context.Background(), task); !strings.HasSuffix(a.Answer, "(duplicate)") {
			t.Errorf("resent delivery: answer %q, want a duplicate", a.Answer)
		}
	}
}

func TestRefusals(t *testing.T) {
	subject, _ := stream(t)
	private := brokertest.Private(t, "nats-server", func(port int) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "--user", "hookline", "--pass", "right"}
	})
	s := natsjs.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for _, tt := range []struct {
		name  string
		d     webhook.Destination
		class webhook.ErrorClass
		down  bool
	}{
		{"no stream", webhook.Destination{URL: url, Subject: subject + ".nobody"}, webhook.ErrClassBroker, false},
		{"bad credentials", webhook.Destination{URL: "nats://hookline:wrong@" + private, Subject: subject}, webhook.ErrClassAuth, false},
		{"server down", webhook.Destination{URL: "nats://" + brokertest.Refused(t), Subject: subject}, webhook.ErrClassConnectionRefused, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.Type = natsjs.Type
			a, v := s.Send(context.Background(), brokertest.Task(t, tt.d))
			if v.Kind != deliver.Retry || a.ErrorClass != tt.class || v.Down != tt.down || a.Answer == "" {
				t.Errorf("verdict %v down %v, class %q, answer %q, error %q; want retry down %v, class %q",
					v.Kind, v.Down, a.ErrorClass, a.Answer, a.Error, tt.down, tt.class)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	var v webhook.Validation
	at := webhook.At("destination")
	natsjs.Check(webhook.Destination{URL: "redis://x", Subject: "a.b"}, at, &v)
	natsjs.Check(webhook.Destination{URL: url, Subject: "a.*"}, at, &v)
	natsjs.Check(webhook.Destination{URL: url}, at, &v)
	if v.Len() != 3 {
		t.Errorf("%d problems, want 3: %v", v.Len(), v.Err())
	}
}

func TestConformance(t *testing.T) {
	subject, st := stream(t)
	s := natsjs.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	brokertest.Conformance(t, brokertest.Suite{
		Target: addr, Sender: s,
		Dest: func(a string) webhook.Destination {
			return webhook.Destination{Type: natsjs.Type, URL: "nats://" + a, Subject: subject}
		},
		Consume: func(t *testing.T) <-chan string {
			ids := make(chan string, 64)
			cons, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			cc, err := cons.Consume(func(m jetstream.Msg) { ids <- m.Headers().Get("webhook-id") })
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cc.Stop)
			return ids
		},
	})
}

func BenchmarkSend(b *testing.B) {
	brokertest.Need(b, "NATS", addr)
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	name := "HOOKLINE_BENCH_" + strings.TrimPrefix(webhook.NewID(""), "_")
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{"hookline.bench." + name},
		Storage: jetstream.MemoryStorage, MaxMsgs: 1000}); err != nil {
		b.Fatal(err)
	}
	defer js.DeleteStream(context.Background(), name)
	s := natsjs.New(brokertest.Config())
	defer s.Close()
	brokertest.Bench(b, s, webhook.Destination{Type: natsjs.Type, URL: url, Subject: "hookline.bench." + name})
}

func TestRelease(t *testing.T) {
	subject, _ := stream(t)
	brokertest.Released(t, func(cfg deliver.Config) deliver.Sender { return natsjs.New(cfg) },
		webhook.Destination{Type: natsjs.Type, URL: url, Subject: subject})
}
